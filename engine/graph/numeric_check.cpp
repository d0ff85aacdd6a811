#include "engine/graph/numeric_check.h"

#include <algorithm>
#include <cmath>

namespace nn {

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
            const float h = 1e-3f * std::max(1.0f, std::fabs(saved));
            v[i] = saved + h;
            graph.forward();
            const double up = rootValue();
            v[i] = saved - h;
            graph.forward();
            const double down = rootValue();
            v[i] = saved;
            c.numeric[i] = float((up - down) / (2.0 * double(h)));
            const double a = c.analytic[i], n = c.numeric[i];
            c.relativeError = std::max(c.relativeError, std::fabs(a - n) / std::max({std::fabs(a), std::fabs(n), 1e-6}));
        }
    }
    graph.forward();
    graph.backward(root);
    return out;
}

} // namespace nn
