#pragma once
// Magnitude pruning (Deep Compression's first stage): the weights of smallest |w|
// are set to zero, per tensor or with one threshold across several tensors, and a
// mask remembers which ones so they stay exactly zero while the net retrains
// (Trainer::afterUpdate = keepPruned(masks)). Dense-Sparse-Dense = stop applying.
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/nn/model.h"
#include "engine/tensor/tensor.h"

namespace nn::compress {

// One byte per element: 1 = kept, 0 = pruned.
using Mask = std::vector<uint8_t>;

// A tensor (a handle: it shares the parameter's storage) and its mask.
struct MaskedTensor {
    Tensor tensor;
    Mask mask;
};

// The mask pruning exactly llround(sparsity × numel) elements of `w`: those of
// smallest |w|, ties broken by position (earlier first). sparsity in [0, 1];
// throws nn::Error for a sparsity out of range or a non-finite weight.
Mask magnitudeMask(const Tensor& w, double sparsity);
// One threshold across all tensors: exactly llround(sparsity × total) elements
// pruned over all of them (ties by tensor, then position).
std::vector<Mask> globalMagnitudeMasks(const std::vector<Tensor>& ws, double sparsity);

// w[i] = 0 where mask[i] == 0. Throws nn::Error when the sizes differ.
void applyMask(Tensor& w, const Mask& mask);
void applyMasks(std::vector<MaskedTensor>& masked);

// Prune and apply: each tensor to `sparsity` on its own, or globally.
std::vector<MaskedTensor> prunePerTensor(const std::vector<Tensor>& ws, double sparsity);
std::vector<MaskedTensor> pruneGlobal(const std::vector<Tensor>& ws, double sparsity);

// The hook for Trainer::afterUpdate: re-applies the masks after every optimizer
// step (the optimizer's momentum, Adam moments and weight decay would otherwise
// move pruned weights off zero).
std::function<void()> keepPruned(std::vector<MaskedTensor> masked);

// Fraction of elements exactly zero; of kept (1) entries in a mask.
double sparsity(const Tensor& w);
int64_t keptCount(const Mask& mask);

// The model's ".weight" parameters (dense and conv weights), as handles; biases,
// batch norm γ/β are not pruned.
std::vector<Tensor> prunableWeights(Model& model);

} // namespace nn::compress
