#include "engine/train/schedule.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/core/error.h"

namespace nn {

float learningRate(const ScheduleConfig& s, float baseLr, int epoch, int totalEpochs)
{
    if (s.kind == "constant") return baseLr;
    if (s.kind == "step") {
        // PyTorch's StepLR: base · gamma^floor(epoch / step_size).
        if (s.stepEpochs < 1)
            throw Error("the step schedule needs at least 1 epoch per step, got " + std::to_string(s.stepEpochs));
        return baseLr * std::pow(s.gamma, float(epoch / s.stepEpochs));
    }
    if (s.kind == "cosine") {
        // PyTorch's CosineAnnealingLR with T_max = totalEpochs: epoch e trains at
        // min + (base - min)(1 + cos(π e / T))/2. The first epoch runs at the base
        // rate and the last one step above the floor; the floor itself belongs to
        // epoch T, which is never trained (3 epochs of 0.03: 0.03, 0.0225, 0.0075).
        const double t = double(epoch) / double(std::max(1, totalEpochs));
        return float(s.minLr + 0.5 * (double(baseLr) - s.minLr) * (1.0 + std::cos(3.141592653589793 * t)));
    }
    throw Error("unknown learning-rate schedule '" + s.kind + "' (known: constant, step, cosine)");
}

} // namespace nn
