#include "views/stepper/graph_canvas.h"

#include <QEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <cmath>

namespace views {

namespace {
const QColor kValue(0x2e, 0x9e, 0x44);     // forward values: green, as on the slide
const QColor kGradient(0xd6, 0x27, 0x28);  // gradients: red
const QColor kCurrent(0xff, 0xbf, 0x00);   // the node that runs next
constexpr double kMargin = 16;             // around the layout, at zoom 1 and scale 1
constexpr double kMaxZoom = 2.0;
// Shrinks a little to fit before it scrolls; text stays readable (projected, it
// starts from twice the size, so it may shrink further).
double minZoom(double scale) { return scale > 1.25 ? 0.65 : 0.8; }

QString nodeText(const nn::Node& n)
{
    switch (n.op) {
    case nn::OpKind::AddScalar: return QString("+%1").arg(double(n.attrs.scalar));
    case nn::OpKind::MulScalar: return QString("*%1").arg(double(n.attrs.scalar));
    case nn::OpKind::Constant: return n.value.numel() == 1 ? QString::number(double(n.value[0])) : QString::fromStdString(n.name);
    default: break;
    }
    return nn::opDecl(n.op).family == nn::OpFamily::Leaf ? QString::fromStdString(n.name) : QString::fromUtf8(nn::opDecl(n.op).symbol);
}
} // namespace

QString shortTensorText(const nn::Tensor& t)
{
    if (!t.defined()) return {};
    if (t.numel() == 1) {
        const float v = t[0];
        if (!std::isfinite(v)) return std::isnan(v) ? "NaN" : (v > 0 ? "inf" : "-inf");
        return QString::number(v, 'f', std::fabs(v) >= 100 ? 1 : 2);
    }
    double sum = 0;
    for (int64_t i = 0; i < t.numel(); ++i) sum += t[i];
    return QString::fromStdString(t.shape().str()) + QString(" μ %1").arg(sum / double(t.numel()), 0, 'f', 2);
}

GraphCanvas::GraphCanvas(QWidget* parent) : QWidget(parent)
{
    setMinimumSize(320, 200);
    setMouseTracking(true);
    setToolTip(tr("Green numbers above the edges are forward values; red numbers below are gradients "
                  "(d output / d this value). Click a node to explain it."));
}

void GraphCanvas::setGraph(const nn::Graph* graph, int root)
{
    graph_ = graph;
    root_ = root;
    selected_ = -1;
    computeLayout();
    update();
}

void GraphCanvas::setSelected(int node)
{
    selected_ = node;
    update();
}

void GraphCanvas::setUiScale(double scale)
{
    scale_ = scale;
    computeLayout();
    update();
}

void GraphCanvas::changeEvent(QEvent* e)
{
    QWidget::changeEvent(e);
    if (e->type() == QEvent::FontChange) {
        computeLayout();
        update();
    }
}

QFont GraphCanvas::labelFont(double zoom) const
{
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 0.9 * zoom);
    return f;
}

QSizeF GraphCanvas::labelSize(int node) const
{
    // Room for what the node holds now and for any short number: a gradient
    // passes through other values while backward accumulates it.
    const QFontMetricsF m(labelFont(1.0));
    const nn::Node& n = graph_->node(node);
    double w = m.horizontalAdvance("-00.00");
    w = std::max(w, m.horizontalAdvance(shortTensorText(n.value)));
    if (n.requiresGrad) w = std::max(w, m.horizontalAdvance(shortTensorText(n.grad)));
    // 10% slack: glyphs drawn under the zoom's transform are not hinted exactly as measured.
    return QSizeF(std::ceil(w * 1.1 + 6 * scale_), std::ceil(2 * m.height() + 2 * scale_));
}

void GraphCanvas::computeLayout()
{
    layout_ = {};
    edges_.clear();
    if (!graph_) {
        setMinimumSize(320, 200);
        place();
        return;
    }
    const QFontMetricsF m(font());
    DotGraph g;
    const int n = graph_->size();
    for (int i = 0; i < n; ++i) {
        const double w = std::max(40 * scale_, m.horizontalAdvance(nodeText(graph_->node(i))) * 1.1 + 16 * scale_);
        g.nodes.push_back(QSizeF(std::ceil(w), std::ceil(std::max(30 * scale_, m.height() + 14 * scale_))));
    }
    for (int i = 0; i < n; ++i)
        for (int k = 0; k < graph_->arity(i); ++k) {
            const int src = graph_->node(i).inputs[size_t(k)];
            g.edges.push_back({src, i, labelSize(src)});
            edges_.push_back({src, i});
        }
    // The output arrow: an edge from the root to a point, carrying the root's labels.
    if (root_ >= 0 && root_ < n) {
        g.nodes.push_back(QSizeF(2, 2));
        g.edges.push_back({root_, n, labelSize(root_)});
        edges_.push_back({root_, -1});
    }
    g.nodeGap = 10 * scale_;
    g.rankGap = 10 * scale_;  // dot puts each label on a rank of its own: two gaps per edge
    layout_ = layoutWithDot(g);
    // Never smaller than the layout at the smallest zoom (the stepper's scroll area
    // scrolls it); set here, not on resize, so the size asked for depends on the graph alone.
    const double margin = kMargin * scale_;
    if (layout_.ok)
        setMinimumSize(std::max(320, int(std::ceil((layout_.size.width() + 2 * margin) * minZoom(scale_)))),
                       std::max(200, int(std::ceil((layout_.size.height() + 2 * margin) * minZoom(scale_)))));
    else
        setMinimumSize(320, 200);
    place();
}

