#include "engine/compress/distill.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "engine/backend/kernel.h"
#include "engine/core/error.h"
#include "engine/io/inference.h"

namespace nn::compress {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

OpAttrs scalarAttr(float s)
{
    OpAttrs a;
    a.scalar = s;
    return a;
}

void checkSettings(float temperature, float alpha)
{
    if (!(temperature > 0.0f) || !std::isfinite(temperature))
        throw Error("distillation temperature must be a positive number, got " + std::to_string(temperature));
    if (!(alpha >= 0.0f && alpha <= 1.0f))
        throw Error("distillation alpha (weight of the soft targets) must be in [0, 1], got " + std::to_string(alpha));
}

} // namespace

std::vector<float> softTargets(const float* logits, size_t rows, int classes, float temperature)
{
    checkSettings(temperature, 0.0f);
    std::vector<float> p(rows * size_t(classes));
    for (size_t r = 0; r < rows; ++r) {
        const float* z = logits + r * size_t(classes);
        float* out = p.data() + r * size_t(classes);
        const float top = *std::max_element(z, z + classes);
        double sum = 0;
        for (int c = 0; c < classes; ++c) sum += out[c] = float(std::exp(double(z[c] - top) / double(temperature)));
        for (int c = 0; c < classes; ++c) out[c] = float(double(out[c]) / sum);
    }
    return p;
}

DistillGraph buildDistillGraph(const Model& student, int batch, float temperature, float alpha)
{
    checkSettings(temperature, alpha);
    if (student.spec().loss != "softmax_cross_entropy")
        throw Error("distillation needs a student whose loss is softmax_cross_entropy; model '" + student.spec().name
                    + "' has '" + student.spec().loss + "'");
    DistillGraph d;
    d.built = student.build(batch, true);
    Graph& g = d.built.graph;
    const int classes = student.outputs();
    const Shape bc {batch, classes};
    d.teacherProbs = g.addInput("teacher_probs", bc);
    d.teacherLogProbs = g.addInput("teacher_log_probs", bc);
    // KL(p ‖ q) = Σ p (log p − log q), q = softmax(z_s / T), summed over the batch.
    const int scaled = g.apply(OpKind::MulScalar, {d.built.output}, scalarAttr(1.0f / temperature), "distill.logits_over_t");
    const int logQ = g.apply(OpKind::LogSoftmax, {scaled}, {}, "distill.log_q");
    const int diff = g.apply(OpKind::Sub, {d.teacherLogProbs, logQ}, {}, "distill.log_p_minus_log_q");
    const int kl = g.apply(OpKind::Mul, {d.teacherProbs, diff}, {}, "distill.kl_terms");
    const int klSum = g.apply(OpKind::Sum, {kl}, {}, "distill.kl_sum");
    d.soft = g.apply(OpKind::MulScalar, {klSum}, scalarAttr(alpha * temperature * temperature / float(batch)),
                     "distill.soft");
    d.hard = g.apply(OpKind::MulScalar, {d.built.loss}, scalarAttr(1.0f - alpha), "distill.hard");
    d.loss = g.apply(OpKind::Add, {d.soft, d.hard}, {}, "distill.loss");
    return d;
}

void setTeacherTargets(DistillGraph& d, const float* probs)
{
    Tensor& p = d.built.graph.node(d.teacherProbs).value;
    Tensor& logP = d.built.graph.node(d.teacherLogProbs).value;
    for (int64_t i = 0; i < p.numel(); ++i) {
        p[i] = probs[i];
        logP[i] = probs[i] > 0.0f ? std::log(probs[i]) : 0.0f;  // p · log p → 0 as p → 0
    }
}

Distiller::Distiller(Model& student, const Model& teacher, const data::Split& data, const DistillConfig& config)
    : student_(student), data_(data), config_(config), rng_(config.train.seed ^ 0x5DEECE66Dull)
{
    checkSettings(config_.temperature, config_.alpha);
    const TrainConfig& tc = config_.train;
    if (tc.epochs < 1) throw Error("epochs must be at least 1, got " + std::to_string(tc.epochs));
    if (tc.batch < 1) throw Error("batch size must be at least 1, got " + std::to_string(tc.batch));
    if (!(tc.lr > 0.0f) || !std::isfinite(tc.lr))
        throw Error("learning rate must be a positive number, got " + std::to_string(tc.lr));
    if (data_.train.size() == 0) throw Error("the training set is empty");
    const size_t features = data_.train.featureCount();
    if (size_t(Shape(teacher.inputShape()).numel()) != features)
        throw Error("teacher '" + teacher.spec().name + "' takes " + Shape(teacher.inputShape()).str()
                    + " but data set '" + data_.train.name + "' has " + std::to_string(features)
                    + " features per sample; train the teacher on this data set");
    if (teacher.outputs() != student.outputs())
        throw Error("teacher '" + teacher.spec().name + "' has " + std::to_string(teacher.outputs())
                    + " outputs but student '" + student.spec().name + "' has " + std::to_string(student.outputs())
                    + "; both must score the same classes");
    if (teacher.outputs() < 2)
        throw Error("distillation needs at least 2 classes; teacher '" + teacher.spec().name + "' has one output");
    buildDistillGraph(student, 1, config_.temperature, config_.alpha);  // checks the student's loss up front
    classes_ = student.outputs();
    learningRate(tc.schedule, tc.lr, 0, tc.epochs);  // validates the schedule name
    optimizer_ = makeOptimizer(tc.optimizer);
    const std::vector<float> logits = io::predictRows(teacher, data_.train.features.data(), data_.train.size(), 500);
    soft_ = softTargets(logits.data(), data_.train.size(), classes_, config_.temperature);
    if (data_.test.size()) result_.teacherTestAccuracy = io::evaluateModel(teacher, data_.test).accuracy;
    else result_.teacherTestAccuracy = kNaN;
    student_.initialize(tc.seed);
    for (auto& p : student_.parameters()) params_.push_back(p.value);
    order_.resize(data_.train.size());
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
}

