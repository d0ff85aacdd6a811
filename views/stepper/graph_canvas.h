#pragma once
// Draws an engine Graph the way the lecture slide does: inputs on the left, the
// output on the right, one box per op; on each edge its source's forward value
// (green, above) and gradient (red, below, once backward has reached it); the
// node that runs next highlighted; the first node that went NaN/inf marked.
//
// Graphviz's dot lays the graph out (views/common/dot_layout.h) once per graph:
// each edge's label is a box dot reserves beside that edge, sized for the
// label's text, so values and gradients never sit under a node or on each other.
// The layout grows up to 2× to fill the canvas; a graph larger than the canvas
// keeps its size and the canvas asks for room (the stepper scrolls it).
#include <QHash>
#include <QWidget>

#include "engine/graph/graph.h"
#include "views/common/dot_layout.h"

namespace views {

class GraphCanvas : public QWidget {
    Q_OBJECT
public:
    explicit GraphCanvas(QWidget* parent = nullptr);

    // The canvas reads the graph at paint time; call update() after stepping.
    // The labels are sized from the values the graph holds now (the stepper
    // has run it whole once), with room for any short number.
    void setGraph(const nn::Graph* graph, int root);
    void setSelected(int node);
    int selected() const { return selected_; }
    void setUiScale(double scale);
    // Where the node is drawn (tests click it).
    QRectF nodeRect(int node) const { return rects_.value(node); }
    // The text drawn above / below the edges leaving `node` (tests read the values shown).
    QString valueLabel(int node) const;
    QString gradientLabel(int node) const;
    // Every label box drawn (one per edge, plus the output's), in widget coordinates,
    // and the edge each belongs to (consumer -1: the output arrow).
    struct EdgeLabel {
        int from = -1, to = -1;
        QRectF box;
        QPainterPath edge;
    };
    QVector<EdgeLabel> edgeLabels() const;
    QString layoutError() const { return layout_.error; }
    QSize sizeHint() const override;

signals:
    void nodeClicked(int node);

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;
    void resizeEvent(QResizeEvent*) override { place(); }
    void changeEvent(QEvent* e) override;

private:
    void computeLayout();  // runs dot (new graph, scale or font)
    void place();          // fits the computed layout into the widget
    QFont labelFont(double zoom) const;
    QSizeF labelSize(int node) const;
    bool forwardDone(int node) const;
    bool gradientKnown(int node) const;

    const nn::Graph* graph_ = nullptr;
    int root_ = -1;
    int selected_ = -1;
    double scale_ = 1.0;
    double zoom_ = 1.0;  // extra growth when the canvas has room (place)
    QPointF offset_;     // where the layout's origin sits in the widget
    DotLayout layout_;   // at zoom 1, origin top-left
    QVector<std::pair<int, int>> edges_;  // (from, to) per layout edge; to = -1: the output
    QHash<int, QRectF> rects_;
};

// "0.73" for scalars, "[3, 4] μ 0.12" for tensors.
QString shortTensorText(const nn::Tensor& t);

} // namespace views
