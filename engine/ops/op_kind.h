#pragma once
// Every op the engine knows, one enum member each. The declaration table
// (op_table.cpp) and every backend's kernel table are indexed by it and
// static_assert their length against OpKind::Count: an op added here without its
// declaration or its kernels does not compile.
#include <cstdint>

namespace nn {

enum class OpKind : uint8_t {
    // leaves
    Input,       // data fed each step (features, labels); never differentiated
    Variable,    // a named value whose gradient we want (a parameter or a formula variable)
    Constant,
    // elementwise binary (same shapes)
    Add, Sub, Mul, Div, Max,
    // elementwise unary
    Neg, Exp, Log, Reciprocal, AddScalar, MulScalar, Pow,
    Sigmoid, Tanh, Relu, LeakyRelu, Elu,
    // linear algebra and broadcasting
    MatMul,      // [N,K]·[K,M] -> [N,M]
    BiasAdd,     // [N,M] + [M] -> [N,M]; [N,C,H,W] + [C] adds one bias per channel
    Flatten,     // [N,...] -> [N, prod(...)]
    // reductions
    Sum, Mean,   // all elements -> scalar
    Maxout,      // [N, M*k] -> [N, M], max over each group of k
    Softmax, LogSoftmax,  // along the last axis
    Dropout,     // inverted dropout in training mode, identity in eval mode
    // convolutional networks (images are NCHW: [batch, channels, height, width])
    Conv2D,        // [N,C,H,W] ⋆ [F,C,KH,KW] -> [N,F,OH,OW] (stride, padding, dilation)
    MaxPool2D,     // max over each size×size window -> [N,C,OH,OW]
    AvgPool2D,     // mean over each size×size window (zero padding counted, as PyTorch)
    GlobalAvgPool, // [N,C,H,W] -> [N,C], mean over H×W
    BatchNorm,     // (x [N,C,...], gamma [C], beta [C]): batch statistics in training, running ones in eval
    Concat,        // [N,C1,...] ++ [N,C2,...] -> [N,C1+C2,...] along the channel axis
    // losses: (scores [N,C], labels [N] as class indices) -> scalar mean over N
    MseLoss, SoftmaxCrossEntropy, HingeLoss, LogLoss,
    Count
};

constexpr int kOpCount = int(OpKind::Count);

} // namespace nn
