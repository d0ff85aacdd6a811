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
#include <memory>

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
    int overlaidSeries() const;
    QTableWidget* settingsTable() const { return settings_; }
    QTreeWidget* architectureTree() const { return arch_; }
    QTreeWidget* branchTree() const { return branches_; }
    QTabWidget* tabs() const { return tabs_; }
    // Writes one run's per-epoch metrics; "" on success, else the message.
    QString exportCsv(qint64 id, const QString& path) const;

    qint64 recordingRun() const { return recordingId_; }

signals:
    void runRecorded(qint64 id);  // a run of the session ended and is in the table

private:
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
    void endRecording(const QString& status, const QString& message, double seconds);

    TrainingSession* session_;
    QString path_;
    QString error_;
    std::unique_ptr<nn::store::RunStore> store_;
    std::unique_ptr<nn::store::RunRecorder> recorder_;
    qint64 recordingId_ = 0;

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
