#pragma once
// Learning-rate schedules, evaluated per epoch, as PyTorch defines them (StepLR,
// CosineAnnealingLR with T_max = the number of epochs).
#include <string>

namespace nn {

struct ScheduleConfig {
    std::string kind = "constant";  // constant, step, cosine
    int stepEpochs = 10;            // step: multiply by gamma every stepEpochs epochs
    float gamma = 0.1f;
    float minLr = 0.0f;             // cosine: the floor (eta_min), approached after the last epoch
};

// Learning rate for 0-based `epoch` of `totalEpochs`. Throws nn::Error for an
// unknown kind or a step schedule of fewer than 1 epoch per step.
float learningRate(const ScheduleConfig& s, float baseLr, int epoch, int totalEpochs);

} // namespace nn
