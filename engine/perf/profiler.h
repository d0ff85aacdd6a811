#pragma once
// Per-op profile of a graph's kernels: calls, time, FLOPs and bytes moved per op
// kind and per layer, the data the roofline and energy views plot. A Graph with a
// profiler set (Graph::setProfiler) reports every kernel call here; the trainer
// adds its own phases (data copy, optimizer update). Counting rules:
//   - forward FLOPs and bytes come from the op declaration (OpDecl::flops, opBytes);
//   - a backward call counts the forward FLOPs and bytes once per input that gets a
//     gradient (exact for matmul and conv2d, whose two gradients are GEMMs of the
//     forward's size; an estimate within a small factor for the cheap ops);
//   - a node's layer is its name up to the first '.' ("fc1.matmul" -> "fc1").
// Not thread-safe: one profiler per training thread.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/ops/op_kind.h"

namespace nn {
class Graph;
}

namespace nn::perf {

struct ProfileRow {
    std::string name;      // op kind ("conv2d"), layer id ("c1"), or a trainer phase ("adam")
    int64_t calls = 0;     // forward calls (backward calls counted apart)
    int64_t backwardCalls = 0;
    double forwardSeconds = 0, backwardSeconds = 0;
    double flops = 0;      // forward + backward
    double bytes = 0;      // forward + backward

    double seconds() const { return forwardSeconds + backwardSeconds; }
    double gflopsPerSecond() const { return seconds() > 0 ? flops / seconds() * 1e-9 : 0; }
    double intensity() const { return bytes > 0 ? flops / bytes : 0; }  // FLOP per byte
};

class Profiler {
public:
    // One kernel call of node `node` (forward, or backward over all its inputs).
    void record(const Graph& g, int node, bool backward, double seconds);
    // Work outside the graph (the optimizer update, the batch copy).
    void recordPhase(const std::string& name, double seconds, double flops = 0, double bytes = 0);
    // Wall time of whole training steps, to compare with the sum of the parts.
    void recordStep(double seconds) { stepSeconds_ += seconds, ++steps_; }
    void clear();

    std::vector<ProfileRow> byOp() const;     // slowest first; phases included
    std::vector<ProfileRow> byLayer() const;  // slowest first; phases included
    double kernelSeconds() const;             // sum over every row
    double stepSeconds() const { return stepSeconds_; }
    int64_t steps() const { return steps_; }

private:
    struct NodeAcc {
        OpKind op = OpKind::Input;
        std::string layer;
        ProfileRow row;
        double forwardFlops = 0, forwardBytes = 0;  // per call, from the shapes
        int gradInputs = 0;                           // inputs that receive a gradient
    };
    NodeAcc& acc(const Graph& g, int node);

    std::unordered_map<const Graph*, std::vector<NodeAcc>> nodes_;
    std::vector<ProfileRow> phases_;
    double stepSeconds_ = 0;
    int64_t steps_ = 0;
};

} // namespace nn::perf
