#pragma once
// What one layer costs for one sample, from the op declarations it expands into
// (engine/ops): its output shape by the ops' own shape rules, its parameter count
// and its forward FLOPs by OpDecl::flops. The expansion mirrors Model::build, op
// for op, so the builder can price a layer before the whole network is valid; a
// test checks both against a built graph for every sample model.
#include <cstdint>
#include <vector>

#include "engine/nn/model_spec.h"
#include "engine/tensor/shape.h"

namespace nn {

struct LayerCost {
    std::vector<int64_t> outShape;  // per sample
    int64_t params = 0;             // learned by gradients (weights, biases, γ, β)
    double flops = 0;               // forward, per sample
};

// `inputs`: the per-sample shape of each input, in order. `units` must already be
// resolved (unitsAuto replaced). Throws nn::Error from the op shape rules when the
// shapes do not fit (callers that want friendlier words check first).
LayerCost layerCost(const LayerSpec& layer, const std::vector<std::vector<int64_t>>& inputs);

} // namespace nn
