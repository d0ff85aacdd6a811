#pragma once
// Low rank: a dense layer's weight matrix W (m × n) replaced by its truncated SVD
// W ≈ U_r Σ_r V_rᵀ, which a deployed net stores as two factors, U_r Σ_r (m × r)
// and V_r (n × r), plus the r singular values kept for inspection: r(m + n) + r
// numbers instead of m·n. Here W is rebuilt in place from the factors, so the
// engine's dense kernels run unchanged and accuracy shows what the rank costs
// (the dense FLOPs stay; a factored layer would do r(m + n) per sample).
// The rank is chosen by the energy kept, Σ_{i<r} σ_i² / Σ σ_i², or by a size
// budget in bits. Eigen stays in low_rank.cpp.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/nn/model.h"
#include "engine/tensor/tensor.h"

namespace nn::compress {

// Singular values of a 2-D tensor, descending. Throws nn::Error for a tensor that
// is not 2-D or holds a non-finite value.
std::vector<float> singularValues(const Tensor& w);

// Smallest r >= 1 with Σ_{i<r} σ_i² >= energy · Σ σ_i² (energy in (0, 1]); an
// all-zero matrix gives 1.
int rankForEnergy(const std::vector<float>& sigma, double energy);
// Largest r >= 1 whose factors fit: (r(m + n) + r) · bitsPerValue <= targetBits
// (never above min(m, n)); 1 when even rank 1 does not fit.
int rankForBits(int64_t m, int64_t n, uint64_t targetBits, int bitsPerValue = 32);
// r(m + n) + r: the numbers a rank-r factorisation stores.
int64_t lowRankParameters(int64_t m, int64_t n, int rank);

struct LowRankResult {
    std::string name;
    int64_t rows = 0, cols = 0;
    int rank = 0, fullRank = 0;        // kept; min(m, n)
    double energyKept = 1;             // Σ_{i<r} σ_i² / Σ σ_i²
    int64_t parameters = 0;            // r(m + n) + r
    int64_t denseParameters = 0;       // m·n
    double relativeError = 0;          // ‖W − W_r‖_F / ‖W‖_F = sqrt(1 − energyKept)
    std::vector<float> singularValues; // all of them, descending
};

// W ← U_r Σ_r V_rᵀ in place (r clamped to [1, min(m, n)]).
LowRankResult lowRankApproximate(Tensor& w, int rank, std::string name = {});
LowRankResult lowRankByEnergy(Tensor& w, double energy, std::string name = {});

// Every 2-D ".weight" of the model (dense layers; conv filters are 4-D and left
// alone) to the rank keeping `energy`; or, with targetBits > 0, each layer to its
// share of targetBits (in proportion to its dense size) at 32 bits per value.
struct LowRankConfig {
    double energy = 0.9;
    uint64_t targetBits = 0;
};
std::vector<LowRankResult> lowRankModel(Model& model, const LowRankConfig& config);

} // namespace nn::compress
