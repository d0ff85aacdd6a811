#pragma once
// Numeric gradients of a scalar root with respect to every Variable, beside the
// analytic ones backward computed: the "numeric check" the stepper shows next to
// each leaf and `nnstudio-cli graph` prints.
//
// The estimate must be more accurate than what it checks, or it blames backprop
// for its own error (a float32 central difference of a 30-term tanh sum is off by
// 1.3% where backprop is off by 0.04%). So:
//   - f is re-evaluated in double precision (DoubleForward);
//   - each element gets its own step, h = 1e-3 · max(1, |x|) (1e-2 when some op
//     only has a float32 kernel), and the central differences at h and h/2 are
//     combined by Richardson extrapolation, (4·D(h/2) − D(h)) / 3, which cancels
//     the h² term of the truncation error;
//   - each estimate carries an error bound: the Richardson correction
//     |D(h/2) − D(h)| / 3 (the size of the truncation error it removed) plus the
//     rounding of the evaluation, divided by h.
// A gradient passes when it agrees with the estimate within kTolerance of its
// size plus that bound; when the bound alone exceeds the tolerance (a kink such
// as relu at 0 inside the step) the estimate cannot judge, and the check says so
// instead of failing.
#include <string>
#include <vector>

#include "engine/graph/graph.h"

namespace nn {

struct GradientCheck {
    int variable = -1;  // node id
    std::string name;
    Tensor analytic, numeric;
    std::vector<double> bound;  // per element: |numeric − true derivative| ≤ bound (estimated)
    std::vector<int64_t> checked;  // the elements estimated (all, unless a limit was given)
    // Max over elements of |a-n| / max(|a|, |n|, floor), with floor = 1% of the
    // tensor's largest analytic gradient (at least 1e-6): backprop in float32
    // carries an absolute error of ~1e-7 per op, which would fail every tiny
    // element of a weight matrix if each were judged on its own.
    double relativeError = 0;
    double floor = 1e-6;
    int64_t worst = 0;       // the element with that error
    bool passed = true;      // every element within tolerance + bound
    bool conclusive = true;  // every element's bound below the tolerance
    bool doublePrecision = true;  // the estimate was evaluated in double throughout
    double elementError(int64_t i) const;
    double elementTolerance(int64_t i) const;  // kTolerance of the element's scale
    bool pass() const { return passed; }
    // The bound of the worst element, for display.
    double worstBound() const { return bound.empty() ? 0.0 : bound[size_t(worst)]; }
    static constexpr double kTolerance = 1e-2;
};

// Runs forward+backward from `root` for the analytic gradients, then estimates
// each element numerically (see above). Leaves the graph as it found it: the
// estimate never writes into the graph, and a final forward and backward run.
// maxPerVariable > 0 estimates at most that many elements of each variable (its
// largest gradient and others evenly spaced, the same ones every time); the
// others' numeric reads NaN and their bound 0. Each costs four forward passes.
std::vector<GradientCheck> checkGradients(Graph& graph, int root, int64_t maxPerVariable = 0);

} // namespace nn
