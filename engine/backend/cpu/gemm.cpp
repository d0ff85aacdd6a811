#include "engine/backend/cpu/gemm.h"

#include "engine/backend/cpu/blas.h"

namespace nn::cpu {

namespace {

// Below this many multiply-adds a hand loop beats sgemm's dispatch (measured:
// ~1 µs of fixed cost per call against ~8 ns for a 32×8×8 product).
constexpr long kSmallGemm = 48 * 48 * 48;

void smallGemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* a, int lda,
               const float* b, int ldb, float beta, float* c, int ldc)
{
    for (int i = 0; i < m; ++i) {
        float* crow = c + long(i) * ldc;
        if (beta == 0.0f)
            for (int j = 0; j < n; ++j) crow[j] = 0.0f;
        else if (beta != 1.0f)
            for (int j = 0; j < n; ++j) crow[j] *= beta;
        for (int p = 0; p < k; ++p) {
            const float av = alpha * (transA ? a[long(p) * lda + i] : a[long(i) * lda + p]);
            if (!transB) {
                const float* brow = b + long(p) * ldb;
                for (int j = 0; j < n; ++j) crow[j] += av * brow[j];
            } else {
                for (int j = 0; j < n; ++j) crow[j] += av * b[long(j) * ldb + p];
            }
        }
    }
}

} // namespace

void gemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc)
{
    if (long(m) * n * k <= kSmallGemm) {
        smallGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    blas::sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

} // namespace nn::cpu
