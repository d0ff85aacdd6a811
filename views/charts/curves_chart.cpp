#include "views/charts/curves_chart.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QEvent>
#include <QGraphicsLayout>
#include <QGraphicsScene>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPainter>
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

// The plot area a chart laid out in `size` will get, from its fonts alone: a
// label is at most "0.000" wide on the left and one line high at the bottom.
// Deciding ticks from the laid-out plot area instead would feed back: new
// labels move the plot area, which picks other labels, and so on for ever
// (the x labels flipped between "0" and "0 200" when maximised).
QSizeF estimatedPlot(const QChart* chart, const QSizeF& size)
{
    QFont labels, titles;
    bool yTitle = false, xTitle = false;
    for (const QAbstractAxis* a : chart->axes()) {
        labels = a->labelsFont();
        titles = a->titleFont();
        const bool shown = a->isTitleVisible() && !a->titleText().isEmpty();
        (a->orientation() == Qt::Horizontal ? xTitle : yTitle) |= shown;
    }
    const QFontMetricsF lf(labels), tf(titles), cf(chart->titleFont());
    const QMarginsF m = chart->margins();
    // QChart's own background inset and axis-to-label gaps: about 10 px a side.
    const double left = m.left() + 10 + lf.horizontalAdvance(QStringLiteral("0.000")) + 8 + (yTitle ? tf.height() + 6 : 0);
    const double right = m.right() + 10 + lf.horizontalAdvance(QStringLiteral("000")) / 2;  // the last x label overhangs
    const double top = m.top() + 10 + (chart->title().isEmpty() ? 0 : cf.height() + 6);
    double bottom = m.bottom() + 10 + lf.height() + 8 + (xTitle ? tf.height() + 6 : 0);
    if (chart->legend()->isVisible()) bottom += chart->legend()->font().pointSizeF() * 3;
    return {std::max(0.0, size.width() - left - right), std::max(0.0, size.height() - top - bottom)};
}

// Chooses each value axis's tick interval and label format for a chart of
// `size`; returns how many settings changed.
int fitAxisTicks(QChart* chart, const QSizeF& size)
{
    const QSizeF plot = estimatedPlot(chart, size);
    if (plot.width() < 10 || plot.height() < 10) return 0;
    int changes = 0;
    for (QAbstractAxis* a : chart->axes()) {
        auto* axis = qobject_cast<QValueAxis*>(a);
        if (!axis) continue;
        const QFontMetricsF fm(axis->labelsFont());
        const bool horizontal = axis->orientation() == Qt::Horizontal;
        const double span = axis->max() - axis->min();
        // An x label needs its width and air either side; a y label a line and a half.
        const double widest = fm.horizontalAdvance(QString::number(std::max(std::abs(axis->max()), std::abs(axis->min())), 'f', 0) + "0");
        const double room = horizontal ? plot.width() / (widest + fm.height() * 1.5) : plot.height() / (fm.height() * 2.2);
        // The x axis always gets a label past 0, or a narrow chart reads "0" alone.
        const int count = std::clamp(int(room), horizontal ? 2 : 1, horizontal ? 8 : 6);
        double interval = niceInterval(span, count);
        if (horizontal) interval = std::max(1.0, std::round(interval));  // whole epochs
        const QString format = horizontal ? QStringLiteral("%d") : QStringLiteral("%.%1f").arg(decimalsFor(interval));
        if (axis->tickType() != QValueAxis::TicksDynamic) axis->setTickType(QValueAxis::TicksDynamic), ++changes;
        if (axis->tickAnchor() != 0.0) axis->setTickAnchor(0.0), ++changes;
        if (axis->tickInterval() != interval) axis->setTickInterval(interval), ++changes;
        if (axis->labelFormat() != format) axis->setLabelFormat(format), ++changes;
        if (axis->minorTickCount() != 0) axis->setMinorTickCount(0), ++changes;
    }
    return changes;
}

QPen linePen(const QColor& c, double width)
{
    QPen p(c, width);
    p.setCapStyle(Qt::RoundCap);
    p.setJoinStyle(Qt::RoundJoin);
    return p;
}
} // namespace

CurvesChart::CurvesChart(QWidget* parent) : QWidget(parent)
{
    redraw_.setSingleShot(true);
    connect(&redraw_, &QTimer::timeout, this, [this] { flushRedraw(); });
    for (auto& s : series_) s = new QLineSeries(this);
    series(TrainLoss)->setName(tr("train loss"));
    series(ValLoss)->setName(tr("validation loss"));
    series(TrainAcc)->setName(tr("train accuracy"));
    series(ValAcc)->setName(tr("validation accuracy"));

    lossView_ = makeChart(tr("Loss"), series(TrainLoss), series(ValLoss), &lossY_);
    accView_ = makeChart(tr("Accuracy"), series(TrainAcc), series(ValAcc), &accY_);
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
    train->setPen(linePen(kTrainColor, 2.5));
    val->setPen(linePen(kValColor, 2.5));
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
    auto* view = new QChartView(chart, this);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(160, 140);
    // Ticks and the drawn resolution follow the view's size (not the plot area's:
    // see estimatedPlot).
    view->installEventFilter(this);
    return view;
}

