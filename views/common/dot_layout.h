#pragma once
// Layered graph layout by Graphviz's `dot` (through libgvc), for every view that
// draws a graph: the stepper's computation graph, the builder's auto-layout.
// dot ranks the nodes, orders each rank to reduce crossings, routes edges as
// splines around the nodes and places each edge's label beside its edge as a
// box of the size asked for, so no label overlaps a node or another label.
//
// Sizes and coordinates are in the caller's units (pixels); the layout's origin
// is its top-left corner.
#include <QPainterPath>
#include <QRectF>
#include <QString>
#include <QVector>

namespace views {

struct DotGraph {
    struct Edge {
        int from = -1, to = -1;
        QSizeF label;  // empty: no label
    };
    QVector<QSizeF> nodes;  // each node's box
    QVector<Edge> edges;
    bool leftToRight = true;  // ranks as columns (else as rows, top to bottom)
    double nodeGap = 18;      // between nodes of one rank
    double rankGap = 36;      // between ranks
    // Keep each node's inputs in the order of `edges` (a above b in a − b).
    bool keepInputOrder = true;
};

struct DotLayout {
    bool ok = false;
    QString error;  // why not, when !ok
    QSizeF size;    // bounding box of everything below
    QVector<QRectF> nodes;
    QVector<QPainterPath> edges;  // splines, from the tail node to the head's border
    QVector<QPointF> arrowTips;   // where each edge's arrowhead points (its head's border)
    QVector<QRectF> labels;       // each edge's label box (empty when it has none)
};

DotLayout layoutWithDot(const DotGraph& graph);

} // namespace views
