#pragma once
// The graph's forward pass re-evaluated in double precision, for the numeric
// gradient check only: a central difference in float32 loses half its digits to
// rounding (f(x+h) − f(x−h) of two nearly equal floats), so the check's own
// error would otherwise be blamed on backprop.
//
// Every op is computed natively in double (elementwise, matmul, bias,
// convolution, pooling, batch norm, concat, maxout, reductions, softmax, the
// losses) except dropout in training mode, whose random mask only its float32
// kernel draws: it runs that kernel on rounded inputs, allDouble() reads false and
// the caller budgets float32 rounding.
#include <vector>

#include "engine/core/random.h"
#include "engine/graph/graph.h"

namespace nn {

class DoubleForward {
public:
    explicit DoubleForward(const Graph& graph);

    // The leaves' values, as double, to perturb before run().
    std::vector<double>& leaf(int node) { return values_[size_t(node)]; }
    // Evaluates every op node from the current leaf values.
    void run();
    // Sum of `node`'s elements (backward seeds ones, so this is what it differentiates).
    double sum(int node) const;
    // Largest |value| over every node of the last run: the scale of its rounding.
    double largestMagnitude() const { return largest_; }
    // True when no op fell back to its float32 kernel.
    bool allDouble() const { return allDouble_; }

private:
    void runNative(int i);
    void runFloat(int i);
    static bool native(const Graph& g, int i);

    const Graph& graph_;
    std::vector<std::vector<double>> values_;
    bool allDouble_ = true;
    double largest_ = 0;
    Rng rng_ {0};  // reseeded each run: a float-kernel dropout repeats its mask
};

} // namespace nn
