// Conv2D on the CPU. Two algorithms:
//
// 1. Shifted-window direct convolution (stride 1, any padding and dilation; AVX-512).
//    Pad the sample once into xp [C, Hp, Wp] and index outputs by p = oy·Wp + ox (the
//    padded row pitch). Then the input under weight (c, ky, kx) for every output is
//    the contiguous run xp[c·Hp·Wp + ky·d·Wp + kx·d + p]: a GEMM whose right-hand
//    matrix is never materialised, each of its rows a shifted view of xp. The
//    micro-kernel keeps an 8×48 (or 6×64) block of outputs in registers and streams
//    the weights as broadcasts; columns with ox ≥ OW are computed and dropped (the
//    pitch costs Wp/OW extra work, far less than im2col's traffic: LeNet-5's first
//    layer would unroll each 28×28 image into 25×784 floats). The input gradient is
//    the same kernel run on the zero-padded upstream with the flipped, transposed
//    filters (a full convolution), and the weight gradient is its transpose: each
//    weight's dot product of the upstream with a shifted view of xp.
//
// 2. im2col + GEMM (strided convolutions, or builds without AVX-512), one sample
//    at a time. For sample n the input x_n [C, H, W] is unrolled into columns col [Q, P] with
// Q = C·KH·KW (one row per weight of a filter) and P = OH·OW (one column per
// output position); then
//     forward   Y_n [F, P]  = W [F, Q] · col
//     weights   dW  [F, Q] += dY_n [F, P] · colᵀ
//     input     dcol [Q, P] = Wᵀ · dY_n, scattered back onto dX_n (col2im).
// The columns of one sample fit in L2, so the unroll and the GEMM that reads it
// stay in cache; a batch-wide unroll would be several MB and stream through memory
// twice. A 1×1 convolution with stride 1 and no padding is already in column form:
// it skips the unroll and runs as plain GEMMs.
#include <algorithm>
#include <array>
#include <mutex>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "engine/backend/cpu/gemm.h"
#include "engine/backend/cpu/thread_pool.h"
#include "engine/backend/cpu/kernel_util.h"
#include "engine/backend/cpu/scratch.h"

namespace nn::cpu {

namespace {

struct Geom {
    int64_t n, c, h, w, f, kh, kw, oh, ow, stride, pad, dil;
    int64_t q() const { return c * kh * kw; }
    int64_t p() const { return oh * ow; }
    bool pointwise() const { return kh == 1 && kw == 1 && stride == 1 && pad == 0; }
};

Geom geom(const KernelCall& call)
{
    const Shape &x = call.in[0]->shape(), &wt = call.in[1]->shape(), &y = call.out->shape();
    const OpAttrs& a = *call.attrs;
    return {x[0], x[1], x[2], x[3], wt[0], wt[2], wt[3], y[2], y[3], a.stride, a.padding, a.dilation};
}

// Rows of an image are short (28, 14, 10 floats in LeNet-5): a memcpy call per row
// costs more than the copy, so rows move in masked 16-float vectors.
inline void copyRow(float* dst, const float* src, int64_t n)
{
#if defined(__AVX512F__)
    for (; n >= 16; n -= 16, src += 16, dst += 16) _mm512_storeu_ps(dst, _mm512_loadu_ps(src));
    if (n > 0) {
        const __mmask16 m = __mmask16((1u << n) - 1);
        _mm512_mask_storeu_ps(dst, m, _mm512_maskz_loadu_ps(m, src));
    }
#else
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
#endif
}

inline void addRow(float* dst, const float* src, int64_t n)
{
#if defined(__AVX512F__)
    for (; n >= 16; n -= 16, src += 16, dst += 16)
        _mm512_storeu_ps(dst, _mm512_add_ps(_mm512_loadu_ps(dst), _mm512_loadu_ps(src)));
    if (n > 0) {
        const __mmask16 m = __mmask16((1u << n) - 1);
        _mm512_mask_storeu_ps(dst, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst), _mm512_maskz_loadu_ps(m, src)));
    }
#else
    for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
#endif
}

inline void zeroRow(float* dst, int64_t n)
{
#if defined(__AVX512F__)
    for (; n >= 16; n -= 16, dst += 16) _mm512_storeu_ps(dst, _mm512_setzero_ps());
    if (n > 0) _mm512_mask_storeu_ps(dst, __mmask16((1u << n) - 1), _mm512_setzero_ps());
#else
    for (int64_t i = 0; i < n; ++i) dst[i] = 0.0f;
#endif
}