bool CurvesChart::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::Resize && (watched == lossView_ || watched == accView_)) {
        fitTicks();
        if (drawColumns() != lines_[0].columns()) redrawSeries();
    }
    return QWidget::eventFilter(watched, event);
}

QChart* CurvesChart::lossChart() const
{
    flushRedraw();
    return lossView_->chart();
}

QChart* CurvesChart::accuracyChart() const
{
    flushRedraw();
    return accView_->chart();
}

void CurvesChart::showHover(QLineSeries* s, const QPointF& p, bool state)
{
    if (!state) {
        QToolTip::hideText();
        return;
    }
    const int epoch = int(std::lround(p.x()));
    if (epoch < 1 || epoch > epochs_.size()) return;
    const nn::EpochMetrics& m = epochs_[epoch - 1];
    double value = m.trainLoss;
    if (s == series(ValLoss)) value = m.valLoss;
    if (s == series(TrainAcc)) value = m.trainAccuracy;
    if (s == series(ValAcc)) value = m.valAccuracy;
    hoverText_ = tr("%1\nepoch %2 (step %3)\n%4").arg(s->name()).arg(epoch).arg(m.steps).arg(value, 0, 'f', 4);
    QToolTip::showText(QCursor::pos(), hoverText_, this);
}

void CurvesChart::clear()
{
    epochs_.clear();
    lossLo_ = INFINITY;
    lossHi_ = -INFINITY;
    for (auto& l : lines_) l.clear();
    stale_ = false;
    redraw_.stop();
    redrawSeries();
    rescale();
}

void CurvesChart::addEpochs(const nn::EpochMetrics* first, size_t count)
{
    if (count == 0) return;
    auto add = [this](Line l, double x, double v, bool isLoss) {
        if (std::isfinite(v) && (!log_ || !isLoss || v > 0)) lines_[size_t(l)].add(x, v);
    };
    for (size_t i = 0; i < count; ++i) {
        const nn::EpochMetrics& m = first[i];
        epochs_.push_back(m);
        const double x = m.epoch;
        add(TrainLoss, x, m.trainLoss, true);
        add(ValLoss, x, m.valLoss, true);
        add(TrainAcc, x, m.trainAccuracy, false);
        add(ValAcc, x, m.valAccuracy, false);
        for (double v : {m.trainLoss, m.valLoss})
            if (std::isfinite(v) && v > 0) {
                lossLo_ = std::min(lossLo_, v);
                lossHi_ = std::max(lossHi_, v);
            }
    }
    requestRedraw();
}

void CurvesChart::requestRedraw()
{
    stale_ = true;
    if (redraw_.isActive()) return;
    const qint64 since = sinceRedraw_.isValid() ? sinceRedraw_.elapsed() : kRedrawGapMs;
    redraw_.start(int(std::max<qint64>(0, kRedrawGapMs - since)));
}

void CurvesChart::flushRedraw() const
{
    if (!stale_) return;
    auto* self = const_cast<CurvesChart*>(this);
    self->stale_ = false;
    self->redraw_.stop();
    self->redrawSeries();
    self->rescale();
    self->sinceRedraw_.restart();
    ++self->redraws_;
}

int CurvesChart::drawColumns() const
{
    // One bucket per pixel column of the widest chart (device pixels on a high-DPI screen).
    const double w = std::max(lossView_->width(), accView_->width()) * devicePixelRatioF();
    return std::max(16, int(w));
}

void CurvesChart::redrawSeries()
{
    const int columns = drawColumns();
    for (size_t i = 0; i < lines_.size(); ++i) {
        lines_[i].setColumns(columns);
        series_[i]->replace(lines_[i].points());  // one update per series, O(columns)
    }
}

namespace {
// Sets a range without ever asking for thousands of ticks on the way: the old
// interval on a much larger range (1 epoch over 5000, or 0.1 over a loss that
// jumped to 1e6) would make QtCharts build a label item per tick before
// fitTicks() chose the new interval. A coarse interval first, the fitted one after.
void setRangeSafely(QAbstractAxis* a, double lo, double hi)
{
    if (auto* v = qobject_cast<QValueAxis*>(a)) {
        const bool horizontal = v->orientation() == Qt::Horizontal;
        if (v->tickType() == QValueAxis::TicksDynamic && (hi - lo) / v->tickInterval() > 50) {
            const double coarse = niceInterval(hi - lo, 2);
            v->setTickInterval(horizontal ? std::max(1.0, std::round(coarse)) : coarse);
        }
    }
    a->setRange(lo, hi);
}
} // namespace

