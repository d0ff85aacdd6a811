#pragma once
// Finite-difference gradient checking for graphs, shared by the op, layer and
// model test suites. The root is projected to a scalar through fixed random
// weights (sum(out * R)) so every output element's gradient path is exercised.
#include <cmath>
#include <functional>
#include <string>

#include "engine/graph/graph.h"

namespace nntest {

struct GradCheckResult {
    double maxRelError = 0;
    std::string worst;  // "variable[index]: analytic a, numeric n"
};

// Builds scalar = sum(node(out) * R) onto g and returns its id.
inline int projectToScalar(nn::Graph& g, int out, uint64_t seed)
{
    if (g.node(out).value.numel() == 1 && g.node(out).value.shape().rank() == 0) return out;
    nn::Rng rng(seed);
    nn::Tensor r(g.node(out).value.shape());
    for (int64_t i = 0; i < r.numel(); ++i) r[i] = float(rng.uniform(-1.0, 1.0));
    const int c = g.addConstant("R", r);
    const int m = g.apply(nn::OpKind::Mul, {out, c}, {}, "project");
    return g.apply(nn::OpKind::Sum, {m}, {}, "scalar");
}

// Compares backward's gradient of `root` for every Variable with central
// differences (step h). Relative error uses max(|a|, |n|, floor) so tiny
// gradients are judged absolutely.
inline GradCheckResult gradCheck(nn::Graph& g, int root, double h = 1e-2, double floor = 1e-2)
{
    g.forward();
    g.backward(root);
    GradCheckResult r;
    for (int v : g.variables()) {
        nn::Tensor& value = g.node(v).value;
        const nn::Tensor analytic = g.node(v).grad.clone();
        for (int64_t i = 0; i < value.numel(); ++i) {
            const float saved = value[i];
            value[i] = float(saved + h);
            g.forward();
            const double up = g.node(root).value.item();
            value[i] = float(saved - h);
            g.forward();
            const double down = g.node(root).value.item();
            value[i] = saved;
            const double numeric = (up - down) / (2 * h);
            const double a = analytic[i];
            const double err = std::fabs(a - numeric) / std::max({std::fabs(a), std::fabs(numeric), floor});
            if (err > r.maxRelError) {
                r.maxRelError = err;
                r.worst = g.node(v).name + "[" + std::to_string(i) + "]: analytic " + std::to_string(a) + ", numeric "
                          + std::to_string(numeric);
            }
        }
    }
    g.forward();
    return r;
}

} // namespace nntest
