#include "views/compress/huffman_table.h"

#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

#include "views/compress/storage_formats.h"

namespace views::compress {

namespace {
constexpr int kGapBits = 4;  // the relative index's fixed gap width (engine/compress/storage.h)

QTableWidget* makeTable(const QString& symbolTip)
{
    auto* t = new QTableWidget(0, 3);
    t->setHorizontalHeaderLabels({QObject::tr("Symbol"), QObject::tr("Count"), QObject::tr("Code")});
    t->horizontalHeaderItem(0)->setToolTip(symbolTip);
    t->horizontalHeaderItem(1)->setToolTip(QObject::tr("How often the symbol occurs in this layer"));
    t->horizontalHeaderItem(2)->setToolTip(QObject::tr("Its Huffman code: frequent symbols get the short codes"));
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->setAlternatingRowColors(true);
    t->verticalHeader()->setVisible(false);
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    t->horizontalHeader()->setStretchLastSection(true);
    return t;
}

std::vector<nn::compress::HuffmanRow> byCount(std::vector<nn::compress::HuffmanRow> rows)
{
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.count > b.count; });
    return rows;
}
} // namespace

HuffmanTable::HuffmanTable(QWidget* parent) : QWidget(parent)
{
    heading_ = new QLabel;
    heading_->setWordWrap(true);
    indices_ = makeTable(tr("Centroid number: which of the 2^B shared values a weight takes"));
    gaps_ = makeTable(tr("Relative-index gap: how many zeros come before a stored weight (15 = a filler)"));
    indexSummary_ = new QLabel;
    gapSummary_ = new QLabel;
    for (QLabel* l : {indexSummary_, gapSummary_}) l->setWordWrap(true);
    auto* indexTitle = new QLabel(tr("<b>Centroid numbers</b>"));
    indexTitle->setToolTip(formatTooltip("codebook"));
    auto* gapTitle = new QLabel(tr("<b>Relative-index gaps</b>"));
    gapTitle->setToolTip(formatTooltip("relative_index"));

    auto* grid = new QGridLayout;
    grid->addWidget(indexTitle, 0, 0);
    grid->addWidget(gapTitle, 0, 1);
    grid->addWidget(indices_, 1, 0);
    grid->addWidget(gaps_, 1, 1);
    grid->addWidget(indexSummary_, 2, 0);
    grid->addWidget(gapSummary_, 2, 1);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(heading_);
    layout->addLayout(grid, 1);
    setToolTip(formatTooltip("huffman"));
    clearLayer(tr("Huffman codes appear after a huffman stage."));
}

void HuffmanTable::clearLayer(const QString& why)
{
    layer_ = {};
    stageText_.clear();
    heading_->setText(why);
    for (QTableWidget* t : {indices_, gaps_}) t->setRowCount(0);
    indexSummary_->clear();
    gapSummary_->clear();
}

void HuffmanTable::setLayer(const nn::compress::LayerReport& layer, const QString& stageText)
{
    if (layer.huffmanIndices.empty() && layer.huffmanGaps.empty()) {
        clearLayer(tr("%1 of stage '%2' has no Huffman codes: choose a stage after a huffman stage.")
                       .arg(QString::fromStdString(layer.name), stageText));
        return;
    }
    layer_ = layer;
    stageText_ = stageText;
    heading_->setText(tr("Huffman codes of <b>%1</b> at stage '%2'").arg(QString::fromStdString(layer.name), stageText));
    fill(indices_, indexSummary_, layer.huffmanIndices, layer.codebookBits);
    fill(gaps_, gapSummary_, layer.huffmanGaps, kGapBits);
}

void HuffmanTable::fill(QTableWidget* table, QLabel* summary, const std::vector<nn::compress::HuffmanRow>& rows,
                        int fixedBits)
{
    const auto sorted = byCount(rows);
    table->setRowCount(int(sorted.size()));
    uint64_t coded = 0, symbols = 0;
    QFont mono("monospace");
    mono.setStyleHint(QFont::Monospace);
    mono.setPointSizeF(font().pointSizeF());
    for (int r = 0; r < int(sorted.size()); ++r) {
        const auto& row = sorted[size_t(r)];
        coded += row.count * row.code.size();
        symbols += row.count;
        auto* sym = new QTableWidgetItem(QString::number(row.symbol));
        auto* count = new QTableWidgetItem(QString::number(row.count));
        auto* code = new QTableWidgetItem(QString::fromStdString(row.code));
        sym->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        count->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        code->setFont(mono);
        table->setItem(r, 0, sym);
        table->setItem(r, 1, count);
        table->setItem(r, 2, code);
    }
    if (symbols == 0) {
        summary->setText(tr("no symbols"));
        return;
    }
    const double mean = double(coded) / double(symbols);
    summary->setText(tr("%1 symbols, Σ count × length = %2 bits: %3 bits each on average, against %4 at fixed width "
                        "(%5% saved)")
                         .arg(symbols)
                         .arg(coded)
                         .arg(mean, 0, 'f', 2)
                         .arg(fixedBits)
                         .arg(fixedBits ? 100.0 * (1.0 - mean / fixedBits) : 0.0, 0, 'f', 0));
}

int HuffmanTable::indexRows() const { return indices_->rowCount(); }
int HuffmanTable::gapRows() const { return gaps_->rowCount(); }

QString HuffmanTable::exportTitle() const
{
    return layer_.name.empty() ? tr("Huffman codes") : tr("Huffman codes %1").arg(QString::fromStdString(layer_.name));
}

QStringList HuffmanTable::csvHeader() const { return {"stage", "layer", "table", "symbol", "count", "code", "length"}; }

QVector<QStringList> HuffmanTable::csvTextRows() const
{
    QVector<QStringList> rows;
    auto add = [&](const char* table, const std::vector<nn::compress::HuffmanRow>& list) {
        for (const auto& r : list)
            rows.push_back({stageText_, QString::fromStdString(layer_.name), table, QString::number(r.symbol),
                            QString::number(r.count), QString::fromStdString(r.code), QString::number(r.code.size())});
    };
    add("indices", layer_.huffmanIndices);
    add("gaps", layer_.huffmanGaps);
    return rows;
}

} // namespace views::compress
