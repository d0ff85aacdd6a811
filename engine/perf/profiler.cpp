#include "engine/perf/profiler.h"

#include <algorithm>
#include <map>

#include "engine/graph/graph.h"

namespace nn::perf {

Profiler::NodeAcc& Profiler::acc(const Graph& g, int node)
{
    auto& v = nodes_[&g];
    if (v.size() < size_t(g.size())) v.resize(size_t(g.size()));
    NodeAcc& a = v[size_t(node)];
    if (a.layer.empty()) {
        const Node& n = g.node(node);
        a.op = n.op;
        a.layer = n.name.substr(0, n.name.find('.'));
        const OpDecl& d = opDecl(n.op);
        Shape in[kMaxArity];
        for (int k = 0; k < d.arity && k < kMaxArity; ++k) {
            const Node& src = g.node(n.inputs[size_t(k)]);
            in[k] = src.value.shape();
            a.gradInputs += src.requiresGrad ? 1 : 0;
        }
        a.forwardFlops = d.flops(in, n.value.shape(), n.attrs);
        a.forwardBytes = opBytes(n.op, in, n.value.shape());
    }
    return a;
}

void Profiler::record(const Graph& g, int node, bool backward, double seconds)
{
    NodeAcc& a = acc(g, node);
    const double times = backward ? double(a.gradInputs) : 1.0;
    if (backward) {
        ++a.row.backwardCalls;
        a.row.backwardSeconds += seconds;
    } else {
        ++a.row.calls;
        a.row.forwardSeconds += seconds;
    }
    a.row.flops += times * a.forwardFlops;
    a.row.bytes += times * a.forwardBytes;
}

void Profiler::recordPhase(const std::string& name, double seconds, double flops, double bytes)
{
    auto it = std::find_if(phases_.begin(), phases_.end(), [&](const ProfileRow& r) { return r.name == name; });
    if (it == phases_.end()) {
        phases_.push_back({});
        it = phases_.end() - 1;
        it->name = name;
    }
    ++it->calls;
    it->forwardSeconds += seconds;
    it->flops += flops;
    it->bytes += bytes;
}

void Profiler::clear()
{
    nodes_.clear();
    phases_.clear();
    stepSeconds_ = 0;
    steps_ = 0;
}

namespace {

void add(ProfileRow& into, const ProfileRow& r)
{
    into.calls += r.calls;
    into.backwardCalls += r.backwardCalls;
    into.forwardSeconds += r.forwardSeconds;
    into.backwardSeconds += r.backwardSeconds;
    into.flops += r.flops;
    into.bytes += r.bytes;
}

std::vector<ProfileRow> sorted(std::map<std::string, ProfileRow>& m, const std::vector<ProfileRow>& phases)
{
    std::vector<ProfileRow> out;
    for (auto& [name, r] : m) {
        r.name = name;
        out.push_back(r);
    }
    out.insert(out.end(), phases.begin(), phases.end());
    std::stable_sort(out.begin(), out.end(), [](const ProfileRow& a, const ProfileRow& b) {
        return a.seconds() > b.seconds();
    });
    return out;
}

} // namespace

std::vector<ProfileRow> Profiler::byOp() const
{
    std::map<std::string, ProfileRow> m;
    for (const auto& [g, v] : nodes_)
        for (const auto& a : v)
            if (!a.layer.empty()) add(m[opName(a.op)], a.row);
    return sorted(m, phases_);
}

std::vector<ProfileRow> Profiler::byLayer() const
{
    std::map<std::string, ProfileRow> m;
    for (const auto& [g, v] : nodes_)
        for (const auto& a : v)
            if (!a.layer.empty()) add(m[a.layer], a.row);
    return sorted(m, phases_);
}

double Profiler::kernelSeconds() const
{
    double s = 0;
    for (const auto& r : byOp()) s += r.seconds();
    return s;
}

} // namespace nn::perf
