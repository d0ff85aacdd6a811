#include "engine/graph/double_forward.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/backend/kernel.h"

namespace nn {

namespace {

// Softmax rows along the last axis: rows × m.
void rowsOf(const Shape& s, int64_t& rows, int64_t& m)
{
    m = s.rank() ? s.back() : 1;
    rows = m ? s.numel() / m : 0;
}

} // namespace

DoubleForward::DoubleForward(const Graph& graph) : graph_(graph)
{
    values_.resize(size_t(graph.size()));
    for (int i = 0; i < graph.size(); ++i) {
        const Tensor& t = graph.node(i).value;
        std::vector<double>& v = values_[size_t(i)];
        v.resize(size_t(t.numel()));
        if (opDecl(graph.node(i).op).family == OpFamily::Leaf)
            for (int64_t j = 0; j < t.numel(); ++j) v[size_t(j)] = t[j];
        if (!native(graph, i)) allDouble_ = false;
    }
}

bool DoubleForward::native(const Graph& g, int i)
{
    switch (g.node(i).op) {
    case OpKind::Input: case OpKind::Variable: case OpKind::Constant:
    case OpKind::Add: case OpKind::Sub: case OpKind::Mul: case OpKind::Div: case OpKind::Max:
    case OpKind::Neg: case OpKind::Exp: case OpKind::Log: case OpKind::Reciprocal:
    case OpKind::AddScalar: case OpKind::MulScalar: case OpKind::Pow:
    case OpKind::Sigmoid: case OpKind::Tanh: case OpKind::Relu: case OpKind::LeakyRelu: case OpKind::Elu:
    case OpKind::MatMul: case OpKind::BiasAdd: case OpKind::Flatten:
    case OpKind::Sum: case OpKind::Mean: case OpKind::Softmax: case OpKind::LogSoftmax:
    case OpKind::GlobalAvgPool: case OpKind::Conv2D: case OpKind::MaxPool2D: case OpKind::AvgPool2D:
    case OpKind::BatchNorm: case OpKind::Concat: case OpKind::Maxout:
    case OpKind::MseLoss: case OpKind::SoftmaxCrossEntropy: case OpKind::HingeLoss: case OpKind::LogLoss:
        return true;
    case OpKind::Dropout:  // the identity unless it drops
        return !g.training() || g.node(i).attrs.scalar <= 0.0f;
    default:
        return false;
    }
}

void DoubleForward::run()
{
    rng_.reseed(0);
    largest_ = 0;
    for (int i = 0; i < graph_.size(); ++i) {
        if (opDecl(graph_.node(i).op).family != OpFamily::Leaf) {
            if (native(graph_, i)) runNative(i);
            else runFloat(i);
        }
        for (double v : values_[size_t(i)])
            if (std::isfinite(v)) largest_ = std::max(largest_, std::fabs(v));
    }
}

double DoubleForward::sum(int node) const
{
    double s = 0;
    for (double v : values_[size_t(node)]) s += v;
    return s;
}

void DoubleForward::runNative(int i)
{
    const Node& n = graph_.node(i);
    std::vector<double>& y = values_[size_t(i)];
    const std::vector<double>& a = values_[size_t(n.inputs[0])];
    const std::vector<double>& b = opDecl(n.op).arity > 1 ? values_[size_t(n.inputs[1])] : a;
    const double s = n.attrs.scalar;
    const size_t count = y.size();
    auto map = [&](auto f) {
        for (size_t j = 0; j < count; ++j) y[j] = f(a[j]);
    };
    auto zip = [&](auto f) {
        for (size_t j = 0; j < count; ++j) y[j] = f(a[j], b[j]);
    };
    // Class index of row r of the labels (a loss's second input); the float kernel
    // has already refused labels out of range when the graph first ran.
    auto label = [&](int64_t r, int64_t classes) {
        return int(std::clamp<int64_t>(int64_t(b[size_t(r)]), 0, classes - 1));
    };
    const Shape& inShape = graph_.node(n.inputs[0]).value.shape();
    switch (n.op) {
    case OpKind::Add: zip([](double p, double q) { return p + q; }); break;
    case OpKind::Sub: zip([](double p, double q) { return p - q; }); break;
    case OpKind::Mul: zip([](double p, double q) { return p * q; }); break;
    case OpKind::Div: zip([](double p, double q) { return p / q; }); break;
    case OpKind::Max: zip([](double p, double q) { return std::max(p, q); }); break;
    case OpKind::Neg: map([](double p) { return -p; }); break;
    case OpKind::Exp: map([](double p) { return std::exp(p); }); break;
    case OpKind::Log: map([](double p) { return std::log(p); }); break;
    case OpKind::Reciprocal: map([](double p) { return 1.0 / p; }); break;
    case OpKind::AddScalar: map([s](double p) { return p + s; }); break;
    case OpKind::MulScalar: map([s](double p) { return p * s; }); break;
    case OpKind::Pow: map([s](double p) { return std::pow(p, s); }); break;
    case OpKind::Sigmoid:
        map([](double p) { return p >= 0 ? 1.0 / (1.0 + std::exp(-p)) : std::exp(p) / (1.0 + std::exp(p)); });
        break;
    case OpKind::Tanh: map([](double p) { return std::tanh(p); }); break;
    case OpKind::Relu: map([](double p) { return std::max(p, 0.0); }); break;
    case OpKind::LeakyRelu: map([s](double p) { return p > 0 ? p : s * p; }); break;
    case OpKind::Elu: map([s](double p) { return p > 0 ? p : s * std::expm1(p); }); break;
    case OpKind::Flatten:
    case OpKind::Dropout: y = a; break;
    case OpKind::MatMul: {
        const Shape& bs = graph_.node(n.inputs[1]).value.shape();
        const int64_t rows = inShape[0], inner = inShape[1], cols = bs[1];
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) {
                double acc = 0;
                for (int64_t k = 0; k < inner; ++k) acc += a[size_t(r * inner + k)] * b[size_t(k * cols + c)];
                y[size_t(r * cols + c)] = acc;
            }
        break;
    }
    case OpKind::BiasAdd: {  // [N, M] rows, or [N, C, ...] with one bias per channel
        const int64_t m = inShape[1], per = int64_t(count) / (inShape[0] * m);
        for (size_t j = 0; j < count; ++j) y[j] = a[j] + b[size_t((int64_t(j) / per) % m)];
        break;
    }
    case OpKind::GlobalAvgPool: {
        const int64_t maps = inShape[0] * inShape[1], per = int64_t(a.size()) / std::max<int64_t>(1, maps);
        for (int64_t r = 0; r < maps; ++r) {
            double acc = 0;
            for (int64_t k = 0; k < per; ++k) acc += a[size_t(r * per + k)];
            y[size_t(r)] = acc / double(per);
        }
        break;
    }
    case OpKind::Conv2D: {  // x [N,C,H,W] ⋆ w [F,C,KH,KW] -> [N,F,OH,OW]
        const Shape& ws = graph_.node(n.inputs[1]).value.shape();
        const Shape& ys = n.value.shape();
        const int64_t N = inShape[0], C = inShape[1], H = inShape[2], W = inShape[3];
        const int64_t F = ws[0], KH = ws[2], KW = ws[3], OH = ys[2], OW = ys[3];
        const int64_t st = n.attrs.stride, pad = n.attrs.padding, dil = n.attrs.dilation;
        for (int64_t i = 0; i < N; ++i)
            for (int64_t f = 0; f < F; ++f)
                for (int64_t oy = 0; oy < OH; ++oy)
                    for (int64_t ox = 0; ox < OW; ++ox) {
                        double acc = 0;
                        for (int64_t c = 0; c < C; ++c)
                            for (int64_t ky = 0; ky < KH; ++ky) {
                                const int64_t iy = oy * st - pad + ky * dil;
                                if (iy < 0 || iy >= H) continue;
                                for (int64_t kx = 0; kx < KW; ++kx) {
                                    const int64_t ix = ox * st - pad + kx * dil;
                                    if (ix < 0 || ix >= W) continue;
                                    acc += a[size_t(((i * C + c) * H + iy) * W + ix)] * b[size_t(((f * C + c) * KH + ky) * KW + kx)];
                                }
                            }
                        y[size_t(((i * F + f) * OH + oy) * OW + ox)] = acc;
                    }
        break;
    }
    case OpKind::MaxPool2D:
    case OpKind::AvgPool2D: {  // average counts zero padding, as PyTorch and the kernel do
        const Shape& ys = n.value.shape();
        const int64_t planes = inShape[0] * inShape[1], H = inShape[2], W = inShape[3], OH = ys[2], OW = ys[3];
        const int64_t k = n.attrs.size, st = n.attrs.stride, pad = n.attrs.padding;
        for (int64_t pl = 0; pl < planes; ++pl)
            for (int64_t oy = 0; oy < OH; ++oy)
                for (int64_t ox = 0; ox < OW; ++ox) {
                    double best = -std::numeric_limits<double>::infinity(), sum = 0;
                    for (int64_t ky = 0; ky < k; ++ky) {
                        const int64_t iy = oy * st - pad + ky;
                        if (iy < 0 || iy >= H) continue;
                        for (int64_t kx = 0; kx < k; ++kx) {
                            const int64_t ix = ox * st - pad + kx;
                            if (ix < 0 || ix >= W) continue;
                            const double v = a[size_t((pl * H + iy) * W + ix)];
                            best = std::max(best, v);
                            sum += v;
                        }
                    }
                    y[size_t((pl * OH + oy) * OW + ox)] = n.op == OpKind::MaxPool2D ? best : sum / double(k * k);
                }
        break;
    }
    case OpKind::BatchNorm: {  // batch statistics in training (biased variance), running ones in eval
        const std::vector<double>& beta = values_[size_t(n.inputs[2])];
        const int64_t N = inShape[0], C = inShape[1], S = int64_t(count) / std::max<int64_t>(1, N * C);
        for (int64_t c = 0; c < C; ++c) {
            double mean = 0, var = 0;
            if (graph_.training()) {
                for (int64_t i = 0; i < N; ++i)
                    for (int64_t j = 0; j < S; ++j) mean += a[size_t((i * C + c) * S + j)];
                mean /= double(N * S);
                for (int64_t i = 0; i < N; ++i)
                    for (int64_t j = 0; j < S; ++j) var += std::pow(a[size_t((i * C + c) * S + j)] - mean, 2);
                var /= double(N * S);
            } else {
                mean = n.attrs.running[0][c];
                var = n.attrs.running[1][c];
            }
            const double inv = 1.0 / std::sqrt(var + double(n.attrs.epsilon));
            for (int64_t i = 0; i < N; ++i)
                for (int64_t j = 0; j < S; ++j) {
                    const size_t at = size_t((i * C + c) * S + j);
                    y[at] = b[size_t(c)] * (a[at] - mean) * inv + beta[size_t(c)];
                }
        }
        break;
    }
    case OpKind::Concat: {  // along the channel axis: per sample, a's block then b's
        const int64_t N = inShape[0], sa = int64_t(a.size()) / N, sb = int64_t(b.size()) / N;
        for (int64_t i = 0; i < N; ++i) {
            std::copy(a.begin() + i * sa, a.begin() + (i + 1) * sa, y.begin() + i * (sa + sb));
            std::copy(b.begin() + i * sb, b.begin() + (i + 1) * sb, y.begin() + i * (sa + sb) + sa);
        }
        break;
    }
    case OpKind::Maxout: {  // max over each group of `pieces` consecutive inputs
        const int64_t k = n.attrs.pieces;
        for (size_t j = 0; j < count; ++j) y[j] = *std::max_element(a.begin() + int64_t(j) * k, a.begin() + int64_t(j + 1) * k);
        break;
    }
    case OpKind::Sum:
    case OpKind::Mean: {
        double acc = 0;
        for (double v : a) acc += v;
        y[0] = n.op == OpKind::Mean && !a.empty() ? acc / double(a.size()) : acc;
        break;
    }
    case OpKind::Softmax:
    case OpKind::LogSoftmax: {
        int64_t rows = 0, m = 0;
        rowsOf(inShape, rows, m);
        for (int64_t r = 0; r < rows; ++r) {
            const double* x = a.data() + r * m;
            const double mx = *std::max_element(x, x + m);
            double z = 0;
            for (int64_t j = 0; j < m; ++j) z += std::exp(x[j] - mx);
            for (int64_t j = 0; j < m; ++j)
                y[size_t(r * m + j)] = n.op == OpKind::Softmax ? std::exp(x[j] - mx) / z : x[j] - mx - std::log(z);
        }
        break;
    }
    case OpKind::MseLoss:
    case OpKind::SoftmaxCrossEntropy:
    case OpKind::HingeLoss:
    case OpKind::LogLoss: {
        const int64_t rows = inShape[0], m = inShape.rank() > 1 ? inShape[1] : 1;
        double total = 0;
        for (int64_t r = 0; r < rows; ++r) {
            const double* x = a.data() + r * m;
            if (n.op == OpKind::LogLoss) {  // the kernel's stable form of -y log σ - (1-y) log(1-σ)
                const int t = label(r, 2);
                total += std::log1p(std::exp(-std::fabs(x[0]))) + std::max(x[0], 0.0) - t * x[0];
                continue;
            }
            const int t = label(r, m);
            if (n.op == OpKind::MseLoss) {
                for (int64_t j = 0; j < m; ++j) total += (x[j] - (j == t)) * (x[j] - (j == t));
            } else if (n.op == OpKind::HingeLoss) {
                for (int64_t j = 0; j < m; ++j)
                    if (j != t) total += std::max(0.0, x[j] - x[t] + 1.0);
            } else {
                const double mx = *std::max_element(x, x + m);
                double z = 0;
                for (int64_t j = 0; j < m; ++j) z += std::exp(x[j] - mx);
                total += std::log(z) + mx - x[t];
            }
        }
        y[0] = total / double(n.op == OpKind::MseLoss ? rows * m : rows);
        break;
    }
    default: break;  // native() lists exactly the cases above
    }
}

