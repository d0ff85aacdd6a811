#include "engine/compress/distill.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/core/error.h"
#include "engine/core/numbers.h"
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
        throw Error("distillation temperature must be a positive number, got " + num::shortest(temperature));
    if (!(alpha >= 0.0f && alpha <= 1.0f))
        throw Error("distillation alpha (weight of the soft targets) must be in [0, 1], got " + num::shortest(alpha));
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

namespace {

// The distillation terms added on top of a built student graph (see DistillGraph).
struct DistillNodes {
    int teacherProbs = -1, teacherLogProbs = -1, soft = -1, hard = -1, loss = -1;
};

DistillNodes addDistillLoss(BuiltGraph& built, int classes, float temperature, float alpha)
{
    Graph& g = built.graph;
    const int64_t batch = g.node(built.labels).value.shape()[0];
    const Shape bc {batch, classes};
    DistillNodes d;
    d.teacherProbs = g.addInput("teacher_probs", bc);
    d.teacherLogProbs = g.addInput("teacher_log_probs", bc);
    // KL(p ‖ q) = Σ p (log p − log q), q = softmax(z_s / T), summed over the batch.
    const int scaled = g.apply(OpKind::MulScalar, {built.output}, scalarAttr(1.0f / temperature), "distill.logits_over_t");
    const int logQ = g.apply(OpKind::LogSoftmax, {scaled}, {}, "distill.log_q");
    const int diff = g.apply(OpKind::Sub, {d.teacherLogProbs, logQ}, {}, "distill.log_p_minus_log_q");
    const int kl = g.apply(OpKind::Mul, {d.teacherProbs, diff}, {}, "distill.kl_terms");
    const int klSum = g.apply(OpKind::Sum, {kl}, {}, "distill.kl_sum");
    d.soft = g.apply(OpKind::MulScalar, {klSum}, scalarAttr(alpha * temperature * temperature / float(batch)),
                     "distill.soft");
    d.hard = g.apply(OpKind::MulScalar, {built.loss}, scalarAttr(1.0f - alpha), "distill.hard");
    d.loss = g.apply(OpKind::Add, {d.soft, d.hard}, {}, "distill.loss");
    return d;
}

void checkStudentLoss(const Model& student)
{
    if (student.spec().loss != "softmax_cross_entropy")
        throw Error("distillation needs a student whose loss is softmax_cross_entropy; model '" + student.spec().name
                    + "' has '" + student.spec().loss + "'");
}

// The teacher inputs for one batch: its probabilities and their logarithms.
void setTeacherInputs(Graph& g, int probsNode, int logProbsNode, const float* probs)
{
    Tensor& p = g.node(probsNode).value;
    Tensor& logP = g.node(logProbsNode).value;
    for (int64_t i = 0; i < p.numel(); ++i) {
        p[i] = probs[i];
        logP[i] = probs[i] > 0.0f ? std::log(probs[i]) : 0.0f;  // p · log p → 0 as p → 0
    }
}

} // namespace

DistillGraph buildDistillGraph(const Model& student, int batch, float temperature, float alpha)
{
    checkSettings(temperature, alpha);
    checkStudentLoss(student);
    DistillGraph d;
    d.built = student.build(batch, true);
    const DistillNodes n = addDistillLoss(d.built, student.outputs(), temperature, alpha);
    d.teacherProbs = n.teacherProbs;
    d.teacherLogProbs = n.teacherLogProbs;
    d.soft = n.soft;
    d.hard = n.hard;
    d.loss = n.loss;
    return d;
}

void setTeacherTargets(DistillGraph& d, const float* probs)
{
    setTeacherInputs(d.built.graph, d.teacherProbs, d.teacherLogProbs, probs);
}

Distiller::Distiller(Model& student, const Model& teacher, const data::Split& data, const DistillConfig& config)
    : data_(data), config_(config)
{
    checkSettings(config_.temperature, config_.alpha);
    checkStudentLoss(student);
    config_.train.patience = 0;  // early stopping is not applied to distillation (see the header)
    trainer_ = std::make_unique<Trainer>(student, data_, config_.train);  // checks the settings, initialises the student
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
    classes_ = student.outputs();
    const std::vector<float> logits = io::predictRows(teacher, data_.train.features.data(), data_.train.size(), 500);
    soft_ = softTargets(logits.data(), data_.train.size(), classes_, config_.temperature);
    result_.teacherTestAccuracy = data_.test.size() ? io::evaluateModel(teacher, data_.test).accuracy : kNaN;

    // The trainer's graphs get the distillation loss; their node ids are kept per
    // graph (one graph per batch size).
    LossExtension e;
    e.extend = [this](BuiltGraph& built) {
        const DistillNodes n = addDistillLoss(built, classes_, config_.temperature, config_.alpha);
        teacherInputs_.push_back({&built.graph, n.teacherProbs, n.teacherLogProbs});
        return n.loss;
    };
    e.fill = [this](BuiltGraph& built, const size_t* indices, int n) {
        const size_t c = size_t(classes_);
        batchProbs_.resize(size_t(n) * c);
        for (int i = 0; i < n; ++i) std::copy_n(soft_.data() + indices[i] * c, c, batchProbs_.data() + size_t(i) * c);
        for (const TeacherInputs& t : teacherInputs_)
            if (t.graph == &built.graph) setTeacherInputs(built.graph, t.probs, t.logProbs, batchProbs_.data());
    };
    trainer_->setLossExtension(std::move(e));
    trainer_->onEpoch = [this](const EpochMetrics& m) {
        if (onEpoch) onEpoch(m);
    };
}

Distiller::~Distiller() = default;

bool Distiller::step()
{
    const bool more = trainer_->step();
    const TrainResult& t = trainer_->result();
    result_.status = t.status;
    result_.message = t.message;
    result_.epochs = t.epochs;
    result_.steps = t.steps;
    result_.last = t.last;
    result_.testLoss = t.testLoss;
    result_.testAccuracy = t.testAccuracy;
    result_.seconds = t.seconds;
    return more;
}

void Distiller::run()
{
    while (step()) {
    }
}

double Distiller::lastLoss() const { return trainer_->lastLoss(); }

} // namespace nn::compress
