#pragma once
// Trainer: mini-batch training of a Model on a data split, one step at a time, so
// a worker thread can pause, single-step and cancel between steps. Everything is
// seeded: the same config and seed give the same numbers.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/train/optimizer.h"
#include "engine/train/schedule.h"

namespace nn {

namespace perf {
class Profiler;
}

struct TrainConfig {
    int epochs = 10;
    int batch = 32;
    float lr = 0.01f;
    OptimizerConfig optimizer;
    ScheduleConfig schedule;
    uint64_t seed = 1;     // initial weights, shuffling and dropout
    int patience = 0;      // early stop after this many epochs without a better validation loss; 0 = off
    int evalBatch = 1000;  // chunk size for evaluation passes
    int stepEventEvery = 10;  // report every Nth step's loss (0 = never)
};

struct StepMetrics {
    int64_t step = 0;  // 1-based, over the whole run
    int epoch = 0;     // 0-based
    double loss = 0;
    float lr = 0;
};

struct EpochMetrics {
    int epoch = 0;  // 1-based number of epochs completed
    double trainLoss = 0, trainAccuracy = 0;
    double valLoss = 0, valAccuracy = 0;  // NaN without a validation set
    float lr = 0;
    int64_t steps = 0;
    double seconds = 0;  // training time so far (evaluation excluded)
};

struct Evaluation {
    double loss = 0, accuracy = 0;
    int64_t samples = 0;
};

// Early stopping's memory: the best validation loss so far, the epoch that had it,
// the epochs since, and that epoch's whole model state (parameters and buffers such
// as batch norm's running statistics) and metrics. Tensors are never changed in
// place once stored here (a better epoch replaces them), so copies of this struct
// may share them across threads.
struct EarlyStopState {
    bool tracking = false;  // false before the first validated epoch, or with patience off
    double bestValLoss = 0;
    int bestEpoch = 0;      // 1-based
    int sinceBest = 0;      // epochs since bestEpoch
    EpochMetrics bestMetrics;
    std::vector<Tensor> params, buffers;
};

// Everything a run needs to go on from the end of an epoch (rewind and branch):
// deep copies of the parameters, the model's buffers and the optimizer state, and
// early stopping's state, so a branch stops where its parent would have.
struct TrainerCheckpoint {
    int epochs = 0;     // completed epochs
    int64_t steps = 0;  // completed steps
    std::vector<Tensor> params, buffers, optimizer;
    EarlyStopState earlyStop;
};

// A training objective on top of the model's own loss (distillation's soft
// targets): `extend` adds nodes to each training graph as it is built and returns
// the node to minimise; `fill` sets the nodes' extra inputs for the batch's
// training samples. Evaluation (validation, test) keeps the model's own loss.
struct LossExtension {
    std::function<int(BuiltGraph& built)> extend;
    std::function<void(BuiltGraph& built, const size_t* trainIndices, int n)> fill;
};

enum class TrainStatus { Running, Completed, EarlyStopped, Diverged, Cancelled };
const char* statusName(TrainStatus s);

struct TrainResult {
    TrainStatus status = TrainStatus::Running;
    std::string message;  // why it stopped, for Diverged/EarlyStopped
    int epochs = 0;       // completed epochs
    int64_t steps = 0;
    // The metrics of the epoch whose weights the model ends with: the last epoch's,
    // or after early stopping the restored best epoch's (then last.epoch == bestEpoch
    // while `epochs` counts every epoch trained).
    EpochMetrics last;
    int bestEpoch = 0;
    // Things the run did differently from what was asked, said once (e.g. a final
    // batch of one sample left out for batch norm). Set when the trainer is made.
    std::vector<std::string> notices;
    double testLoss = 0, testAccuracy = 0;  // NaN without a test set
    double seconds = 0;
    double samplesPerSecond = 0;
};

class Trainer {
public:
    // Initialises the model's weights from config.seed. Throws nn::Error for a bad
    // config (batch, epochs, lr, optimizer or schedule names), and for a batch of 1
    // when a batch norm layer would see one value per channel (PyTorch refuses it
    // too: the layer would output β and pass no gradient). When only the last batch
    // of each epoch would hold one sample, that batch is left out instead (like
    // PyTorch's drop_last, but only that case), and result().notices says so.
    Trainer(Model& model, const data::Split& data, const TrainConfig& config);
    ~Trainer();

