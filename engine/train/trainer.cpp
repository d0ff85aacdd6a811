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
    const int n = int(std::min<size_t>(size_t(config_.batch), order_.size() - position_));
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
    if (!std::isfinite(loss)) {
        const int bad = g.firstNonFinite();
        const Node& b = g.node(bad);
        std::string where = b.op == OpKind::Variable
                                ? "parameter '" + b.name + "' became NaN or inf in the previous update"
                                : "node " + g.describe(bad) + " was the first to produce NaN or inf";
        finish(TrainStatus::Diverged, "training diverged at epoch " + std::to_string(epoch_ + 1) + ", step "
                                          + std::to_string(result_.steps + 1) + ": " + where
                                          + "; lower the learning rate (now " + shortNumber(lr_)
                                          + ") or check the data for extreme values");
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
    if (position_ >= order_.size()) endEpoch();
    return !finished();
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
    if (onEpoch) onEpoch(m);
    if (recordEpoch) recordEpoch(m);

    if (config_.patience > 0 && data_.validation.size()) {
        if (epoch_ == 1 || m.valLoss < bestValLoss_) {
            bestValLoss_ = m.valLoss;
            result_.bestEpoch = epoch_;
            sinceBest_ = 0;
            bestParams_.clear();
            for (const auto& p : params_) bestParams_.push_back(p.clone());
        } else if (++sinceBest_ >= config_.patience) {
            for (size_t i = 0; i < params_.size(); ++i) params_[i].copyFrom(bestParams_[i]);
            finish(TrainStatus::EarlyStopped, "validation loss did not improve for " + std::to_string(config_.patience)
                                                  + " epochs; restored the weights of epoch "
                                                  + std::to_string(result_.bestEpoch));
            return;
        }
    } else {
        result_.bestEpoch = epoch_;
    }
    if (epoch_ >= config_.epochs) finish(TrainStatus::Completed);
}

Evaluation Trainer::evaluate(const data::Dataset& d)
{
    Evaluation e;
    std::vector<size_t> idx(d.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    double lossSum = 0;
    int64_t hits = 0;
    for (size_t pos = 0; pos < idx.size();) {
        const int n = int(std::min<size_t>(size_t(std::max(1, config_.evalBatch)), idx.size() - pos));
        Slot& s = slot(n, false);
        fill(s, d, idx.data() + pos, n);
        s.built.graph.forward();
        lossSum += double(s.built.graph.node(s.built.loss).value.item()) * n;
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
    bestValLoss_ = std::numeric_limits<double>::infinity();
    bestParams_ = parameterSnapshot();
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