void CurvesChart::rescale()
{
    const double n = std::max<double>(1, epochs_.size());
    for (QChartView* v : {lossView_, accView_})
        for (auto* axis : v->chart()->axes(Qt::Horizontal)) setRangeSafely(axis, 0, n);
    double lo = lossLo_, hi = lossHi_;
    if (!std::isfinite(lo)) lo = 0.01, hi = 1.0;
    if (log_)
        setRangeSafely(lossYAttached_, std::max(lo * 0.8, 1e-6), hi * 1.25);
    else
        setRangeSafely(lossYAttached_, 0.0, hi * 1.05);
    fitTicks();
}

void CurvesChart::fitTicks()
{
    for (QChartView* v : {lossView_, accView_}) tickUpdates_ += fitAxisTicks(v->chart(), QSizeF(v->size()));
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
    series(TrainLoss)->attachAxis(axis);
    series(ValLoss)->attachAxis(axis);
    lossYAttached_ = axis;
    lossY_ = on ? nullptr : static_cast<QValueAxis*>(axis);
    // Rebuild the series: a log axis cannot show zero or negative values.
    const auto copy = epochs_;
    clear();
    addEpochs(copy.constData(), size_t(copy.size()));
    flushRedraw();  // the user asked for it: no wait
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
    for (auto* s : series_) {
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

int CurvesChart::pointCount() const { return lines_[TrainLoss].size(); }

int CurvesChart::drawnPointCount() const
{
    flushRedraw();
    return int(series(TrainLoss)->count());
}

void CurvesChart::renderExport(QPainter& painter, const QSize& size)
{
    // Fresh charts in a scene of their own, so the export neither disturbs the
    // live view nor inherits its size, its elided labels or its check box.
    QGraphicsScene scene;
    scene.setSceneRect(0, 0, size.width(), size.height());
    const double half = size.width() / 2.0;
    // Text for a slide: large enough to read at the exported size.
    const double textScale = std::max(1.0, std::min(half / 400.0, size.height() / 450.0));
    QFont labels = font();
    labels.setPointSizeF(font().pointSizeF() * textScale);
    QFont title = labels;
    title.setPointSizeF(labels.pointSizeF() * 1.2);
    title.setBold(true);

    auto build = [&](QChart* live, Line a, Line b, double left) {
        auto* chart = new QChart;
        scene.addItem(chart);
        chart->setTitle(live->title());
        chart->setTitleFont(title);
        chart->setMargins(QMargins(12, 12, 12, 12));
        chart->setBackgroundRoundness(0);
        chart->legend()->setFont(labels);
        chart->legend()->setAlignment(Qt::AlignBottom);
        const QAbstractAxis* liveY = live->axes(Qt::Vertical).value(0);
        QAbstractAxis* y;
        if (auto* ly = qobject_cast<const QLogValueAxis*>(liveY)) {
            auto* l = new QLogValueAxis;
            l->setBase(ly->base());
            l->setLabelFormat(ly->labelFormat());
            l->setRange(ly->min(), ly->max());
            y = l;
        } else {
            auto* v = new QValueAxis;
            if (auto* vy = qobject_cast<const QValueAxis*>(liveY)) v->setRange(vy->min(), vy->max());
            y = v;
        }
        y->setTitleText(liveY ? liveY->titleText() : QString());
        auto* x = new QValueAxis;
        x->setTitleText(tr("epoch"));
        x->setRange(0, std::max<double>(1, epochs_.size()));
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        for (QAbstractAxis* axis : {static_cast<QAbstractAxis*>(x), y}) {
            axis->setLabelsFont(labels);
            axis->setTitleFont(labels);
        }
        for (Line l : {a, b}) {
            auto* s = new QLineSeries;
            s->setName(series(l)->name());
            s->setPen(linePen(l == a ? kTrainColor : kValColor, 2.5 * textScale));
            MinMaxDecimator d;  // at the export's own resolution
            d.setColumns(int(half * painter.device()->devicePixelRatioF()));
            for (const QPointF& p : lines_[size_t(l)].full()) d.add(p.x(), p.y());
            s->replace(d.points());
            chart->addSeries(s);
            s->attachAxis(x);
            s->attachAxis(y);
        }
        chart->setGeometry(QRectF(left, 0, half, size.height()));
        fitAxisTicks(chart, QSizeF(half, size.height()));
        chart->layout()->activate();
    };
    build(lossView_->chart(), TrainLoss, ValLoss, 0);
    build(accView_->chart(), TrainAcc, ValAcc, half);
    painter.setRenderHint(QPainter::Antialiasing);
    scene.render(&painter, QRectF(0, 0, size.width(), size.height()), scene.sceneRect());
}

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
