#pragma once
// An op is declared once: its name and symbol, its arity, the derivative formula a
// person reads in the stepper, its shape rule, its FLOP and byte counts. Kernels
// live per backend (engine/backend/cpu/...) in a table indexed by OpKind.
#include <string>

#include "engine/ops/op_kind.h"
#include "engine/tensor/shape.h"

namespace nn {

// Per-node parameters of an op. `scalar` is the constant of AddScalar/MulScalar,
// the exponent of Pow, the slope of LeakyRelu, alpha of Elu, the drop rate of
// Dropout, or a Constant's value; `pieces` is Maxout's k.
struct OpAttrs {
    float scalar = 0.0f;
    int pieces = 0;
};

enum class OpFamily : uint8_t { Leaf, Elementwise, Broadcast, Reduction, Loss, Linear };

struct OpDecl {
    const char* name;     // "matmul" — used in specs, CLI output and profiles
    const char* symbol;   // "X·W" — drawn on the stepper node
    int arity;            // number of inputs (0 for leaves)
    OpFamily family;
    // One human formula per input, e.g. "d(1/x)/dx = -1/x^2".
    const char* derivative[2];
    // Output shape from input shapes; throws nn::Error naming both shapes.
    Shape (*shape)(const Shape* in, const OpAttrs& attrs);
    // Work per call, from input and output shapes.
    double (*flops)(const Shape* in, const Shape& out, const OpAttrs& attrs);
};

const OpDecl& opDecl(OpKind kind);
const char* opName(OpKind kind);
// Bytes read and written by one call with f32 data (inputs + output).
double opBytes(OpKind kind, const Shape* in, const Shape& out);

} // namespace nn
