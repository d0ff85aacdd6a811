#pragma once
// Central-difference gradients of a scalar root with respect to every Variable,
// beside the analytic ones backward computed: the "numeric check" the stepper
// shows next to each leaf and `nnstudio-cli graph` prints.
#include <string>
#include <vector>

#include "engine/graph/graph.h"

namespace nn {

struct GradientCheck {
    int variable = -1;      // node id
    std::string name;
    Tensor analytic, numeric;
    double relativeError = 0;  // max over elements of |a-n| / max(|a|, |n|, 1e-6)
    bool pass() const { return relativeError < kTolerance; }
    static constexpr double kTolerance = 1e-2;  // f32 central differences
};

// Runs forward+backward from `root`, then perturbs each variable element by
// ±h (h = 1e-3 · max(1, |value|)). Leaves the graph as it found it (values
// restored, a final forward and backward run).
std::vector<GradientCheck> checkGradients(Graph& graph, int root);

} // namespace nn
