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
    // Max over elements of |a-n| / max(|a|, |n|, floor), with floor = 1% of the
    // tensor's largest analytic gradient (at least 1e-6): float32 differences
    // carry an absolute error of ~1e-5, which would fail every tiny element of a
    // weight matrix if each were judged on its own.
    double relativeError = 0;
    double floor = 1e-6;
    int64_t worst = 0;  // the element with that error
    double elementError(int64_t i) const;
    bool pass() const { return relativeError < kTolerance; }
    static constexpr double kTolerance = 1e-2;  // f32 central differences
};

// Runs forward+backward from `root`, then perturbs each variable element by
// ±h (h = 1e-2 · max(1, |value|)). Leaves the graph as it found it (values
// restored, a final forward and backward run).
std::vector<GradientCheck> checkGradients(Graph& graph, int root);

} // namespace nn
