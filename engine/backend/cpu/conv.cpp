// Conv2D on the CPU: im2col + GEMM, one sample at a time.
//
// For sample n the input x_n [C, H, W] is unrolled into columns col [Q, P] with
// Q = C·KH·KW (one row per weight of a filter) and P = OH·OW (one column per
// output position); then
//     forward   Y_n [F, P]  = W [F, Q] · col
//     weights   dW  [F, Q] += dY_n [F, P] · colᵀ
//     input     dcol [Q, P] = Wᵀ · dY_n, scattered back onto dX_n (col2im).
// The columns of one sample fit in L2 (LeNet-5: 25×784 and 150×100 floats), so
// the unroll and the GEMM that reads it stay in cache; a batch-wide unroll would
// be several MB and stream through memory twice. A 1×1 convolution with stride 1
// and no padding is already in column form and skips the unroll.
#include <algorithm>
#include <cstring>

#include "engine/backend/cpu/gemm.h"
#include "engine/backend/cpu/kernel_util.h"
#include "engine/backend/cpu/scratch.h"

namespace nn::cpu {

namespace {

struct Geom {
    int64_t n, c, h, w, f, kh, kw, oh, ow, stride, pad, dil;
    int64_t q() const { return c * kh * kw; }
    int64_t p() const { return oh * ow; }
    bool direct() const { return kh == 1 && kw == 1 && stride == 1 && pad == 0; }
};

Geom geom(const KernelCall& call)
{
    const Shape &x = call.in[0]->shape(), &wt = call.in[1]->shape(), &y = call.out->shape();
    const OpAttrs& a = *call.attrs;
    return {x[0], x[1], x[2], x[3], wt[0], wt[2], wt[3], y[2], y[3], a.stride, a.padding, a.dilation};
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
                        std::fill(r, r + g.ow, 0.0f);
                        continue;
                    }
                    // Input column of output column ox: ox*stride + off (valid for ox in [lo, hi)).
                    const float* src = x + (c * g.h + iy) * g.w;
                    const int64_t off = kx * g.dil - g.pad;
                    std::fill(r, r + lo, 0.0f);
                    if (g.stride == 1)
                        std::memcpy(r + lo, src + lo + off, size_t(hi - lo) * sizeof(float));
                    else
                        for (int64_t ox = lo; ox < hi; ++ox) r[ox] = src[ox * g.stride + off];
                    std::fill(r + hi, r + g.ow, 0.0f);
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
                        for (int64_t ox = lo; ox < hi; ++ox) dst[ox + off] += r[ox];
                    else
                        for (int64_t ox = lo; ox < hi; ++ox) dst[ox * g.stride + off] += r[ox];
                }
            }
}

void convF(KernelCall& call)
{
    const Geom g = geom(call);
    const int64_t Q = g.q(), P = g.p(), in = g.c * g.h * g.w;
    const float *x = in0(call), *wt = in1(call);
    float* y = call.out->data();
    float* col = g.direct() ? nullptr : scratch(size_t(Q * P));
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
    if (which == 1) {  // dW [F, Q] = Σ_n dY_n · col_nᵀ
        float* col = g.direct() ? nullptr : scratch(size_t(Q * P));
        for (int64_t n = 0; n < g.n; ++n) {
            const float* xn = x + n * in;
            if (col) im2col(xn, g, col);
            gemm(false, true, int(g.f), int(Q), int(P), 1.0f, dy + n * g.f * P, int(P), col ? col : xn, int(P),
                 n == 0 && !acc ? 0.0f : 1.0f, d, int(Q));
        }
        return;
    }
    // dX_n = col2im(Wᵀ · dY_n)
    if (g.direct()) {
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