// Output columns [lo, hi) whose input column ox*stride - pad + kx*dil lies in [0, w).
void validRange(const Geom& g, int64_t kx, int64_t& lo, int64_t& hi)
{
    const int64_t first = g.pad - kx * g.dil;  // need ox*stride >= first
    lo = first <= 0 ? 0 : (first + g.stride - 1) / g.stride;
    const int64_t last = g.w - 1 + g.pad - kx * g.dil;  // need ox*stride <= last
    hi = last < 0 ? 0 : std::min(g.ow, last / g.stride + 1);
    lo = std::min(lo, hi);
}

// col[(c*kh + ky)*kw + kx][oy*ow + ox] = x[c][oy*s - pad + ky*d][ox*s - pad + kx*d] (0 outside).
void im2col(const float* x, const Geom& g, float* col)
{
    const int64_t P = g.p();
    for (int64_t c = 0; c < g.c; ++c)
        for (int64_t ky = 0; ky < g.kh; ++ky)
            for (int64_t kx = 0; kx < g.kw; ++kx) {
                float* row = col + ((c * g.kh + ky) * g.kw + kx) * P;
                int64_t lo, hi;
                validRange(g, kx, lo, hi);
                for (int64_t oy = 0; oy < g.oh; ++oy) {
                    float* r = row + oy * g.ow;
                    const int64_t iy = oy * g.stride - g.pad + ky * g.dil;
                    if (iy < 0 || iy >= g.h) {
                        zeroRow(r, g.ow);
                        continue;
                    }
                    // Input column of output column ox: ox*stride + off (valid for ox in [lo, hi)).
                    const float* src = x + (c * g.h + iy) * g.w;
                    const int64_t off = kx * g.dil - g.pad;
                    if (lo > 0) zeroRow(r, lo);
                    if (g.stride == 1)
                        copyRow(r + lo, src + lo + off, hi - lo);
                    else
                        for (int64_t ox = lo; ox < hi; ++ox) r[ox] = src[ox * g.stride + off];
                    if (hi < g.ow) zeroRow(r + hi, g.ow - hi);
                }
            }
}

// The adjoint of im2col: dx[c][iy][ix] += every column entry that copied it.
void col2im(const float* col, const Geom& g, float* dx)
{
    const int64_t P = g.p();
    for (int64_t c = 0; c < g.c; ++c)
        for (int64_t ky = 0; ky < g.kh; ++ky)
            for (int64_t kx = 0; kx < g.kw; ++kx) {
                const float* row = col + ((c * g.kh + ky) * g.kw + kx) * P;
                int64_t lo, hi;
                validRange(g, kx, lo, hi);
                for (int64_t oy = 0; oy < g.oh; ++oy) {
                    const int64_t iy = oy * g.stride - g.pad + ky * g.dil;
                    if (iy < 0 || iy >= g.h) continue;
                    const float* r = row + oy * g.ow;
                    float* dst = dx + (c * g.h + iy) * g.w;
                    const int64_t off = kx * g.dil - g.pad;
                    if (g.stride == 1)
                        addRow(dst + lo + off, r + lo, hi - lo);
                    else
                        for (int64_t ox = lo; ox < hi; ++ox) dst[ox * g.stride + off] += r[ox];
                }
            }
}


#if defined(__AVX512F__)
// ---- shifted-window direct convolution ----------------------------------------

constexpr int64_t kLanes = 16;
int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// out[f·outStride + p] = Σ_q w[f·wStride + q] · src[qoff[q] + p] for f < FB and
// p in [p0, p1), p1 - p0 a multiple of 16·V.
template <int FB, int V>
void shiftedBlock(const float* src, const int64_t* qoff, int64_t nq, const float* const* wrow, float* const* orow,
                  int64_t p0, int64_t p1)
{
    for (int64_t p = p0; p < p1; p += kLanes * V) {
        __m512 acc[FB][V];
#pragma GCC unroll 8
        for (int f = 0; f < FB; ++f)
#pragma GCC unroll 4
            for (int v = 0; v < V; ++v) acc[f][v] = _mm512_setzero_ps();
        for (int64_t q = 0; q < nq; ++q) {
            const float* s = src + qoff[q] + p;
            __m512 x[V];
#pragma GCC unroll 4
            for (int v = 0; v < V; ++v) x[v] = _mm512_loadu_ps(s + kLanes * v);
#pragma GCC unroll 8
            for (int f = 0; f < FB; ++f) {
                const __m512 wv = _mm512_set1_ps(wrow[f][q]);
#pragma GCC unroll 4
                for (int v = 0; v < V; ++v) acc[f][v] = _mm512_fmadd_ps(wv, x[v], acc[f][v]);
            }
        }
#pragma GCC unroll 8
        for (int f = 0; f < FB; ++f)
#pragma GCC unroll 4
            for (int v = 0; v < V; ++v) _mm512_storeu_ps(orow[f] + p + kLanes * v, acc[f][v]);
    }
}

