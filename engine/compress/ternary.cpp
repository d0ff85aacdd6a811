#include "engine/compress/ternary.h"

#include <algorithm>
#include <cmath>

#include "engine/core/error.h"
#include "engine/train/trainer.h"

namespace nn::compress {

namespace {

constexpr float kScaleFloor = 1e-8f;  // Wp, Wn stay positive: a zero scale would hide its set for good

void checkFinite(const Tensor& w, const std::string& name)
{
    for (int64_t i = 0; i < w.numel(); ++i)
        if (!std::isfinite(w[i]))
            throw Error("'" + (name.empty() ? std::string("tensor") : name) + "' element " + std::to_string(i)
                        + " is not finite; retrain or reload the model before ternarizing");
}

void checkGrad(const Tensor& grad, size_t n, const std::string& name)
{
    if (size_t(grad.numel()) != n)
        throw Error("gradient of '" + name + "' has " + std::to_string(grad.numel()) + " elements, the tensor "
                    + std::to_string(n));
}

bool isWeight(const std::string& n) { return n.ends_with(".weight"); }

} // namespace

namespace {

// Codes into `code` (resized), branch-free: the codes of a trained layer are
// random, so a branch per weight mispredicts about every other time.
void writeCodes(const float* latent, size_t n, float t, std::vector<int8_t>& code)
{
    float maxAbs = 0;
    for (size_t i = 0; i < n; ++i) maxAbs = std::max(maxAbs, std::fabs(latent[i]));
    const float delta = t * maxAbs;
    code.resize(n);
    for (size_t i = 0; i < n; ++i) code[i] = int8_t(int(latent[i] > delta) - int(latent[i] < -delta));
}

} // namespace

std::vector<int8_t> ternaryCodes(const float* latent, size_t n, float t)
{
    std::vector<int8_t> code;
    writeCodes(latent, n, t, code);
    return code;
}

TernaryTensor ternarize(const Tensor& weight, float t, std::string name)
{
    if (!(t >= 0.0f && t < 1.0f)) throw Error("ternary threshold t must be in [0, 1), got " + std::to_string(t));
    checkFinite(weight, name);
    TernaryTensor tt;
    tt.name = std::move(name);
    tt.weight = weight;
    tt.threshold = t;
    tt.latent = weight.toVector();
    tt.code = ternaryCodes(tt.latent.data(), tt.latent.size(), t);
    double sp = 0, sn = 0;
    int64_t np = 0, nn = 0;
    for (size_t i = 0; i < tt.latent.size(); ++i) {
        if (tt.code[i] > 0) sp += tt.latent[i], ++np;
        if (tt.code[i] < 0) sn -= tt.latent[i], ++nn;
    }
    tt.wp = std::max(kScaleFloor, float(np ? sp / double(np) : 0.0));
    tt.wn = std::max(kScaleFloor, float(nn ? sn / double(nn) : 0.0));
    applyTernary(tt);
    return tt;
}

void applyTernary(TernaryTensor& tt)
{
    writeCodes(tt.latent.data(), tt.latent.size(), tt.threshold, tt.code);
    const float value[3] = {-tt.wn, 0.0f, tt.wp};  // by code + 1
    float* w = tt.weight.data();
    for (size_t i = 0; i < tt.code.size(); ++i) w[i] = value[tt.code[i] + 1];
}

void applyTernary(std::vector<TernaryTensor>& tts)
{
    for (auto& tt : tts) applyTernary(tt);
}

ScaleGradients scaleGradients(const TernaryTensor& tt, const Tensor& grad)
{
    checkGrad(grad, tt.code.size(), tt.name);
    ScaleGradients s;
    const float* g = grad.data();
    for (size_t i = 0; i < tt.code.size(); ++i) {
        s.positive += double(g[i]) * double(tt.code[i] > 0);
        s.negative -= double(g[i]) * double(tt.code[i] < 0);
    }
    return s;
}

std::vector<float> latentGradient(const TernaryTensor& tt, const Tensor& grad)
{
    checkGrad(grad, tt.code.size(), tt.name);
    std::vector<float> g(tt.code.size());
    for (size_t i = 0; i < g.size(); ++i)
        g[i] = grad[int64_t(i)] * (tt.code[i] > 0 ? tt.wp : tt.code[i] < 0 ? tt.wn : 1.0f);
    return g;
}

void ternarySgdStep(TernaryTensor& tt, const Tensor& grad, float lr, float scaleLr)
{
    const ScaleGradients s = scaleGradients(tt, grad);
    const std::vector<float> g = latentGradient(tt, grad);
    for (size_t i = 0; i < g.size(); ++i) tt.latent[i] -= lr * g[i];
    tt.wp = std::max(kScaleFloor, float(tt.wp - scaleLr * s.positive));
    tt.wn = std::max(kScaleFloor, float(tt.wn - scaleLr * s.negative));
    applyTernary(tt);
}

std::vector<TernaryTensor> ternarizeModel(Model& model, float t)
{
    std::vector<TernaryTensor> out;
    auto& ps = model.parameters();
    for (size_t i = 0; i < ps.size(); ++i) {
        if (!isWeight(ps[i].name)) continue;
        out.push_back(ternarize(ps[i].value, t, ps[i].name));
        out.back().param = int(i);
    }
    return out;
}

std::function<void()> keepTernary(std::vector<TernaryTensor>& tensors, const Trainer& trainer, float scaleLr)
{
    return [&tensors, &trainer, scaleLr] {
        const std::vector<Tensor> grads = trainer.gradientSnapshot();
        for (TernaryTensor& tt : tensors) {
            // The optimizer moved the ternary weight by its step; that step goes to
            // the latent weight (straight through). For SGD this is exactly TTQ's
            // scaled gradient when multiplied by the set's scale; Adam divides any
            // per-tensor scale out, so the unscaled step is what TTQ with Adam takes.
            const float value[3] = {-tt.wn, 0.0f, tt.wp};  // what each weight was before the step
            const float* w = tt.weight.data();
            for (size_t i = 0; i < tt.code.size(); ++i) tt.latent[i] += w[i] - value[tt.code[i] + 1];
            if (tt.param >= 0 && size_t(tt.param) < grads.size()) {
                const ScaleGradients s = scaleGradients(tt, grads[size_t(tt.param)]);
                const double g[2] = {s.positive, s.negative};
                float* scale[2] = {&tt.wp, &tt.wn};
                ++tt.steps;
                constexpr double b1 = 0.9, b2 = 0.999, eps = 1e-12;
                for (int k = 0; k < 2; ++k) {
                    tt.m[k] = b1 * tt.m[k] + (1 - b1) * g[k];
                    tt.v[k] = b2 * tt.v[k] + (1 - b2) * g[k] * g[k];
                    const double mh = tt.m[k] / (1 - std::pow(b1, double(tt.steps)));
                    const double vh = tt.v[k] / (1 - std::pow(b2, double(tt.steps)));
                    *scale[k] = std::max(kScaleFloor, float(*scale[k] - scaleLr * mh / (std::sqrt(vh) + eps)));
                }
            }
            applyTernary(tt);
        }
    };
}

BinaryTensor binarize(const Tensor& weight, std::string name)
{
    checkFinite(weight, name);
    BinaryTensor bt;
    bt.name = std::move(name);
    bt.weight = weight;
    bt.latent = weight.toVector();
    applyBinary(bt);
    return bt;
}

void applyBinary(BinaryTensor& bt)
{
    double sum = 0;
    for (float x : bt.latent) sum += std::fabs(x);
    bt.scale = bt.latent.empty() ? 0.0f : float(sum / double(bt.latent.size()));
    float* w = bt.weight.data();
    for (size_t i = 0; i < bt.latent.size(); ++i) w[i] = bt.latent[i] >= 0.0f ? bt.scale : -bt.scale;
}

void applyBinary(std::vector<BinaryTensor>& bts)
{
    for (auto& bt : bts) applyBinary(bt);
}

std::vector<BinaryTensor> binarizeModel(Model& model)
{
    std::vector<BinaryTensor> out;
    auto& ps = model.parameters();
    for (size_t i = 0; i < ps.size(); ++i) {
        if (!isWeight(ps[i].name)) continue;
        out.push_back(binarize(ps[i].value, ps[i].name));
        out.back().param = int(i);
    }
    return out;
}

std::function<void()> keepBinary(std::vector<BinaryTensor>& tensors)
{
    return [&tensors] {
        for (BinaryTensor& bt : tensors) {
            const float* w = bt.weight.data();
            for (size_t i = 0; i < bt.latent.size(); ++i) {
                const float before = bt.latent[i] >= 0.0f ? bt.scale : -bt.scale;
                bt.latent[i] += w[i] - before;
            }
            applyBinary(bt);
        }
    };
}

} // namespace nn::compress
