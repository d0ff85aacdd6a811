// Elementwise ops on the CPU. Transcendentals go through Eigen's vectorised
// array functions; the rest are plain loops the compiler vectorises.
#include <Eigen/Core>
#include <cmath>

#include "engine/backend/cpu/kernel_util.h"
#include "engine/core/random.h"

namespace nn::cpu {

namespace {

using Arr = Eigen::Map<Eigen::ArrayXf>;
using CArr = Eigen::Map<const Eigen::ArrayXf>;

CArr inArr(const KernelCall& c, int k) { return CArr(c.in[k]->data(), c.in[k]->numel()); }
Arr outArr(const KernelCall& c) { return Arr(c.out->data(), c.out->numel()); }

// ---- binary -------------------------------------------------------------------
void addF(KernelCall& c) { outArr(c) = inArr(c, 0) + inArr(c, 1); }
void subF(KernelCall& c) { outArr(c) = inArr(c, 0) - inArr(c, 1); }
void mulF(KernelCall& c) { outArr(c) = inArr(c, 0) * inArr(c, 1); }
void divF(KernelCall& c) { outArr(c) = inArr(c, 0) / inArr(c, 1); }
// NaN wins, as in torch.maximum: a max that let a finite operand beat NaN would
// hide a diverging input from the trainer's non-finite checks.
void maxF(KernelCall& c)
{
    const auto a = inArr(c, 0), b = inArr(c, 1);
    outArr(c) = (a < b || b.isNaN()).select(b, a);
}

void addB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float* gp = g.data();
    store(d, acc, g.numel(), [&](int64_t i) { return gp[i]; });
}
void subB(const KernelCall& c, int k, const Tensor& g, float* d, bool acc)
{
    const float* gp = g.data();
    const float s = k == 0 ? 1.0f : -1.0f;
    store(d, acc, g.numel(), [&](int64_t i) { return s * gp[i]; });
}
void mulB(const KernelCall& c, int k, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), *other = c.in[1 - k]->data();
    store(d, acc, g.numel(), [&](int64_t i) { return gp[i] * other[i]; });
}
void divB(const KernelCall& c, int k, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), *a = in0(c), *b = in1(c);
    if (k == 0)
        store(d, acc, g.numel(), [&](int64_t i) { return gp[i] / b[i]; });
    else
        store(d, acc, g.numel(), [&](int64_t i) { return -gp[i] * a[i] / (b[i] * b[i]); });
}
void maxB(const KernelCall& c, int k, const Tensor& g, float* d, bool acc)
{
    // Ties route the gradient to the first argument, so it is counted once.
    const float *gp = g.data(), *a = in0(c), *b = in1(c);
    if (k == 0)
        store(d, acc, g.numel(), [&](int64_t i) { return a[i] >= b[i] ? gp[i] : 0.0f; });
    else
        store(d, acc, g.numel(), [&](int64_t i) { return b[i] > a[i] ? gp[i] : 0.0f; });
}

// ---- unary --------------------------------------------------------------------
void negF(KernelCall& c) { outArr(c) = -inArr(c, 0); }
void expF(KernelCall& c) { outArr(c) = inArr(c, 0).exp(); }
void logF(KernelCall& c) { outArr(c) = inArr(c, 0).log(); }
void recipF(KernelCall& c) { outArr(c) = inArr(c, 0).inverse(); }
void addScalarF(KernelCall& c) { outArr(c) = inArr(c, 0) + c.attrs->scalar; }
void mulScalarF(KernelCall& c) { outArr(c) = inArr(c, 0) * c.attrs->scalar; }
void powF(KernelCall& c)
{
    const float p = c.attrs->scalar;
    const float* x = in0(c);
    float* y = c.out->data();
    for (int64_t i = 0; i < c.out->numel(); ++i) y[i] = std::pow(x[i], p);
}
void sigmoidF(KernelCall& c)
{
    // With e = exp(-|x|) (never overflows): 1/(1+e) for x >= 0 and e/(1+e) for x < 0,
    // so the negative tail keeps full relative precision (σ(-20) = 2.06e-9, σ(-50) =
    // 1.9e-22) and log σ(x) stays finite. The earlier 0.5·tanh(x/2)+0.5 rounded to
    // exactly 0 below x ≈ -17, and log σ(-20) became -inf (PyTorch: -20).
    const auto x = inArr(c, 0);
    Arr y = outArr(c);
    y = (-x.abs()).exp();
    y = (x >= 0.0f).select(1.0f / (1.0f + y), y / (1.0f + y));  // NaN stays NaN
}
void tanhF(KernelCall& c) { outArr(c) = inArr(c, 0).tanh(); }
// max(0, x) written so that NaN passes through (as torch.relu): std::max(0, NaN) is 0.
void reluF(KernelCall& c) { outArr(c) = (inArr(c, 0) < 0.0f).select(0.0f, inArr(c, 0)); }
void leakyF(KernelCall& c)
{
    const float a = c.attrs->scalar;
    outArr(c) = (inArr(c, 0) > 0.0f).select(inArr(c, 0), a * inArr(c, 0));
}
void eluF(KernelCall& c)
{
    const float a = c.attrs->scalar;
    outArr(c) = (inArr(c, 0) > 0.0f).select(inArr(c, 0), a * (inArr(c, 0).exp() - 1.0f));
}
void dropoutF(KernelCall& c)
{
    const float rate = c.attrs->scalar;
    const int64_t n = c.out->numel();
    const float* x = in0(c);
    float* y = c.out->data();
    if (!c.ctx || !c.ctx->training || rate <= 0.0f) {
        for (int64_t i = 0; i < n; ++i) y[i] = x[i];
        c.saved->fill(1.0f);
        return;
    }
    // Inverted dropout: survivors are scaled by 1/(1-rate) so eval needs no rescale.
    float* mask = c.saved->data();
    const float keep = 1.0f / (1.0f - rate);
    for (int64_t i = 0; i < n; ++i) {
        mask[i] = c.ctx->rng->uniform() < rate ? 0.0f : keep;
        y[i] = x[i] * mask[i];
    }
}

