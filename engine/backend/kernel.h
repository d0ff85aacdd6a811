#pragma once
// What a backend provides for each op: a forward kernel and a backward kernel.
// Backends are tables of these, indexed by OpKind (see cpu/kernel_table.cpp).
#include "engine/ops/op.h"
#include "engine/tensor/tensor.h"

namespace nn {

class Rng;

struct ExecContext {
    bool training = true;  // Dropout drops only in training mode
    Rng* rng = nullptr;    // Dropout's mask source
};

struct KernelCall {
    const Tensor* in[kMaxArity] = {nullptr, nullptr, nullptr};
    Tensor* out = nullptr;
    Tensor* saved = nullptr;  // op-specific state kept from forward for backward
    const OpAttrs* attrs = nullptr;
    ExecContext* ctx = nullptr;
};

// Computes call.out from call.in.
using ForwardKernel = void (*)(KernelCall& call);
// Gradient with respect to input `k`, given `upstream` = dL/d(out): written into
// `dst` (shaped like input k), or added to it when `accumulate` is true.
using BackwardKernel = void (*)(const KernelCall& call, int k, const Tensor& upstream, float* dst,
                                bool accumulate);

struct Kernels {
    ForwardKernel forward;
    BackwardKernel backward;
};

namespace cpu {
const Kernels& kernels(OpKind kind);
// Shape of the state a node of `kind` keeps from forward for backward (dropout
// masks, max-pool winners, batch-norm statistics, softmax probabilities); false
// when the op keeps none. The graph allocates it once, when the node is built.
bool savedShape(OpKind kind, const Shape* in, const Shape& out, Shape& saved);
void setThreads(int threads);  // BLAS and kernel threads; 0 = all cores
int threads();
// Flush denormals to zero on the calling thread: tiny Adam moments and ReLU
// gradients otherwise fall into denormal range and slow every kernel severalfold.
void enableFlushToZero();
// True when none of the n floats is NaN or ±inf. Vectorised: cheap enough to run
// over every parameter each training step.
bool allFinite(const float* p, int64_t n);
} // namespace cpu

} // namespace nn
