#include "engine/graph/numeric_check.h"

#include <algorithm>
#include <cmath>

namespace nn {

double GradientCheck::elementError(int64_t i) const
{
    const double a = analytic[i], n = numeric[i];
    return std::fabs(a - n) / std::max({std::fabs(a), std::fabs(n), floor});
}

std::vector<GradientCheck> checkGradients(Graph& graph, int root)
{
    graph.forward();
    graph.backward(root);
    std::vector<GradientCheck> out;
    for (int id : graph.variables()) {
        GradientCheck c;
        c.variable = id;
        c.name = graph.node(id).name;
        c.analytic = graph.node(id).grad.clone();
        c.numeric = Tensor(c.analytic.shape());
        out.push_back(std::move(c));
    }
    auto rootValue = [&] {
        const Tensor& v = graph.node(root).value;
        double s = 0;
        for (int64_t i = 0; i < v.numel(); ++i) s += v[i];  // backward seeds ones: d(sum)/d·
        return s;
    };
    for (auto& c : out) {
        Tensor& v = graph.node(c.variable).value;
        for (int64_t i = 0; i < v.numel(); ++i) {
            const float saved = v[i];
            // 1e-2: in float32 a smaller step drowns the difference in rounding noise
            // (~5e-5 absolute at h = 1e-3, 4% of a typical hidden-layer weight gradient).
            const float h = 1e-2f * std::max(1.0f, std::fabs(saved));
            v[i] = saved + h;
            graph.forward();
            const double up = rootValue();
            v[i] = saved - h;
            graph.forward();
            const double down = rootValue();
            v[i] = saved;
            c.numeric[i] = float((up - down) / (2.0 * double(h)));
        }
        double largest = 0;
        for (int64_t i = 0; i < c.analytic.numel(); ++i) largest = std::max(largest, double(std::fabs(c.analytic[i])));
        c.floor = std::max(1e-6, 1e-2 * largest);
        for (int64_t i = 0; i < c.analytic.numel(); ++i)
            if (const double e = c.elementError(i); e > c.relativeError) {
                c.relativeError = e;
                c.worst = i;
            }
    }
    graph.forward();
    graph.backward(root);
    return out;
}

} // namespace nn
