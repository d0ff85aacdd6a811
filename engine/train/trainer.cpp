#include "engine/train/trainer.h"

#include "engine/core/numbers.h"
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "engine/backend/kernel.h"
#include "engine/core/error.h"
#include "engine/perf/profiler.h"

namespace nn {

namespace {
using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// 0.03 or 1e+06 rather than std::to_string's 1000000.000000.
std::string shortNumber(double v)
{
    return num::general(v, 6);  // %g in the "C" locale whatever the GUI's is
}

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

bool finite(const Tensor& t) { return cpu::allFinite(t.data(), t.numel()); }

// The first batch norm layer that sees one value per channel of each sample ([N, C]
// features, or 1×1 images): a batch of one sample gives it one value per channel,
// which it normalises to 0, so it outputs β and passes no gradient back. Empty if none.
std::string singleValueBatchNorm(const Model& m)
{
    for (const auto& l : m.spec().layers) {
        if (l.type != "batchnorm") continue;
        const std::vector<int64_t> shape = m.layerShape(l.id);
        int64_t perChannel = 1;
        for (size_t d = 1; d < shape.size(); ++d) perChannel *= shape[d];
        if (perChannel == 1) return l.id;
    }
    return {};
}
} // namespace

const char* statusName(TrainStatus s)
{
    switch (s) {
    case TrainStatus::Running: return "running";
    case TrainStatus::Completed: return "completed";
    case TrainStatus::EarlyStopped: return "early_stopped";
    case TrainStatus::Diverged: return "diverged";
    case TrainStatus::Cancelled: return "cancelled";
    }
    return "?";
}

Trainer::Trainer(Model& model, const data::Split& data, const TrainConfig& config)
    : model_(model), data_(data), config_(config), rng_(config.seed ^ 0x5DEECE66Dull)
{
    if (config_.epochs < 1) throw Error("epochs must be at least 1, got " + std::to_string(config_.epochs));
    if (config_.batch < 1) throw Error("batch size must be at least 1, got " + std::to_string(config_.batch));
    if (!(config_.lr > 0.0f) || !std::isfinite(config_.lr))
        throw Error("learning rate must be a positive number, got " + num::shortest(config_.lr));
    if (data_.train.size() == 0) throw Error("the training set is empty");
    learningRate(config_.schedule, config_.lr, 0, config_.epochs);  // validates the schedule name
    optimizer_ = makeOptimizer(config_.optimizer);
    model_.initialize(config_.seed);
    for (auto& p : model_.parameters()) params_.push_back(p.value);
    order_.resize(data_.train.size());
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    epochSamples_ = order_.size();

    // Batch norm in training mode needs two values per channel (PyTorch: "Expected
    // more than 1 value per channel when training"). A batch size of 1 is refused;
    // a last batch of 1 is left out of each epoch (a different sample each time, as
    // the order is reshuffled), which costs one sample an epoch instead of a refusal.
    const std::string bn = singleValueBatchNorm(model_);
    const size_t n = order_.size(), batch = size_t(config_.batch);
    if (!bn.empty() && (batch == 1 || n == 1))
        throw Error("batch norm layer '" + bn + "' needs at least 2 samples in each training batch, but "
                    + (batch == 1 ? std::string("the batch size is 1")
                                  : std::string("the training set has only 1 sample"))
                    + ": with one it would output its beta and pass no gradient back; "
                    + (batch == 1 ? "use a batch size of 2 or more (e.g. --batch 32)"
                                  : "use more training data")
                    + ", or remove the batch norm layer");
    if (!bn.empty() && n % batch == 1) {
        epochSamples_ = n - 1;
        result_.notices.push_back("the training set has " + std::to_string(n) + " samples, so with batch size "
                                  + std::to_string(batch) + " each epoch's last batch would hold 1 sample, which "
                                  + "batch norm layer '" + bn + "' cannot train on; that batch is left out, so each "
                                  + "epoch trains on " + std::to_string(n - 1)
                                  + " samples (a different one is left out each epoch)");
    }
}

Trainer::~Trainer() = default;

Trainer::Slot& Trainer::slot(int batch, bool training)
{
    auto& s = slots_[{batch, training}];
    if (!s) {
        s = std::make_unique<Slot>();
        s->built = model_.build(batch, true);
        s->built.graph.setTraining(training);
        s->built.graph.seed(config_.seed + uint64_t(batch));
        if (training) s->built.graph.setProfiler(profiler_);
        // Before taking gradient addresses: the extension's nodes may move the graph's nodes.
        s->loss = training && extension_.extend ? extension_.extend(s->built) : s->built.loss;
        for (int id : s->built.params) s->grads.push_back(&s->built.graph.node(id).grad);
    }
    return *s;
}

void Trainer::setLossExtension(LossExtension extension)
{
    for (const auto& [key, slot] : slots_)
        if (key.second) throw Error("a trainer's loss can only be extended before its first step");
    extension_ = std::move(extension);
}

void Trainer::fill(Slot& s, const data::Dataset& d, const size_t* indices, int n)
{
    const size_t f = d.featureCount();
    float* x = s.built.graph.node(s.built.input).value.data();
    float* y = s.built.graph.node(s.built.labels).value.data();
    for (int i = 0; i < n; ++i) {
        std::copy_n(d.sample(indices[i]), f, x + size_t(i) * f);
        y[i] = float(d.labels[indices[i]]);
    }
}

int64_t Trainer::correct(const Slot& s, const data::Dataset& d, const size_t* indices, int n) const
{
    const Tensor& out = s.built.graph.node(s.built.output).value;
    const int64_t c = out.shape()[1];
    int64_t hits = 0;
    for (int i = 0; i < n; ++i) {
        const float* row = out.data() + i * c;
        const int64_t predicted = c == 1 ? (row[0] > 0.0f ? 1 : 0) : int64_t(std::max_element(row, row + c) - row);
        hits += predicted == d.labels[indices[i]];
    }
    return hits;
}

bool Trainer::step()
{
    if (finished()) return false;
    cpu::enableFlushToZero();  // per thread, and cheap: the worker may be any thread
    const auto stepStart = Clock::now();
    auto t0 = stepStart;  // the start of the current phase
    if (position_ == 0) {
        rng_.shuffle(order_);
        lossSum_ = 0;
        correct_ = seen_ = 0;
        lr_ = learningRate(config_.schedule, config_.lr, epoch_, config_.epochs);
    }
    const int n = int(std::min<size_t>(size_t(config_.batch), epochSamples_ - position_));
    const size_t built = slots_.size();
    Slot& s = slot(n, true);
    Graph& g = s.built.graph;
    if (profiler_ && slots_.size() != built) {  // a batch size seen for the first time: once per run
        profiler_->recordPhase("graph build", since(t0));
        t0 = Clock::now();
    }
    fill(s, data_.train, order_.data() + position_, n);
    if (extension_.fill) extension_.fill(s.built, order_.data() + position_, n);
    if (profiler_) profiler_->recordPhase("data", since(t0), 0, 8.0 * double(g.node(s.built.input).value.numel()));
    g.forward();
    const float loss = g.node(s.loss).value.item();
    // The model's outputs too, not only the loss: a loss can stay finite over NaN
    // scores (a max(0, ·) or a masked term), and the run would go on diverged.
    if (!std::isfinite(loss) || !finite(g.node(s.built.output).value)) {
        diverge(nonFiniteNode(g));
        return false;
    }
    g.backward(s.loss);
    lastSlot_ = &s;
    const auto t1 = profiler_ ? Clock::now() : Clock::time_point {};
    optimizer_->step(params_, s.grads, lr_);
    if (profiler_) {
        // Per parameter: Adam ~15 FLOPs over 7 floats (w, g, m, v read; w, m, v written).
        const double count = double(model_.parameterCount());
        const bool adam = config_.optimizer.kind == "adam", sgd = config_.optimizer.kind == "sgd";
        profiler_->recordPhase("optimizer." + config_.optimizer.kind, since(t1), count * (adam ? 15 : sgd ? 3 : 5),
                               count * 4 * (adam ? 7 : sgd ? 3 : 5));
    }
    if (afterUpdate) afterUpdate();
    if (!parametersFinite()) return false;
    const auto t2 = profiler_ ? Clock::now() : Clock::time_point {};
    ++result_.steps;
    lastLoss_ = loss;
    lossSum_ += double(loss) * n;
    correct_ += correct(s, data_.train, order_.data() + position_, n);
    if (profiler_) profiler_->recordPhase("metrics", since(t2));
    seen_ += n;
    samplesTrained_ += n;
    position_ += size_t(n);
    trainSeconds_ += std::chrono::duration<double>(Clock::now() - t0).count();
    if (profiler_) profiler_->recordStep(since(stepStart));
    if (recordStep) recordStep({result_.steps, epoch_, double(loss), lr_});
    if (onStep && config_.stepEventEvery > 0 && result_.steps % config_.stepEventEvery == 0)
        onStep({result_.steps, epoch_, double(loss), lr_});
    if (position_ >= epochSamples_) endEpoch();
    return !finished();
}

std::string Trainer::nonFiniteNode(const Graph& g) const
{
    const int bad = g.firstNonFinite();
    if (bad < 0) return "a value was NaN or inf";
    const Node& b = g.node(bad);
    if (b.op == OpKind::Variable) return "parameter '" + b.name + "' became NaN or inf in the previous update";
    if (b.op == OpKind::Input) return "the batch's '" + b.name + "' values hold NaN or inf";
    return "node " + g.describe(bad) + " was the first to produce NaN or inf";
}

void Trainer::diverge(const std::string& where)
{
    diverge("at epoch " + std::to_string(epoch_ + 1) + ", step " + std::to_string(result_.steps + 1), where);
}

void Trainer::diverge(const std::string& when, const std::string& where)
{
    finish(TrainStatus::Diverged, "training diverged " + when + ": " + where + "; lower the learning rate (now "
                                      + shortNumber(lr_) + ") or check the data for extreme values");
}

bool Trainer::parametersFinite()
{
    // One vectorised pass over the weights per step, cheaper than the update itself.
    // Caught here, a bad update is named at once, with what its gradient held.
    const auto& params = model_.parameters();
    for (size_t i = 0; i < params_.size(); ++i) {
        if (finite(params_[i])) continue;
        const bool gradBad = lastSlot_ && !finite(*lastSlot_->grads[i]);
        diverge("parameter '" + params[i].name + "' became NaN or inf in this step's update ("
                + (gradBad ? "its gradient held NaN or inf" : "its gradient was finite: the step was too large") + ")");
        return false;
    }
    for (const auto& b : model_.buffers())
        if (!finite(b.value)) {
            diverge("buffer '" + b.name + "' became NaN or inf in this step's forward pass");
            return false;
        }
    return true;
}

void Trainer::setProfiler(perf::Profiler* profiler)
{
    profiler_ = profiler;
    for (auto& [key, slot] : slots_)
        if (key.second) slot->built.graph.setProfiler(profiler);
}

void Trainer::run()
{
    while (step()) {
    }
}

void Trainer::endEpoch()
{
    position_ = 0;
    ++epoch_;
    EpochMetrics m;
    m.epoch = epoch_;
    m.trainLoss = lossSum_ / double(std::max<int64_t>(1, seen_));
    m.trainAccuracy = double(correct_) / double(std::max<int64_t>(1, seen_));
    m.valLoss = m.valAccuracy = kNaN;
    if (data_.validation.size()) {
        const Evaluation v = evaluate(data_.validation);
        m.valLoss = v.loss;
        m.valAccuracy = v.accuracy;
    }
    m.lr = lr_;
    m.steps = result_.steps;
    m.seconds = trainSeconds_;
    result_.epochs = epoch_;
    result_.last = m;
    if (data_.validation.size() && !std::isfinite(m.valLoss)) {
        // A NaN validation loss never compares lower: early stopping would quietly
        // keep an old epoch, and a NaN running statistic would go unnoticed.
        diverge("after epoch " + std::to_string(epoch_), "the validation loss is NaN or inf (" + evalNonFinite_ + ")");
        return;
    }

    // Early stopping's state is updated before the observers run, so a checkpoint
    // taken in recordEpoch holds this epoch's verdict (a branch from it stops where
    // this run does).
    bool stop = false;
    if (tracksBest()) {
        if (!best_.tracking || m.valLoss < best_.bestValLoss)
            rememberBest(m);
        else
            ++best_.sinceBest;
        stop = best_.sinceBest >= config_.patience;
        result_.bestEpoch = best_.bestEpoch;
    } else {
        result_.bestEpoch = epoch_;
    }
    if (onEpoch) onEpoch(m);
    if (recordEpoch) recordEpoch(m);
    if (stop)
        stopEarly();
    else if (epoch_ >= config_.epochs)
        finish(TrainStatus::Completed);
}

void Trainer::rememberBest(const EpochMetrics& m)
{
    best_.tracking = true;
    best_.bestValLoss = m.valLoss;
    best_.bestEpoch = m.epoch;
    best_.sinceBest = 0;
    best_.bestMetrics = m;
    // Fresh tensors, never the old ones overwritten: checkpoints may share them.
    best_.params = parameterSnapshot();
    best_.buffers.clear();
    for (const auto& b : model_.buffers()) best_.buffers.push_back(b.value.clone());
}

void Trainer::stopEarly()
{
    // The whole model state of the best epoch: parameters and buffers (batch norm's
    // running statistics), so evaluation and a saved model both see that epoch.
    for (size_t i = 0; i < params_.size(); ++i) params_[i].copyFrom(best_.params[i]);
    auto& buffers = model_.buffers();
    for (size_t i = 0; i < buffers.size(); ++i) buffers[i].value.copyFrom(best_.buffers[i]);
    result_.last = best_.bestMetrics;
    result_.bestEpoch = best_.bestEpoch;
    finish(TrainStatus::EarlyStopped, "validation loss did not improve for " + std::to_string(config_.patience)
                                          + " epochs; restored the weights of epoch "
                                          + std::to_string(best_.bestEpoch)
                                          + (buffers.empty() ? "" : " (batch norm statistics too)"));
}

Evaluation Trainer::evaluate(const data::Dataset& d)
{
    Evaluation e;
    std::vector<size_t> idx(d.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    double lossSum = 0;
    int64_t hits = 0;
    evalNonFinite_.clear();
    for (size_t pos = 0; pos < idx.size();) {
        const int n = int(std::min<size_t>(size_t(std::max(1, config_.evalBatch)), idx.size() - pos));
        Slot& s = slot(n, false);
        fill(s, d, idx.data() + pos, n);
        s.built.graph.forward();
        const float loss = s.built.graph.node(s.built.loss).value.item();
        if (!std::isfinite(loss) && evalNonFinite_.empty())
            evalNonFinite_ = "samples " + std::to_string(pos) + "-" + std::to_string(pos + size_t(n) - 1) + ": "
                             + nonFiniteNode(s.built.graph);
        lossSum += double(loss) * n;
        hits += correct(s, d, idx.data() + pos, n);
        pos += size_t(n);
    }
    e.samples = int64_t(d.size());
    e.loss = e.samples ? lossSum / double(e.samples) : kNaN;
    e.accuracy = e.samples ? double(hits) / double(e.samples) : kNaN;
    return e;
}

std::vector<Tensor> Trainer::parameterSnapshot() const
{
    std::vector<Tensor> out;
    for (const auto& p : params_) out.push_back(p.clone());
    return out;
}

std::vector<Tensor> Trainer::gradientSnapshot() const
{
    std::vector<Tensor> out;
    if (lastSlot_)
        for (const Tensor* g : lastSlot_->grads) out.push_back(g->clone());
    return out;
}

TrainerCheckpoint Trainer::checkpoint() const
{
    TrainerCheckpoint c;
    c.epochs = epoch_;
    c.steps = result_.steps;
    c.params = parameterSnapshot();
    for (const auto& b : model_.buffers()) c.buffers.push_back(b.value.clone());
    for (const auto& t : optimizer_->state()) c.optimizer.push_back(t.clone());
    c.earlyStop = best_;  // shares tensors that are never changed in place
    return c;
}

void Trainer::restore(const TrainerCheckpoint& c)
{
    if (result_.steps != 0 || position_ != 0 || epoch_ != 0)
        throw Error("a checkpoint can only be restored before the first training step");
    auto fits = [](const std::vector<Tensor>& have, const std::vector<Tensor>& from, const char* what) {
        if (have.size() != from.size())
            throw Error(std::string("the snapshot holds ") + std::to_string(from.size()) + " " + what + ", this model has "
                        + std::to_string(have.size()));
        for (size_t i = 0; i < have.size(); ++i)
            if (have[i].numel() != from[i].numel())
                throw Error(std::string("the snapshot's ") + what + " #" + std::to_string(i) + " has shape "
                            + from[i].shape().str() + ", this model's has " + have[i].shape().str());
    };
    fits(params_, c.params, "parameters");
    std::vector<Tensor> buffers;
    for (auto& b : model_.buffers()) buffers.push_back(b.value);
    fits(buffers, c.buffers, "buffers");
    if (c.earlyStop.tracking) {
        fits(params_, c.earlyStop.params, "best-epoch parameters");
        fits(buffers, c.earlyStop.buffers, "best-epoch buffers");
        if (c.earlyStop.bestEpoch < 1 || c.earlyStop.bestEpoch > c.epochs || c.earlyStop.sinceBest < 0)
            throw Error("the snapshot's early-stopping state names epoch " + std::to_string(c.earlyStop.bestEpoch)
                        + " as best, which is not one of its " + std::to_string(c.epochs) + " epochs");
    }
    if (c.epochs < 0 || c.steps < 0) throw Error("a checkpoint's epoch and step counts cannot be negative");
    if (c.epochs >= config_.epochs)
        throw Error("the snapshot was taken after epoch " + std::to_string(c.epochs) + ", so the run must train for more than "
                    + std::to_string(c.epochs) + " epochs (now " + std::to_string(config_.epochs) + ")");
    for (size_t i = 0; i < params_.size(); ++i) params_[i].copyFrom(c.params[i]);
    for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copyFrom(c.buffers[i]);
    if (!c.optimizer.empty()) {
        std::vector<Tensor> state;
        for (const auto& t : c.optimizer) state.push_back(t.clone());
        optimizer_->setState(state);
    }
    for (int e = 0; e < c.epochs; ++e) rng_.shuffle(order_);
    epoch_ = c.epochs;
    result_.epochs = c.epochs;
    result_.steps = c.steps;
    result_.bestEpoch = c.epochs;
    best_ = {};
    if (c.earlyStop.tracking && tracksBest()) {
        // Deep copies: the checkpoint's tensors may be shared with its owner.
        best_ = c.earlyStop;
        for (auto& t : best_.params) t = t.clone();
        for (auto& t : best_.buffers) t = t.clone();
        result_.bestEpoch = best_.bestEpoch;
        // The parent stopped at this very epoch (a larger patience goes on).
        if (best_.sinceBest >= config_.patience) stopEarly();
    }
}

void Trainer::cancel()
{
    if (!finished()) finish(TrainStatus::Cancelled, "cancelled by the user");
}

void Trainer::finish(TrainStatus status, std::string message)
{
    result_.status = status;
    result_.message = std::move(message);
    result_.seconds = trainSeconds_;
    result_.samplesPerSecond = trainSeconds_ > 0 ? double(samplesTrained_) / trainSeconds_ : 0;
    result_.testLoss = result_.testAccuracy = kNaN;
    if (status != TrainStatus::Diverged && data_.test.size()) {
        const Evaluation t = evaluate(data_.test);
        result_.testLoss = t.loss;
        result_.testAccuracy = t.accuracy;
    }
}

} // namespace nn
