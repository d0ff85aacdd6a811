#include "engine/graph/rewrite.h"

#include <vector>

namespace nn {

namespace {

// For each reciprocal node that ends a sigmoid chain: the id of the chain's input.
std::vector<int> findChains(const Graph& g, std::vector<bool>* inner)
{
    std::vector<int> uses(size_t(g.size()), 0);
    for (int i = 0; i < g.size(); ++i)
        for (int k = 0; k < g.arity(i); ++k) ++uses[size_t(g.node(i).inputs[size_t(k)])];
    std::vector<int> chainInput(size_t(g.size()), -1);
    if (inner) inner->assign(size_t(g.size()), false);
    for (int r = 0; r < g.size(); ++r) {
        if (g.node(r).op != OpKind::Reciprocal) continue;
        const int a = g.node(r).inputs[0];
        if (g.node(a).op != OpKind::AddScalar || g.node(a).attrs.scalar != 1.0f || uses[size_t(a)] != 1) continue;
        const int x = g.node(a).inputs[0];
        if (g.node(x).op != OpKind::Exp || uses[size_t(x)] != 1) continue;
        const int n = g.node(x).inputs[0];
        if (g.node(n).op != OpKind::Neg || uses[size_t(n)] != 1) continue;
        chainInput[size_t(r)] = g.node(n).inputs[0];
        if (inner) (*inner)[size_t(a)] = (*inner)[size_t(x)] = (*inner)[size_t(n)] = true;
    }
    return chainInput;
}

} // namespace

int countSigmoidChains(const Expression& e)
{
    int n = 0;
    for (int v : findChains(e.graph, nullptr)) n += v >= 0;
    return n;
}

Expression collapseSigmoids(const Expression& e)
{
    const Graph& g = e.graph;
    std::vector<bool> inner;
    const std::vector<int> chainInput = findChains(g, &inner);
    Expression out;
    std::vector<int> map(size_t(g.size()), -1);
    for (int i = 0; i < g.size(); ++i) {
        const Node& n = g.node(i);
        if (inner[size_t(i)]) continue;
        if (n.op == OpKind::Variable) {
            map[size_t(i)] = out.graph.addVariable(n.name, n.value.clone());
            out.variables[n.name] = map[size_t(i)];
        } else if (n.op == OpKind::Input) {
            map[size_t(i)] = out.graph.addInput(n.name, n.value.shape());
        } else if (n.op == OpKind::Constant) {
            map[size_t(i)] = out.graph.addConstant(n.name, n.value.clone());
        } else if (chainInput[size_t(i)] >= 0) {
            map[size_t(i)] = out.graph.apply(OpKind::Sigmoid, {map[size_t(chainInput[size_t(i)])]}, {}, "sigmoid" + std::to_string(i));
        } else {
            auto in = [&](int k) { return map[size_t(n.inputs[size_t(k)])]; };
            switch (g.arity(i)) {
            case 1: map[size_t(i)] = out.graph.apply(n.op, {in(0)}, n.attrs, n.name); break;
            case 2: map[size_t(i)] = out.graph.apply(n.op, {in(0), in(1)}, n.attrs, n.name); break;
            default: map[size_t(i)] = out.graph.apply(n.op, {in(0), in(1), in(2)}, n.attrs, n.name); break;
            }
        }
    }
    out.root = map[size_t(e.root)];
    return out;
}

} // namespace nn