Distiller::~Distiller() = default;

DistillGraph& Distiller::graph(int batch)
{
    for (auto& [n, g] : graphs_)
        if (n == batch) return *g;
    auto g = std::make_unique<DistillGraph>(buildDistillGraph(student_, batch, config_.temperature, config_.alpha));
    g->built.graph.setTraining(true);
    g->built.graph.seed(config_.train.seed + uint64_t(batch));
    graphs_.emplace_back(batch, std::move(g));
    return *graphs_.back().second;
}

bool Distiller::step()
{
    if (finished()) return false;
    cpu::enableFlushToZero();
    const auto t0 = std::chrono::steady_clock::now();
    const TrainConfig& tc = config_.train;
    if (position_ == 0) {
        rng_.shuffle(order_);
        lossSum_ = 0;
        correct_ = seen_ = 0;
        lr_ = learningRate(tc.schedule, tc.lr, epoch_, tc.epochs);
    }
    const int n = int(std::min<size_t>(size_t(tc.batch), order_.size() - position_));
    DistillGraph& d = graph(n);
    Graph& g = d.built.graph;
    const data::Dataset& train = data_.train;
    const size_t f = train.featureCount(), c = size_t(classes_);
    float* x = g.node(d.built.input).value.data();
    float* y = g.node(d.built.labels).value.data();
    batchProbs_.resize(size_t(n) * c);
    for (int i = 0; i < n; ++i) {
        const size_t s = order_[position_ + size_t(i)];
        std::copy_n(train.sample(s), f, x + size_t(i) * f);
        y[i] = float(train.labels[s]);
        std::copy_n(soft_.data() + s * c, c, batchProbs_.data() + size_t(i) * c);
    }
    setTeacherTargets(d, batchProbs_.data());
    g.forward();
    const float loss = g.node(d.loss).value.item();
    if (!std::isfinite(loss)) {
        const int bad = g.firstNonFinite();
        finish(TrainStatus::Diverged, "distillation diverged at epoch " + std::to_string(epoch_ + 1) + ", step "
                                          + std::to_string(result_.steps + 1) + ": node " + g.describe(bad)
                                          + " was the first to produce NaN or inf; lower the learning rate");
        return false;
    }
    g.backward(d.loss);
    std::vector<const Tensor*> grads;
    for (int id : d.built.params) grads.push_back(&g.node(id).grad);
    optimizer_->step(params_, grads, lr_);
    ++result_.steps;
    lastLoss_ = loss;
    lossSum_ += double(loss) * n;
    const float* out = g.node(d.built.output).value.data();
    for (int i = 0; i < n; ++i)
        correct_ += io::predictedClass(out + size_t(i) * c, classes_) == train.labels[order_[position_ + size_t(i)]];
    seen_ += n;
    position_ += size_t(n);
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (position_ >= order_.size()) endEpoch();
    return !finished();
}

void Distiller::run()
{
    while (step()) {
    }
}

void Distiller::endEpoch()
{
    position_ = 0;
    ++epoch_;
    EpochMetrics m;
    m.epoch = epoch_;
    m.trainLoss = lossSum_ / double(std::max<int64_t>(1, seen_));
    m.trainAccuracy = double(correct_) / double(std::max<int64_t>(1, seen_));
    m.valLoss = m.valAccuracy = kNaN;
    if (data_.validation.size()) {
        const io::EvalResult v = io::evaluateModel(student_, data_.validation, config_.train.evalBatch);
        m.valLoss = v.loss;
        m.valAccuracy = v.accuracy;
    }
    m.lr = lr_;
    m.steps = result_.steps;
    m.seconds = seconds_;
    result_.epochs = epoch_;
    result_.last = m;
    if (onEpoch) onEpoch(m);
    if (epoch_ >= config_.train.epochs) finish(TrainStatus::Completed);
}

void Distiller::finish(TrainStatus status, std::string message)
{
    result_.status = status;
    result_.message = std::move(message);
    result_.seconds = seconds_;
    result_.testLoss = result_.testAccuracy = kNaN;
    if (status != TrainStatus::Diverged && data_.test.size()) {
        const io::EvalResult t = io::evaluateModel(student_, data_.test, config_.train.evalBatch);
        result_.testLoss = t.loss;
        result_.testAccuracy = t.accuracy;
    }
}

} // namespace nn::compress
