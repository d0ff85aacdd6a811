#pragma once
// C = alpha * op(A) · op(B) + beta * C, row-major. Tiny products (the teaching
// nets) run in our own loops, where a BLAS call's fixed overhead would dominate;
// everything else goes to OpenBLAS sgemm.
namespace nn::cpu {

void gemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* a, int lda,
          const float* b, int ldb, float beta, float* c, int ldc);

} // namespace nn::cpu
