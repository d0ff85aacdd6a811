#include "views/builder/builder_scene.h"

#include <QGraphicsSceneDragDropEvent>
#include <cmath>
#include <QGraphicsSceneMouseEvent>
#include <QKeyEvent>
#include <QMimeData>
#include <QPainter>

#include "views/builder/builder_layout.h"

#include "views/builder/builder_layout.h"
#include "views/builder/node_item.h"

namespace views::builder {

namespace {
QPainterPath curve(const QPointF& a, const QPointF& b)
{
    // Leaves the output straight down and enters the input straight down.
    const double pull = std::max(40.0, std::abs(b.y() - a.y()) / 2);
    QPainterPath p(a);
    p.cubicTo(a + QPointF(0, pull), b - QPointF(0, pull), b);
    return p;
}
} // namespace

EdgeItem::EdgeItem(const Edge& e) : edge_(e)
{
    setFlag(ItemIsSelectable);
    setZValue(0);
    setToolTip(QObject::tr("A connection. Select it and press Delete to remove it, or drag its lower end away."));
}

void EdgeItem::route(const QPointF& from, const QPointF& to) { setPath(curve(from, to)); }

void EdgeItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*)
{
    p->setRenderHint(QPainter::Antialiasing);
    p->setBrush(Qt::NoBrush);
    p->setPen(QPen(isSelected() ? QColor(0x1e, 0x6f, 0xd9) : QColor(0x5d, 0x68, 0x73), isSelected() ? 3.5 : 2.0));
    p->drawPath(path());
}

BuilderScene::BuilderScene(Document* doc, QObject* parent) : QGraphicsScene(parent), doc_(doc)
{
    setBackgroundBrush(QColor(0xf2, 0xf4, 0xf7));
}

NodeItem* BuilderScene::item(int uid) const
{
    auto it = items_.find(uid);
    return it == items_.end() ? nullptr : it->second;
}

EdgeItem* BuilderScene::edgeItem(const Edge& e) const
{
    auto it = edges_.find({e.from, e.to, e.port});
    return it == edges_.end() ? nullptr : it->second;
}

EdgeItem* BuilderScene::edgeNear(const QPointF& p, double tolerance) const
{
    EdgeItem* best = nullptr;
    double bestDistance = tolerance;
    for (const auto& [key, item] : edges_) {
        const QPainterPath path = item->mapToScene(item->path());
        if (!path.boundingRect().adjusted(-tolerance, -tolerance, tolerance, tolerance).contains(p)) continue;
        for (int k = 0; k <= 100; ++k) {
            const QPointF d = path.pointAtPercent(k / 100.0) - p;
            const double distance = std::hypot(d.x(), d.y());
            if (distance < bestDistance) {
                bestDistance = distance;
                best = item;
            }
        }
    }
    return best;
}

void BuilderScene::sync(const Analysis& analysis)
{
    std::map<int, NodeItem*> keep;
    for (const auto& n : doc_->nodes()) {
        NodeItem* it = item(n.uid);
        if (!it) {
            it = new NodeItem(n.uid);
            addItem(it);
            connect(it, &NodeItem::moved, this, &BuilderScene::rerouteEdges);
        }
        auto rep = analysis.nodes.find(n.uid);
        it->setContent(n, doc_->portCount(n.uid), rep == analysis.nodes.end() ? NodeReport {} : rep->second);
        if (it->pos() != QPointF(n.x, n.y)) it->setPos(n.x, n.y);
        keep[n.uid] = it;
        items_.erase(n.uid);
    }
    for (auto& [uid, it] : items_) delete it;
    items_ = std::move(keep);

    std::map<std::tuple<int, int, int>, EdgeItem*> edges;
    for (const auto& e : doc_->edges()) {
        const std::tuple<int, int, int> key {e.from, e.to, e.port};
        EdgeItem* it = nullptr;
        if (auto f = edges_.find(key); f != edges_.end()) {
            it = f->second;
            edges_.erase(f);
        } else {
            it = new EdgeItem(e);
            addItem(it);
        }
        edges[key] = it;
    }
    for (auto& [key, it] : edges_) delete it;
    edges_ = std::move(edges);
    for (const auto& [uid, it] : items_) rerouteEdges(uid);
    update();  // the background hint comes and goes with the first layer
}

void BuilderScene::rerouteEdges(int uid)
{
    for (auto& [key, e] : edges_) {
        const auto [from, to, port] = key;
        if (from != uid && to != uid) continue;
        NodeItem* a = item(from);
        NodeItem* b = item(to);
        if (a && b) e->route(a->mapToScene(a->outputPort()), b->mapToScene(b->inputPort(port)));
    }
}

std::vector<int> BuilderScene::selectedNodes() const
{
    std::vector<int> v;
    for (const auto& n : doc_->nodes())  // document order, not selection order
        if (NodeItem* it = item(n.uid); it && it->isSelected()) v.push_back(n.uid);
    return v;
}

std::vector<Edge> BuilderScene::selectedEdges() const
{
    std::vector<Edge> v;
    for (const auto& [key, e] : edges_)
        if (e->isSelected()) v.push_back(e->edge());
    return v;
}

QRectF BuilderScene::contentRect() const
{
    QRectF r;
    for (const auto& [uid, it] : items_) r |= it->sceneBoundingRect();
    return r.isNull() ? QRectF(-300, -200, 600, 400) : r.adjusted(-30, -30, 30, 30);
}

