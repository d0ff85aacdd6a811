#include "engine/train/optimizer.h"

#include <cmath>

#include "engine/core/error.h"

namespace nn {

namespace {

void ensureSlots(std::vector<Tensor>& slots, const std::vector<Tensor>& params)
{
    if (slots.size() == params.size()) return;
    slots.clear();
    for (const auto& p : params) slots.emplace_back(p.shape());
}

class Sgd final : public Optimizer {
public:
    explicit Sgd(const OptimizerConfig& c, bool momentum) : c_(c), useMomentum_(momentum) {}

    void step(std::vector<Tensor>& params, const std::vector<const Tensor*>& grads, float lr) override
    {
        if (useMomentum_) ensureSlots(velocity_, params);
        const float wd = c_.weightDecay, mu = c_.momentum;
        for (size_t i = 0; i < params.size(); ++i) {
            float* w = params[i].data();
            const float* g = grads[i]->data();
            const int64_t n = params[i].numel();
            if (!useMomentum_) {
                for (int64_t j = 0; j < n; ++j) w[j] -= lr * (g[j] + wd * w[j]);
                continue;
            }
            float* v = velocity_[i].data();  // PyTorch's form: v = mu*v + g; w -= lr*v
            for (int64_t j = 0; j < n; ++j) {
                v[j] = mu * v[j] + g[j] + wd * w[j];
                w[j] -= lr * v[j];
            }
        }
    }
    std::vector<Tensor> state() const override { return velocity_; }
    void setState(const std::vector<Tensor>& s) override { velocity_ = s; }

private:
    OptimizerConfig c_;
    bool useMomentum_;
    std::vector<Tensor> velocity_;
};

class Adam final : public Optimizer {
public:
    explicit Adam(const OptimizerConfig& c) : c_(c) {}

    void step(std::vector<Tensor>& params, const std::vector<const Tensor*>& grads, float lr) override
    {
        ensureSlots(m_, params);
        ensureSlots(v_, params);
        ++t_;
        const float b1 = c_.beta1, b2 = c_.beta2, eps = c_.epsilon, wd = c_.weightDecay;
        const float c1 = 1.0f - std::pow(b1, float(t_)), c2 = 1.0f - std::pow(b2, float(t_));
        const float stepSize = lr / c1, rc2 = 1.0f / std::sqrt(c2);
        for (size_t i = 0; i < params.size(); ++i) {
            // Distinct buffers: __restrict lets the compiler vectorise the update.
            float* __restrict w = params[i].data();
            float* __restrict m = m_[i].data();
            float* __restrict v = v_[i].data();
            const float* __restrict g = grads[i]->data();
            const int64_t n = params[i].numel();
            for (int64_t j = 0; j < n; ++j) {
                const float gj = g[j] + wd * w[j];
                m[j] = b1 * m[j] + (1.0f - b1) * gj;
                v[j] = b2 * v[j] + (1.0f - b2) * gj * gj;
                w[j] -= stepSize * m[j] / (std::sqrt(v[j]) * rc2 + eps);
            }
        }
    }
    std::vector<Tensor> state() const override
    {
        std::vector<Tensor> s = m_;
        s.insert(s.end(), v_.begin(), v_.end());
        s.push_back(Tensor::scalar(float(t_)));
        return s;
    }
    void setState(const std::vector<Tensor>& s) override
    {
        if (s.empty() || s.size() % 2 != 1) throw Error("Adam state must hold 2n+1 tensors, got " + std::to_string(s.size()));
        const size_t n = s.size() / 2;
        m_.assign(s.begin(), s.begin() + long(n));
        v_.assign(s.begin() + long(n), s.begin() + long(2 * n));
        t_ = long(s.back().item());
    }

private:
    OptimizerConfig c_;
    std::vector<Tensor> m_, v_;
    long t_ = 0;
};

} // namespace

std::unique_ptr<Optimizer> makeOptimizer(const OptimizerConfig& config)
{
    if (config.kind == "sgd") return std::make_unique<Sgd>(config, false);
    if (config.kind == "momentum") return std::make_unique<Sgd>(config, true);
    if (config.kind == "adam") return std::make_unique<Adam>(config);
    throw Error("unknown optimizer '" + config.kind + "' (known: sgd, momentum, adam)");
}

} // namespace nn