void GraphCanvas::place()
{
    rects_.clear();
    if (!layout_.ok) return;
    const double margin = kMargin * scale_;
    const QSizeF need = layout_.size + QSizeF(2 * margin, 2 * margin);
    // Grow into spare room (up to 2×) so a small graph fills a projected screen;
    // shrink a little (to 0.8) before asking to scroll.
    zoom_ = std::clamp(std::min(width() / need.width(), height() / need.height()), minZoom(scale_), kMaxZoom);
    offset_ = QPointF((width() - layout_.size.width() * zoom_) / 2, (height() - layout_.size.height() * zoom_) / 2);
    for (int i = 0; i < graph_->size() && i < layout_.nodes.size(); ++i) {
        const QRectF r = layout_.nodes[i];
        rects_[i] = QRectF(offset_ + r.topLeft() * zoom_, r.size() * zoom_);
    }
}

QSize GraphCanvas::sizeHint() const
{
    if (!layout_.ok) return {480, 260};
    const double margin = kMargin * scale_;
    return (layout_.size + QSizeF(2 * margin, 2 * margin)).toSize();
}

QVector<GraphCanvas::EdgeLabel> GraphCanvas::edgeLabels() const
{
    QVector<EdgeLabel> out;
    QTransform t;
    t.translate(offset_.x(), offset_.y());
    t.scale(zoom_, zoom_);
    for (int e = 0; e < edges_.size() && e < layout_.labels.size(); ++e)
        out.push_back({edges_[e].first, edges_[e].second, t.mapRect(layout_.labels[e]), t.map(layout_.edges[e])});
    return out;
}

bool GraphCanvas::forwardDone(int node) const
{
    return nn::opDecl(graph_->node(node).op).family == nn::OpFamily::Leaf || node < graph_->forwardCursor();
}

bool GraphCanvas::gradientKnown(int node) const
{
    const nn::Node& n = graph_->node(node);
    return n.requiresGrad && n.gradReady;
}

QString GraphCanvas::valueLabel(int node) const
{
    if (!graph_ || !forwardDone(node)) return {};
    return shortTensorText(graph_->node(node).value);
}

QString GraphCanvas::gradientLabel(int node) const
{
    if (!graph_ || !gradientKnown(node)) return {};
    return shortTensorText(graph_->node(node).grad);
}

void GraphCanvas::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().base());
    if (!graph_) {
        p.drawText(rect(), Qt::AlignCenter, tr("Type a formula or pick a preset"));
        return;
    }
    if (!layout_.ok) {
        p.setPen(kGradient);
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, tr("The graph could not be laid out: %1").arg(layout_.error));
        return;
    }
    // The layout was measured at zoom 1: draw it under the zoom's transform.
    p.translate(offset_);
    p.scale(zoom_, zoom_);
    const double s = scale_;
    const int bad = graph_->firstNonFinite();
    // The next op node to evaluate (leaves need no evaluation).
    int nextForward = graph_->forwardCursor();
    while (nextForward < graph_->size() && nn::opDecl(graph_->node(nextForward).op).family == nn::OpFamily::Leaf) ++nextForward;
    const int nextBackward = graph_->backwardCursor();

    // Edges, each with an arrowhead at its consumer and its labels in the box dot reserved beside it.
    const QColor ink = palette().text().color();
    const QFont small = labelFont(1.0);
    p.setFont(small);
    for (int e = 0; e < edges_.size() && e < layout_.edges.size(); ++e) {
        const QPainterPath& path = layout_.edges[e];
        p.setPen(QPen(ink, 1.3 * s));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
        const QPointF tip = layout_.arrowTips[e], base = path.currentPosition();
        const QPointF d = tip - base;
        const double len = std::hypot(d.x(), d.y());
        if (len > 0.5) {
            const QPointF u = d / len, nrm(-u.y(), u.x());
            const QPolygonF head({tip, base + nrm * (len * 0.45), base - nrm * (len * 0.45)});
            p.setBrush(ink);
            p.setPen(Qt::NoPen);
            p.drawPolygon(head);
        }
        const QRectF box = layout_.labels[e];
        const int src = edges_[e].first;
        const QString v = valueLabel(src), g = gradientLabel(src);
        const QRectF top(box.left(), box.top(), box.width(), box.height() / 2);
        const QRectF bottom(box.left(), box.center().y(), box.width(), box.height() / 2);
        if (!v.isEmpty()) {
            p.setPen(kValue);
            p.drawText(top, Qt::AlignCenter, v);
        }
        if (!g.isEmpty()) {
            p.setPen(kGradient);
            p.drawText(bottom, Qt::AlignCenter, g);
        }
    }
    // Nodes.
    p.setFont(font());
    for (int i = 0; i < graph_->size() && i < layout_.nodes.size(); ++i) {
        const nn::Node& n = graph_->node(i);
        const QRectF r = layout_.nodes[i];
        const bool leaf = nn::opDecl(n.op).family == nn::OpFamily::Leaf;
        QColor fill = leaf ? palette().alternateBase().color() : palette().button().color();
        if (i == nextForward || i == nextBackward) fill = kCurrent;
        if (i == bad) fill = QColor(0xff, 0x8a, 0x80);
        p.setBrush(fill);
        p.setPen(QPen(i == selected_ ? palette().highlight().color() : ink, (i == selected_ ? 3.0 : 1.2) * s));
        p.drawRoundedRect(r, 7 * s, 7 * s);
        p.setPen(i == nextForward || i == nextBackward || i == bad ? Qt::black : palette().buttonText().color());
        p.drawText(r, Qt::AlignCenter, nodeText(n));
    }
}

void GraphCanvas::mousePressEvent(QMouseEvent* e)
{
    for (auto it = rects_.cbegin(); it != rects_.cend(); ++it)
        if (it.value().contains(e->position())) {
            setSelected(it.key());
            emit nodeClicked(it.key());
            return;
        }
}

} // namespace views
