#include "engine/train/schedule.h"

#include <algorithm>
#include <cmath>

#include "engine/core/error.h"

namespace nn {

float learningRate(const ScheduleConfig& s, float baseLr, int epoch, int totalEpochs)
{
    if (s.kind == "constant") return baseLr;
    if (s.kind == "step") return baseLr * std::pow(s.gamma, float(epoch / std::max(1, s.stepEpochs)));
    if (s.kind == "cosine") {
        const double t = totalEpochs > 1 ? double(epoch) / double(totalEpochs - 1) : 1.0;
        return float(s.minLr + 0.5 * (baseLr - s.minLr) * (1.0 + std::cos(3.141592653589793 * t)));
    }
    throw Error("unknown learning-rate schedule '" + s.kind + "' (known: constant, step, cosine)");
}

} // namespace nn
