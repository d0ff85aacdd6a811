#include "engine/graph/numeric_check.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/graph/double_forward.h"

namespace nn {

double GradientCheck::elementError(int64_t i) const
{
    const double a = analytic[i], n = numeric[i];
    return std::fabs(a - n) / std::max({std::fabs(a), std::fabs(n), floor});
}

double GradientCheck::elementTolerance(int64_t i) const
{
    return kTolerance * std::max({std::fabs(double(analytic[i])), std::fabs(double(numeric[i])), floor});
}

namespace {

struct Estimate {
    double value, bound;
};

// Richardson-extrapolated central difference of root(x) at element j of `leaf`.
Estimate estimate(DoubleForward& f, int leaf, size_t j, int root)
{
    std::vector<double>& x = f.leaf(leaf);
    const double saved = x[j];
    // Relative rounding of one evaluation: a few ulps per op in double; a float32
    // kernel anywhere makes it float's.
    const double eps = f.allDouble() ? 64 * std::numeric_limits<double>::epsilon()
                                     : 16 * double(std::numeric_limits<float>::epsilon());
    const double h = (f.allDouble() ? 1e-3 : 1e-2) * std::max(1.0, std::fabs(saved));
    double scale = 0;  // the largest value rounding acts on
    auto central = [&](double step) {
        x[j] = saved + step;
        f.run();
        const double up = f.sum(root);
        scale = std::max(scale, f.largestMagnitude());
        x[j] = saved - step;
        f.run();
        const double down = f.sum(root);
        scale = std::max(scale, f.largestMagnitude());
        return (up - down) / (2 * step);
    };
    const double wide = central(h), narrow = central(h / 2);
    x[j] = saved;
    const double value = (4 * narrow - wide) / 3;
    const double rounding = eps * std::max(1.0, scale) / (h / 2);
    const double bound = std::fabs(narrow - wide) / 3 + rounding;
    return {value, std::isfinite(value) ? bound : std::numeric_limits<double>::infinity()};
}

// Which elements of an n-element variable to estimate: all, or `limit` of them:
// the largest |gradient| (where a wrong derivative shows most) and evenly spaced others.
std::vector<int64_t> chooseElements(const Tensor& analytic, int64_t limit)
{
    const int64_t n = analytic.numel();
    std::vector<int64_t> out;
    if (limit <= 0 || n <= limit) {
        for (int64_t i = 0; i < n; ++i) out.push_back(i);
        return out;
    }
    int64_t largest = 0;
    for (int64_t i = 1; i < n; ++i)
        if (std::fabs(analytic[i]) > std::fabs(analytic[largest])) largest = i;
    out.push_back(largest);
    for (int64_t k = 0; int64_t(out.size()) < limit && k < limit; ++k) {
        const int64_t i = k * n / (limit - 1 > 0 ? limit - 1 : 1);
        if (i != largest && i < n) out.push_back(i);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

} // namespace

std::vector<GradientCheck> checkGradients(Graph& graph, int root, int64_t maxPerVariable)
{
    graph.forward();
    graph.backward(root);
    DoubleForward f(graph);
    std::vector<GradientCheck> out;
    for (int id : graph.variables()) {
        GradientCheck c;
        c.variable = id;
        c.name = graph.node(id).name;
        c.analytic = graph.node(id).grad.clone();
        c.numeric = Tensor::full(c.analytic.shape(), std::numeric_limits<float>::quiet_NaN());
        c.bound.assign(size_t(c.analytic.numel()), 0.0);
        c.doublePrecision = f.allDouble();
        c.checked = chooseElements(c.analytic, maxPerVariable);
        for (int64_t i : c.checked) {
            const Estimate e = estimate(f, id, size_t(i), root);
            c.numeric[i] = float(e.value);
            c.bound[size_t(i)] = e.bound;
        }
        double largest = 0;
        for (int64_t i = 0; i < c.analytic.numel(); ++i) largest = std::max(largest, double(std::fabs(c.analytic[i])));
        c.floor = std::max(1e-6, 1e-2 * largest);
        bool first = true;
        for (int64_t i : c.checked) {
            const double e = c.elementError(i);
            if (first || e > c.relativeError) {
                c.relativeError = e;
                c.worst = i;
                first = false;
            }
            const double tolerance = c.elementTolerance(i);
            const double a = c.analytic[i], n = c.numeric[i];
            // A non-finite estimate (the formula's domain ends inside the step) cannot
            // judge; a non-finite gradient where the estimate is finite is wrong.
            if (std::isfinite(n) ? !std::isfinite(a) || std::fabs(a - n) > tolerance + c.bound[size_t(i)] : false) c.passed = false;
            if (!std::isfinite(n) || !std::isfinite(a) || !(c.bound[size_t(i)] <= tolerance)) c.conclusive = false;
        }
        out.push_back(std::move(c));
    }
    graph.forward();
    graph.backward(root);
    return out;
}

} // namespace nn
