#pragma once
// Optimizers update parameters in place from their gradients. State (momentum,
// Adam moments) is kept per parameter, in the order the parameters were given.
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor/tensor.h"

namespace nn {

struct OptimizerConfig {
    std::string kind = "adam";  // sgd, momentum, adam
    float momentum = 0.9f;      // momentum only
    float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;  // adam
    float weightDecay = 0.0f;   // L2 penalty added to the gradient (as PyTorch's weight_decay)
};

class Optimizer {
public:
    virtual ~Optimizer() = default;
    // params[i] -= update(grads[i]) with learning rate lr.
    virtual void step(std::vector<Tensor>& params, const std::vector<const Tensor*>& grads, float lr) = 0;
    // Optimizer state as tensors (for snapshots and branching), and back.
    virtual std::vector<Tensor> state() const = 0;
    virtual void setState(const std::vector<Tensor>& state) = 0;
};

// Throws nn::Error naming the valid kinds for an unknown one.
std::unique_ptr<Optimizer> makeOptimizer(const OptimizerConfig& config);

} // namespace nn
