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

// Everything a run needs to go on from the end of an epoch (rewind and branch):
// deep copies of the parameters, the model's buffers and the optimizer state.
struct TrainerCheckpoint {
    int epochs = 0;     // completed epochs
    int64_t steps = 0;  // completed steps
    std::vector<Tensor> params, buffers, optimizer;
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
    EpochMetrics last;
    int bestEpoch = 0;
    double testLoss = 0, testAccuracy = 0;  // NaN without a test set
    double seconds = 0;
    double samplesPerSecond = 0;
};

class Trainer {
public:
    // Initialises the model's weights from config.seed. Throws nn::Error for a bad
    // config (batch, epochs, lr, optimizer or schedule names).
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
    // same config the run goes on as the original did (dropout masks aside). An empty
    // `optimizer` starts the optimizer afresh (e.g. the branch changed optimizer).
    // Throws nn::Error when the checkpoint does not fit this model.
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
    size_t position_ = 0;
    int epoch_ = 0;
    float lr_ = 0;
    double lossSum_ = 0;
    int64_t correct_ = 0, seen_ = 0;
    double bestValLoss_ = 0;
    int sinceBest_ = 0;
    std::vector<Tensor> bestParams_;
    double trainSeconds_ = 0;
    int64_t samplesTrained_ = 0;
    double lastLoss_ = 0;
    const Slot* lastSlot_ = nullptr;
    TrainResult result_;
    perf::Profiler* profiler_ = nullptr;
};

} // namespace nn
