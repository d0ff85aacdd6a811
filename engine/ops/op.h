#pragma once
// An op is declared once: its name and symbol, its arity, the derivative formula a
// person reads in the stepper, its shape rule, its FLOP and byte counts. Kernels
// live per backend (engine/backend/cpu/...) in a table indexed by OpKind.
#include <string>

#include "engine/ops/op_kind.h"
#include "engine/tensor/shape.h"
#include "engine/tensor/tensor.h"

namespace nn {

// Most ops take at most this many inputs (BatchNorm: x, gamma, beta).
constexpr int kMaxArity = 3;

// Per-node parameters of an op. `scalar` is the constant of AddScalar/MulScalar,
// the exponent of Pow, the slope of LeakyRelu, alpha of Elu, the drop rate of
// Dropout, or a Constant's value; `pieces` is Maxout's k.
struct OpAttrs {
    float scalar = 0.0f;
    int pieces = 0;
    // Conv2D and pooling windows: `size` is the pooling window (Conv2D takes its
    // kernel size from the weight), then stride, zero padding and dilation.
    int size = 0, stride = 1, padding = 0, dilation = 1;
    // BatchNorm: running = (1 - momentum) * running + momentum * batch statistic
    // (PyTorch's convention), and the epsilon added to the variance.
    float momentum = 0.1f, epsilon = 1e-5f;
    // BatchNorm: running mean and running variance, [C] each. Tensors are handles,
    // so every graph a model builds shares the model's buffers; the graph creates
    // them (mean 0, variance 1) when a node is built without.
    Tensor running[2];
};

// Output length of a window op along one axis: floor((in + 2p - d(k-1) - 1) / s) + 1.
inline int64_t windowOut(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dilation)
{
    const int64_t span = dilation * (k - 1) + 1;
    return in + 2 * pad < span ? 0 : (in + 2 * pad - span) / stride + 1;
}

enum class OpFamily : uint8_t { Leaf, Elementwise, Broadcast, Reduction, Loss, Linear };

struct OpDecl {
    const char* name;     // "matmul" — used in specs, CLI output and profiles
    const char* symbol;   // "X·W" — drawn on the stepper node
    int arity;            // number of inputs (0 for leaves)
    OpFamily family;
    // One human formula per input, e.g. "d(1/x)/dx = -1/x^2".
    const char* derivative[kMaxArity];
    // Output shape from input shapes; throws nn::Error naming both shapes.
    Shape (*shape)(const Shape* in, const OpAttrs& attrs);
    // Work per call, from input and output shapes.
    double (*flops)(const Shape* in, const Shape& out, const OpAttrs& attrs);
};

const OpDecl& opDecl(OpKind kind);
const char* opName(OpKind kind);
// Bytes read and written by one forward call with f32 data (inputs + output).
double opBytes(OpKind kind, const Shape* in, const Shape& out);

} // namespace nn
