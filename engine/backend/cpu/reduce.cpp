// Reductions on the CPU: Sum, Mean, Maxout, Softmax, LogSoftmax.
#include <algorithm>
#include <cmath>

#include "engine/backend/cpu/kernel_util.h"

namespace nn::cpu {

namespace {

void sumF(KernelCall& c)
{
    double s = 0;  // double accumulator: sums of many floats stay exact enough for checks
    const float* x = in0(c);
    for (int64_t i = 0; i < c.in[0]->numel(); ++i) s += x[i];
    c.out->data()[0] = float(s);
}
void meanF(KernelCall& c)
{
    sumF(c);
    c.out->data()[0] /= float(std::max<int64_t>(1, c.in[0]->numel()));
}
void sumB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float gv = g.data()[0];
    store(d, acc, c.in[0]->numel(), [&](int64_t) { return gv; });
}
void meanB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const float gv = g.data()[0] / float(std::max<int64_t>(1, c.in[0]->numel()));
    store(d, acc, c.in[0]->numel(), [&](int64_t) { return gv; });
}

// saved holds the winning index within each group, as a float.
void maxoutF(KernelCall& c)
{
    const int64_t rows = c.out->shape()[0], m = c.out->shape()[1], k = c.attrs->pieces;
    const float* x = in0(c);
    float *y = c.out->data(), *arg = c.saved->data();
    for (int64_t i = 0; i < rows * m; ++i) {
        const float* g = x + i * k;
        int64_t best = 0;
        for (int64_t p = 1; p < k; ++p)
            if (g[p] > g[best] || std::isnan(g[p])) best = p;  // NaN wins: divergence stays visible
        y[i] = g[best];
        arg[i] = float(best);
    }
}
void maxoutB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const int64_t n = c.out->numel(), k = c.attrs->pieces;
    const float *gp = g.data(), *arg = c.saved->data();
    if (!acc) std::fill(d, d + n * k, 0.0f);
    for (int64_t i = 0; i < n; ++i) d[i * k + int64_t(arg[i])] += gp[i];
}

template <bool Log> void softmaxRows(KernelCall& c)
{
    const int64_t rows = c.out->shape()[0], m = c.out->shape()[1];
    const float* x = in0(c);
    float* y = c.out->data();
    for (int64_t i = 0; i < rows; ++i) {
        const float* xr = x + i * m;
        float* yr = y + i * m;
        const float mx = *std::max_element(xr, xr + m);
        float s = 0;
        for (int64_t j = 0; j < m; ++j) s += std::exp(xr[j] - mx);
        if (Log) {
            const float ls = std::log(s) + mx;
            for (int64_t j = 0; j < m; ++j) yr[j] = xr[j] - ls;
        } else {
            const float inv = 1.0f / s;
            for (int64_t j = 0; j < m; ++j) yr[j] = std::exp(xr[j] - mx) * inv;
        }
    }
}
void softmaxF(KernelCall& c) { softmaxRows<false>(c); }
void logSoftmaxF(KernelCall& c) { softmaxRows<true>(c); }

void softmaxB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const int64_t rows = c.out->shape()[0], m = c.out->shape()[1];
    const float *p = outp(c), *gp = g.data();
    for (int64_t i = 0; i < rows; ++i) {
        const float *pr = p + i * m, *gr = gp + i * m;
        float dot = 0;
        for (int64_t j = 0; j < m; ++j) dot += gr[j] * pr[j];
        float* dr = d + i * m;
        store(dr, acc, m, [&](int64_t j) { return pr[j] * (gr[j] - dot); });
    }
}
void logSoftmaxB(const KernelCall& c, int, const Tensor& g, float* d, bool acc)
{
    const int64_t rows = c.out->shape()[0], m = c.out->shape()[1];
    const float *ly = outp(c), *gp = g.data();
    for (int64_t i = 0; i < rows; ++i) {
        const float *lr = ly + i * m, *gr = gp + i * m;
        float s = 0;
        for (int64_t j = 0; j < m; ++j) s += gr[j];
        float* dr = d + i * m;
        store(dr, acc, m, [&](int64_t j) { return gr[j] - std::exp(lr[j]) * s; });
    }
}

} // namespace

void registerReduce(Kernels* t)
{
    t[int(OpKind::Sum)] = {sumF, sumB};
    t[int(OpKind::Mean)] = {meanF, meanB};
    t[int(OpKind::Maxout)] = {maxoutF, maxoutB};
    t[int(OpKind::Softmax)] = {softmaxF, softmaxB};
    t[int(OpKind::LogSoftmax)] = {logSoftmaxF, logSoftmaxB};
}

} // namespace nn::cpu
