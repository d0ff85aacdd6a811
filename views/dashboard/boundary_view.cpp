// BoundaryView, part 1: the public API, reacting to the training session, and
// interaction (clicking a neuron, tooltips). Parts 2 and 3: boundary_compute.cpp,
// boundary_paint.cpp.
#include "views/dashboard/boundary_view.h"

#include <QFontMetricsF>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>
#include <algorithm>
#include <cmath>
#include <map>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "views/training/training_session.h"

#include "views/dashboard/boundary_style.h"

namespace views {

using namespace boundary;

BoundaryView::BoundaryView(TrainingSession* session, QWidget* parent) : QWidget(parent), session_(session)
{
    setAttribute(Qt::WA_OpaquePaintEvent);
    setMouseTracking(true);
    setToolTip(tr("Decision boundary: the network's prediction at every point of the plane."));
    refresh_.setSingleShot(true);
    connect(&refresh_, &QTimer::timeout, this, [this] {
        if (isVisible()) recompute();
    });
    connect(session_, &TrainingSession::dataChanged, this, &BoundaryView::onDataChanged);
    connect(session_, &TrainingSession::modelChanged, this, &BoundaryView::onModelChanged);
    connect(session_, &TrainingSession::snapshotChanged, this, &BoundaryView::scheduleRecompute);
    installExportMenu(this, this);
    if (session_->data()) updateRange();
}

BoundaryView::~BoundaryView() = default;

// ---- public API -----------------------------------------------------------------------

QImage BoundaryView::boundaryImage() const
{
    if (dirty_) const_cast<BoundaryView*>(this)->recompute();
    return image_;
}

int BoundaryView::neuronCount() const
{
    if (dirty_) const_cast<BoundaryView*>(this)->recompute();
    return int(neurons_.size());
}

QString BoundaryView::neuronName(int index) const
{
    if (index < 0 || index >= int(neurons_.size())) return {};
    const Neuron& n = neurons_[size_t(index)];
    return QStringLiteral("%1[%2]").arg(n.layer).arg(n.unit);
}

QString BoundaryView::neuronFormula(int index) const
{
    if (dirty_) const_cast<BoundaryView*>(this)->recompute();
    const nn::Model* model = session_->viewModel();
    if (!model || index < 0 || index >= int(neurons_.size())) return {};
    const Neuron& n = neurons_[size_t(index)];
    const auto& params = model->parameters();
    if (n.weightParam < 0 || n.biasParam < 0 || n.weightParam >= int(params.size()) || n.biasParam >= int(params.size()))
        return {};
    const nn::Tensor& w = params[size_t(n.weightParam)].value;
    const nn::Tensor& b = params[size_t(n.biasParam)].value;
    const int64_t fanIn = w.shape()[0], pre = w.shape()[1];
    auto inputName = [&](int64_t i) {
        return n.inputPrefix == "x" ? QStringLiteral("x%1").arg(i + 1) : n.inputPrefix + QString::number(i) + "]";
    };
    // One weighted sum: "0.42·x1 − 1.30·x2 + 0.05" (first three terms and "…" when long).
    auto sum = [&](int64_t col) {
        QString s;
        const int64_t shown = fanIn <= 4 ? fanIn : 3;
        for (int64_t i = 0; i < shown; ++i) {
            const double v = w[i * pre + col];
            const QString num = QString::number(std::abs(v), 'f', 2);
            if (i == 0)
                s += (v < 0 ? QString(kMinus) : QString()) + num;
            else
                s += QStringLiteral(" %1 %2").arg(v < 0 ? kMinus : QChar('+'), num);
            s += kDot + inputName(i);
        }
        if (shown < fanIn) s += QStringLiteral(" + …");
        const double bias = b[col];
        s += QStringLiteral(" %1 %2").arg(bias < 0 ? kMinus : QChar('+'), QString::number(std::abs(bias), 'f', 2));
        return s;
    };
    QString body;
    if (n.activation == "maxout") {
        QStringList pieces;
        for (int p = 0; p < n.pieces; ++p) pieces << sum(int64_t(n.unit) * n.pieces + p);
        body = "max(" + pieces.join(", ") + ")";
    } else if (n.activation == "none") {
        body = sum(n.unit);
    } else {
        body = n.activation + "(" + sum(n.unit) + ")";
    }
    return neuronName(index) + " = " + body;
}

void BoundaryView::selectNeuron(int index)
{
    if (index < -1 || index >= int(neurons_.size())) index = -1;
    if (index == selected_) return;
    selected_ = index;
    layout_.valid = false;  // the footer's text, and so its height, changes
    update();
    emit neuronSelected(index);
}

void BoundaryView::setUiScale(double scale)
{
    scale = std::clamp(scale, 0.5, 4.0);
    if (scale == scale_) return;
    scale_ = scale;
    layout_.valid = false;
    updateGeometry();
    update();
}

void BoundaryView::setGridSize(int n)
{
    n = std::clamp(n, 8, 400);
    if (n == grid_) return;
    grid_ = n;
    built_.reset();
    scheduleRecompute();
}

bool BoundaryView::hasTwoDData() const
{
    const auto* d = session_->data();
    return d && d->train.featureCount() == 2;
}

QString BoundaryView::exportTitle() const { return tr("Decision boundary"); }

QStringList BoundaryView::csvHeader() const
{
    QStringList h {"x1", "x2"};
    const auto* d = session_->data();
    for (int k = 0; k < classes_; ++k) {
        QString name = d && k < int(d->train.classNames.size()) ? QString::fromStdString(d->train.classNames[size_t(k)])
                                                                 : QStringLiteral("class %1").arg(k);
        h << QStringLiteral("p(%1)").arg(name.replace(',', ';'));
    }
    return h;
}

QVector<QVector<double>> BoundaryView::csvRows() const
{
    if (dirty_) const_cast<BoundaryView*>(this)->recompute();
    QVector<QVector<double>> rows;
    if (probs_.empty()) return rows;
    const int n = grid_;
    rows.reserve(n * n);
    for (int j = 0; j < n; ++j) {
        for (int i = 0; i < n; ++i) {
            QVector<double> r;
            r.reserve(2 + classes_);
            r << x0_ + (i + 0.5) / n * (x1_ - x0_) << y1_ - (j + 0.5) / n * (y1_ - y0_);
            const float* p = probs_.data() + (size_t(j) * size_t(n) + size_t(i)) * size_t(classes_);
            for (int k = 0; k < classes_; ++k) r << double(p[k]);
            rows << r;
        }
    }
    return rows;
}

QSize BoundaryView::sizeHint() const { return QSize(int(620 * scale_), int(600 * scale_)); }
QSize BoundaryView::minimumSizeHint() const { return QSize(int(200 * scale_), int(170 * scale_)); }

// ---- reacting to the session -------------------------------------------------------------

void BoundaryView::onDataChanged()
{
    updateRange();
    inputFilled_ = false;
    selected_ = -1;
    layout_.valid = false;
    scheduleRecompute();
}

void BoundaryView::onModelChanged()
{
    built_.reset();
    selected_ = -1;
    layout_.valid = false;
    scheduleRecompute();
}

void BoundaryView::scheduleRecompute()
{
    dirty_ = true;
    if (refresh_.isActive()) return;
    // Coalesce: leave at least three times the last computation's cost between two,
    // so a big network on 2-D data never takes more than a quarter of the UI thread.
    // While a net trains, new weights come with every poll: at most kRunningGapMs
    // apart is still a moving picture, and leaves the UI thread free for input.
    double gap = std::clamp(lastComputeMs_ * 3.0, 0.0, 300.0);
    if (session_->state() == TrainingSession::State::Running) gap = std::max(gap, double(kRunningGapMs));
    const qint64 since = sinceCompute_.isValid() ? sinceCompute_.elapsed() : 1000000;
    refresh_.start(int(std::max<qint64>(0, qint64(gap) - since)));
}

void BoundaryView::showEvent(QShowEvent* e)
{
    QWidget::showEvent(e);
    if (dirty_) scheduleRecompute();
}

// ---- interaction -------------------------------------------------------------------------------

void BoundaryView::mousePressEvent(QMouseEvent* e)
{
    if (e->button() == Qt::LeftButton) {
        const int t = thumbAt(e->position());
        if (t >= 0) {
            selectNeuron(t);
            return;
        }
    }
    QWidget::mousePressEvent(e);
}

void BoundaryView::mouseMoveEvent(QMouseEvent* e)
{
    const int t = thumbAt(e->position());
    if (t != hovered_) {
        hovered_ = t;
        setCursor(t >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
        update();
    }
    QWidget::mouseMoveEvent(e);
}

void BoundaryView::leaveEvent(QEvent* e)
{
    if (hovered_ >= 0) {
        hovered_ = -1;
        unsetCursor();
        update();
    }
    QWidget::leaveEvent(e);
}

QString BoundaryView::plotTooltip(const QPointF& pos) const
{
    QString tip = tr("<b>Decision boundary</b><br>Colour = the network's prediction at each point of the plane; "
                     "paler where it is unsure. The line is where the predicted class changes.<br>"
                     "Filled dots: training points. Rings: test points (never trained on).");
    if (probs_.empty()) return tip;
    const QPointF d = toData(pos);
    const int i = std::clamp(int((d.x() - x0_) / (x1_ - x0_) * grid_), 0, grid_ - 1);
    const int j = std::clamp(int((y1_ - d.y()) / (y1_ - y0_) * grid_), 0, grid_ - 1);
    const float* pr = probs_.data() + (size_t(j) * size_t(grid_) + size_t(i)) * size_t(classes_);
    const auto* data = session_->data();
    tip += tr("<br><br>At x1 = %1, x2 = %2:").arg(signedNumber(d.x(), 2), signedNumber(d.y(), 2));
    for (int k = 0; k < classes_; ++k) {
        const QString name = data && k < int(data->train.classNames.size()) ? QString::fromStdString(data->train.classNames[size_t(k)])
                                                                            : QString::number(k);
        tip += QStringLiteral("<br>&nbsp;&nbsp;P(%1) = %2").arg(name.toHtmlEscaped(), QString::number(pr[k], 'f', 3));
    }
    return tip;
}

bool BoundaryView::event(QEvent* e)
{
    if (e->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(e);
        const QPointF pos = help->pos();
        QString tip;
        const int t = thumbAt(pos);
        if (t >= 0) {
            const Neuron& n = neurons_[size_t(t)];
            tip = tr("<b>%1</b>: the output of neuron %2 of layer %3 (%4) over the same plane as the big map.<br>"
                     "Blue = positive, orange = negative, pale = near zero.<br>Click to see its formula.")
                      .arg(neuronName(t))
                      .arg(n.unit)
                      .arg(n.layer, n.activation == "none" ? tr("linear") : n.activation);
        } else if (layout_.plot.contains(pos) && hasTwoDData()) {
            tip = plotTooltip(pos);
        } else if (layout_.footer.contains(pos) && selected_ >= 0) {
            tip = tr("The selected neuron's formula with the current weights. Numbers change as the network trains.");
        } else {
            tip = toolTip();
        }
        if (tip.isEmpty()) {
            QToolTip::hideText();
            e->ignore();
        } else {
            QToolTip::showText(help->globalPos(), tip, this);
        }
        return true;
    }
    return QWidget::event(e);
}

} // namespace views
