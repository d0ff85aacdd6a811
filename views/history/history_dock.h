#pragma once
// The History dock: every run kept in the run store (engine/store), in a sortable,
// filterable table (name, date, data, model, best accuracy, device, duration,
// status, parent). Selecting runs overlays their curves; a side-by-side table shows
// their settings with differences highlighted; the architecture tab diffs the
// model specs of the first two selected (layers added, removed, changed); the
// branches tab shows which run was branched from which. Metrics export to CSV.
//
// It also records the app's own runs: it listens to the TrainingSession (a run
// starts when training starts, epochs arrive as they finish, the result ends it)
// and logs them through a RunRecorder, whose writer thread keeps the disk off the
// UI thread.
#include <QList>
#include <QString>
#include <QWidget>
#include <functional>
#include <memory>

#include <nlohmann/json.hpp>

#include "engine/nn/model_spec.h"
#include "engine/train/trainer.h"

class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QStandardItemModel;
class QTableView;
class QTableWidget;
class QTabWidget;
class QTreeWidget;

namespace nn::store {
class RunRecorder;
class RunStore;
} // namespace nn::store

namespace views {

class TrainingSession;

class HistoryDock : public QWidget {
    Q_OBJECT
public:
    explicit HistoryDock(TrainingSession* session, QWidget* parent = nullptr);
    ~HistoryDock() override;

    // $NNSTUDIO_HISTORY, else QStandardPaths::AppDataLocation + "/runs.sqlite"
    // (~/.local/share/NN Studio/NN Studio/runs.sqlite, as the CLI's default).
    static QString defaultStorePath();
    QString storePath() const { return path_; }
    // Opens (creating when missing) a history file. On a file that is not ours,
    // newer or damaged: false, the message shown in the dock and in lastError(),
    // and the previous history kept.
    bool setStorePath(const QString& path);
    void chooseStore();  // File > Open history...: a file dialog
    QString lastError() const { return error_; }

    void refresh();  // re-reads the run list (keeps the selection)
    void setFilter(const QString& text);
    int visibleRuns() const;  // rows after the filter
    QTableView* table() const { return table_; }
    void selectRuns(const QList<qint64>& ids);
    QList<qint64> selectedRuns() const;

    QChart* chart() const { return chart_; }

protected:
    // The chart is a graphics item: it does not follow the widget's font by
    // itself (projector mode left its title and labels at 1x).
    void changeEvent(QEvent* e) override;

public:
    int overlaidSeries() const;
    QTableWidget* settingsTable() const { return settings_; }
    QTreeWidget* architectureTree() const { return arch_; }
    QTreeWidget* branchTree() const { return branches_; }
    QTabWidget* tabs() const { return tabs_; }
    // Writes one run's per-epoch metrics; "" on success, else the message.
    QString exportCsv(qint64 id, const QString& path) const;

    qint64 recordingRun() const { return recordingId_; }

    // Rewind and branch: what a branch needs to start from a run's snapshot.
    struct BranchRequest {
        qint64 parentId = 0, parentStep = 0;
        nn::ModelSpec spec;
        QString dataset;
        nlohmann::json hyper;  // the parent's hyperparameters (epochs, batch, lr, ...)
        uint64_t seed = 1;
        std::shared_ptr<const nn::TrainerCheckpoint> state;
        // The road to the snapshot: the parent's epochs up to it, preceded by its own
        // parent's up to where it branched, and so on (the curves show them first).
        std::vector<nn::EpochMetrics> parentHistory;
    };
    // Loads run `runId`'s snapshot at `step` and hands it to onBranch (the main
    // window sets the parent's model, data and settings, then the session waits for
    // Train). False, with the message shown, when the run or step does not exist.
    bool branchFrom(qint64 runId, qint64 step);
    std::function<void(const BranchRequest&)> onBranch;
    // The steps that have snapshots, for run `runId` (empty when none).
    QList<qint64> snapshotSteps(qint64 runId) const;
    // The same snapshots as the Branch picker lists them: "epoch 15 · step 300 ·
    // val loss 0.1234 · val acc 0.950" (the metrics of the epoch that ended there).
    struct SnapshotChoice {
        qint64 step = 0;
        int epoch = 0;
        QString text;
    };
    QList<SnapshotChoice> snapshotChoices(qint64 runId) const;

signals:
    void runRecorded(qint64 id);  // a run of the session ended and is in the table

private:
    void applyChartFonts();
    void buildUi();
    void onSelectionChanged();
    void updateCurves();
    void updateSettings();
    void updateArchitecture();
    void updateBranches();
    void exportSelected();
    void showMessage(const QString& text, bool error);
    // Recording the session's runs.
    void startRecording();
    void branchSelected();  // the Branch button: pick a snapshot of the selected run
    void snapshotEpoch();   // every few epochs: the session's full state into the store
    void endRecording(const QString& status, const QString& message, double seconds);
    // Run `runId`'s epochs up to step `upToStep`, after its ancestors' up to each branch point.
    std::vector<nn::EpochMetrics> lineage(qint64 runId, qint64 upToStep) const;

    TrainingSession* session_;
    QString path_;
    QString error_;
    std::unique_ptr<nn::store::RunStore> store_;
    std::unique_ptr<nn::store::RunRecorder> recorder_;
    qint64 recordingId_ = 0;
    int snapshotInterval_ = 1;  // epochs between snapshots of the run being recorded
    int lastSnapshotEpoch_ = -1;

    QLineEdit* filter_ = nullptr;
    QLabel* message_ = nullptr;
    QStandardItemModel* model_ = nullptr;
    QSortFilterProxyModel* proxy_ = nullptr;
    QTableView* table_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    QComboBox* metric_ = nullptr;
    QChart* chart_ = nullptr;
    QChartView* chartView_ = nullptr;
    QTableWidget* settings_ = nullptr;
    QTreeWidget* arch_ = nullptr;
    QTreeWidget* branches_ = nullptr;
};

} // namespace views
