#pragma once
// One node of the builder's canvas: a card with the layer's type and id, its
// output shape, parameters and FLOPs, input ports on top and the output port at
// the bottom, and a red badge with the error when the node has one (the whole
// message in its tooltip). It draws what the document and the analysis say; it
// changes nothing itself (moves are reported by the scene on release).
#include <QGraphicsObject>

#include "views/builder/builder_analysis.h"
#include "views/builder/builder_document.h"

namespace views::builder {

class NodeItem : public QGraphicsObject {
    Q_OBJECT
public:
    explicit NodeItem(int uid);
    int uid() const { return uid_; }
    void setContent(const Node& node, int inputPorts, const NodeReport& report);

    QRectF boundingRect() const override;
    void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

    // Ports in item coordinates.
    QPointF inputPort(int port) const;
    QPointF outputPort() const;
    int inputPorts() const { return inputPorts_; }
    bool hasOutput() const { return node_.kind != kLossKind; }
    // The input port within reach of `itemPos` (-1: none); the output port likewise.
    int inputPortAt(const QPointF& itemPos) const;
    bool outputPortAt(const QPointF& itemPos) const;
    bool hasError() const { return !report_.errors.empty(); }
    const NodeReport& report() const { return report_; }
    const Node& node() const { return node_; }
    // The lines the card shows, for tests and the status bar.
    QString shapeLine() const;
    QString costLine() const;

signals:
    void moved(int uid);

protected:
    QVariant itemChange(GraphicsItemChange change, const QVariant& value) override;
    // A cross over a port says "drag from here to connect".
    void hoverMoveEvent(QGraphicsSceneHoverEvent* e) override;

private:
    int uid_;
    Node node_;
    NodeReport report_;
    int inputPorts_ = 1;
};

// Category colour of a node kind (header band, palette icon).
QColor kindColor(const std::string& kind);

} // namespace views::builder
