#pragma once
// Knowledge distillation (Hinton, Vinyals, Dean 2015): a small student learns from
// a trained teacher's soft labels. At temperature T the teacher's probabilities
// p = softmax(z_t / T) keep its "dark knowledge" (a shirt looks more like a
// T-shirt than like a boot); the student minimises
//     L = α · T² · KL(p ‖ softmax(z_s / T)) + (1 − α) · CE(softmax(z_s), labels)
// averaged over the batch. T² keeps the soft term's gradient, α·T·(q − p)/B at the
// logits, on the scale of the hard one as T grows.
//
// The loss is composed from the engine's primitive ops on the student's graph
// (scale, log-softmax, subtract, multiply, sum, add), so backward needs nothing
// new, the stepper can walk it, and its gradient is checked by finite differences
// like every op. The teacher's probabilities and their logarithms enter as two
// data inputs filled per batch.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/train/trainer.h"

namespace nn::compress {

// softmax(z / T) of each row of `rows` × `classes` logits.
std::vector<float> softTargets(const float* logits, size_t rows, int classes, float temperature);

// The student's graph with the distillation loss on top. `built.loss` stays the
// plain cross-entropy (the hard term); `loss` is the whole distillation loss.
struct DistillGraph {
    BuiltGraph built;
    int teacherProbs = -1;     // input [B, C]: softmax(z_t / T)
    int teacherLogProbs = -1;  // input [B, C]: log of the same (0 · log 0 taken as 0)
    int soft = -1;             // α · T² · KL, scalar
    int hard = -1;             // (1 − α) · CE, scalar
    int loss = -1;             // soft + hard
};
// Throws nn::Error when the student's loss is not softmax cross-entropy, or for
// T <= 0 or α outside [0, 1].
DistillGraph buildDistillGraph(const Model& student, int batch, float temperature, float alpha);
// Fills the two teacher inputs of `g` from `probs` (B × C soft targets).
void setTeacherTargets(DistillGraph& g, const float* probs);

struct DistillConfig {
    float temperature = 4.0f;
    float alpha = 0.9f;  // weight of the soft term; 0 = plain training on hard labels
    TrainConfig train;   // epochs, batch, lr, optimizer, schedule, seed
};

struct DistillResult {
    TrainStatus status = TrainStatus::Running;
    std::string message;
    int epochs = 0;
    int64_t steps = 0;
    EpochMetrics last;  // trainLoss is the distillation loss; val accuracy/loss plain CE
    double testLoss = 0, testAccuracy = 0;  // NaN without a test set
    double teacherTestAccuracy = 0;
    double seconds = 0;
};

// Trains `student` (initialised from config.train.seed) on data.train with the
// teacher's soft targets, computed once for every training sample. The teacher is
// only read. Validation and test are evaluated with plain cross-entropy; early
// stopping (TrainConfig::patience) is not applied here. The training loop is a
// Trainer's, with the distillation loss as its LossExtension. Throws
// nn::Error when teacher, student and data disagree on inputs or classes.
class Distiller {
public:
    Distiller(Model& student, const Model& teacher, const data::Split& data, const DistillConfig& config);
    ~Distiller();

    bool step();  // one mini-batch; false once training is over
    void run();
    bool finished() const { return result_.status != TrainStatus::Running; }
    const DistillResult& result() const { return result_; }
    double lastLoss() const;

    std::function<void(const EpochMetrics&)> onEpoch;

private:
    // A training graph's teacher inputs (the trainer builds one graph per batch size).
    struct TeacherInputs {
        const Graph* graph;
        int probs, logProbs;
    };

    const data::Split& data_;
    DistillConfig config_;
    std::vector<float> soft_;  // train.size() × classes
    int classes_ = 0;
    std::vector<TeacherInputs> teacherInputs_;
    std::vector<float> batchProbs_;
    std::unique_ptr<Trainer> trainer_;  // the training loop, on the distillation loss
    DistillResult result_;
};

} // namespace nn::compress
