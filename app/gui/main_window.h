#pragma once
// The NN Studio main window: the training dashboard (set-up, decision boundary,
// curves, histograms, confusion matrix) in docks around a central view, menus,
// toolbar, status bar, projector mode, settings kept between sessions.
#include <QMainWindow>

#include "views/history/history_dock.h"

class QAction;
class QLabel;
class QProgressBar;
class QUndoStack;
class QMenu;
namespace views::builder {
class BuilderView;
}

namespace views {
class TrainingSession;
class SetupPanel;
class CurvesChart;
class BoundaryView;
class HistogramPanel;
class ConfusionView;
class Exportable;
class StepperView;
class HistoryDock;
namespace compress {
class CompressPage;
}
} // namespace views

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    views::TrainingSession* session() const { return session_; }
    views::SetupPanel* setupPanel() const { return setup_; }
    views::CurvesChart* curves() const { return curves_; }
    views::BoundaryView* boundary() const { return boundary_; }
    views::HistogramPanel* histograms() const { return histograms_; }
    views::ConfusionView* confusion() const { return confusion_; }
    views::StepperView* stepper() const { return stepper_; }
    views::HistoryDock* history() const { return history_; }  // the run history dock
    views::compress::CompressPage* compressPage() const { return compress_; }
    int compressPageIndex() const;
    // 0 the training dashboard, 1 the backprop stepper.
    void showPage(int page);
    QUndoStack* undoStack() const { return undo_; }

    void setProjectorMode(bool on);
    // Set-up dock at its minimum width, bottom panels about a third of the height.
    void resetDockSizes();
    bool projectorMode() const { return projector_; }
    // Opens a model spec file (File > Open, Recent, the set-up panel): an undoable
    // change of the set-up's model; added to Recent when it opened. False, with the
    // message shown, when the file is missing or not a valid spec.
    bool openModel(const QString& path);
    // The start-up state (command line, defaults): the model, the data set and the
    // defaults they bring, recorded as where undo stops, not as changes. `remember`
    // adds the model to Recent. False when the data set is unknown.
    bool openAtStart(const QString& modelPath, const QString& dataName, bool remember);
    QString statusText() const;
    // Rewind and branch (History → Branch...): the parent's settings, model, data and
    // snapshot are set up; Train starts the new run, recorded as the parent's child.
    void startBranch(const views::HistoryDock::BranchRequest& b);

protected:
    void closeEvent(QCloseEvent* e) override;

private:
    // Paused with the newest weights shown: the status bar names them ("epoch E · step S · batch loss L"); false otherwise.
    bool namePausedWeights();
    void createViews();
    void createActions();
    void createMenus();
    void createStatusBar();
    void connectSession();
    void updateRunActions();
    void addRecent(const QString& path);
    void removeRecent(const QString& path);
    void rebuildRecentMenu();
    bool loadModel(const QString& path);  // the set-up's model and the session's spec
    // Keys in fields (Esc/Enter leave, Space trains, Ctrl+Z undoes): field_keys.h.
    void installFieldKeys();
    // The set-up panel's hint when the loss rises or diverges (loss_hint.h).
    void connectTrainingHints();
    void exportChartDialog();
    void saveModelSpec();
public:
    // The trained model, weights and all: a native model file (.nnm) or ONNX.
    // "" on success, else the message (also shown); the menu actions ask for a path.
    QString saveTrainedModel(const QString& path);
    QString exportOnnx(const QString& path);
private:
    void showShortcuts();
    void showError(const QString& message);
    // Geometry and docks (main_window_layout.cpp).
    void fitProgressBar();
    void setProgress(int done, int total);  // without a synchronous repaint
    void arrangeDocks();
    void applyFirstStartGeometry();
    void watchFrameCost();
    // The network builder page (issue 9): its tab, Ctrl+3, projector scale, and
    // Train from the builder into the dashboard.
    void createBuilder();
public:
    views::builder::BuilderView* builder() const { return builder_; }
    void showBuilder();
    // Opens `specPath` in the dashboard with `dataName`, shows the dashboard and
    // starts training as soon as model and data are loaded.
    void trainFromBuilder(const QString& specPath, const QString& dataName);
private:
    views::builder::BuilderView* builder_ = nullptr;
    class QDockWidget* hiddenForBuilder_ = nullptr;  // the set-up dock, put away on the builder page

    views::TrainingSession* session_;
    views::SetupPanel* setup_ = nullptr;
    views::CurvesChart* curves_ = nullptr;
    views::BoundaryView* boundary_ = nullptr;
    views::HistogramPanel* histograms_ = nullptr;
    views::ConfusionView* confusion_ = nullptr;
    views::StepperView* stepper_ = nullptr;
    views::HistoryDock* history_ = nullptr;
    views::compress::CompressPage* compress_ = nullptr;
    class QTabWidget* pages_ = nullptr;
    QList<class QDockWidget*> hiddenForStepper_;  // bottom docks put away while the stepper shows
    QUndoStack* undo_;
    QMenu* recentMenu_ = nullptr;
    QMenu* viewMenu_ = nullptr;
    class QScrollArea* setupScroll_ = nullptr;
    class QDockWidget* histogramDock_ = nullptr;
    class QDockWidget* confusionDock_ = nullptr;
    QAction *trainAct_, *pauseAct_, *stepAct_, *stopAct_, *resetAct_, *projectorAct_;
    QAction* undoAct_ = nullptr;
    QAction* redoAct_ = nullptr;
    QLabel* deviceLabel_ = nullptr;
    QLabel* stateLabel_ = nullptr;
    QLabel* metricsLabel_ = nullptr;
    QProgressBar* progress_ = nullptr;
    bool projector_ = false;
};
