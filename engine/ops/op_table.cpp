// The declaration of every op: one row each, in OpKind order.
#include <string>

#include "engine/core/error.h"
#include "engine/ops/op.h"

namespace nn {

namespace {

std::string named(const char* op, const std::string& msg) { return std::string(op) + ": " + msg; }

Shape sameAsFirst(const Shape* in, const OpAttrs&) { return in[0]; }
Shape scalarShape(const Shape*, const OpAttrs&) { return Shape {}; }
Shape leafShape(const Shape*, const OpAttrs&) { return Shape {}; }  // leaves carry their own

Shape sameShapes(const Shape* in, const OpAttrs&)
{
    if (in[0] != in[1])
        throw Error("elementwise op needs equal shapes, got " + in[0].str() + " and " + in[1].str());
    return in[0];
}

Shape matmulShape(const Shape* in, const OpAttrs&)
{
    if (in[0].rank() != 2 || in[1].rank() != 2 || in[0][1] != in[1][0])
        throw Error(named("matmul", "shapes cannot be multiplied (" + in[0].str() + " and " + in[1].str()
                                        + "); need [N, K] and [K, M]"));
    return Shape {in[0][0], in[1][1]};
}

Shape biasShape(const Shape* in, const OpAttrs&)
{
    if (in[0].rank() < 2 || in[1].rank() != 1 || in[0][1] != in[1][0])
        throw Error(named("bias_add", "cannot add bias " + in[1].str() + " to " + in[0].str()
                                          + "; need [N, M] and [M], or [N, C, H, W] and [C]"));
    return in[0];
}

std::string dims(int64_t a, int64_t b) { return std::to_string(a) + "×" + std::to_string(b); }

void checkWindow(const char* op, const OpAttrs& a)
{
    if (a.stride < 1 || a.padding < 0 || a.dilation < 1)
        throw Error(named(op, "stride and dilation must be at least 1 and padding at least 0, got stride "
                                  + std::to_string(a.stride) + ", padding " + std::to_string(a.padding)
                                  + ", dilation " + std::to_string(a.dilation)));
}

Shape imageShape(const char* op, const Shape& s)
{
    if (s.rank() != 4) throw Error(named(op, "needs an image batch [N, C, H, W], got " + s.str()));
    return s;
}

Shape conv2dShape(const Shape* in, const OpAttrs& a)
{
    imageShape("conv2d", in[0]);
    checkWindow("conv2d", a);
    if (in[1].rank() != 4 || in[1][1] != in[0][1])
        throw Error(named("conv2d", "weight " + in[1].str() + " does not fit input " + in[0].str()
                                        + "; need [F, " + std::to_string(in[0][1]) + ", KH, KW]"));
    const int64_t oh = windowOut(in[0][2], in[1][2], a.stride, a.padding, a.dilation);
    const int64_t ow = windowOut(in[0][3], in[1][3], a.stride, a.padding, a.dilation);
    if (oh < 1 || ow < 1)
        throw Error(named("conv2d", "kernel " + dims(in[1][2], in[1][3]) + " (dilation " + std::to_string(a.dilation)
                                        + ") does not fit the " + dims(in[0][2], in[0][3]) + " input with padding "
                                        + std::to_string(a.padding)));
    return Shape {in[0][0], in[1][0], oh, ow};
}

Shape poolShape(const char* op, const Shape* in, const OpAttrs& a)
{
    imageShape(op, in[0]);
    checkWindow(op, a);
    if (a.size < 1) throw Error(named(op, "window size must be at least 1, got " + std::to_string(a.size)));
    if (2 * a.padding > a.size)
        throw Error(named(op, "padding " + std::to_string(a.padding) + " must be at most half the window size "
                                  + std::to_string(a.size)));
    const int64_t oh = windowOut(in[0][2], a.size, a.stride, a.padding, 1);
    const int64_t ow = windowOut(in[0][3], a.size, a.stride, a.padding, 1);
    if (oh < 1 || ow < 1)
        throw Error(named(op, "window " + dims(a.size, a.size) + " does not fit the " + dims(in[0][2], in[0][3])
                                  + " input"));
    return Shape {in[0][0], in[0][1], oh, ow};
}
Shape maxPoolShape(const Shape* in, const OpAttrs& a) { return poolShape("maxpool2d", in, a); }
Shape avgPoolShape(const Shape* in, const OpAttrs& a) { return poolShape("avgpool2d", in, a); }

Shape globalPoolShape(const Shape* in, const OpAttrs&)
{
    imageShape("global_avgpool", in[0]);
    return Shape {in[0][0], in[0][1]};
}

Shape batchNormShape(const Shape* in, const OpAttrs& a)
{
    if (in[0].rank() < 2) throw Error(named("batchnorm", "needs [N, C] or [N, C, H, W] input, got " + in[0].str()));
    for (int k = 1; k < 3; ++k)
        if (in[k].rank() != 1 || in[k][0] != in[0][1])
            throw Error(named("batchnorm", std::string(k == 1 ? "gamma " : "beta ") + in[k].str()
                                               + " does not fit input " + in[0].str() + "; need ["
                                               + std::to_string(in[0][1]) + "]"));
    if (!(a.epsilon > 0.0f) || !(a.momentum >= 0.0f && a.momentum <= 1.0f))
        throw Error(named("batchnorm", "needs epsilon > 0 and momentum in [0, 1]"));
    return in[0];
}

Shape concatShape(const Shape* in, const OpAttrs&)
{
    bool ok = in[0].rank() >= 2 && in[0].rank() == in[1].rank();
    for (int d = 0; ok && d < in[0].rank(); ++d) ok = d == 1 || in[0][d] == in[1][d];
    if (!ok)
        throw Error(named("concat", "cannot join " + in[0].str() + " and " + in[1].str()
                                        + " along channels; every other dimension must match"));
    Shape out = in[0];
    out[1] = in[0][1] + in[1][1];
    return out;
}

Shape flattenShape(const Shape* in, const OpAttrs&)
{
    if (in[0].rank() < 1) throw Error(named("flatten", "needs a batch dimension, got a scalar"));
    return Shape {in[0][0], in[0].inner()};
}

Shape rowsShape(const char* op, const Shape& s)
{
    if (s.rank() != 2) throw Error(named(op, "needs [N, C] input, got " + s.str()));
    return s;
}

Shape maxoutShape(const Shape* in, const OpAttrs& a)
{
    rowsShape("maxout", in[0]);
    if (a.pieces < 1 || in[0][1] % a.pieces != 0)
        throw Error(named("maxout", "width " + std::to_string(in[0][1]) + " is not a multiple of k = "
                                        + std::to_string(a.pieces)));
    return Shape {in[0][0], in[0][1] / a.pieces};
}

Shape softmaxShape(const Shape* in, const OpAttrs&) { return rowsShape("softmax", in[0]); }

Shape lossShape(const Shape* in, const OpAttrs&)
{
    if (in[0].rank() != 2)
        throw Error(named("loss", "scores must be [N, C], got " + in[0].str()));
    if (in[1].rank() != 1 || in[1][0] != in[0][0])
        throw Error(named("loss", "labels must be [N] = [" + std::to_string(in[0][0]) + "], got "
                                      + in[1].str()));
    return Shape {};
}

Shape logLossShape(const Shape* in, const OpAttrs& a)
{
    lossShape(in, a);
    if (in[0][1] != 1)
        throw Error(named("log_loss", "binary log loss needs one output unit, got scores " + in[0].str()));
    return Shape {};
}

double zeroFlops(const Shape*, const Shape&, const OpAttrs&) { return 0; }
double perOut1(const Shape*, const Shape& o, const OpAttrs&) { return double(o.numel()); }
double perOut4(const Shape*, const Shape& o, const OpAttrs&) { return 4.0 * double(o.numel()); }
double perIn1(const Shape* in, const Shape&, const OpAttrs&) { return double(in[0].numel()); }
double perIn4(const Shape* in, const Shape&, const OpAttrs&) { return 4.0 * double(in[0].numel()); }
double matmulFlops(const Shape* in, const Shape&, const OpAttrs&)
{
    return 2.0 * double(in[0][0]) * double(in[0][1]) * double(in[1][1]);
}
// Per output element, one multiply-add for each weight of its filter.
double conv2dFlops(const Shape* in, const Shape& o, const OpAttrs&)
{
    return 2.0 * double(o.numel()) * double(in[1][1]) * double(in[1][2]) * double(in[1][3]);
}
double poolFlops(const Shape*, const Shape& o, const OpAttrs& a) { return double(o.numel()) * a.size * a.size; }
// Mean, variance, then (x - mean) * invstd * gamma + beta: about 7 per element.
double batchNormFlops(const Shape* in, const Shape&, const OpAttrs&) { return 7.0 * double(in[0].numel()); }

constexpr OpFamily L = OpFamily::Leaf, E = OpFamily::Elementwise, B = OpFamily::Broadcast,
                   R = OpFamily::Reduction, S = OpFamily::Loss, M = OpFamily::Linear;

const OpDecl kTable[] = {
    {"input", "x", 0, L, {"", ""}, leafShape, zeroFlops},
    {"variable", "w", 0, L, {"", ""}, leafShape, zeroFlops},
    {"constant", "c", 0, L, {"", ""}, leafShape, zeroFlops},
    {"add", "+", 2, E, {"d(a+b)/da = 1", "d(a+b)/db = 1"}, sameShapes, perOut1},
    {"sub", "-", 2, E, {"d(a-b)/da = 1", "d(a-b)/db = -1"}, sameShapes, perOut1},
    {"mul", "*", 2, E, {"d(a*b)/da = b", "d(a*b)/db = a"}, sameShapes, perOut1},
    {"div", "/", 2, E, {"d(a/b)/da = 1/b", "d(a/b)/db = -a/b^2"}, sameShapes, perOut4},
    {"max", "max", 2, E, {"d max(a,b)/da = 1 if a>=b else 0", "d max(a,b)/db = 1 if b>a else 0"},
     sameShapes, perOut1},
    {"neg", "-x", 1, E, {"d(-x)/dx = -1", ""}, sameAsFirst, perOut1},
    {"exp", "exp", 1, E, {"d(e^x)/dx = e^x", ""}, sameAsFirst, perOut4},
    {"log", "log", 1, E, {"d(log x)/dx = 1/x", ""}, sameAsFirst, perOut4},
    {"reciprocal", "1/x", 1, E, {"d(1/x)/dx = -1/x^2", ""}, sameAsFirst, perOut1},
    {"add_scalar", "+c", 1, E, {"d(c+x)/dx = 1", ""}, sameAsFirst, perOut1},
    {"mul_scalar", "*a", 1, E, {"d(a*x)/dx = a", ""}, sameAsFirst, perOut1},
    {"pow", "x^p", 1, E, {"d(x^p)/dx = p*x^(p-1)", ""}, sameAsFirst, perOut4},
    {"sigmoid", "σ", 1, E, {"dσ(x)/dx = (1-σ(x))*σ(x)", ""}, sameAsFirst, perOut4},
    {"tanh", "tanh", 1, E, {"d tanh(x)/dx = 1 - tanh(x)^2", ""}, sameAsFirst, perOut4},
    {"relu", "ReLU", 1, E, {"d max(0,x)/dx = 1 if x>0 else 0", ""}, sameAsFirst, perOut1},
    {"leaky_relu", "LReLU", 1, E, {"d max(a*x,x)/dx = 1 if x>0 else a", ""}, sameAsFirst, perOut1},
    {"elu", "ELU", 1, E, {"d ELU(x)/dx = 1 if x>0 else ELU(x)+a", ""}, sameAsFirst, perOut4},
    {"matmul", "X·W", 2, M, {"d(X·W)/dX = upstream·Wᵀ", "d(X·W)/dW = Xᵀ·upstream"}, matmulShape,
     matmulFlops},
    {"bias_add", "+b", 2, B, {"d(x+b)/dx = 1", "d(x+b)/db = sum over the batch (and over positions, per channel)"},
     biasShape, perOut1},
    {"flatten", "flat", 1, M, {"d flatten(x)/dx = reshape back", ""}, flattenShape, zeroFlops},
    {"sum", "Σ", 1, R, {"d(Σx)/dx_i = 1", ""}, scalarShape, perIn1},
    {"mean", "mean", 1, R, {"d(mean x)/dx_i = 1/n", ""}, scalarShape, perIn1},
    {"maxout", "maxout", 1, R, {"d max_j(x_j)/dx_i = 1 for the winning piece, else 0", ""}, maxoutShape,
     perIn1},
    {"softmax", "softmax", 1, R, {"dp_i/dx_j = p_i*(δ_ij - p_j)", ""}, softmaxShape, perOut4},
    {"log_softmax", "logsoftmax", 1, R, {"d log p_i/dx_j = δ_ij - p_j", ""}, softmaxShape, perOut4},
    {"dropout", "drop", 1, E, {"d drop(x)/dx = mask/(1-rate)", ""}, sameAsFirst, perOut1},
    {"conv2d", "X⋆W", 2, M,
     {"dL/dX = Wᵀ·upstream scattered back over the windows (col2im): a full convolution with the flipped kernel",
      "dL/dW = upstream·im2col(X)ᵀ: each weight sums input × upstream over every position it touched"},
     conv2dShape, conv2dFlops},
    {"maxpool2d", "max▦", 1, R, {"d max(window)/dx = 1 for the window's largest input, else 0 (upstream routed there)", ""},
     maxPoolShape, poolFlops},
    {"avgpool2d", "avg▦", 1, R, {"d mean(window)/dx = 1/(size·size) for every input in the window", ""}, avgPoolShape,
     poolFlops},
    {"global_avgpool", "avg", 1, R, {"d mean_hw(x)/dx = 1/(H·W)", ""}, globalPoolShape, perIn1},
    {"batchnorm", "BN", 3, B,
     {"dL/dx = γ/σ · (g - mean(g) - x̂·mean(g·x̂)) with g = upstream, x̂ = (x-μ)/σ (batch statistics); "
      "γ/σ·g with running statistics in eval mode",
      "dL/dγ = Σ upstream·x̂ over the batch and positions", "dL/dβ = Σ upstream over the batch and positions"},
     batchNormShape, batchNormFlops},
    {"concat", "++", 2, M, {"d concat(a,b)/da = the first C₁ channels of upstream",
                            "d concat(a,b)/db = the last C₂ channels of upstream"},
     concatShape, zeroFlops},
    {"mse_loss", "MSE", 2, S, {"dL/ds = 2*(s - onehot(y))/(N*C)", "labels: none"}, lossShape, perIn4},
    {"softmax_cross_entropy", "CE", 2, S, {"dL/ds = (softmax(s) - onehot(y))/N", "labels: none"}, lossShape,
     perIn4},
    {"hinge_loss", "hinge", 2, S,
     {"dL/ds_j = [s_j - s_y + 1 > 0]/N, dL/ds_y = -Σ_j [s_j - s_y + 1 > 0]/N", "labels: none"}, lossShape,
     perIn4},
    {"log_loss", "logloss", 2, S, {"dL/ds = (σ(s) - y)/N", "labels: none"}, logLossShape, perIn4},
};
static_assert(sizeof(kTable) / sizeof(kTable[0]) == kOpCount, "every OpKind needs one row in kTable");

} // namespace

const OpDecl& opDecl(OpKind kind) { return kTable[int(kind)]; }
const char* opName(OpKind kind) { return kTable[int(kind)].name; }

double opBytes(OpKind kind, const Shape* in, const Shape& out)
{
    double n = double(out.numel());
    for (int i = 0; i < kTable[int(kind)].arity; ++i) n += double(in[i].numel());
    return 4.0 * n;
}

} // namespace nn