// Filters in blocks of FB (the last block repeats filter F-1: same values, same
// row, no harm) and outputs in runs of 16·V then single vectors. lp is a multiple of 16.
template <int FB, int V>
void shiftedRun(const float* src, const int64_t* qoff, int64_t nq, const float* w, int64_t wStride, int64_t nf,
                float* out, int64_t outStride, int64_t lp)
{
    const int64_t main = lp / (kLanes * V) * (kLanes * V);
    for (int64_t f0 = 0; f0 < nf; f0 += FB) {
        const float* wrow[FB];
        float* orow[FB];
        for (int f = 0; f < FB; ++f) {
            const int64_t fi = std::min(f0 + f, nf - 1);
            wrow[f] = w + fi * wStride;
            orow[f] = out + fi * outStride;
        }
        shiftedBlock<FB, V>(src, qoff, nq, wrow, orow, 0, main);
        shiftedBlock<FB, 1>(src, qoff, nq, wrow, orow, main, lp);
    }
}

void shifted(const float* src, const int64_t* qoff, int64_t nq, const float* w, int64_t wStride, int64_t nf,
             float* out, int64_t outStride, int64_t lp)
{
    if (nf % 8 == 0 || nf > 6)
        shiftedRun<8, 3>(src, qoff, nq, w, wStride, nf, out, outStride, lp);
    else
        shiftedRun<6, 4>(src, qoff, nq, w, wStride, nf, out, outStride, lp);
}

// Weight gradient block: acc[f][j] += Σ_p dy[f][p] · src[qoff[j] + p] over p in
// [0, lp), for FB filters × QB weights.
template <int FB, int QB>
void weightBlock(const float* const* dyrow, const float* src, const int64_t* qoff, int64_t lp, __m512 (&acc)[FB][QB])
{
    for (int64_t p = 0; p < lp; p += kLanes) {
        __m512 dv[FB];
#pragma GCC unroll 8
        for (int f = 0; f < FB; ++f) dv[f] = _mm512_loadu_ps(dyrow[f] + p);
#pragma GCC unroll 8
        for (int j = 0; j < QB; ++j) {
            const __m512 xv = _mm512_loadu_ps(src + qoff[j] + p);
#pragma GCC unroll 8
            for (int f = 0; f < FB; ++f) acc[f][j] = _mm512_fmadd_ps(dv[f], xv, acc[f][j]);
        }
    }
}

struct Shifted {
    int64_t hp, wp, plane, oh, ow, lp;  // padded input, output rows/cols, output run (multiple of 16)
    int64_t srcFloats;                  // padded sample plus slack for the last vector's overrun
};

Shifted shiftedGeom(const Geom& g)
{
    Shifted s;
    s.hp = g.h + 2 * g.pad;
    s.wp = g.w + 2 * g.pad;
    s.plane = s.hp * s.wp;
    s.oh = g.oh;
    s.ow = g.ow;
    s.lp = roundUp((g.oh - 1) * s.wp + g.ow, kLanes);
    s.srcFloats = g.c * s.plane + kLanes;
    return s;
}

// xp[c][pad + iy][pad + ix] = x[c][iy][ix], zero borders and slack.
void padSample(const float* x, int64_t c, int64_t h, int64_t w, int64_t pad, float* xp, int64_t floats)
{
    const int64_t hp = h + 2 * pad, wp = w + 2 * pad;
    if (pad == 0) {
        copyRow(xp, x, c * h * w);
    } else {
        zeroRow(xp, c * hp * wp);
        for (int64_t ci = 0; ci < c; ++ci)
            for (int64_t iy = 0; iy < h; ++iy) copyRow(xp + (ci * hp + iy + pad) * wp + pad, x + (ci * h + iy) * w, w);
    }
    zeroRow(xp + c * hp * wp, floats - c * hp * wp);
}

