#pragma once
// BoundaryView: what TensorFlow Playground shows. For 2-D data, a heat map of the
// network's prediction over the plane (two classes: orange ↔ blue by P(class 1),
// paler where the network is unsure; more classes: each class's colour blended by
// its probability), the P = 0.5 / argmax boundary as a line, the training points
// as filled dots and the test points as rings. Below or beside it, one small
// thumbnail per hidden neuron (its activation over the same plane); clicking one
// shows the neuron's formula with the current weights filled in.
//
// The heat map is one forward pass of a cached graph over a grid batch
// (100 × 100 points by default), recomputed when new weights arrive, coalesced so
// the UI thread spends at most about a quarter of its time on it.
#include <QElapsedTimer>
#include <QImage>
#include <QLineF>
#include <QPair>
#include <QRectF>
#include <QTimer>
#include <QVector>
#include <QWidget>
#include <memory>
#include <vector>

#include "views/charts/exportable.h"

namespace nn {
struct BuiltGraph;
class Model;
}

namespace views {

class TrainingSession;

class BoundaryView : public QWidget, public Exportable {
    Q_OBJECT
public:
    explicit BoundaryView(TrainingSession* session, QWidget* parent = nullptr);
    ~BoundaryView() override;

    // The heat map (gridSize() × gridSize(), row 0 = top of the plane); null
    // when there is nothing to draw (no 2-D data or no model).
    QImage boundaryImage() const;
    // Hidden neurons shown as thumbnails (at most 32 per layer), in layer order.
    int neuronCount() const;
    // "h1[3]" for thumbnail `index`.
    QString neuronName(int index) const;
    // "h1[3] = tanh(0.42·x1 − 1.30·x2 + 0.05)" with the current weights; empty
    // for an index out of range.
    QString neuronFormula(int index) const;
    // Selects a thumbnail (its formula is shown under the plot); -1 clears.
    void selectNeuron(int index);
    int selectedNeuron() const { return selected_; }

    // 1.0 normal, 2.0 projector mode: text, lines and markers scale with it
    // (relative to the widget's font; don't also enlarge the font).
    void setUiScale(double scale);
    double uiScale() const { return scale_; }
    // Grid resolution per axis (default 100: 10 000 points per forward pass).
    void setGridSize(int n);
    int gridSize() const { return grid_; }
    // True when the loaded data has 2-D samples (otherwise a message is shown).
    bool hasTwoDData() const;
    // The layout at the current size (tests): the plot's rectangle and how many
    // neuron thumbnails have room (0 when only the plot fits).
    QRectF plotRect();
    int thumbnailsShown();
    // Milliseconds the last recomputation took (forward pass + colouring).
    double lastComputeMs() const { return lastComputeMs_; }
    // Recomputations so far (tests: the rate while training).
    int computeCount() const { return computes_; }
    // While training, recomputations lie at least this far apart.
    static constexpr int kRunningGapMs = 200;
    // Which weights the heat map shows (the session snapshot's epoch and step when
    // it was computed): its label says the same.
    int shownEpoch() const { return epoch_; }
    qint64 shownStep() const { return step_; }

    // Exportable: PNG/SVG render the widget; CSV = grid x, y, p(class 0..K-1).
    QString exportTitle() const override;
    QWidget* exportWidget() override { return this; }
    QStringList csvHeader() const override;
    QVector<QVector<double>> csvRows() const override;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void neuronSelected(int index);

protected:
    void paintEvent(QPaintEvent* e) override;
    void resizeEvent(QResizeEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void leaveEvent(QEvent* e) override;
    void changeEvent(QEvent* e) override;
    void showEvent(QShowEvent* e) override;
    bool event(QEvent* e) override;

private:
    struct Neuron {
        QString layer;       // layer id shown ("h1")
        QString denseLayer;  // the dense layer holding the weights
        int unit = 0;
        QString activation;  // "tanh", "relu", "none", ...
        int pieces = 1;      // maxout
        int weightParam = -1, biasParam = -1;  // indices into Model::parameters()
        QString inputPrefix;  // "x" for the model input, else "h1["
        int node = -1;        // graph node holding the neuron's output
        QImage thumb;
    };
    struct Group {
        QString title;  // "h1 · tanh · 16 neurons"
        int first = 0, count = 0;
    };
    struct LegendItem {
        int kind = 0;  // class index; -1 training marker, -2 test marker
        QString text;
        double x = 0;  // from the legend's left
        int line = 0;
    };
    struct Layout {
        QRectF title, info, legend, plot, thumbs, footer;
        bool infoBelow = false;  // "epoch · data" on its own line (narrow view, big text)
        QPair<QString, QString> footerText;  // second is empty when there is no room
        std::vector<QRectF> groupHeaders;
        std::vector<QRectF> thumbRects;  // one per neuron
        bool valid = false;
    };

    void onDataChanged();
    void onModelChanged();
    void scheduleRecompute();
    void recompute();
    bool ensureGraph(const nn::Model& model);
    void rebuildNeurons(const nn::Model& model);
    void colorize();
    void computeContour();
    void updateRange();
    void doLayout();
    std::vector<LegendItem> legendFlow(double width) const;
    QPair<QString, QString> footerTexts() const;
    QFont scaledFont(double factor, bool bold = false) const;
    QColor classColor(int k) const;
    QPointF toPixel(double x, double y) const;
    QPointF toData(const QPointF& p) const;
    int thumbAt(const QPointF& p) const;
    QString plotTooltip(const QPointF& p) const;
    void paintPlot(QPainter& p);
    void paintThumbs(QPainter& p);
    void paintFooter(QPainter& p);
    void paintLegend(QPainter& p);
    void paintMessage(QPainter& p, const QRectF& r, const QString& text);

    TrainingSession* session_;
    double scale_ = 1.0;
    int grid_ = 100;

    // Data range (equal units on both axes), set from the data.
    double x0_ = -1, x1_ = 1, y0_ = -1, y1_ = 1;
    bool haveRange_ = false;

    std::unique_ptr<nn::BuiltGraph> built_;
    bool inputFilled_ = false;
    std::vector<Neuron> neurons_;
    std::vector<Group> groups_;
    int selected_ = -1;
    int hovered_ = -1;

    int classes_ = 0;
    std::vector<float> probs_;  // grid_ * grid_ * classes_, row-major from the top row
    QImage image_;
    QVector<QLineF> contour_;   // in grid coordinates (cell centres at i + 0.5)
    int epoch_ = 0;
    qint64 step_ = 0;

    mutable bool dirty_ = true;
    QTimer refresh_;
    QElapsedTimer sinceCompute_;
    double lastComputeMs_ = 0;
    int computes_ = 0;
    Layout layout_;
};

} // namespace views
