#pragma once
// The builder's canvas: a QGraphicsScene that shows the document (NodeItems and
// edges) and turns gestures into requests. Like the Qt undo framework example, it
// knows nothing of undo: it emits what the user asked for (add this layer here,
// connect these ports, these nodes moved) and BuilderView pushes the commands,
// whose edits come back through sync().
//
// Gestures: drag a palette entry onto the canvas (dropRequested); drag from a
// node's output port (bottom) to another node (connectRequested; the input port
// under the cursor, else its free one); drag a connected input port away
// (disconnectRequested) or onto another node (reconnect); move nodes
// (nodesMoved on release); rubber-band select.
#include <QGraphicsPathItem>
#include <QGraphicsScene>
#include <map>
#include <tuple>

#include "views/builder/builder_analysis.h"
#include "views/builder/builder_document.h"

namespace views::builder {

class NodeItem;

inline constexpr const char* kLayerMime = "application/x-nnstudio-layer";

// A connection, drawn as a curve from an output port down to an input port.
class EdgeItem : public QGraphicsPathItem {
public:
    explicit EdgeItem(const Edge& e);
    const Edge& edge() const { return edge_; }
    void route(const QPointF& from, const QPointF& to);
    void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

private:
    Edge edge_;
};

class BuilderScene : public QGraphicsScene {
    Q_OBJECT
public:
    explicit BuilderScene(Document* doc, QObject* parent = nullptr);

    // Brings the items in line with the document and the analysis.
    void sync(const Analysis& analysis);
    NodeItem* item(int uid) const;
    EdgeItem* edgeItem(const Edge& e) const;
    // The connection passing nearest `scenePos`, within `tolerance` scene units
    // (null when none): where a dropped layer is spliced in. Judged by distance,
    // not by which items are stacked at the point, so a selection (whose items
    // are drawn above) never hides the wire.
    EdgeItem* edgeNear(const QPointF& scenePos, double tolerance) const;
    std::vector<int> selectedNodes() const;
    std::vector<Edge> selectedEdges() const;
    // The bounding box of every node, with a margin (for fit and export).
    QRectF contentRect() const;

signals:
    void dropRequested(const QString& kind, const QPointF& scenePos);
    void connectRequested(const Edge& edge);
    void reconnectRequested(const Edge& from, const Edge& to);
    void disconnectRequested(const Edge& edge);
    void nodesMoved(const std::map<int, std::pair<QPointF, QPointF>>& moves);

protected:
    void dragEnterEvent(QGraphicsSceneDragDropEvent* e) override;
    void dragMoveEvent(QGraphicsSceneDragDropEvent* e) override;
    void dropEvent(QGraphicsSceneDragDropEvent* e) override;
    void mousePressEvent(QGraphicsSceneMouseEvent* e) override;
    void mouseMoveEvent(QGraphicsSceneMouseEvent* e) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;  // Esc drops a wire being dragged
    // A first-steps hint while the network is only an Input and a Loss.
    void drawBackground(QPainter* p, const QRectF& rect) override;

private:
    NodeItem* nodeAt(const QPointF& scenePos) const;
    void rerouteEdges(int uid);
    void finishWire(const QPointF& scenePos);

    Document* doc_;
    std::map<int, NodeItem*> items_;
    std::map<std::tuple<int, int, int>, EdgeItem*> edges_;
    // A wire being dragged: from an output port (wireFrom_), or an existing edge
    // picked up by its input end (picked_).
    QGraphicsPathItem* wire_ = nullptr;
    int wireFrom_ = 0;
    std::optional<Edge> picked_;
    std::map<int, QPointF> pressPositions_;  // nodes' positions when a move began
};

} // namespace views::builder
