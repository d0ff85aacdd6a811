#pragma once
// Draws an engine Graph the way the lecture slide does: inputs on the left, the
// output on the right, one box per op; forward values above each edge (green),
// gradients below (red) once backward has reached them; the node that runs
// next highlighted; the first node that went NaN/inf marked.
#include <QHash>
#include <QWidget>

#include "engine/graph/graph.h"

namespace views {

class GraphCanvas : public QWidget {
    Q_OBJECT
public:
    explicit GraphCanvas(QWidget* parent = nullptr);

    // The canvas reads the graph at paint time; call update() after stepping.
    void setGraph(const nn::Graph* graph, int root);
    void setSelected(int node);
    int selected() const { return selected_; }
    void setUiScale(double scale);
    // Where the node is drawn (tests click it).
    QRectF nodeRect(int node) const { return rects_.value(node); }
    // The text drawn above / below the edge leaving `node` (tests read the values shown).
    QString valueLabel(int node) const;
    QString gradientLabel(int node) const;

signals:
    void nodeClicked(int node);

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;
    void resizeEvent(QResizeEvent*) override { layoutNodes(); }

private:
    void layoutNodes();
    bool forwardDone(int node) const;
    bool gradientKnown(int node) const;

    const nn::Graph* graph_ = nullptr;
    int root_ = -1;
    int selected_ = -1;
    double scale_ = 1.0;
    double zoom_ = 1.0;  // extra growth when the canvas has room (layoutNodes)
    QHash<int, QRectF> rects_;
    QVector<int> visible_;  // nodes drawn (constants folded into their consumer's label)
};

// "0.73" for scalars, "[3, 4] μ 0.12" for tensors.
QString shortTensorText(const nn::Tensor& t);

} // namespace views
