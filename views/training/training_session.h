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
#include <deque>
#include <memory>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/train/training_worker.h"

namespace views {

// What a view needs to draw the current weights: a copy it may keep. Every panel
// labels what it shows with the snapshot's own epoch and step (weightsLabel), so
// when training is paused or over they all name the same weights.
struct Snapshot {
    int epoch = 0;     // epochs completed when the weights were taken
    int64_t step = 0;  // steps completed when the weights were taken
    // True for a run's final weights when early stopping put an earlier epoch's
    // weights back: epoch/step then name that epoch, not the run's last one.
    bool restored = false;
    std::vector<nn::Tensor> params;  // same order as Model::parameters()
    std::vector<nn::Tensor> grads;   // empty before the first step
    // The whole training state with these weights (batch norm buffers, optimizer
    // state); null for a fresh model's initial weights.
    std::shared_ptr<const nn::TrainerCheckpoint> state;
};

// "epoch 12 · step 340", or "initial weights" before the first step: the one
// wording every panel uses for which weights it shows.
QString weightsLabel(int epoch, qint64 step);

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
    // Uses `spec` for the next run; emits modelChanged(). A spec that does not fit
    // the loaded data is refused (errorOccurred() says why) and returns false: the
    // current model, its training and every view stay as they are.
    bool setModelSpec(const nn::ModelSpec& spec);
    bool setModelFile(const QString& path);
    // The spec file the model came from ("" for a spec given directly).
    QString modelPath() const { return modelPath_; }
    void setConfig(const nn::TrainConfig& config) { config_ = config; }
    const nn::TrainConfig& config() const { return config_; }

    // ---- run control -----------------------------------------------------------------
    void train();    // start, or resume when paused
    void pause();
    // One mini-batch (starts paused if idle). On a finished run it does nothing
    // and says so (notice()): the finished run's weights are kept; Reset starts again.
    void step();
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

    // A model with exactly the weights the views show (snapshot()), batch norm
    // statistics included: for saving, export and compression. After early
    // stopping these are the restored epoch's. Null when no model is set.
    std::unique_ptr<nn::Model> currentModel() const;
    // The whole state behind currentModel() (for the optimizer state a saved model
    // keeps); null for initial weights.
    std::shared_ptr<const nn::TrainerCheckpoint> modelState() const { return snapshot_.state; }
    // Epochs trained so far in this run, counting a branch's parent's (0 before
    // the first ends): what the progress bar shows.
    int epochsDone() const;

    // ---- rewind and branch --------------------------------------------------------------
    // The next run starts from `state` (taken after state->epochs epochs) instead of
    // the seed's initial weights, as a branch of run `parentId` at `parentStep`. The
    // model and data must already be the parent's; the config (a changed learning
    // rate, say) is read when training starts. Cleared by reset() and new set-up.
    // `parentHistory`: the parent's per-epoch metrics (its ancestors' too), of
    // which those up to the branch point are kept for the curves.
    void prepareBranch(std::shared_ptr<const nn::TrainerCheckpoint> state, qint64 parentId, qint64 parentStep,
                       std::vector<nn::EpochMetrics> parentHistory = {});
    // The parent's epochs up to the branch point (empty when not a branch).
    const std::vector<nn::EpochMetrics>& parentHistory() const { return parentHistory_; }
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
    // Something the user should read that is not an error (the status bar shows it).
    void notice(const QString& message);
    void progress(int done, int total);  // epochs
    // prepareBranch() set up a branch: the views show its starting point.
    void branchPrepared();

private:
    void setState(State s);
    void poll();
    void rebuildModel();
    void applySnapshot(Snapshot s);
    void ensureWorker(bool paused);
    Snapshot finalSnapshot(nn::TrainEvent& e) const;

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
    std::vector<nn::EpochMetrics> parentHistory_;
    // The last patience + 1 epochs' snapshots: early stopping restores one of them,
    // and the run's final state is then exactly that epoch's.
    std::deque<Snapshot> recent_;
    int runPatience_ = 0;
    QString modelPath_;
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
