#pragma once
// The autograd graph: a list of op nodes in topological order (the order they
// were added). Forward runs the list front to back; backward walks it in reverse
// from a root, each node sending its upstream gradient to its inputs through the
// op's backward kernel. The graph is built once per batch size and re-run every
// step, so a training step allocates nothing.
//
// NOTES ON THE DESIGN
// 1. There is one graph. The trainer runs it whole; the stepper runs the very same
//    graph one node at a time (stepForward / stepBackward). Stepping every node
//    gives bit-identical numbers to a full run: both call the same kernels in the
//    same order.
// 2. A node's gradient is written by its first contribution and accumulated by the
//    rest (Node::gradReady), so no pass zeroes gradient buffers.
// 3. Only nodes that depend on a Variable (requiresGrad) take part in backward;
//    data inputs and labels are never differentiated.
// 4. contribution() and localDerivative() recompute one edge's chain-rule product
//    on demand for inspection; they never change the graph's state.
// 5. An optional profiler (setProfiler) times every kernel call; with none set the
//    only cost is one pointer test per node.
#include <array>
#include <string>
#include <vector>

#include "engine/backend/kernel.h"
#include "engine/core/random.h"
#include "engine/ops/op.h"
#include "engine/tensor/tensor.h"

namespace nn {

namespace perf {
class Profiler;
}

struct Node {
    OpKind op = OpKind::Input;
    std::string name;
    std::array<int, kMaxArity> inputs {-1, -1, -1};
    OpAttrs attrs;
    Tensor value;  // the op's output
    Tensor grad;   // d(root)/d(value); allocated only when requiresGrad
    Tensor saved;  // what the op keeps from forward for backward (may be empty)
    bool requiresGrad = false;
    bool gradReady = false;  // gradient written at least once in this backward pass
};

class Graph {
public:
    Graph();

    // ---- building -----------------------------------------------------------------
    int addInput(const std::string& name, const Shape& shape);
    // A Variable owns (shares) `value`; its gradient is what backward delivers.
    int addVariable(const std::string& name, const Tensor& value);
    int addConstant(const std::string& name, const Tensor& value);
    // Adds an op node; runs the op's shape rule (errors name the node and shapes).
    int apply(OpKind op, std::initializer_list<int> inputs, OpAttrs attrs = {}, std::string name = {});

    // ---- inspection ---------------------------------------------------------------
    int size() const { return int(nodes_.size()); }
    Node& node(int i) { return nodes_[size_t(i)]; }
    const Node& node(int i) const { return nodes_[size_t(i)]; }
    int find(const std::string& name) const;  // -1 when absent
    std::vector<int> variables() const;
    int arity(int i) const { return opDecl(node(i).op).arity; }

    // ---- execution mode -----------------------------------------------------------
    void setTraining(bool training) { ctx_.training = training; }
    bool training() const { return ctx_.training; }
    void seed(uint64_t s) { rng_.reseed(s); }
    // Times every kernel call into `profiler` (not owned; nullptr = off).
    void setProfiler(perf::Profiler* profiler) { profiler_ = profiler; }
    perf::Profiler* profiler() const { return profiler_; }

    // ---- whole passes -------------------------------------------------------------
    void forward();
    // Backward from `root` (its gradient seeded with ones). Variables the root does
    // not depend on end with a zero gradient.
    void backward(int root);

    // ---- stepping (the same kernels, one node at a time) ---------------------------
    // Next node to evaluate forward; size() when the forward pass is complete.
    int forwardCursor() const { return forwardCursor_; }
    void resetForward() { forwardCursor_ = 0; }
    bool stepForward();  // evaluates one op node (leaves are skipped); false when done
    void beginBackward(int root);
    // Node whose backward runs next; -1 when backward is complete.
    int backwardCursor() const { return backwardCursor_; }
    bool stepBackward();  // runs one node's backward; false when done

    // ---- chain rule, per edge -----------------------------------------------------
    // upstream(node) pushed through the op to input k: the chain-rule product.
    Tensor contribution(int node, int k) const;
    // The local derivative d(out)/d(input k) for elementwise ops (elementwise, same
    // shape as the input); for other ops the upstream of ones pushed to input k.
    Tensor localDerivative(int node, int k) const;

    // First node (in forward order) whose output holds NaN or ±inf; -1 if none.
    int firstNonFinite() const;
    // "h1.tanh (tanh of h1.bias_add)" style description for messages.
    std::string describe(int node) const;

private:
    KernelCall call(int i) const;
    void runForward(int i);
    void runBackward(int i);
    int prevBackwardNode(int from) const;
    void zeroUnreachedVariables();

    std::vector<Node> nodes_;
    mutable ExecContext ctx_;
    mutable Rng rng_;
    int forwardCursor_ = 0;
    int backwardCursor_ = -1;
    perf::Profiler* profiler_ = nullptr;
};

} // namespace nn
