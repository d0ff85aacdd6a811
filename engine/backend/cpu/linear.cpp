// MatMul, BiasAdd and Flatten on the CPU.
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

void biasF(KernelCall& c)
{
    const int64_t n = c.out->shape()[0], m = c.out->shape()[1];
    const float *x = in0(c), *b = in1(c);
    float* y = c.out->data();
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j) y[i * m + j] = x[i * m + j] + b[j];
}

void biasB(const KernelCall& c, int which, const Tensor& g, float* d, bool acc)
{
    const float* gp = g.data();
    if (which == 0) {
        store(d, acc, g.numel(), [&](int64_t i) { return gp[i]; });
        return;
    }
    const int64_t n = g.shape()[0], m = g.shape()[1];
    if (!acc)
        for (int64_t j = 0; j < m; ++j) d[j] = 0.0f;
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < m; ++j) d[j] += gp[i * m + j];
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

} // namespace

void registerLinear(Kernels* t)
{
    t[int(OpKind::MatMul)] = {matmulF, matmulB};
    t[int(OpKind::BiasAdd)] = {biasF, biasB};
    t[int(OpKind::Flatten)] = {flattenF, flattenB};
}

} // namespace nn::cpu