void negB(const KernelCall&, int, const Tensor& g, float* d, bool acc)
{
    const float* gp = g.data();
    store(d, acc, g.numel(), [&](int64_t i) { return -gp[i]; });
}
void expB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), *y = outp(c);
    store(d, acc, g.numel(), [&](int64_t i) { return gp[i] * y[i]; });
}
void logB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), *x = in0(c);
    store(d, acc, g.numel(), [&](int64_t i) { return gp[i] / x[i]; });
}
void recipB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), *y = outp(c);
    store(d, acc, g.numel(), [&](int64_t i) { return -gp[i] * y[i] * y[i]; });
}
void passB(const KernelCall&, int, const Tensor& g, float* d, bool acc)
{
    const float* gp = g.data();
    store(d, acc, g.numel(), [&](int64_t i) { return gp[i]; });
}
void mulScalarB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), a = c.attrs->scalar;
    store(d, acc, g.numel(), [&](int64_t i) { return a * gp[i]; });
}
void powB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), *x = in0(c), p = c.attrs->scalar;
    store(d, acc, g.numel(), [&](int64_t i) { return gp[i] * p * std::pow(x[i], p - 1.0f); });
}
void sigmoidB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), *y = outp(c);
    store(d, acc, g.numel(), [&](int64_t i) { return gp[i] * (1.0f - y[i]) * y[i]; });
}
void tanhB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), *y = outp(c);
    store(d, acc, g.numel(), [&](int64_t i) { return gp[i] * (1.0f - y[i] * y[i]); });
}
void reluB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), *x = in0(c);
    store(d, acc, g.numel(), [&](int64_t i) { return x[i] > 0.0f ? gp[i] : 0.0f; });
}
void leakyB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), *x = in0(c), a = c.attrs->scalar;
    store(d, acc, g.numel(), [&](int64_t i) { return x[i] > 0.0f ? gp[i] : a * gp[i]; });
}
void eluB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), *x = in0(c), *y = outp(c), a = c.attrs->scalar;
    store(d, acc, g.numel(), [&](int64_t i) { return x[i] > 0.0f ? gp[i] : gp[i] * (y[i] + a); });
}
void dropoutB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float *gp = g.data(), *mask = c.saved->data();
    store(d, acc, g.numel(), [&](int64_t i) { return gp[i] * mask[i]; });
}

} // namespace

bool allFinite(const float* p, int64_t n)
{
    // x - x is 0 for every finite x and NaN for NaN and ±inf; Eigen vectorises the sum.
    const CArr a(p, n);
    return (a - a).sum() == 0.0f;
}

void registerElementwise(Kernels* t)
{
    t[int(OpKind::Add)] = {addF, addB};
    t[int(OpKind::Sub)] = {subF, subB};
    t[int(OpKind::Mul)] = {mulF, mulB};
    t[int(OpKind::Div)] = {divF, divB};
    t[int(OpKind::Max)] = {maxF, maxB};
    t[int(OpKind::Neg)] = {negF, negB};
    t[int(OpKind::Exp)] = {expF, expB};
    t[int(OpKind::Log)] = {logF, logB};
    t[int(OpKind::Reciprocal)] = {recipF, recipB};
    t[int(OpKind::AddScalar)] = {addScalarF, passB};
    t[int(OpKind::MulScalar)] = {mulScalarF, mulScalarB};
    t[int(OpKind::Pow)] = {powF, powB};
    t[int(OpKind::Sigmoid)] = {sigmoidF, sigmoidB};
    t[int(OpKind::Tanh)] = {tanhF, tanhB};
    t[int(OpKind::Relu)] = {reluF, reluB};
    t[int(OpKind::LeakyRelu)] = {leakyF, leakyB};
    t[int(OpKind::Elu)] = {eluF, eluB};
    t[int(OpKind::Dropout)] = {dropoutF, dropoutB};
}

} // namespace nn::cpu