void weightOffsets(const Geom& g, int64_t wp, int64_t plane, int64_t* qoff)
{
    for (int64_t c = 0; c < g.c; ++c)
        for (int64_t ky = 0; ky < g.kh; ++ky)
            for (int64_t kx = 0; kx < g.kw; ++kx)
                qoff[(c * g.kh + ky) * g.kw + kx] = c * plane + ky * g.dil * wp + kx * g.dil;
}

void shiftedForward(const Geom& g, const float* x, const float* w, float* y)
{
    const Shifted s = shiftedGeom(g);
    const int64_t Q = g.q(), in = g.c * g.h * g.w, P = g.p();
    float* xp = scratch(size_t(s.srcFloats), 0);
    float* out = scratch(size_t(g.f * s.lp), 1);
    int64_t* qoff = reinterpret_cast<int64_t*>(scratch(size_t(2 * Q), 2));
    weightOffsets(g, s.wp, s.plane, qoff);
    for (int64_t n = 0; n < g.n; ++n) {
        padSample(x + n * in, g.c, g.h, g.w, g.pad, xp, s.srcFloats);
        shifted(xp, qoff, Q, w, Q, g.f, out, s.lp, s.lp);
        float* yn = y + n * g.f * P;
        for (int64_t f = 0; f < g.f; ++f)
            for (int64_t oy = 0; oy < g.oh; ++oy) copyRow(yn + f * P + oy * g.ow, out + f * s.lp + oy * s.wp, g.ow);
    }
}

// dX = the full convolution of dY with the flipped filters: pad dY_n by d·(K-1) on
// every side and run the forward kernel with w'[c][f][ky][kx] = w[f][c][K-1-ky][K-1-kx];
// its output is the padded input's gradient, cropped by `pad`.
void shiftedInputGrad(const Geom& g, const float* w, const float* dy, float* dx, bool acc)
{
    const int64_t ey = g.dil * (g.kh - 1), ex = g.dil * (g.kw - 1);
    const int64_t hq = g.oh + 2 * ey, wq = g.ow + 2 * ex, planeQ = hq * wq;
    const int64_t hp = g.h + 2 * g.pad, wp = g.w + 2 * g.pad;  // = hq - ey, wq - ex
    const int64_t lp = roundUp((hp - 1) * wq + wp, kLanes);
    const int64_t Qt = g.f * g.kh * g.kw, K2 = g.kh * g.kw, P = g.p(), in = g.c * g.h * g.w;
    const int64_t srcFloats = g.f * planeQ + kLanes;
    float* dyq = scratch(size_t(srcFloats), 0);
    float* out = scratch(size_t(g.c * lp), 1);
    int64_t* qoff = reinterpret_cast<int64_t*>(scratch(size_t(2 * Qt), 2));
    float* wt = scratch(size_t(g.c * Qt), 3);
    for (int64_t f = 0; f < g.f; ++f)
        for (int64_t c = 0; c < g.c; ++c)
            for (int64_t k = 0; k < K2; ++k) wt[c * Qt + f * K2 + k] = w[(f * g.c + c) * K2 + (K2 - 1 - k)];
    for (int64_t f = 0; f < g.f; ++f)
        for (int64_t ky = 0; ky < g.kh; ++ky)
            for (int64_t kx = 0; kx < g.kw; ++kx) qoff[f * K2 + ky * g.kw + kx] = f * planeQ + ky * g.dil * wq + kx * g.dil;
    for (int64_t n = 0; n < g.n; ++n) {
        zeroRow(dyq, srcFloats);
        const float* dyn = dy + n * g.f * P;
        for (int64_t f = 0; f < g.f; ++f)
            for (int64_t oy = 0; oy < g.oh; ++oy) copyRow(dyq + f * planeQ + (oy + ey) * wq + ex, dyn + f * P + oy * g.ow, g.ow);
        shifted(dyq, qoff, Qt, wt, Qt, g.c, out, lp, lp);
        float* dxn = dx + n * in;
        for (int64_t c = 0; c < g.c; ++c)
            for (int64_t iy = 0; iy < g.h; ++iy) {
                const float* src = out + c * lp + (iy + g.pad) * wq + g.pad;
                float* dst = dxn + (c * g.h + iy) * g.w;
                if (acc)
                    addRow(dst, src, g.w);
                else
                    copyRow(dst, src, g.w);
            }
    }
}

