#include "views/compress/sensitivity_chart.h"

#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QLegendMarker>
#include <QLineSeries>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace views::compress {

namespace {
const QColor kColors[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
                          QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b), QColor(0xe3, 0x77, 0xc2),
                          QColor(0xbc, 0xbd, 0x22), QColor(0x17, 0xbe, 0xcf), QColor(0xd6, 0x27, 0x28)};

QChartView* makeView(const QString& title, QValueAxis* x, QValueAxis* y)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->legend()->setAlignment(Qt::AlignRight);
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(240, 160);  // not the legend's size hint: the page must not grow with it
    return view;
}
} // namespace

SensitivityChart::SensitivityChart(QWidget* parent) : QWidget(parent)
{
    pruneX_ = new QValueAxis;
    pruneX_->setRange(0, 100);
    pruneX_->setTitleText(tr("weights pruned (%)"));
    pruneX_->setLabelFormat("%.0f");
    pruneX_->setTickCount(6);
    pruneY_ = new QValueAxis;
    pruneY_->setTitleText(tr("accuracy (%)"));
    pruneY_->setLabelFormat("%.0f");
    bitsX_ = new QValueAxis;
    bitsX_->setRange(0, 16);
    bitsX_->setTickType(QValueAxis::TicksDynamic);
    bitsX_->setTickAnchor(0);
    bitsX_->setTickInterval(2);
    bitsX_->setTitleText(tr("bits per weight"));
    bitsX_->setLabelFormat("%.0f");
    bitsY_ = new QValueAxis;
    bitsY_->setTitleText(tr("accuracy (%)"));
    bitsY_->setLabelFormat("%.0f");
    pruneView_ = makeView(tr("Pruning one layer: solid retrained, dashed not"), pruneX_, pruneY_);
    bitsView_ = makeView(tr("Accuracy vs bits: sharing and fixed point"), bitsX_, bitsY_);
    pruneView_->setToolTip(tr("Each layer alone pruned to each fraction, the others dense. Without retraining "
                              "(dashed) accuracy falls early; a short retraining with the mask kept (solid) recovers "
                              "most of it: that gap is why Deep Compression retrains."));
    bitsView_->setToolTip(tr("Every weight of a layer type stored in B bits, no retraining. Weight sharing (a "
                             "k-means codebook of 2^B values) keeps accuracy to far fewer bits than fixed point "
                             "(2^B evenly spaced values), because the centroids sit where the weights are."));
    setMinimumHeight(180);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(pruneView_, 1);
    layout->addWidget(bitsView_, 1);
    fitAccuracyAxes();
    applyFonts();
}

void SensitivityChart::clear()
{
    for (QChartView* v : {pruneView_, bitsView_}) v->chart()->removeAllSeries();
    series_.clear();
    layerColor_.clear();
    points_.clear();
    fitAccuracyAxes();
}

int SensitivityChart::pruneSeriesCount() const { return int(pruneView_->chart()->series().size()); }
int SensitivityChart::bitsSeriesCount() const { return int(bitsView_->chart()->series().size()); }

QLineSeries* SensitivityChart::seriesFor(const nn::compress::SweepPoint& p)
{
    const bool prune = p.method == "prune";
    const QString layer = QString::fromStdString(p.layer);
    const QString key = QString("%1|%2|%3").arg(QString::fromStdString(p.method), layer).arg(p.retrained);
    if (auto it = series_.find(key); it != series_.end()) return it.value();

    auto* s = new QLineSeries;
    QPen pen;
    pen.setWidthF(2.5);
    if (prune) {
        if (!layerColor_.contains(layer)) layerColor_.insert(layer, int(layerColor_.size()));
        pen.setColor(kColors[layerColor_[layer] % int(std::size(kColors))]);
        if (!p.retrained) pen.setStyle(Qt::DashLine);
        s->setName(p.retrained ? tr("%1, retrained").arg(layer) : tr("%1, not retrained").arg(layer));
    } else {
        const bool share = p.method == "share";
        pen.setColor(share ? kColors[0] : kColors[1]);
        if (layer != "all" && layer != "dense") pen.setStyle(Qt::DashLine);  // conv layers apart from dense ones
        s->setName(QString("%1 (%2)").arg(share ? tr("weight sharing") : tr("fixed point"), layer));
    }
    s->setPen(pen);
    s->setPointsVisible(true);
    QChart* chart = (prune ? pruneView_ : bitsView_)->chart();
    chart->addSeries(s);
    s->attachAxis(prune ? pruneX_ : bitsX_);
    s->attachAxis(prune ? pruneY_ : bitsY_);
    series_.insert(key, s);
    applyFonts();
    return s;
}

void SensitivityChart::addPoint(const nn::compress::SweepPoint& p)
{
    points_.push_back(p);
    QLineSeries* s = seriesFor(p);
    const double x = p.method == "prune" ? 100.0 * p.x : p.x;
    // Keep each series sorted by x: bit sweeps arrive from many bits to few.
    QList<QPointF> pts = s->points();
    pts.append(QPointF(x, 100.0 * p.accuracy));
    std::sort(pts.begin(), pts.end(), [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); });
    s->replace(pts);
    if (p.method != "prune" && p.x > bitsX_->max()) bitsX_->setMax(p.x);
    fitAccuracyAxes();
}

void SensitivityChart::fitAccuracyAxes()
{
    // From the lowest accuracy seen to 100%, ticks every 10 or 20 points (at most
    // six labels: more do not fit a chart half a page wide and a third high).
    double lo = 100;
    for (const auto& p : points_) lo = std::min(lo, 100.0 * p.accuracy);
    if (points_.empty()) lo = 0;
    const double step = 100 - lo > 50 ? 20 : 10;
    lo = std::max(0.0, std::floor((lo - 1) / step) * step);
    for (QValueAxis* y : {pruneY_, bitsY_}) {
        y->setRange(lo, 100);
        y->setTickCount(int(std::lround((100 - lo) / step)) + 1);
    }
}

void SensitivityChart::applyFonts()
{
    QFont title = font();
    title.setBold(true);
    for (QChartView* v : {pruneView_, bitsView_}) {
        v->chart()->setTitleFont(title);
        v->chart()->legend()->setFont(font());
        for (auto* a : v->chart()->axes()) {
            a->setLabelsFont(font());
            a->setTitleFont(font());
        }
    }
}

void SensitivityChart::changeEvent(QEvent* e)
{
    if (e->type() == QEvent::FontChange) applyFonts();
    QWidget::changeEvent(e);
}

QStringList SensitivityChart::csvHeader() const { return {"method", "layer", "x", "retrained", "test_accuracy", "test_loss"}; }

QVector<QStringList> SensitivityChart::csvTextRows() const
{
    QVector<QStringList> rows;
    for (const auto& p : points_)
        rows.push_back({QString::fromStdString(p.method), QString::fromStdString(p.layer), QString::number(p.x, 'g', 9),
                        p.retrained ? "1" : "0", QString::number(p.accuracy, 'g', 9), QString::number(p.loss, 'g', 9)});
    return rows;
}

} // namespace views::compress
