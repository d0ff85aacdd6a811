#include "views/compress/storage_chart.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QPercentBarSeries>
#include <QStackedBarSeries>
#include <QToolTip>
#include <QValueAxis>
#include <QVBoxLayout>
#include <numeric>

#include "views/compress/storage_formats.h"

namespace views::compress {

namespace {
// Layer colours: Tableau 10, the palette of the other charts; biases in grey.
const QColor kColors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
                          QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b), QColor(0xe3, 0x77, 0xc2),
                          QColor(0xbc, 0xbd, 0x22), QColor(0x17, 0xbe, 0xcf), QColor(0xd6, 0x27, 0x28)};
const QColor kBiasColor(0x99, 0x99, 0x99);

QString stageLabel(const nn::compress::StageResult& s)
{
    return s.step == 0 ? QObject::tr("dense") : QString("%1 %2").arg(s.step).arg(QString::fromStdString(s.text));
}
} // namespace

StorageChart::StorageChart(QWidget* parent) : QWidget(parent)
{
    view_ = new QChartView(new QChart);
    view_->setRenderHint(QPainter::Antialiasing);
    // A chart's size hint grows with its legend and labels; a fixed minimum keeps it
    // from making the page (and, through the tab widget, every tab) taller.
    view_->setMinimumSize(240, 160);
    view_->chart()->legend()->setAlignment(Qt::AlignRight);
    shareBox_ = new QCheckBox(tr("&Share of each stage (100% bars)"));
    shareBox_->setToolTip(tr("Show each stage's bar as 100%, to compare how the layers split the bytes when the "
                             "compressed bars are too short to read"));
    connect(shareBox_, &QCheckBox::toggled, this, &StorageChart::setShareMode);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(view_, 1);
    layout->addWidget(shareBox_);
    setToolTip(tr("Each stage's storage in its smallest format, split by layer. Biases stay 32-bit floats."));
    rebuild();
}

void StorageChart::clear()
{
    stages_.clear();
    rebuild();
}

void StorageChart::addStage(const nn::compress::StageResult& stage)
{
    stages_.push_back(stage);
    rebuild();
}

void StorageChart::setShareMode(bool on)
{
    share_ = on;
    if (shareBox_->isChecked() != on) shareBox_->setChecked(on);
    rebuild();
}

int StorageChart::segmentCount() const { return stages_.empty() ? 0 : int(stages_.front().layers.size()) + 1; }

double StorageChart::segmentBits(int bar, int segment) const
{
    if (bar < 0 || bar >= barCount() || segment < 0 || segment >= segmentCount()) return 0;
    const auto& s = stages_[size_t(bar)];
    uint64_t layers = 0;
    for (const auto& l : s.layers) {
        const auto it = l.bits.find(s.bestFormat);
        layers += it == l.bits.end() ? 0 : it->second;
    }
    if (segment < int(s.layers.size())) {
        const auto it = s.layers[size_t(segment)].bits.find(s.bestFormat);
        return it == s.layers[size_t(segment)].bits.end() ? 0.0 : double(it->second);
    }
    // The rest of the model's bits: the parameters that are not compressed (biases, f32).
    const auto total = s.bits.find(s.bestFormat);
    return total == s.bits.end() || total->second < layers ? 0.0 : double(total->second - layers);
}

void StorageChart::rebuild()
{
    QChart* chart = view_->chart();
    chart->removeAllSeries();
    for (auto* a : chart->axes()) {
        chart->removeAxis(a);
        delete a;
    }
    chart->setTitle(share_ ? tr("Storage by layer, share of each stage") : tr("Storage by layer (KiB), smallest format"));
    if (stages_.empty()) return;

    QAbstractBarSeries* series = share_ ? static_cast<QAbstractBarSeries*>(new QPercentBarSeries)
                                        : static_cast<QAbstractBarSeries*>(new QStackedBarSeries);
    const int segments = segmentCount();
    for (int seg = 0; seg < segments; ++seg) {
        const bool bias = seg == segments - 1;
        auto* set = new QBarSet(bias ? tr("biases (f32)") : QString::fromStdString(stages_.front().layers[size_t(seg)].name));
        set->setColor(bias ? kBiasColor : kColors[seg % int(std::size(kColors))]);
        set->setBorderColor(Qt::white);
        for (int bar = 0; bar < barCount(); ++bar) *set << segmentBits(bar, seg) / 8192.0;
        connect(set, &QBarSet::hovered, this, [this, set, seg](bool on, int bar) {
            if (!on || bar < 0 || bar >= barCount()) {
                QToolTip::hideText();
                return;
            }
            const auto& s = stages_[size_t(bar)];
            QToolTip::showText(QCursor::pos(), tr("%1 at '%2': %3 (%4)")
                                                   .arg(set->label(), QString::fromStdString(s.text),
                                                        sizeText(segmentBits(bar, seg)), formatName(s.bestFormat)));
        });
        series->append(set);
    }
    chart->addSeries(series);
    QStringList categories;
    for (const auto& s : stages_) categories << stageLabel(s);  // the format is in the tooltip and the filmstrip
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    auto* y = new QValueAxis;
    y->setTitleText(share_ ? tr("% of the stage") : tr("KiB"));
    y->setLabelFormat(share_ ? "%.0f" : "%.1f");
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    if (!share_) y->applyNiceNumbers();  // round KiB ticks, not 1041.4, 781.1 ...
    applyFonts();
}

void StorageChart::applyFonts()
{
    // Qt Charts keeps its own fonts: follow the widget's (2x in projector mode).
    QChart* chart = view_->chart();
    QFont title = font();
    title.setBold(true);
    chart->setTitleFont(title);
    chart->legend()->setFont(font());
    for (auto* a : chart->axes()) {
        a->setLabelsFont(font());
        a->setTitleFont(font());
    }
}

void StorageChart::changeEvent(QEvent* e)
{
    if (e->type() == QEvent::FontChange) applyFonts();
    QWidget::changeEvent(e);
}

QStringList StorageChart::csvHeader() const { return {"step", "stage", "format", "segment", "bits", "kib"}; }

QVector<QStringList> StorageChart::csvTextRows() const
{
    QVector<QStringList> rows;
    for (int bar = 0; bar < barCount(); ++bar) {
        const auto& s = stages_[size_t(bar)];
        for (int seg = 0; seg < segmentCount(); ++seg) {
            const QString name = seg < int(s.layers.size()) ? QString::fromStdString(s.layers[size_t(seg)].name) : QString("biases");
            const double bits = segmentBits(bar, seg);
            rows.push_back({QString::number(s.step), QString::fromStdString(s.text), QString::fromStdString(s.bestFormat), name,
                            QString::number(bits, 'f', 0), QString::number(bits / 8192.0, 'g', 9)});
        }
    }
    return rows;
}

} // namespace views::compress
