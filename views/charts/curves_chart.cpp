#include "views/charts/curves_chart.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QHBoxLayout>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QToolTip>
#include <QValueAxis>
#include <QVBoxLayout>
#include <cmath>

namespace views {

namespace {
const QColor kTrainColor(0x1f, 0x77, 0xb4);  // blue
const QColor kValColor(0xff, 0x7f, 0x0e);    // orange
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

    auto* charts = new QHBoxLayout;
    charts->addWidget(lossView_);
    charts->addWidget(accView_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(charts, 1);
    layout->addWidget(logBox_);
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
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(6, 6, 6, 6));
    auto* view = new QChartView(chart, this);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(260, 200);
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
