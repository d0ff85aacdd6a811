#include "views/stepper/graph_canvas.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <cmath>

namespace views {

namespace {
const QColor kValue(0x2e, 0x9e, 0x44);     // forward values: green, as on the slide
const QColor kGradient(0xd6, 0x27, 0x28);  // gradients: red
const QColor kCurrent(0xff, 0xbf, 0x00);   // the node that runs next
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
    setMinimumSize(480, 260);
    setMouseTracking(true);
    setToolTip(tr("Green numbers above the edges are forward values; red numbers below are gradients "
                  "(d output / d this value). Click a node to explain it."));
}

void GraphCanvas::setGraph(const nn::Graph* graph, int root)
{
    graph_ = graph;
    root_ = root;
    selected_ = -1;
    layoutNodes();
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
    layoutNodes();
    update();
}

void GraphCanvas::layoutNodes()
{
    rects_.clear();
    visible_.clear();
    if (!graph_) return;
    const int n = graph_->size();
    // Column = longest path from a leaf; leaves sit in column 0, the root last.
    QVector<int> column(n, 0);
    for (int i = 0; i < n; ++i)
        for (int k = 0; k < graph_->arity(i); ++k)
            column[i] = std::max(column[i], column[graph_->node(i).inputs[size_t(k)]] + 1);
    int columns = 0;
    QVector<QVector<int>> byColumn;
    for (int i = 0; i < n; ++i) {
        columns = std::max(columns, column[i] + 1);
        if (byColumn.size() < columns) byColumn.resize(columns);
        byColumn[column[i]].push_back(i);
        visible_.push_back(i);
    }
    // Grow boxes, fonts and lines with the room there is (up to 2×), so a small
    // graph fills a projected screen instead of huddling in its middle.
    int tallest = 1;
    for (const auto& nodes : byColumn) tallest = std::max<int>(tallest, int(nodes.size()));
    const double roomX = columns > 1 ? (width() - 60.0 * scale_) / (columns - 1) / (64 * scale_ * 1.9) : 2.0;
    const double roomY = (height() - 60.0 * scale_) / tallest / (40 * scale_ * 2.2);
    zoom_ = std::clamp(std::min(roomX, roomY), 1.0, 2.0);
    const double s = scale_ * zoom_;
    const double boxW = 64 * s, boxH = 40 * s;
    const double margin = 30 * s;
    const double colW = columns > 1 ? (width() - 2 * margin - boxW) / (columns - 1) : 0;
    for (int c = 0; c < columns; ++c) {
        const auto& nodes = byColumn[c];
        const double rowH = (height() - 2 * margin) / std::max<qsizetype>(1, nodes.size());
        for (int r = 0; r < nodes.size(); ++r) {
            const double x = margin + c * colW;
            const double y = margin + rowH * (r + 0.5) - boxH / 2;
            rects_[nodes[r]] = QRectF(x, y, boxW, boxH);
        }
    }
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
    const double es = scale_ * zoom_;  // effective scale: projector mode × room to spare
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * zoom_);
    QFont small = f;
    small.setPointSizeF(f.pointSizeF() * 0.9);
    const int bad = graph_->firstNonFinite();
    // The next op node to evaluate (leaves need no evaluation).
    int nextForward = graph_->forwardCursor();
    while (nextForward < graph_->size() && nn::opDecl(graph_->node(nextForward).op).family == nn::OpFamily::Leaf) ++nextForward;
    const int nextBackward = graph_->backwardCursor();

    // Edges with values above and gradients below.
    p.setFont(small);
    for (int i : visible_) {
        const QRectF to = rects_.value(i);
        for (int k = 0; k < graph_->arity(i); ++k) {
            const int src = graph_->node(i).inputs[size_t(k)];
            const QRectF from = rects_.value(src);
            const QPointF a(from.right(), from.center().y()), b(to.left(), to.center().y());
            QPainterPath path(a);
            const double dx = (b.x() - a.x()) / 2;
            path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b);
            p.setPen(QPen(palette().text().color(), 1.4 * es));
            p.drawPath(path);
            // Labels sit near the source end, so edges converging on one node keep theirs apart.
            const QPointF mid = path.pointAtPercent(0.3);
            const QString v = valueLabel(src), g = gradientLabel(src);
            if (!v.isEmpty()) {
                p.setPen(kValue);
                p.drawText(QRectF(mid.x() - 60 * es, mid.y() - 20 * es, 120 * es, 18 * es), Qt::AlignCenter, v);
            }
            if (!g.isEmpty()) {
                p.setPen(kGradient);
                p.drawText(QRectF(mid.x() - 60 * es, mid.y() + 2 * es, 120 * es, 18 * es), Qt::AlignCenter, g);
            }
        }
    }
    // The root's own value and gradient, to its right.
    if (rects_.contains(root_)) {
        const QRectF r = rects_.value(root_);
        p.setPen(kValue);
        p.drawText(QRectF(r.right() + 4, r.top() - 18 * es, 100 * es, 18 * es), Qt::AlignLeft, valueLabel(root_));
        p.setPen(kGradient);
        p.drawText(QRectF(r.right() + 4, r.bottom(), 100 * es, 18 * es), Qt::AlignLeft, gradientLabel(root_));
    }
    // Nodes.
    p.setFont(f);
    for (int i : visible_) {
        const nn::Node& n = graph_->node(i);
        const QRectF r = rects_.value(i);
        const bool leaf = nn::opDecl(n.op).family == nn::OpFamily::Leaf;
        QColor fill = leaf ? palette().alternateBase().color() : palette().button().color();
        if (i == nextForward || i == nextBackward) fill = kCurrent;
        if (i == bad) fill = QColor(0xff, 0x8a, 0x80);
        p.setBrush(fill);
        p.setPen(QPen(i == selected_ ? palette().highlight().color() : palette().text().color(), (i == selected_ ? 3.0 : 1.2) * es));
        p.drawRoundedRect(r, 8 * es, 8 * es);
        p.setPen(i == nextForward || i == nextBackward ? Qt::black : palette().buttonText().color());
        const QString label = leaf ? QString::fromStdString(n.name) : QString::fromUtf8(nn::opDecl(n.op).symbol);
        p.drawText(r, Qt::AlignCenter, n.op == nn::OpKind::AddScalar ? QString("+%1").arg(double(n.attrs.scalar))
                                       : n.op == nn::OpKind::MulScalar ? QString("*%1").arg(double(n.attrs.scalar))
                                                                       : label);
        if (i == bad) {
            p.setPen(kGradient);
            p.drawText(QRectF(r.left() - 20 * es, r.bottom() + 2, r.width() + 40 * es, 18 * es), Qt::AlignCenter, tr("NaN starts here"));
        }
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
