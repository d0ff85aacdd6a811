#include "engine/graph/graph.h"

#include <chrono>
#include <cmath>

#include "engine/core/error.h"
#include "engine/perf/profiler.h"

namespace nn {

Graph::Graph()
{
    ctx_.rng = &rng_;
}

int Graph::addInput(const std::string& name, const Shape& shape)
{
    Node n;
    n.op = OpKind::Input;
    n.name = name;
    n.value = Tensor(shape);
    nodes_.push_back(std::move(n));
    return size() - 1;
}

int Graph::addVariable(const std::string& name, const Tensor& value)
{
    Node n;
    n.op = OpKind::Variable;
    n.name = name;
    n.value = value;
    n.requiresGrad = true;
    n.grad = Tensor(value.shape());
    nodes_.push_back(std::move(n));
    return size() - 1;
}

int Graph::addConstant(const std::string& name, const Tensor& value)
{
    Node n;
    n.op = OpKind::Constant;
    n.name = name;
    n.value = value;
    nodes_.push_back(std::move(n));
    return size() - 1;
}

int Graph::apply(OpKind op, std::initializer_list<int> inputs, OpAttrs attrs, std::string name)
{
    const OpDecl& decl = opDecl(op);
    if (int(inputs.size()) != decl.arity || inputs.size() > size_t(kMaxArity))
        throw Error(std::string(decl.name) + " takes " + std::to_string(decl.arity) + " inputs, got "
                    + std::to_string(inputs.size()));
    Node n;
    n.op = op;
    n.attrs = attrs;
    n.name = name.empty() ? std::string(decl.name) + std::to_string(size()) : std::move(name);
    Shape shapes[kMaxArity];
    int k = 0;
    for (int in : inputs) {
        if (k >= kMaxArity) break;  // unreachable after the arity check; tells the compiler the bound
        if (in < 0 || in >= size()) throw Error(n.name + ": input " + std::to_string(in) + " does not exist");
        n.inputs[size_t(k)] = in;
        shapes[k++] = node(in).value.shape();
        n.requiresGrad = n.requiresGrad || node(in).requiresGrad;
    }
    Shape out;
    try {
        out = decl.shape(shapes, attrs);
    } catch (const Error& e) {
        throw Error("node '" + n.name + "': " + e.what());
    }
    if (op == OpKind::Flatten)
        n.value = node(n.inputs[0]).value.reshaped(out);  // a view: flatten moves no data
    else
        n.value = Tensor(out);
    if (n.requiresGrad) n.grad = Tensor(out);
    Shape saved;
    if (cpu::savedShape(op, shapes, out, saved)) n.saved = Tensor(saved);
    if (op == OpKind::BatchNorm) {
        // A graph built on its own (tests, formulas) gets fresh running statistics.
        const Shape channels {shapes[0][1]};
        if (!n.attrs.running[0].defined() || n.attrs.running[0].shape() != channels)
            n.attrs.running[0] = Tensor(channels);
        if (!n.attrs.running[1].defined() || n.attrs.running[1].shape() != channels)
            n.attrs.running[1] = Tensor::full(channels, 1.0f);
    }
    nodes_.push_back(std::move(n));
    return size() - 1;
}

int Graph::find(const std::string& name) const
{
    for (int i = 0; i < size(); ++i)
        if (node(i).name == name) return i;
    return -1;
}

std::vector<int> Graph::variables() const
{
    std::vector<int> v;
    for (int i = 0; i < size(); ++i)
        if (node(i).op == OpKind::Variable) v.push_back(i);
    return v;
}

KernelCall Graph::call(int i) const
{
    // Kernels take mutable out/saved pointers; tensors are handles onto shared
    // storage, so a const graph's inspection calls only read through them.
    Node& n = const_cast<Node&>(node(i));
    KernelCall c;
    for (int k = 0; k < arity(i); ++k) c.in[k] = &node(n.inputs[size_t(k)]).value;
    c.out = &n.value;
    c.saved = &n.saved;
    c.attrs = &n.attrs;
    ctx_.rng = &rng_;  // set here, not once: a moved graph's context must not point into the old one
    c.ctx = &ctx_;
    return c;
}

void Graph::runForward(int i)
{
    if (opDecl(node(i).op).family == OpFamily::Leaf) return;
    KernelCall c = call(i);
    if (!profiler_) {
        cpu::kernels(node(i).op).forward(c);
        return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    cpu::kernels(node(i).op).forward(c);
    profiler_->record(*this, i, false, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

void Graph::forward()
{
    for (int i = 0; i < size(); ++i) runForward(i);
    forwardCursor_ = size();
}

bool Graph::stepForward()
{
    while (forwardCursor_ < size() && opDecl(node(forwardCursor_).op).family == OpFamily::Leaf)
        ++forwardCursor_;
    if (forwardCursor_ >= size()) return false;
    runForward(forwardCursor_++);
    return true;
}

void Graph::runBackward(int i)
{
    Node& n = node(i);
    if (!n.requiresGrad || !n.gradReady || opDecl(n.op).family == OpFamily::Leaf) return;
    const KernelCall c = call(i);
    const BackwardKernel bwd = cpu::kernels(n.op).backward;
    const auto t0 = profiler_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point {};
    for (int k = 0; k < arity(i); ++k) {
        Node& in = node(n.inputs[size_t(k)]);
        if (!in.requiresGrad) continue;
        bwd(c, k, n.grad, in.grad.data(), in.gradReady);
        in.gradReady = true;
    }
    if (profiler_)
        profiler_->record(*this, i, true, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

void Graph::beginBackward(int root)
{
    if (root < 0 || root >= size()) throw Error("backward: root node " + std::to_string(root) + " does not exist");
    if (!node(root).requiresGrad)
        throw Error("backward: '" + node(root).name + "' does not depend on any variable");
    for (auto& n : nodes_) n.gradReady = false;
    node(root).grad.fill(1.0f);
    node(root).gradReady = true;
    backwardCursor_ = prevBackwardNode(root);
    if (backwardCursor_ < 0) zeroUnreachedVariables();  // nothing to run (the root is a Variable)
}

void Graph::zeroUnreachedVariables()
{
    for (auto& n : nodes_)
        if (n.op == OpKind::Variable && !n.gradReady) n.grad.fill(0.0f);
}

int Graph::prevBackwardNode(int from) const
{
    for (int i = from; i >= 0; --i) {
        const Node& n = node(i);
        if (n.requiresGrad && n.gradReady && opDecl(n.op).family != OpFamily::Leaf) return i;
    }
    return -1;
}

bool Graph::stepBackward()
{
    if (backwardCursor_ < 0) return false;
    runBackward(backwardCursor_);
    backwardCursor_ = prevBackwardNode(backwardCursor_ - 1);
    if (backwardCursor_ < 0) zeroUnreachedVariables();  // done: variables never reached read zero
    return true;
}

void Graph::backward(int root)
{
    beginBackward(root);
    while (stepBackward()) {
    }
}

Tensor Graph::contribution(int i, int k) const
{
    const Node& n = node(i);
    const Node& in = node(n.inputs[size_t(k)]);
    Tensor out(in.value.shape());
    if (n.grad.defined()) cpu::kernels(n.op).backward(call(i), k, n.grad, out.data(), false);
    return out;
}

Tensor Graph::localDerivative(int i, int k) const
{
    const Node& n = node(i);
    const Node& in = node(n.inputs[size_t(k)]);
    Tensor ones = Tensor::full(n.value.shape(), 1.0f);
    Tensor out(in.value.shape());
    cpu::kernels(n.op).backward(call(i), k, ones, out.data(), false);
    return out;
}

int Graph::firstNonFinite() const
{
    for (int i = 0; i < size(); ++i) {
        const Tensor& v = node(i).value;
        if (v.defined() && !cpu::allFinite(v.data(), v.numel())) return i;
    }
    return -1;
}

std::string Graph::describe(int i) const
{
    const Node& n = node(i);
    std::string s = "'" + n.name + "' (" + opName(n.op);
    for (int k = 0; k < arity(i); ++k) s += (k ? ", " : " of ") + node(n.inputs[size_t(k)]).name;
    return s + ")";
}

} // namespace nn
