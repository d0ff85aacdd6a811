// Losses on the CPU. Each takes scores [N, C] and labels [N] (class indices
// stored as floats) and returns the mean over the batch. Labels get no gradient.
#include <algorithm>
#include <cmath>
#include <string>

#include "engine/backend/cpu/kernel_util.h"
#include "engine/core/error.h"

namespace nn::cpu {

namespace {

int label(const KernelCall& c, int64_t i, int64_t classes)
{
    const float v = c.in[1]->data()[i];
    const int y = int(v);
    if (y < 0 || y >= classes || float(y) != v)
        throw Error("label " + std::to_string(v) + " of sample " + std::to_string(i)
                    + " is not a class index in [0, " + std::to_string(classes) + ")");
    return y;
}

void noLabelGrad(float* d, bool acc, int64_t n)
{
    if (!acc) std::fill(d, d + n, 0.0f);
}

// ---- MSE against one-hot targets: mean over N*C elements --------------------------
void mseF(KernelCall& c)
{
    const int64_t n = c.in[0]->shape()[0], m = c.in[0]->shape()[1];
    const float* s = in0(c);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
        const int y = label(c, i, m);
        for (int64_t j = 0; j < m; ++j) {
            const float e = s[i * m + j] - (j == y ? 1.0f : 0.0f);
            total += double(e) * e;
        }
    }
    c.out->data()[0] = float(total / double(n * m));
}
void mseB(const KernelCall& c, int k, const Tensor& g, float* d, bool acc)
{
    const int64_t n = c.in[0]->shape()[0], m = c.in[0]->shape()[1];
    if (k == 1) return noLabelGrad(d, acc, n);
    const float* s = in0(c);
    const float scale = 2.0f * g.data()[0] / float(n * m);
    for (int64_t i = 0; i < n; ++i) {
        const int y = label(c, i, m);
        store(d + i * m, acc, m, [&](int64_t j) { return scale * (s[i * m + j] - (j == y ? 1.0f : 0.0f)); });
    }
}

// ---- softmax cross-entropy; saved = softmax probabilities ----------------------
void ceF(KernelCall& c)
{
    const int64_t n = c.in[0]->shape()[0], m = c.in[0]->shape()[1];
    const float* s = in0(c);
    float* p = c.saved->data();
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
        const float* sr = s + i * m;
        float* pr = p + i * m;
        const float mx = *std::max_element(sr, sr + m);
        float z = 0;
        for (int64_t j = 0; j < m; ++j) z += (pr[j] = std::exp(sr[j] - mx));
        const float inv = 1.0f / z;
        for (int64_t j = 0; j < m; ++j) pr[j] *= inv;
        const int y = label(c, i, m);
        total += double(std::log(z) + mx - sr[y]);
    }
    c.out->data()[0] = float(total / double(n));
}
void ceB(const KernelCall& c, int k, const Tensor& g, float* d, bool acc)
{
    const int64_t n = c.in[0]->shape()[0], m = c.in[0]->shape()[1];
    if (k == 1) return noLabelGrad(d, acc, n);
    const float* p = c.saved->data();
    const float scale = g.data()[0] / float(n);
    for (int64_t i = 0; i < n; ++i) {
        const int y = label(c, i, m);
        store(d + i * m, acc, m, [&](int64_t j) { return scale * (p[i * m + j] - (j == y ? 1.0f : 0.0f)); });
    }
}

// ---- multiclass hinge (Weston-Watkins SVM), margin 1 -------------------------
void hingeF(KernelCall& c)
{
    const int64_t n = c.in[0]->shape()[0], m = c.in[0]->shape()[1];
    const float* s = in0(c);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
        const int y = label(c, i, m);
        for (int64_t j = 0; j < m; ++j) {
            if (j == y) continue;
            // max(0, margin) that keeps NaN: std::max(0, NaN) is 0, which hid
            // diverged scores behind a finite loss.
            const float margin = s[i * m + j] - s[i * m + y] + 1.0f;
            total += margin < 0.0f ? 0.0f : margin;
        }
    }
    c.out->data()[0] = float(total / double(n));
}
void hingeB(const KernelCall& c, int k, const Tensor& g, float* d, bool acc)
{
    const int64_t n = c.in[0]->shape()[0], m = c.in[0]->shape()[1];
    if (k == 1) return noLabelGrad(d, acc, n);
    const float* s = in0(c);
    const float scale = g.data()[0] / float(n);
    for (int64_t i = 0; i < n; ++i) {
        const int y = label(c, i, m);
        const float* sr = s + i * m;
        float* dr = d + i * m;
        if (!acc) std::fill(dr, dr + m, 0.0f);
        for (int64_t j = 0; j < m; ++j) {
            if (j == y || sr[j] - sr[y] + 1.0f <= 0.0f) continue;
            dr[j] += scale;
            dr[y] -= scale;
        }
    }
}

// ---- binary log loss on one logit: -[y log σ(s) + (1-y) log(1-σ(s))] -----------
// PyTorch's BCEWithLogitsLoss: computed from the logit in log-sigmoid form, never
// as log of a probability, so it stays finite and exact in both tails.

// σ(s) without overflow: exp(-|s|) is at most 1.
float stableSigmoid(float s)
{
    const float e = std::exp(-std::fabs(s));
    return s >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

void logLossF(KernelCall& c)
{
    const int64_t n = c.in[0]->shape()[0];
    const float* s = in0(c);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
        const int y = label(c, i, 2);
        // -log σ(s) = softplus(-s) for y = 1 and -log(1-σ(s)) = softplus(s) for y = 0,
        // with softplus(t) = max(t, 0) + log1p(e^-|t|): no subtraction to cancel
        // (-log σ(50) is 1.9e-22, not 0) and no overflow. std::max(t, 0) with t
        // first keeps a NaN t.
        const double t = y ? -double(s[i]) : double(s[i]);
        total += std::max(t, 0.0) + std::log1p(std::exp(-std::fabs(t)));
    }
    c.out->data()[0] = float(total / double(n));
}
void logLossB(const KernelCall& c, int k, const Tensor& g, float* d, bool acc)
{
    const int64_t n = c.in[0]->shape()[0];
    if (k == 1) return noLabelGrad(d, acc, n);
    const float* s = in0(c);
    const float scale = g.data()[0] / float(n);
    store(d, acc, n, [&](int64_t i) {
        return scale * (stableSigmoid(s[i]) - float(label(c, i, 2)));
    });
}

} // namespace

void registerLoss(Kernels* t)
{
    t[int(OpKind::MseLoss)] = {mseF, mseB};
    t[int(OpKind::SoftmaxCrossEntropy)] = {ceF, ceB};
    t[int(OpKind::HingeLoss)] = {hingeF, hingeB};
    t[int(OpKind::LogLoss)] = {logLossF, logLossB};
}

} // namespace nn::cpu
