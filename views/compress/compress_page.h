#pragma once
// The Compress page: Deep Compression run live on a copy of the model trained in
// the dashboard (or a saved .nnm), stage by stage. Top: where the model comes from,
// the pipeline string (checked as it is typed, the error in words), presets, Run
// and Cancel, the progress of the running stage. Middle: the filmstrip, one weight
// histogram of the chosen layer per stage. Bottom, in tabs: the per-layer storage
// table, the Huffman code tables, the storage breakdown by stage and the
// sensitivity curves (accuracy vs fraction pruned, accuracy vs bits).
// The pipeline runs on a worker thread (CompressRunner); nothing here blocks.
//
// The Sensitivity tab runs the sweeps (engine/compress/sweeps.h) the same way.
//
// Shortcuts (while the page has focus): Ctrl+Return run, Ctrl+Shift+Return sweeps, Esc cancel, Ctrl+L edit the
// pipeline, Ctrl+Up / Ctrl+Down previous / next layer, ← / → in the filmstrip
// previous / next stage.
// The implementation is in three files: compress_page.cpp (widgets, layout,
// shortcuts), compress_page_source.cpp (the source model), compress_page_run.cpp
// (runs, sweeps and the results).
#include <QWidget>
#include <functional>
#include <memory>
#include <vector>

#include "engine/compress/pipeline.h"
#include "views/charts/exportable.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;

namespace nn::data {
struct Split;
}

namespace views {
class TrainingSession;
}

namespace views::compress {

class CompressRunner;
class FilmstripView;
class HuffmanTable;
class LayerTable;
class SensitivityChart;
class StorageChart;
class SweepRunner;

class CompressPage : public QWidget {
    Q_OBJECT
public:
    static constexpr int kProgressSteps = 1000;  // the progress bar's range

    explicit CompressPage(TrainingSession* session, QWidget* parent = nullptr);
    ~CompressPage() override;

    // ---- the source model -----------------------------------------------------------
    // Compress (a copy of) the dashboard's model, on the dashboard's data (the default).
    void useDashboardModel();
    // Compress a saved model (.nnm) on the data set named in it; loads that data in
    // the background unless the dashboard has it loaded. "" or the message.
    QString openModelFile(const QString& path);
    bool sourceReady() const;
    QString sourceText() const;

    // ---- the pipeline ------------------------------------------------------------------
    void setPipeline(const QString& text);
    QString pipeline() const;
    // Why the pipeline string does not parse, in words; "" when it does.
    QString pipelineError() const { return pipelineError_; }
    // Starts the pipeline; "" when started, else why not (also shown on the page).
    QString run();
    // Starts the sweeps of the Sensitivity tab (pruning sensitivity per layer with
    // and without retraining, then accuracy vs bits); "" or why not.
    QString runSweeps();
    void setSweepRetrainEpochs(int epochs);
    void cancel();  // the pipeline or the sweeps, whichever runs
    bool running() const;
    // The compressed model of the last run (null while running or before one).
    const nn::Model* compressedModel() const;
    QString saveCompressedModel(const QString& path);

    // ---- the run history ------------------------------------------------------------------
    // The run store each pipeline run is kept in (asked at every run; unset or "":
    // runs are not recorded). The main window answers with the History dock's file.
    std::function<QString()> historyStore;
    // The last run's id in that store (0: not recorded) and why the store failed
    // ("" when it did not; also shown in the status line).
    qint64 recordedRun() const { return recordedRun_; }
    QString recordError() const { return recordError_; }

    // ---- what the page shows (tests, screenshots) ---------------------------------------
    FilmstripView* filmstrip() const { return filmstrip_; }
    LayerTable* layerTable() const { return layerTable_; }
    HuffmanTable* huffmanTable() const { return huffman_; }
    StorageChart* storageChart() const { return storage_; }
    SensitivityChart* sensitivityChart() const { return sensitivity_; }
    const std::vector<nn::compress::StageResult>& stages() const { return stages_; }
    void selectStage(int index);
    int selectedStage() const { return selectedStage_; }
    void selectLayer(int index);
    int selectedLayer() const;
    // Show the bottom tab holding this view.
    void showTab(QWidget* view);
    QString statusText() const;
    // The selected stage's line above the layer table (and the speed after a run).
    QString stageSummary() const;
    // Everything on the page that exports to PNG, SVG and CSV.
    QList<Exportable*> exportables() const;

    void setUiScale(double scale);

signals:
    void sourceChanged();  // the source model or its readiness changed
    void runStarted();
    void runFinished(bool cancelled, const QString& error);
    void runRecorded(qint64 id);  // a run ended in the history store (before runFinished)
    void sweepsFinished(bool cancelled, const QString& error);

private:
    void buildUi();
    void buildShortcuts();
    void validatePipeline();
    void updateSource();
    // Results computed on another source than the header now describes are
    // cleared (and the status says whose they were): the page never shows one
    // model's header above another's results.
    void dropStaleResults();
    void clearResults(bool sweepsToo = true);
    void updateButtons();
    void onStage(const nn::compress::StageResult& stage);
    void onProgress(int step, double fraction, const QString& message);
    void onFinished(bool cancelled, const QString& error);
    void showStageDetails();
    void setStatus(const QString& text, bool error);
    void exportDialog(Exportable* chart);
    // A copy of the source model and its data for a run; "" or why not.
    QString takeSource(std::unique_ptr<nn::Model>& model, std::shared_ptr<const nn::data::Split>& data);

    TrainingSession* session_;
    CompressRunner* runner_;
    SweepRunner* sweeps_;

    // Source: the dashboard's model, or a model file with its data.
    bool fromFile_ = false;
    QString filePath_;
    std::shared_ptr<const nn::data::Split> fileData_;
    QString fileDataName_;
    bool loadingData_ = false;
    QString fileInfo_;
    QString sourceKey_;      // the header's description of the source, as last shown
    QString resultsSource_;  // sourceKey_ when the results shown were computed
    QString resultsName_;    // "spiral-mlp on spiral": whose results they are

    std::vector<nn::compress::StageSpec> specs_;
    std::vector<nn::compress::StageResult> stages_;
    QString pipelineError_;
    QString runPipeline_;  // the pipeline of the last run, for saving
    QString timing_;       // the dense vs compressed inference time of the last run
    int selectedStage_ = -1;
    bool followNewest_ = true;
    qint64 recordedRun_ = 0;
    QString recordError_;

    QLabel* sourceLabel_ = nullptr;
    QPushButton *dashboardButton_, *openButton_, *saveButton_;
    QLineEdit* pipelineEdit_ = nullptr;
    QLabel* pipelineStatus_ = nullptr;
    QDoubleSpinBox* retrainLr_ = nullptr;
    QPushButton *runButton_, *cancelButton_, *exportButton_;
    QProgressBar* progress_ = nullptr;
    QLabel* status_ = nullptr;
    QComboBox* layerBox_ = nullptr;
    QCheckBox* logBox_ = nullptr;
    FilmstripView* filmstrip_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    QLabel* stageSummary_ = nullptr;
    LayerTable* layerTable_ = nullptr;
    HuffmanTable* huffman_ = nullptr;
    StorageChart* storage_ = nullptr;
    SensitivityChart* sensitivity_ = nullptr;
    QSpinBox* sweepEpochs_ = nullptr;
    QPushButton* sweepButton_ = nullptr;
    QList<QPushButton*> presetButtons_;
};

} // namespace views::compress
