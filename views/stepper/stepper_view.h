#pragma once
// The backprop stepper: a formula (or a real model's training step) as the
// engine's graph, walked forward and backward one node at a time, with the
// chain rule written out in numbers for the selected node and a numeric check
// beside every leaf gradient. It steps the engine's own Graph, never a copy.
#include <QWidget>
#include <memory>

#include "engine/graph/expression.h"

class QComboBox;
class QLineEdit;
class QLabel;
class QTableWidget;
class QCheckBox;
class QPushButton;
class QSpinBox;

namespace views {

class GraphCanvas;
class TensorHeatmap;
class TrainingSession;

class StepperView : public QWidget {
    Q_OBJECT
public:
    explicit StepperView(TrainingSession* session, QWidget* parent = nullptr);
    ~StepperView() override;

    // Presets (index into the combo): 0 the seed's sigmoid neuron, 1 sum(x*y+z)
    // on 3×4 tensors, 2 a 2-layer net on one spiral point, 3 the loaded model on
    // training sample sampleIndex().
    void loadPreset(int index);
    void setSampleIndex(int sample);
    int sampleIndex() const;
    // Parses `formula` with `assignments` ("w0=2, x0=-1"); false + message on error.
    bool setFormula(const QString& formula, const QString& assignments);
    QString errorText() const;

    bool stepForward();
    bool stepBackward();
    void runForward();
    void runBackward();
    void backOneStep();
    void reset();
    void setCollapsed(bool collapsed);

    // State for lessons and tests.
    const nn::Graph* graph() const { return graph_.get(); }
    int root() const { return root_; }
    int stepsTaken() const { return steps_; }
    bool forwardComplete() const;
    bool backwardComplete() const;
    int findNode(const QString& name) const;
    void selectNode(int node);
    QString explanation() const;
    // For tensor nodes: one element of the selected node, its scalar chain rule
    // added to the explanation (-1: none). The heat maps show the whole tensors.
    void selectElement(int64_t element);
    TensorHeatmap* valueMap() const { return valueMap_; }
    TensorHeatmap* gradientMap() const { return gradMap_; }
    GraphCanvas* canvas() const { return canvas_; }
    // variable name -> (analytic, numeric, relative error, pass)
    struct Check {
        QString name;
        double analytic, numeric, relativeError;
        bool pass;
    };
    QVector<Check> checks() const { return checks_; }
    void setUiScale(double scale);

signals:
    void stepped();

private:
    void install(std::unique_ptr<nn::Graph> graph, int root, const QString& description);
    void refresh();
    void updateChecks();
    void explain(int node);
    QString explainElement(int node, int64_t element) const;

    TrainingSession* session_;
    nn::Expression expression_;          // kept for collapse/expand
    std::unique_ptr<nn::Graph> graph_;   // the graph being stepped
    int root_ = -1;
    int steps_ = 0;                      // forward + backward steps taken since reset
    bool isFormula_ = false;
    QVector<Check> checks_;

    QComboBox* presets_;
    QLineEdit* formula_;
    QLineEdit* values_;
    QCheckBox* collapse_;
    QSpinBox* sample_;  // the training sample of the loaded-model preset
    QLabel* error_;
    QLabel* explain_;
    QLabel* progress_;
    QTableWidget* checkTable_;
    GraphCanvas* canvas_;
    QWidget* maps_;            // the two heat maps, shown for tensor nodes only
    TensorHeatmap* valueMap_;
    TensorHeatmap* gradMap_;
    int64_t element_ = -1;
};

} // namespace views
