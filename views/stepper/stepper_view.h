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
class QBoxLayout;
class QSplitter;

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
    // training sample sampleIndex(), 4 "Custom formula" (what is typed; the box
    // shows it whenever a typed formula is installed).
    enum Preset { SigmoidNeuron, TensorSum, TwoLayerNet, LoadedModel, CustomFormula };
    void loadPreset(int index);
    int presetIndex() const;
    void setSampleIndex(int sample);
    int sampleIndex() const;
    // Parses `formula` with `assignments` ("w0=2, x0=-1"); false + message on
    // error, and then no graph: nothing stale stays steppable.
    bool setFormula(const QString& formula, const QString& assignments);
    QString errorText() const;       // as shown (plain text)
    int errorColumn() const { return errorColumn_; }  // 1-based column in the formula; 0 when none
    bool canStep() const;            // a graph is installed and the step buttons are enabled

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
    // variable name -> (analytic, numeric ± bound, relative error, pass); tensors: their worst element
    struct Check {
        QString name;
        double analytic, numeric, relativeError;
        bool pass;
        double bound = 0;        // the numeric estimate's error bound
        bool conclusive = true;  // the bound is within the tolerance (else the check cannot judge)
        int checked = 1, elements = 1;
    };
    QVector<Check> checks() const { return checks_; }
    void setUiScale(double scale);

signals:
    void stepped();

protected:
    void showEvent(QShowEvent* e) override;

private:
    void install(std::unique_ptr<nn::Graph> graph, int root, const QString& description);
    bool applyFormula(const QString& formula, const QString& assignments);
    void clearGraph();
    void showError(const QString& message, const QString& formula = {}, int column = 0, QWidget* field = nullptr);
    void clearError();
    void followSession();  // the loaded-model preset tracks the dashboard's model
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
    std::map<std::string, nn::Tensor> formulaValues_;  // the values the installed formula was parsed with
    QString formulaText_;
    bool sessionStale_ = false;  // the dashboard's model changed while the stepper was hidden
    int errorColumn_ = 0;
    QString errorPlain_;
    QVector<Check> checks_;
    QVector<QWidget*> stepControls_;

    QComboBox* presets_;
    QLineEdit* formula_;
    QLineEdit* values_;
    QCheckBox* collapse_;
    QSpinBox* sample_;  // the training sample of the loaded-model preset
    QLabel* error_;
    QLabel* explain_;
    QLabel* progress_;
    QTableWidget* checkTable_;
    QWidget* sideWidget_;  // the explanation, heat maps and check table
    QBoxLayout* sideLayout_;
    QSplitter* split_;
    bool projector_ = false;
    GraphCanvas* canvas_;
    QWidget* maps_;            // the two heat maps, shown for tensor nodes only
    TensorHeatmap* valueMap_;
    TensorHeatmap* gradMap_;
    int64_t element_ = -1;
};

} // namespace views