// (_mm512_reduce_add_ps trips GCC 12's -Wmaybe-uninitialized inside its own header.)
float hsum(__m512 v)
{
    alignas(64) float t[kLanes];
    _mm512_store_ps(t, v);
    float s = 0;
    for (float x : t) s += x;
    return s;
}

template <int FB, int QB>
void shiftedWeightGradRun(const Geom& g, const Shifted& s, const float* xps, const float* dys, int64_t count,
                          const int64_t* qoff, float* dw)
{
    const int64_t Q = g.q();
    for (int64_t f0 = 0; f0 < g.f; f0 += FB)
        for (int64_t q0 = 0; q0 < Q; q0 += QB) {
            int64_t qo[QB];
            for (int j = 0; j < QB; ++j) qo[j] = qoff[std::min(q0 + j, Q - 1)];
            __m512 acc[FB][QB];
            for (int f = 0; f < FB; ++f)
                for (int j = 0; j < QB; ++j) acc[f][j] = _mm512_setzero_ps();
            for (int64_t n = 0; n < count; ++n) {
                const float* dyrow[FB];
                for (int f = 0; f < FB; ++f) dyrow[f] = dys + (n * g.f + std::min(f0 + f, g.f - 1)) * s.lp;
                weightBlock<FB, QB>(dyrow, xps + n * s.srcFloats, qo, s.lp, acc);
            }
            for (int f = 0; f < FB && f0 + f < g.f; ++f)
                for (int j = 0; j < QB && q0 + j < Q; ++j) dw[(f0 + f) * Q + q0 + j] += hsum(acc[f][j]);
        }
}

// dW[f][q] = Σ_n Σ_p dY_n[f][p] · xp_n[qoff[q] + p], with dY laid out at the padded
// pitch (zeros in the dropped columns). Samples go in groups small enough for L2.
void shiftedWeightGrad(const Geom& g, const float* x, const float* dy, float* dw, bool acc)
{
    const Shifted s = shiftedGeom(g);
    const int64_t Q = g.q(), in = g.c * g.h * g.w, P = g.p();
    const int64_t perSample = s.srcFloats + g.f * s.lp;
    const int64_t group = std::clamp<int64_t>((256 << 10) / perSample, 1, g.n);
    float* xps = scratch(size_t(group * s.srcFloats), 0);
    float* dys = scratch(size_t(group * g.f * s.lp), 1);
    int64_t* qoff = reinterpret_cast<int64_t*>(scratch(size_t(2 * Q), 2));
    weightOffsets(g, s.wp, s.plane, qoff);
    if (!acc) zeroRow(dw, g.f * Q);
    for (int64_t n0 = 0; n0 < g.n; n0 += group) {
        const int64_t count = std::min(group, g.n - n0);
        for (int64_t i = 0; i < count; ++i) {
            padSample(x + (n0 + i) * in, g.c, g.h, g.w, g.pad, xps + i * s.srcFloats, s.srcFloats);
            float* dyp = dys + i * g.f * s.lp;
            zeroRow(dyp, g.f * s.lp);
            const float* dyn = dy + (n0 + i) * g.f * P;
            for (int64_t f = 0; f < g.f; ++f)
                for (int64_t oy = 0; oy < g.oh; ++oy) copyRow(dyp + f * s.lp + oy * s.wp, dyn + f * P + oy * g.ow, g.ow);
        }
        if (g.f % 8 == 0)
            shiftedWeightGradRun<8, 3>(g, s, xps, dys, count, qoff, dw);
        else if (g.f % 6 == 0)
            shiftedWeightGradRun<6, 4>(g, s, xps, dys, count, qoff, dw);
        else
            shiftedWeightGradRun<4, 6>(g, s, xps, dys, count, qoff, dw);
    }
}

bool useShifted(const Geom& g) { return g.stride == 1 && !g.pointwise(); }

// The batch split over the engine's threads (--threads): samples are independent
// in the forward pass and the input gradient; the weight gradient sums over
// samples, so each share sums its own and the caller adds them up in share order
// (the same numbers for the same thread count, run after run).
void parallelShiftedForward(const Geom& g, const float* x, const float* w, float* y)
{
    const int64_t in = g.c * g.h * g.w, out = g.f * g.p();
    parallelFor(g.n, [&](int64_t b, int64_t e) {
        Geom part = g;
        part.n = e - b;
        shiftedForward(part, x + b * in, w, y + b * out);
    });
}

