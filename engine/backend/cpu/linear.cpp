// MatMul, BiasAdd, Flatten and Concat on the CPU.
#include <algorithm>
#include <cstring>

#include "engine/backend/cpu/gemm.h"
#include "engine/backend/cpu/kernel_util.h"

namespace nn::cpu {

namespace {

void matmulF(KernelCall& c)
{
    const Shape &a = c.in[0]->shape(), &b = c.in[1]->shape();
    const int n = int(a[0]), k = int(a[1]), m = int(b[1]);
    gemm(false, false, n, m, k, 1.0f, in0(c), k, in1(c), m, 0.0f, c.out->data(), m);
}

void matmulB(const KernelCall& c, int which, const Tensor& g, float* d, bool acc)
{
    const Shape &a = c.in[0]->shape(), &b = c.in[1]->shape();
    const int n = int(a[0]), k = int(a[1]), m = int(b[1]);
    const float beta = acc ? 1.0f : 0.0f;
    if (which == 0)  // dX[n,k] = G[n,m] · Wᵀ
        gemm(false, true, n, k, m, 1.0f, g.data(), m, in1(c), m, beta, d, k);
    else  // dW[k,m] = Xᵀ · G
        gemm(true, false, k, m, n, 1.0f, in0(c), k, g.data(), m, beta, d, m);
}

// x viewed as [N, M, S]: S = 1 for [N, M] rows, H·W for per-channel image bias.
void biasF(KernelCall& c)
{
    const Shape& s = c.out->shape();
    const int64_t n = s[0], m = s[1], inner = s.numel() / (n * m);
    const float *x = in0(c), *b = in1(c);
    float* y = c.out->data();
    if (inner == 1) {
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < m; ++j) y[i * m + j] = x[i * m + j] + b[j];
        return;
    }
    for (int64_t i = 0; i < n * m; ++i) {
        const float bj = b[i % m];
        for (int64_t k = 0; k < inner; ++k) y[i * inner + k] = x[i * inner + k] + bj;
    }
}

// Sum of n contiguous floats with 16 independent partial sums: a single running
// sum is one dependent add after another (4 cycles each) and cannot vectorise
// without reassociation; this is the same order on every run.
float sumContiguous(const float* p, int64_t n)
{
    float part[16] = {};
    int64_t k = 0;
    for (; k + 16 <= n; k += 16)
        for (int l = 0; l < 16; ++l) part[l] += p[k + l];
    for (; k < n; ++k) part[k % 16] += p[k];
    float sum = 0;
    for (float v : part) sum += v;
    return sum;
}

void biasB(const KernelCall& c, int which, const Tensor& g, float* d, bool acc)
{
    const float* gp = g.data();
    if (which == 0) {
        store(d, acc, g.numel(), [&](int64_t i) { return gp[i]; });
        return;
    }
    const Shape& s = g.shape();
    const int64_t n = s[0], m = s[1], inner = s.numel() / (n * m);
    if (!acc)
        for (int64_t j = 0; j < m; ++j) d[j] = 0.0f;
    if (inner == 1) {
        for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < m; ++j) d[j] += gp[i * m + j];
        return;
    }
    for (int64_t i = 0; i < n * m; ++i) d[i % m] += sumContiguous(gp + i * inner, inner);
}

void flattenF(KernelCall& c)
{
    // The graph normally makes the output a view of the input; copy only if not.
    if (!c.out->sharesStorageWith(*c.in[0])) c.out->copyFrom(*c.in[0]);
}

void flattenB(const KernelCall&, int, const Tensor& g, float* d, bool acc)
{
    const float* gp = g.data();
    store(d, acc, g.numel(), [&](int64_t i) { return gp[i]; });
}

// Along axis 1: each sample is [C1·S values of a][C2·S values of b].
void concatF(KernelCall& c)
{
    const Shape &a = c.in[0]->shape(), &b = c.in[1]->shape();
    const int64_t n = a[0], sa = a.numel() / n, sb = b.numel() / n;
    const float *pa = in0(c), *pb = in1(c);
    float* y = c.out->data();
    for (int64_t i = 0; i < n; ++i) {
        std::memcpy(y + i * (sa + sb), pa + i * sa, size_t(sa) * sizeof(float));
        std::memcpy(y + i * (sa + sb) + sa, pb + i * sb, size_t(sb) * sizeof(float));
    }
}

void concatB(const KernelCall& c, int which, const Tensor& g, float* d, bool acc)
{
    const Shape &a = c.in[0]->shape(), &b = c.in[1]->shape();
    const int64_t n = a[0], sa = a.numel() / n, sb = b.numel() / n;
    const int64_t len = which == 0 ? sa : sb, offset = which == 0 ? 0 : sa;
    const float* gp = g.data();
    for (int64_t i = 0; i < n; ++i) {
        const float* src = gp + i * (sa + sb) + offset;
        store(d + i * len, acc, len, [&](int64_t k) { return src[k]; });
    }
}

} // namespace

void registerLinear(Kernels* t)
{
    t[int(OpKind::Concat)] = {concatF, concatB};
    t[int(OpKind::MatMul)] = {matmulF, matmulB};
    t[int(OpKind::BiasAdd)] = {biasF, biasB};
    t[int(OpKind::Flatten)] = {flattenF, flattenB};
}

} // namespace nn::cpu
