// BatchNorm on the CPU, per channel (axis 1) over the batch and every position:
// x is viewed as [N, C, S] with S = H·W for images and 1 for [N, C] features.
//
// Training mode normalises with the batch's mean and (biased) variance and moves
// the running statistics toward them (the variance unbiased, as PyTorch does);
// eval mode normalises with the running statistics. saved = [mean(C), invstd(C),
// mode]: the statistics forward used and 1 when they came from the batch, so
// backward differentiates exactly what forward computed.
//
// With one value per channel (a batch of 1 on [N, C] features) training mode
// normalises every value to 0: the output is β and the input gradient 0. PyTorch
// raises there; this kernel cannot (the stepper walks such graphs node by node), so
// the Trainer refuses a batch size of 1 and leaves out a final batch of 1 instead.
#include <cmath>

#include "engine/backend/cpu/kernel_util.h"
#include "engine/backend/cpu/scratch.h"

namespace nn::cpu {

namespace {

struct Dims {
    int64_t n, c, s;
};

Dims dims(const KernelCall& call)
{
    const Shape& x = call.in[0]->shape();
    return {x[0], x[1], x.numel() / (x[0] * x[1])};
}

void batchNormF(KernelCall& call)
{
    const Dims d = dims(call);
    const OpAttrs& a = *call.attrs;
    const float *x = in0(call), *gamma = in1(call), *beta = call.in[2]->data();
    float *y = call.out->data(), *mean = call.saved->data(), *invstd = mean + d.c;
    Tensor running[2] = {a.running[0], a.running[1]};  // handles onto the model's buffers, which we update
    float *runMean = running[0].data(), *runVar = running[1].data();
    const bool batchStats = call.ctx == nullptr || call.ctx->training;
    const double count = double(d.n * d.s);
    if (batchStats) {
        // Two passes (mean, then squared deviations) in double: exact enough for
        // the gradient checks and free of the E[x²]-E[x]² cancellation.
        double* acc = reinterpret_cast<double*>(scratch(size_t(2 * d.c), 1));
        for (int64_t c = 0; c < d.c; ++c) acc[c] = 0;
        for (int64_t n = 0; n < d.n; ++n)
            for (int64_t c = 0; c < d.c; ++c) {
                const float* p = x + (n * d.c + c) * d.s;
                float s = 0;
                for (int64_t i = 0; i < d.s; ++i) s += p[i];
                acc[c] += s;
            }
        for (int64_t c = 0; c < d.c; ++c) mean[c] = float(acc[c] / count), acc[c] = 0;
        for (int64_t n = 0; n < d.n; ++n)
            for (int64_t c = 0; c < d.c; ++c) {
                const float* p = x + (n * d.c + c) * d.s;
                const float m = mean[c];
                float s = 0;
                for (int64_t i = 0; i < d.s; ++i) s += (p[i] - m) * (p[i] - m);
                acc[c] += s;
            }
        for (int64_t c = 0; c < d.c; ++c) {
            const double var = acc[c] / count;
            invstd[c] = float(1.0 / std::sqrt(var + double(a.epsilon)));
            const double unbiased = count > 1 ? var * count / (count - 1) : var;
            runMean[c] = float((1.0 - a.momentum) * runMean[c] + a.momentum * mean[c]);
            runVar[c] = float((1.0 - a.momentum) * runVar[c] + a.momentum * unbiased);
        }
    } else {
        for (int64_t c = 0; c < d.c; ++c) {
            mean[c] = runMean[c];
            invstd[c] = 1.0f / std::sqrt(runVar[c] + a.epsilon);
        }
    }
    mean[2 * d.c] = batchStats ? 1.0f : 0.0f;
    for (int64_t n = 0; n < d.n; ++n)
        for (int64_t c = 0; c < d.c; ++c) {
            const int64_t o = (n * d.c + c) * d.s;
            const float scale = gamma[c] * invstd[c], shift = beta[c] - mean[c] * scale;
            for (int64_t i = 0; i < d.s; ++i) y[o + i] = x[o + i] * scale + shift;
        }
}

// Per channel: Σ g and Σ g·x̂ over the batch and positions.
void channelSums(const KernelCall& call, const Dims& d, const float* g, double* sumG, double* sumGX)
{
    const float *x = in0(call), *mean = call.saved->data(), *invstd = mean + d.c;
    for (int64_t c = 0; c < d.c; ++c) sumG[c] = sumGX[c] = 0;
    for (int64_t n = 0; n < d.n; ++n)
        for (int64_t c = 0; c < d.c; ++c) {
            const int64_t o = (n * d.c + c) * d.s;
            const float m = mean[c], is = invstd[c];
            float sg = 0, sgx = 0;
            for (int64_t i = 0; i < d.s; ++i) {
                sg += g[o + i];
                sgx += g[o + i] * (x[o + i] - m) * is;
            }
            sumG[c] += sg;
            sumGX[c] += sgx;
        }
}

void batchNormB(const KernelCall& call, int which, const Tensor& up, float* dst, bool acc)
{
    const Dims d = dims(call);
    const float *x = in0(call), *gamma = in1(call), *g = up.data();
    const float *mean = call.saved->data(), *invstd = mean + d.c;
    const bool batchStats = mean[2 * d.c] != 0.0f;
    double* sums = reinterpret_cast<double*>(scratch(size_t(4 * d.c), 1));
    double *sumG = sums, *sumGX = sums + d.c;
    if (which == 0 && !batchStats) {  // the statistics are constants: a per-channel scale
        for (int64_t n = 0; n < d.n; ++n)
            for (int64_t c = 0; c < d.c; ++c) {
                const int64_t o = (n * d.c + c) * d.s;
                const float k = gamma[c] * invstd[c];
                store(dst + o, acc, d.s, [&](int64_t i) { return k * g[o + i]; });
            }
        return;
    }
    channelSums(call, d, g, sumG, sumGX);
    if (which == 1) {
        store(dst, acc, d.c, [&](int64_t c) { return float(sumGX[c]); });
        return;
    }
    if (which == 2) {
        store(dst, acc, d.c, [&](int64_t c) { return float(sumG[c]); });
        return;
    }
    // dx = γ·invstd · (g - Σg/M - x̂ · Σ(g·x̂)/M)
    const double count = double(d.n * d.s);
    for (int64_t n = 0; n < d.n; ++n)
        for (int64_t c = 0; c < d.c; ++c) {
            const int64_t o = (n * d.c + c) * d.s;
            const float k = gamma[c] * invstd[c], m = mean[c], is = invstd[c];
            const float meanG = float(sumG[c] / count), meanGX = float(sumGX[c] / count);
            store(dst + o, acc, d.s, [&](int64_t i) { return k * (g[o + i] - meanG - (x[o + i] - m) * is * meanGX); });
        }
}

} // namespace

void registerNorm(Kernels* t) { t[int(OpKind::BatchNorm)] = {batchNormF, batchNormB}; }

} // namespace nn::cpu