void parallelShiftedInputGrad(const Geom& g, const float* w, const float* dy, float* dx, bool acc)
{
    const int64_t in = g.c * g.h * g.w, out = g.f * g.p();
    parallelFor(g.n, [&](int64_t b, int64_t e) {
        Geom part = g;
        part.n = e - b;
        shiftedInputGrad(part, w, dy + b * out, dx + b * in, acc);
    });
}

void parallelShiftedWeightGrad(const Geom& g, const float* x, const float* dy, float* dw, bool acc)
{
    const int64_t in = g.c * g.h * g.w, out = g.f * g.p(), fq = g.f * g.q();
    struct Part {
        int64_t begin;
        const float* sum;
    };
    std::array<Part, kMaxShares> parts;
    int count = 0;
    std::mutex m;
    parallelFor(g.n, [&](int64_t b, int64_t e) {
        Geom part = g;
        part.n = e - b;
        if (b == 0) {  // the calling thread's share goes straight into dW
            shiftedWeightGrad(part, x, dy, dw, acc);
            return;
        }
        float* mine = scratch(size_t(fq), 3);  // slots 0-2 are shiftedWeightGrad's own
        shiftedWeightGrad(part, x + b * in, dy + b * out, mine, false);
        std::lock_guard lock(m);
        parts[size_t(count++)] = {b, mine};
    });
    std::sort(parts.begin(), parts.begin() + count, [](const Part& a, const Part& b) { return a.begin < b.begin; });
    for (int i = 0; i < count; ++i)
        for (int64_t k = 0; k < fq; ++k) dw[k] += parts[size_t(i)].sum[k];
}
#else
[[maybe_unused]] bool useShifted(const Geom&) { return false; }  // unused: its callers are AVX-512 only
#endif

void convF(KernelCall& call)
{
    const Geom g = geom(call);
#if defined(__AVX512F__)
    if (useShifted(g)) return parallelShiftedForward(g, in0(call), in1(call), call.out->data());
#endif
    const int64_t Q = g.q(), P = g.p(), in = g.c * g.h * g.w;
    const float *x = in0(call), *wt = in1(call);
    float* y = call.out->data();
    float* col = g.pointwise() ? nullptr : scratch(size_t(Q * P));
    for (int64_t n = 0; n < g.n; ++n) {
        const float* xn = x + n * in;
        if (col) im2col(xn, g, col);
        gemm(false, false, int(g.f), int(P), int(Q), 1.0f, wt, int(Q), col ? col : xn, int(P), 0.0f,
             y + n * g.f * P, int(P));
    }
}

void convB(const KernelCall& call, int which, const Tensor& up, float* d, bool acc)
{
    const Geom g = geom(call);
    const int64_t Q = g.q(), P = g.p(), in = g.c * g.h * g.w;
    const float *x = in0(call), *wt = in1(call), *dy = up.data();
#if defined(__AVX512F__)
    if (useShifted(g)) {
        if (which == 1) return parallelShiftedWeightGrad(g, x, dy, d, acc);
        return parallelShiftedInputGrad(g, wt, dy, d, acc);
    }
#endif
    if (which == 1) {  // dW [F, Q] = Σ_n dY_n · col_nᵀ
        float* col = g.pointwise() ? nullptr : scratch(size_t(Q * P));
        for (int64_t n = 0; n < g.n; ++n) {
            const float* xn = x + n * in;
            if (col) im2col(xn, g, col);
            gemm(false, true, int(g.f), int(Q), int(P), 1.0f, dy + n * g.f * P, int(P), col ? col : xn, int(P),
                 n == 0 && !acc ? 0.0f : 1.0f, d, int(Q));
        }
        return;
    }
    // dX_n = col2im(Wᵀ · dY_n)
    if (g.pointwise()) {
        for (int64_t n = 0; n < g.n; ++n)
            gemm(true, false, int(Q), int(P), int(g.f), 1.0f, wt, int(Q), dy + n * g.f * P, int(P), acc ? 1.0f : 0.0f,
                 d + n * in, int(P));
        return;
    }
    float* dcol = scratch(size_t(Q * P));
    if (!acc) std::fill(d, d + g.n * in, 0.0f);
    for (int64_t n = 0; n < g.n; ++n) {
        gemm(true, false, int(Q), int(P), int(g.f), 1.0f, wt, int(Q), dy + n * g.f * P, int(P), 0.0f, dcol, int(P));
        col2im(dcol, g, d + n * in);
    }
}

} // namespace

void registerConv(Kernels* t) { t[int(OpKind::Conv2D)] = {convF, convB}; }

} // namespace nn::cpu