    // One mini-batch (forward, loss, backward, update); an epoch's end also runs
    // validation. Returns false once training is over.
    bool step();
    void run();  // step() until over
    bool finished() const { return result_.status != TrainStatus::Running; }
    void cancel();  // ends the run as Cancelled (test set still evaluated)
    const TrainResult& result() const { return result_; }
    double lastLoss() const { return lastLoss_; }  // loss of the most recent step

    Evaluation evaluate(const data::Dataset& d);
    // Deep copies, safe to hand to another thread: the parameters now, and the
    // gradients of the most recent training step (empty before the first step).
    std::vector<Tensor> parameterSnapshot() const;
    std::vector<Tensor> gradientSnapshot() const;
    const TrainConfig& config() const { return config_; }
    Model& model() { return model_; }

    // Rewind and branch. checkpoint() deep-copies the state at an epoch boundary (or
    // before the first step). restore() puts one into a fresh trainer, before its
    // first step, and replays the data shuffles of the completed epochs, so with the
    // same config the run goes on as the original did (dropout masks aside),
    // early stopping included: the best epoch, its loss, the epochs since and its
    // weights come back, so the branch stops where the parent did (at once, when the
    // checkpoint is the parent's stopping epoch). An empty `optimizer` starts the
    // optimizer afresh (e.g. the branch changed optimizer); a checkpoint without
    // early-stopping state starts tracking anew. Throws nn::Error when the
    // checkpoint does not fit this model.
    TrainerCheckpoint checkpoint() const;
    void restore(const TrainerCheckpoint& c);

    // One more observer of every step and of every epoch's end, on the training
    // thread (onStep/onEpoch belong to the TrainingWorker): for a run store. They
    // must not block; recordEpoch may call checkpoint().
    std::function<void(const StepMetrics&)> recordStep;
    std::function<void(const EpochMetrics&)> recordEpoch;

    // Times every kernel of the training graphs, the batch copy, the metrics and the
    // optimizer update into `profiler` (not owned; nullptr = off, the default).
    // Evaluation passes are not profiled.
    void setProfiler(perf::Profiler* profiler);

    // Trains on `extension`'s objective instead of the model's loss. Call before
    // the first step (training graphs are built on first use).
    void setLossExtension(LossExtension extension);

    std::function<void(const StepMetrics&)> onStep;
    std::function<void(const EpochMetrics&)> onEpoch;
    // Called on the training thread right after each optimizer update, before the
    // step's metrics: e.g. compress::applyMasks keeps pruned weights exactly zero.
    std::function<void()> afterUpdate;

private:
    struct Slot {
        BuiltGraph built;
        int loss = -1;  // the node training minimises: built.loss, or the extension's
        std::vector<const Tensor*> grads;
    };
    Slot& slot(int batch, bool training);
    void fill(Slot& s, const data::Dataset& d, const size_t* indices, int n);
    int64_t correct(const Slot& s, const data::Dataset& d, const size_t* indices, int n) const;
    void endEpoch();
    bool tracksBest() const { return config_.patience > 0 && data_.validation.size() > 0; }
    void rememberBest(const EpochMetrics& m);
    void stopEarly();
    // Ends the run as Diverged, naming where (the node or parameter) and when (the
    // step being trained, unless given).
    void diverge(const std::string& where);
    void diverge(const std::string& when, const std::string& where);
    std::string nonFiniteNode(const Graph& g) const;  // the first node holding NaN/inf, in words
    bool parametersFinite();  // after an update: parameters and buffers, else diverge()
    void finish(TrainStatus status, std::string message = {});

    Model& model_;
    const data::Split& data_;
    TrainConfig config_;
    std::unique_ptr<Optimizer> optimizer_;
    LossExtension extension_;
    std::vector<Tensor> params_;
    std::map<std::pair<int, bool>, std::unique_ptr<Slot>> slots_;
    Rng rng_;
    std::vector<size_t> order_;
    size_t epochSamples_ = 0;  // samples trained per epoch: order_.size(), less a dropped final batch of 1
    size_t position_ = 0;
    int epoch_ = 0;
    float lr_ = 0;
    double lossSum_ = 0;
    int64_t correct_ = 0, seen_ = 0;
    EarlyStopState best_;
    std::string evalNonFinite_;  // where the last evaluate() first met a NaN/inf loss, or empty
    double trainSeconds_ = 0;
    int64_t samplesTrained_ = 0;
    double lastLoss_ = 0;
    const Slot* lastSlot_ = nullptr;
    TrainResult result_;
    perf::Profiler* profiler_ = nullptr;
};

} // namespace nn