void DoubleForward::runFloat(int i)
{
    // The op's own float32 kernel on inputs rounded to float. Scratch copies, so
    // the graph the stepper shows is never touched (batch norm's running
    // statistics included).
    const Node& n = graph_.node(i);
    const int arity = opDecl(n.op).arity;
    Tensor in[kMaxArity];
    KernelCall call;
    for (int k = 0; k < arity; ++k) {
        const int src = n.inputs[size_t(k)];
        in[k] = Tensor(graph_.node(src).value.shape());
        const std::vector<double>& v = values_[size_t(src)];
        for (size_t j = 0; j < v.size(); ++j) in[k][int64_t(j)] = float(v[j]);
        call.in[k] = &in[k];
    }
    Tensor out(n.value.shape());
    Tensor saved = n.saved.defined() ? Tensor(n.saved.shape()) : Tensor();
    OpAttrs attrs = n.attrs;
    for (Tensor& r : attrs.running)
        if (r.defined()) r = r.clone();
    ExecContext ctx;
    ctx.training = graph_.training();
    ctx.rng = &rng_;
    call.out = &out;
    call.saved = &saved;
    call.attrs = &attrs;
    call.ctx = &ctx;
    cpu::kernels(n.op).forward(call);
    std::vector<double>& y = values_[size_t(i)];
    for (size_t j = 0; j < y.size(); ++j) y[j] = out[int64_t(j)];
}

} // namespace nn
