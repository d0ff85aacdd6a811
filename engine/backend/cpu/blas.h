#pragma once
// OpenBLAS, opened at first use instead of linked, so the engine can choose its
// kernels before the library initialises: Debian's OpenBLAS 0.3.21 picks its
// Cooperlake sgemm on AMD Zen 5, which reaches half the FMA ceiling there, while
// its SkylakeX kernels reach 94% (measured with `nnstudio-cli devices`). The
// choice replaces an inherited OPENBLAS_CORETYPE (some images pin Haswell, 35%
// there); NNSTUDIO_BLAS_CORE=NAME forces a core, NNSTUDIO_BLAS_CORE=openblas
// leaves OpenBLAS and OPENBLAS_CORETYPE alone.
#include <string>

namespace nn::cpu::blas {

// Row-major C = alpha·op(A)·op(B) + beta·C through cblas_sgemm.
void sgemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
           int ldb, float beta, float* c, int ldc);
void setThreads(int threads);
int processors();
// The kernel family OpenBLAS runs ("SkylakeX", "Haswell" ...), and the one this
// engine asked for ("" = OpenBLAS's own detection).
std::string coreName();
std::string requestedCore();

} // namespace nn::cpu::blas
