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
    if (in[0].rank() != 2 || in[1].rank() != 1 || in[0][1] != in[1][0])
        throw Error(named("bias_add", "cannot add bias " + in[1].str() + " to " + in[0].str()
                                          + "; need [N, M] and [M]"));
    return in[0];
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
    {"bias_add", "+b", 2, B, {"d(x+b)/dx = 1", "d(x+b)/db = sum over the batch"}, biasShape, perOut1},
    {"flatten", "flat", 1, M, {"d flatten(x)/dx = reshape back", ""}, flattenShape, zeroFlops},
    {"sum", "Σ", 1, R, {"d(Σx)/dx_i = 1", ""}, scalarShape, perIn1},
    {"mean", "mean", 1, R, {"d(mean x)/dx_i = 1/n", ""}, scalarShape, perIn1},
    {"maxout", "maxout", 1, R, {"d max_j(x_j)/dx_i = 1 for the winning piece, else 0", ""}, maxoutShape,
     perIn1},
    {"softmax", "softmax", 1, R, {"dp_i/dx_j = p_i*(δ_ij - p_j)", ""}, softmaxShape, perOut4},
    {"log_softmax", "logsoftmax", 1, R, {"d log p_i/dx_j = δ_ij - p_j", ""}, softmaxShape, perOut4},
    {"dropout", "drop", 1, E, {"d drop(x)/dx = mask/(1-rate)", ""}, sameAsFirst, perOut1},
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
