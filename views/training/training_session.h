#pragma once
// TrainingSession: the GUI's handle on one training run. It owns the data split,
// the model and the engine's TrainingWorker, polls the worker's metrics channel on
// the UI thread and re-emits what arrives as Qt signals. Views observe it; none of
// them owns training state, and nothing here blocks the UI thread: loading runs
// on a thread pool, training on the worker.
#include <QFutureWatcher>
#include <QObject>
#include <QString>
#include <QTimer>
#include <memory>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/train/training_worker.h"

namespace views {

// What a view needs to draw the current weights: a copy it may keep.
struct Snapshot {
    int epoch = 0;
    int64_t step = 0;
    std::vector<nn::Tensor> params;  // same order as Model::parameters()
    std::vector<nn::Tensor> grads;   // empty before the first step
    std::shared_ptr<const nn::TrainerCheckpoint> state;  // the whole training state, at epoch ends
};

class TrainingSession : public QObject {
    Q_OBJECT
public:
    enum class State { NoData, Ready, Running, Paused, Finished };
    Q_ENUM(State)

    explicit TrainingSession(QObject* parent = nullptr);
    ~TrainingSession() override;

    // ---- set-up (each stops a running training first) ------------------------------
    // Loads a data set by name ("spiral", "fashion-mnist", a .csv path) in the
    // background; emits dataChanged() or errorOccurred().
    void loadData(const QString& name, const nn::data::SourceOptions& options);
    // Uses `spec` for the next run; emits modelChanged() or errorOccurred().
    void setModelSpec(const nn::ModelSpec& spec);
    void setModelFile(const QString& path);
    void setConfig(const nn::TrainConfig& config) { config_ = config; }
    const nn::TrainConfig& config() const { return config_; }

    // ---- run control -----------------------------------------------------------------
    void train();    // start, or resume when paused
    void pause();
    void step();     // one mini-batch (starts paused if idle)
    void stop();     // cancel; the run ends as Finished
    void reset();    // forget the run; new initial weights from the seed
    void togglePause() { state_ == State::Running ? pause() : train(); }

    // ---- what views read ---------------------------------------------------------------
    State state() const { return state_; }
    bool busyLoading() const { return loading_; }
    QString dataName() const { return dataName_; }
    const nn::data::Split* data() const { return data_.get(); }
    // The same split, shared: for work on other threads that must outlive a data change.
    std::shared_ptr<const nn::data::Split> sharedData() const { return data_; }
    const nn::ModelSpec* spec() const { return spec_.get(); }
    // A model with the current weights for drawing (built on the UI thread from the
    // latest snapshot; null when no model is set).
    const nn::Model* viewModel() const { return viewModel_.get(); }
    const Snapshot& snapshot() const { return snapshot_; }
    // The weights at the end of every epoch the last poll drained, oldest first
    // (snapshot() is only the newest): for views that keep a history per epoch.
    // Valid during snapshotChanged(); the tensors share storage, nothing is copied.
    const std::vector<Snapshot>& epochSnapshots() const { return epochSnapshots_; }
    const std::vector<nn::EpochMetrics>& history() const { return history_; }
    const nn::TrainResult& result() const { return result_; }
    int64_t stepsDone() const { return steps_; }
    double lastStepLoss() const { return lastLoss_; }
    // The whole training state (weights, batch norm buffers, optimizer state) at the
    // end of the newest epoch drained; null before the first epoch ends.
    std::shared_ptr<const nn::TrainerCheckpoint> latestCheckpoint() const { return checkpoint_; }

    // A model with the newest weights and batch norm statistics (the latest epoch's
    // state, or the snapshot's weights before one ends), for saving and export;
    // null when no model is set.
    std::unique_ptr<nn::Model> currentModel() const;

    // ---- rewind and branch --------------------------------------------------------------
    // The next run starts from `state` (taken after state->epochs epochs) instead of
    // the seed's initial weights, as a branch of run `parentId` at `parentStep`. The
    // model and data must already be the parent's; the config (a changed learning
    // rate, say) is read when training starts. Cleared by reset() and new set-up.
    void prepareBranch(std::shared_ptr<const nn::TrainerCheckpoint> state, qint64 parentId, qint64 parentStep);
    struct BranchOrigin {
        qint64 parentId = 0;  // 0: not a branch
        qint64 parentStep = -1;
    };
    BranchOrigin branchOrigin() const { return branch_; }

    // How long the window took to draw its last frame. The poll (and so the
    // redraws it causes) slows down when frames are slow (software GL, a busy
    // machine), so drawing never takes more than about a fifth of the UI thread
    // and input is always served; 30 ms when frames are cheap.
    void setFrameCost(double ms);
    int pollInterval() const;

signals:
    void dataChanged();
    void modelChanged();
    void stateChanged(State state);
    // Once per poll, however many epochs ended since the last: history()[from..]
    // are new, `latest` is the last of them.
    void epochsFinished(int from, const nn::EpochMetrics& latest);
    void stepped(qint64 step, double loss);
    void snapshotChanged();  // new weights in viewModel()
    void finished(const nn::TrainResult& result);
    void errorOccurred(const QString& message);
    void progress(int done, int total);  // epochs

private:
    void setState(State s);
    void poll();
    void rebuildModel();
    void applySnapshot(std::vector<nn::Tensor> params, std::vector<nn::Tensor> grads);
    void ensureWorker(bool paused);

    nn::TrainConfig config_;
    std::shared_ptr<const nn::data::Split> data_;
    QString dataName_;
    std::shared_ptr<nn::ModelSpec> spec_;
    std::unique_ptr<nn::Model> model_;      // trained by the worker
    std::unique_ptr<nn::Model> viewModel_;  // UI thread's copy for drawing
    std::unique_ptr<nn::TrainingWorker> worker_;
    std::shared_ptr<const nn::data::Split> workerData_;  // keeps the split alive for the worker
    Snapshot snapshot_;
    std::vector<Snapshot> epochSnapshots_;
    std::shared_ptr<const nn::TrainerCheckpoint> checkpoint_;
    std::shared_ptr<const nn::TrainerCheckpoint> branchFrom_;  // restored when the worker starts
    BranchOrigin branch_;
    std::vector<nn::EpochMetrics> history_;
    nn::TrainResult result_;
    int64_t steps_ = 0;
    double lastLoss_ = 0;
    State state_ = State::NoData;
    bool loading_ = false;
    QTimer poll_;
    double frameMs_ = 0;  // smoothed frame cost (setFrameCost)
    QFutureWatcher<std::shared_ptr<const nn::data::Split>> loader_;
    QString loadError_;
};

} // namespace views

Q_DECLARE_METATYPE(nn::EpochMetrics)
Q_DECLARE_METATYPE(nn::TrainResult)
