// Pooling on the CPU: MaxPool2D, AvgPool2D, GlobalAvgPool. Images are NCHW and
// every (sample, channel) plane is pooled on its own.
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/backend/cpu/kernel_util.h"

namespace nn::cpu {

namespace {

struct Win {
    int64_t planes, h, w, oh, ow, k, s, p;
};

Win win(const KernelCall& c)
{
    const Shape &x = c.in[0]->shape(), &y = c.out->shape();
    return {x[0] * x[1], x[2], x[3], y[2], y[3], c.attrs->size, c.attrs->stride, c.attrs->padding};
}

// ---- max: saved holds the winner's index within its input plane ----------------
void maxPoolF(KernelCall& c)
{
    const Win g = win(c);
    const float* x = in0(c);
    float *y = c.out->data(), *arg = c.saved->data();
    const int64_t in = g.h * g.w, out = g.oh * g.ow;
    for (int64_t pl = 0; pl < g.planes; ++pl) {
        const float* xp = x + pl * in;
        float *yp = y + pl * out, *ap = arg + pl * out;
        if (g.k == 2 && g.s == 2 && g.p == 0) {  // the common case, branch-light
            for (int64_t oy = 0; oy < g.oh; ++oy) {
                const float *r0 = xp + 2 * oy * g.w, *r1 = r0 + g.w;
                for (int64_t ox = 0; ox < g.ow; ++ox) {
                    // Selects, not branches: where the maximum sits is data, and a
                    // mispredicted branch per window made this 5x slower. The first
                    // maximum in the order r0[i], r0[i+1], r1[i], r1[i+1] wins.
                    const int64_t i = 2 * ox;
                    const float a = r0[i], b = r0[i + 1], e = r1[i], f = r1[i + 1];
                    // NaN wins, as in PyTorch (val > max || isnan(val)): a pool
                    // that dropped NaN would hide divergence from the trainer.
                    const bool top = b > a || b != b, bottom = f > e || f != f;
                    const float m0 = top ? b : a, m1 = bottom ? f : e;
                    const int64_t i0 = top ? i + 1 : i, i1 = bottom ? g.w + i + 1 : g.w + i;
                    const bool second = m1 > m0 || m1 != m1;
                    yp[oy * g.ow + ox] = second ? m1 : m0;
                    ap[oy * g.ow + ox] = float(2 * oy * g.w + (second ? i1 : i0));
                }
            }
            continue;
        }
        for (int64_t oy = 0; oy < g.oh; ++oy)
            for (int64_t ox = 0; ox < g.ow; ++ox) {
                float v = -std::numeric_limits<float>::infinity();
                int64_t best = -1;
                for (int64_t ky = 0; ky < g.k; ++ky) {
                    const int64_t iy = oy * g.s - g.p + ky;
                    if (iy < 0 || iy >= g.h) continue;
                    for (int64_t kx = 0; kx < g.k; ++kx) {
                        const int64_t ix = ox * g.s - g.p + kx;
                        if (ix < 0 || ix >= g.w) continue;
                        const float x = xp[iy * g.w + ix];
                        if (best < 0 || x > v || std::isnan(x)) v = x, best = iy * g.w + ix;
                    }
                }
                yp[oy * g.ow + ox] = v;
                ap[oy * g.ow + ox] = float(best);
            }
    }
}

void maxPoolB(const KernelCall& c, int, const Tensor& up, float* d, bool acc)
{
    const Win g = win(c);
    const int64_t in = g.h * g.w, out = g.oh * g.ow;
    const float *gp = up.data(), *arg = c.saved->data();
    if (!acc) std::fill(d, d + g.planes * in, 0.0f);
    for (int64_t pl = 0; pl < g.planes; ++pl) {
        float* dp = d + pl * in;
        for (int64_t i = 0; i < out; ++i) dp[int64_t(arg[pl * out + i])] += gp[pl * out + i];
    }
}

// ---- average: zero padding counts in the mean (PyTorch's count_include_pad) ----
void avgPoolF(KernelCall& c)
{
    const Win g = win(c);
    const float* x = in0(c);
    float* y = c.out->data();
    const float scale = 1.0f / float(g.k * g.k);
    for (int64_t pl = 0; pl < g.planes; ++pl) {
        const float* xp = x + pl * g.h * g.w;
        float* yp = y + pl * g.oh * g.ow;
        for (int64_t oy = 0; oy < g.oh; ++oy)
            for (int64_t ox = 0; ox < g.ow; ++ox) {
                float s = 0;
                for (int64_t ky = 0; ky < g.k; ++ky) {
                    const int64_t iy = oy * g.s - g.p + ky;
                    if (iy < 0 || iy >= g.h) continue;
                    for (int64_t kx = 0; kx < g.k; ++kx) {
                        const int64_t ix = ox * g.s - g.p + kx;
                        if (ix >= 0 && ix < g.w) s += xp[iy * g.w + ix];
                    }
                }
                yp[oy * g.ow + ox] = s * scale;
            }
    }
}

void avgPoolB(const KernelCall& c, int, const Tensor& up, float* d, bool acc)
{
    const Win g = win(c);
    const float* gp = up.data();
    const float scale = 1.0f / float(g.k * g.k);
    if (!acc) std::fill(d, d + g.planes * g.h * g.w, 0.0f);
    for (int64_t pl = 0; pl < g.planes; ++pl) {
        float* dp = d + pl * g.h * g.w;
        const float* gq = gp + pl * g.oh * g.ow;
        for (int64_t oy = 0; oy < g.oh; ++oy)
            for (int64_t ox = 0; ox < g.ow; ++ox) {
                const float v = gq[oy * g.ow + ox] * scale;
                for (int64_t ky = 0; ky < g.k; ++ky) {
                    const int64_t iy = oy * g.s - g.p + ky;
                    if (iy < 0 || iy >= g.h) continue;
                    for (int64_t kx = 0; kx < g.k; ++kx) {
                        const int64_t ix = ox * g.s - g.p + kx;
                        if (ix >= 0 && ix < g.w) dp[iy * g.w + ix] += v;
                    }
                }
            }
    }
}

// ---- global average over each plane: [N, C, H, W] -> [N, C] -------------------
void globalAvgF(KernelCall& c)
{
    const Shape& x = c.in[0]->shape();
    const int64_t planes = x[0] * x[1], hw = x[2] * x[3];
    const float* xp = in0(c);
    float* y = c.out->data();
    const float scale = 1.0f / float(hw);
    for (int64_t pl = 0; pl < planes; ++pl) {
        float s = 0;
        for (int64_t i = 0; i < hw; ++i) s += xp[pl * hw + i];
        y[pl] = s * scale;
    }
}

void globalAvgB(const KernelCall& c, int, const Tensor& up, float* d, bool acc)
{
    const Shape& x = c.in[0]->shape();
    const int64_t planes = x[0] * x[1], hw = x[2] * x[3];
    const float* gp = up.data();
    const float scale = 1.0f / float(hw);
    for (int64_t pl = 0; pl < planes; ++pl) {
        const float v = gp[pl] * scale;
        store(d + pl * hw, acc, hw, [&](int64_t) { return v; });
    }
}

} // namespace

void registerPool(Kernels* t)
{
    t[int(OpKind::MaxPool2D)] = {maxPoolF, maxPoolB};
    t[int(OpKind::AvgPool2D)] = {avgPoolF, avgPoolB};
    t[int(OpKind::GlobalAvgPool)] = {globalAvgF, globalAvgB};
}

} // namespace nn::cpu
