#include "views/compress/layer_table.h"

#include <QHeaderView>
#include <algorithm>

#include "views/compress/storage_formats.h"

namespace views::compress {

namespace {
enum Column { kLayer, kShape, kWeights, kSparsity, kDistinct, kCodebookBits, kBitsPerWeight, kFirstFormat };

QString shapeText(const std::vector<int64_t>& shape)
{
    QStringList dims;
    for (int64_t d : shape) dims << QString::number(d);
    return dims.join(QChar(0x00d7));
}

// Bits per weight of a layer in `format`, or in its smallest format when it lacks that one.
double bitsPerWeight(const nn::compress::LayerReport& l, const std::string& format)
{
    if (l.weights <= 0 || l.bits.empty()) return 0;
    auto it = l.bits.find(format);
    if (it == l.bits.end())
        it = std::min_element(l.bits.begin(), l.bits.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    return double(it->second) / double(l.weights);
}
} // namespace

LayerTable::LayerTable(QWidget* parent) : QTableWidget(parent)
{
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setAlternatingRowColors(true);
    verticalHeader()->setVisible(false);
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    setToolTip(tr("Storage of each layer in every format the stage allows; bold: the smallest for the whole model. "
                  "Hover a column header for what the format stores."));
    setColumns({});
}

void LayerTable::setColumns(const nn::compress::StageResult* stage)
{
    // The Deep Compression formats always; the others when the stage has them.
    columns_.clear();
    for (const auto& f : storageFormats()) {
        bool present = isCoreFormat(f.key);
        if (stage) {
            present = present || stage->bits.count(f.key);
            for (const auto& l : stage->layers) present = present || l.bits.count(f.key);
        }
        if (present) columns_.push_back(f);
    }
    setColumnCount(kFirstFormat + int(columns_.size()));
    const QStringList fixed {tr("Layer"), tr("Shape"), tr("Weights"), tr("Sparsity"), tr("Distinct"), tr("Codebook"),
                             tr("Bits/weight")};
    const QStringList tips {tr("The weight tensor"),
                            tr("Rows × columns (or the convolution's dimensions)"),
                            tr("Number of weights in the tensor"),
                            tr("Share of the weights that are exactly zero (pruned)"),
                            tr("Distinct nonzero values (counted up to 70000): after sharing, at most 2^B"),
                            tr("B: the weights share 2^B values; — before a share stage"),
                            tr("This layer's bits divided by its weights, in the stage's smallest format (32 for dense f32)")};
    for (int c = 0; c < kFirstFormat; ++c) {
        auto* item = new QTableWidgetItem(fixed[c]);
        item->setToolTip(tips[c]);
        setHorizontalHeaderItem(c, item);
    }
    for (int i = 0; i < columns_.size(); ++i) {
        auto* item = new QTableWidgetItem(columns_[i].name);
        item->setToolTip(columns_[i].tooltip);
        setHorizontalHeaderItem(kFirstFormat + i, item);
    }
}

void LayerTable::clearStage()
{
    hasStage_ = false;
    setRowCount(0);
}

void LayerTable::setStage(const nn::compress::StageResult& stage)
{
    stage_ = stage;
    hasStage_ = true;
    setColumns(&stage);
    const auto& formats = columns_;
    const int rows = int(stage.layers.size()) + 1;
    setRowCount(rows);
    auto put = [this](int r, int c, const QString& text, bool right = true, bool bold = false) {
        auto* item = new QTableWidgetItem(text);
        if (right) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        if (bold) {
            QFont f = font();
            f.setBold(true);
            item->setFont(f);
        }
        setItem(r, c, item);
    };
    const QString none = QString(QChar(0x2014));
    int64_t weights = 0, zeros = 0;
    for (int r = 0; r < rows - 1; ++r) {
        const auto& l = stage.layers[size_t(r)];
        weights += l.weights;
        zeros += l.zeros;
        put(r, kLayer, QString::fromStdString(l.name), false);
        put(r, kShape, shapeText(l.shape));
        put(r, kWeights, QString::number(l.weights));
        put(r, kSparsity, QString("%1%").arg(100.0 * l.sparsity, 0, 'f', 1));
        put(r, kDistinct, l.distinctNonzero >= 70000 ? QString("≥ 70000") : QString::number(l.distinctNonzero));
        put(r, kCodebookBits, l.codebookBits ? QString::number(l.codebookBits) : none);
        put(r, kBitsPerWeight, QString::number(bitsPerWeight(l, stage.bestFormat), 'f', 2));
        for (int f = 0; f < formats.size(); ++f) {
            const auto it = l.bits.find(formats[f].key);
            put(r, kFirstFormat + f, it == l.bits.end() ? none : sizeText(double(it->second)), true,
                stage.bestFormat == formats[f].key);
        }
    }
    // The whole model: every parameter, biases as f32.
    const int t = rows - 1;
    put(t, kLayer, tr("model (biases f32)"), false, true);
    put(t, kShape, QString());
    put(t, kWeights, QString::number(weights), true, true);
    put(t, kSparsity, QString("%1%").arg(weights ? 100.0 * double(zeros) / double(weights) : 0.0, 0, 'f', 1), true, true);
    put(t, kDistinct, QString());
    put(t, kCodebookBits, QString());
    const auto best = stage.bits.find(stage.bestFormat);
    put(t, kBitsPerWeight, best != stage.bits.end() && weights ? QString::number(double(best->second) / double(weights), 'f', 2) : none,
        true, true);
    for (int f = 0; f < formats.size(); ++f) {
        const auto it = stage.bits.find(formats[f].key);
        put(t, kFirstFormat + f, it == stage.bits.end() ? none : sizeText(double(it->second)), true, true);
    }
}

QString LayerTable::exportTitle() const
{
    return hasStage_ ? tr("Layer storage %1").arg(QString::fromStdString(stage_.text)) : tr("Layer storage");
}

QStringList LayerTable::csvHeader() const
{
    QStringList h {"stage", "layer", "shape", "weights", "zeros", "sparsity", "distinct_nonzero", "codebook_bits", "bits_per_weight"};
    for (const auto& f : storageFormats()) h << QString("%1_bits").arg(f.key);
    return h;
}

QVector<QStringList> LayerTable::csvTextRows() const
{
    QVector<QStringList> rows;
    if (!hasStage_) return rows;
    for (const auto& l : stage_.layers) {
        QStringList row {QString::fromStdString(stage_.text), QString::fromStdString(l.name), shapeText(l.shape).replace(QChar(0x00d7), 'x'),
                         QString::number(l.weights), QString::number(l.zeros), QString::number(l.sparsity, 'g', 9),
                         QString::number(l.distinctNonzero), QString::number(l.codebookBits),
                         QString::number(bitsPerWeight(l, stage_.bestFormat), 'g', 9)};
        for (const auto& f : storageFormats()) {
            const auto it = l.bits.find(f.key);
            row << (it == l.bits.end() ? QString() : QString::number(it->second));
        }
        rows.push_back(row);
    }
    QStringList total {QString::fromStdString(stage_.text), "model", "", "", "", "", "", "", ""};
    for (const auto& f : storageFormats()) {
        const auto it = stage_.bits.find(f.key);
        total << (it == stage_.bits.end() ? QString() : QString::number(it->second));
    }
    rows.push_back(total);
    return rows;
}

} // namespace views::compress