NodeItem* BuilderScene::nodeAt(const QPointF& scenePos) const
{
    for (QGraphicsItem* i : items(scenePos))
        if (auto* n = dynamic_cast<NodeItem*>(i)) return n;
    return nullptr;
}

void BuilderScene::drawBackground(QPainter* p, const QRectF& rect)
{
    QGraphicsScene::drawBackground(p, rect);
    int layers = 0;
    const NodeItem* input = nullptr;
    for (const auto& n : doc_->nodes()) {
        layers += n.kind != kInputKind && n.kind != kLossKind;
        if (n.kind == kInputKind) input = item(n.uid);
    }
    if (layers > 0 || !input) return;
    // Beside the Input, where the eye starts.
    const QRectF in = input->sceneBoundingRect();
    QFont f = p->font();
    f.setPixelSize(14);
    p->setFont(f);
    p->setPen(QColor(0x6b, 0x75, 0x80));
    p->drawText(QRectF(in.right() + 30, in.top(), 330, 200), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap,
                tr("Drag a layer from the palette onto the canvas: with the Input selected it is wired after it.\n\n"
                   "Wire a node's output (bottom dot) to the next node's input (top dot) by dragging.\n\n"
                   "End with the Loss. Red badges say what to fix; Train starts when none is left."));
}

void BuilderScene::dragEnterEvent(QGraphicsSceneDragDropEvent* e) { e->setAccepted(e->mimeData()->hasFormat(kLayerMime)); }
void BuilderScene::dragMoveEvent(QGraphicsSceneDragDropEvent* e) { e->setAccepted(e->mimeData()->hasFormat(kLayerMime)); }

void BuilderScene::dropEvent(QGraphicsSceneDragDropEvent* e)
{
    if (!e->mimeData()->hasFormat(kLayerMime)) return;
    e->acceptProposedAction();
    emit dropRequested(QString::fromUtf8(e->mimeData()->data(kLayerMime)), e->scenePos());
}

void BuilderScene::mousePressEvent(QGraphicsSceneMouseEvent* e)
{
    if (e->button() == Qt::LeftButton) {
        if (NodeItem* n = nodeAt(e->scenePos())) {
            const QPointF local = n->mapFromScene(e->scenePos());
            std::optional<Edge> taken;
            if (const int port = n->inputPortAt(local); port >= 0)
                for (const auto& edge : doc_->inputsOf(n->uid()))
                    if (edge.port == port) taken = edge;
            if (n->outputPortAt(local) || taken) {
                // Start a wire: new from this output, or the picked-up edge's source.
                picked_ = taken;
                wireFrom_ = taken ? taken->from : n->uid();
                wire_ = new QGraphicsPathItem;
                wire_->setPen(QPen(QColor(0x1e, 0x6f, 0xd9), 2.5, Qt::DashLine));
                wire_->setZValue(3);
                addItem(wire_);
                mouseMoveEvent(e);
                e->accept();
                return;
            }
        }
    }
    QGraphicsScene::mousePressEvent(e);
    pressPositions_.clear();
    for (int uid : selectedNodes()) pressPositions_[uid] = item(uid)->pos();
}

void BuilderScene::mouseMoveEvent(QGraphicsSceneMouseEvent* e)
{
    if (wire_) {
        NodeItem* from = item(wireFrom_);
        if (from) wire_->setPath(curve(from->mapToScene(from->outputPort()), e->scenePos()));
        return;
    }
    QGraphicsScene::mouseMoveEvent(e);
}

void BuilderScene::finishWire(const QPointF& scenePos)
{
    delete wire_;
    wire_ = nullptr;
    NodeItem* target = nodeAt(scenePos);
    std::optional<Edge> made;
    if (target && target->uid() != wireFrom_ && target->inputPorts() > 0) {
        int port = target->inputPortAt(target->mapFromScene(scenePos));
        if (port < 0) port = doc_->freePort(target->uid());
        made = Edge {wireFrom_, target->uid(), port};
    }
    if (picked_ && made && *made == *picked_) made.reset(), picked_.reset();  // put back where it was
    if (picked_ && made) emit reconnectRequested(*picked_, *made);
    else if (picked_) emit disconnectRequested(*picked_);
    else if (made) emit connectRequested(*made);
    picked_.reset();
}

void BuilderScene::keyPressEvent(QKeyEvent* e)
{
    if (wire_ && e->key() == Qt::Key_Escape) {
        delete wire_;
        wire_ = nullptr;
        picked_.reset();
        e->accept();
        return;
    }
    QGraphicsScene::keyPressEvent(e);
}

void BuilderScene::mouseReleaseEvent(QGraphicsSceneMouseEvent* e)
{
    if (wire_) {
        finishWire(e->scenePos());
        e->accept();
        return;
    }
    QGraphicsScene::mouseReleaseEvent(e);
    std::map<int, std::pair<QPointF, QPointF>> moves;
    for (const auto& [uid, from] : pressPositions_)
        if (NodeItem* it = item(uid); it && it->pos() != from) moves[uid] = {from, it->pos()};
    pressPositions_.clear();
    if (!moves.empty()) emit nodesMoved(moves);
}

} // namespace views::builder
