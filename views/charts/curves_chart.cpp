#include "views/charts/curves_chart.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QToolTip>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

namespace views {

namespace {
const QColor kTrainColor(0x1f, 0x77, 0xb4);  // blue
const QColor kValColor(0xff, 0x7f, 0x0e);    // orange

// A "nice" tick interval (1, 2 or 5 × 10^k) giving at most `count` intervals over `span`.
double niceInterval(double span, int count)
{
    if (!(span > 0) || count < 1) return 1;
    const double raw = span / count;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double n = raw / mag;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

int decimalsFor(double interval) { return std::clamp(int(-std::floor(std::log10(interval) + 1e-9)), 0, 6); }
} // namespace

CurvesChart::CurvesChart(QWidget* parent) : QWidget(parent)
{
    trainLoss_ = new QLineSeries(this);
    valLoss_ = new QLineSeries(this);
    trainAcc_ = new QLineSeries(this);
    valAcc_ = new QLineSeries(this);
    trainLoss_->setName(tr("train loss"));
    valLoss_->setName(tr("validation loss"));
    trainAcc_->setName(tr("train accuracy"));
    valAcc_->setName(tr("validation accuracy"));

    lossView_ = makeChart(tr("Loss"), trainLoss_, valLoss_, &lossY_);
    accView_ = makeChart(tr("Accuracy"), trainAcc_, valAcc_, &accY_);
    accY_->setRange(0.0, 1.0);
    accY_->setTitleText(tr("accuracy"));
    lossY_->setTitleText(tr("loss"));
    lossYAttached_ = lossY_;

    logBox_ = new QCheckBox(tr("&Log-scale loss"), this);
    logBox_->setToolTip(tr("Show the loss on a logarithmic axis: late, small improvements become visible"));
    connect(logBox_, &QCheckBox::toggled, this, &CurvesChart::setLogScale);
    // One legend for both charts (their titles say which metric): the charts keep
    // their whole height, and nothing is elided when they are narrow.
    legend_ = new QLabel(this);
    legend_->setToolTip(tr("Train: the mini-batches the network learns from. Validation: held-out samples it never trains on."));

    auto* charts = new QHBoxLayout;
    charts->addWidget(lossView_);
    charts->addWidget(accView_);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(legend_);
    bottom->addStretch(1);
    bottom->addWidget(logBox_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(charts, 1);
    layout->addLayout(bottom);
    updateLegend();
    setToolTip(tr("Loss and accuracy after every epoch. Hover a point for its exact values; right-click to export."));
    installExportMenu(lossView_, this);
    installExportMenu(accView_, this);
}

QChartView* CurvesChart::makeChart(const QString& title, QLineSeries* train, QLineSeries* val, QValueAxis** y)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->addSeries(train);
    chart->addSeries(val);
    QPen tp(kTrainColor, 2.5), vp(kValColor, 2.5);
    train->setPen(tp);
    val->setPen(vp);
    train->setPointsVisible(false);
    auto* x = new QValueAxis;
    x->setTitleText(tr("epoch"));
    x->setLabelFormat("%d");
    x->setRange(0, 1);
    *y = new QValueAxis;
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(*y, Qt::AlignLeft);
    for (auto* s : {train, val}) {
        s->attachAxis(x);
        s->attachAxis(*y);
        connect(s, &QLineSeries::hovered, this, [this, s](const QPointF& p, bool state) { showHover(s, p, state); });
    }
    chart->legend()->setVisible(false);  // the shared legend under both charts says it
    chart->setMargins(QMargins(6, 6, 6, 6));
    // Ticks follow the plot's size: as many as fit without eliding a label.
    connect(chart, &QChart::plotAreaChanged, this, [this] { fitTicks(); });
    auto* view = new QChartView(chart, this);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(160, 140);
    return view;
}

void CurvesChart::showHover(QLineSeries* series, const QPointF& p, bool state)
{
    if (!state) {
        QToolTip::hideText();
        return;
    }
    const int epoch = int(std::lround(p.x()));
    if (epoch < 1 || epoch > epochs_.size()) return;
    const nn::EpochMetrics& m = epochs_[epoch - 1];
    double value = m.trainLoss;
    if (series == valLoss_) value = m.valLoss;
    if (series == trainAcc_) value = m.trainAccuracy;
    if (series == valAcc_) value = m.valAccuracy;
    hoverText_ = tr("%1\nepoch %2 (step %3)\n%4").arg(series->name()).arg(epoch).arg(m.steps).arg(value, 0, 'f', 4);
    QToolTip::showText(QCursor::pos(), hoverText_, this);
}

void CurvesChart::clear()
{
    epochs_.clear();
    lossLo_ = INFINITY;
    lossHi_ = -INFINITY;
    for (auto* s : {trainLoss_, valLoss_, trainAcc_, valAcc_}) s->clear();
    rescale();
}

void CurvesChart::addEpochs(const nn::EpochMetrics* first, size_t count)
{
    if (count == 0) return;
    QList<QPointF> tl, vl, ta, va;
    auto add = [&](QList<QPointF>& pts, double x, double v, bool isLoss) {
        if (std::isfinite(v) && (!log_ || !isLoss || v > 0)) pts.append(QPointF(x, v));
    };
    for (size_t i = 0; i < count; ++i) {
        const nn::EpochMetrics& m = first[i];
        epochs_.push_back(m);
        const double x = m.epoch;
        add(tl, x, m.trainLoss, true);
        add(vl, x, m.valLoss, true);
        add(ta, x, m.trainAccuracy, false);
        add(va, x, m.valAccuracy, false);
        for (double v : {m.trainLoss, m.valLoss})
            if (std::isfinite(v) && v > 0) {
                lossLo_ = std::min(lossLo_, v);
                lossHi_ = std::max(lossHi_, v);
            }
    }
    trainLoss_->append(tl);
    valLoss_->append(vl);
    trainAcc_->append(ta);
    valAcc_->append(va);
    rescale();
}

void CurvesChart::rescale()
{
    const double n = std::max<double>(1, epochs_.size());
    for (QChartView* v : {lossView_, accView_})
        for (auto* axis : v->chart()->axes(Qt::Horizontal)) axis->setRange(0, n);
    double lo = lossLo_, hi = lossHi_;
    if (!std::isfinite(lo)) lo = 0.01, hi = 1.0;
    if (log_)
        lossYAttached_->setRange(std::max(lo * 0.8, 1e-6), hi * 1.25);
    else
        lossYAttached_->setRange(0.0, hi * 1.05);
    fitTicks();
}

void CurvesChart::fitTicks()
{
    if (fitting_) return;  // new labels move the plot area, which calls this again
    fitting_ = true;
    for (QChartView* v : {lossView_, accView_}) {
        const QRectF plot = v->chart()->plotArea();
        if (plot.width() < 10 || plot.height() < 10) continue;
        for (QAbstractAxis* a : v->chart()->axes()) {
            auto* axis = qobject_cast<QValueAxis*>(a);
            if (!axis) continue;
            const QFontMetricsF fm(axis->labelsFont());
            const bool horizontal = axis->orientation() == Qt::Horizontal;
            const double span = axis->max() - axis->min();
            // A label needs its width (x) or a line and a half (y), plus air.
            const double widest = fm.horizontalAdvance(QString::number(std::max(std::abs(axis->max()), std::abs(axis->min())), 'f', 2));
            const double room = horizontal ? plot.width() / (widest + fm.height() * 1.5) : plot.height() / (fm.height() * 2.2);
            const int count = std::clamp(int(room), 1, horizontal ? 8 : 6);
            double interval = niceInterval(span, count);
            if (horizontal) interval = std::max(1.0, std::round(interval));  // whole epochs
            if (axis->tickType() != QValueAxis::TicksDynamic) axis->setTickType(QValueAxis::TicksDynamic);
            if (axis->tickAnchor() != 0.0) axis->setTickAnchor(0.0);
            if (axis->tickInterval() != interval) axis->setTickInterval(interval);
            const QString format = horizontal ? QStringLiteral("%d") : QStringLiteral("%.%1f").arg(decimalsFor(interval));
            if (axis->labelFormat() != format) axis->setLabelFormat(format);
            axis->setMinorTickCount(0);
        }
    }
    fitting_ = false;
}

void CurvesChart::updateLegend()
{
    const int box = std::max(8, int(std::lround(QFontMetricsF(legend_->font()).height() * 0.7)));
    auto item = [box](const QColor& c, const QString& name) {
        return QStringLiteral("<span style=\"color:%1; font-size:%2px\">&#9632;</span>&nbsp;%3").arg(c.name()).arg(box * 1.6).arg(name);
    };
    legend_->setText(item(kTrainColor, tr("train")) + QStringLiteral("&nbsp;&nbsp;&nbsp;&nbsp;") + item(kValColor, tr("validation")));
}

void CurvesChart::setLogScale(bool on)
{
    if (on == log_) return;
    log_ = on;
    logBox_->setChecked(on);
    QChart* chart = lossView_->chart();
    chart->removeAxis(lossYAttached_);
    QAbstractAxis* axis;
    if (on) {
        auto* l = new QLogValueAxis;
        l->setBase(10);
        l->setLabelFormat("%.3g");
        axis = l;
    } else {
        axis = new QValueAxis;
    }
    axis->setTitleText(tr("loss"));
    chart->addAxis(axis, Qt::AlignLeft);
    trainLoss_->attachAxis(axis);
    valLoss_->attachAxis(axis);
    lossYAttached_ = axis;
    lossY_ = on ? nullptr : static_cast<QValueAxis*>(axis);
    // Rebuild the series: a log axis cannot show zero or negative values.
    const auto copy = epochs_;
    clear();
    addEpochs(copy.constData(), size_t(copy.size()));
    setUiScale(scale_);
}

void CurvesChart::setUiScale(double scale)
{
    scale_ = scale;
    QFont title = font();
    title.setPointSizeF(font().pointSizeF() * 1.2 * scale);
    title.setBold(true);
    QFont labels = font();
    labels.setPointSizeF(font().pointSizeF() * scale);
    for (QChartView* v : {lossView_, accView_}) {
        v->chart()->setTitleFont(title);
        v->chart()->legend()->setFont(labels);
        for (auto* a : v->chart()->axes()) {
            a->setLabelsFont(labels);
            a->setTitleFont(labels);
        }
    }
    const double w = 2.5 * scale;
    for (auto* s : {trainLoss_, valLoss_, trainAcc_, valAcc_}) {
        QPen p = s->pen();
        p.setWidthF(w);
        s->setPen(p);
    }
    logBox_->setFont(labels);
    legend_->setFont(labels);
    updateLegend();
    // In projector mode the chart titles name the metric; the y-axis titles only take width.
    for (QChartView* v : {lossView_, accView_})
        for (auto* a : v->chart()->axes(Qt::Vertical)) a->setTitleVisible(scale < 1.5);
    fitTicks();
}

int CurvesChart::pointCount() const { return int(trainLoss_->count()); }

QStringList CurvesChart::csvHeader() const
{
    return {"epoch", "steps", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"};
}

QVector<QVector<double>> CurvesChart::csvRows() const
{
    QVector<QVector<double>> rows;
    for (const auto& m : epochs_)
        rows.push_back({double(m.epoch), double(m.steps), m.trainLoss, m.trainAccuracy, m.valLoss, m.valAccuracy,
                        double(m.lr), m.seconds});
    return rows;
}

} // namespace views
