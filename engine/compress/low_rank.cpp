#include "engine/compress/low_rank.h"

#include <algorithm>
#include <cmath>

#include <Eigen/SVD>

#include "engine/core/error.h"

namespace nn::compress {

namespace {

using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

MatrixD toMatrix(const Tensor& w, const std::string& name)
{
    if (w.shape().rank() != 2)
        throw Error("low rank needs a 2-D weight matrix; '" + (name.empty() ? std::string("tensor") : name)
                    + "' has shape " + w.shape().str());
    const int64_t m = w.shape()[0], n = w.shape()[1];
    MatrixD a(m, n);
    for (int64_t i = 0; i < m * n; ++i) {
        if (!std::isfinite(w[i]))
            throw Error("'" + (name.empty() ? std::string("tensor") : name) + "' element " + std::to_string(i)
                        + " is not finite; low rank needs finite weights");
        a.data()[i] = double(w[i]);
    }
    return a;
}

// Σ_{i<r} σ_i² / Σ σ_i² (1 for an all-zero matrix).
double energyOf(const std::vector<float>& sigma, int r)
{
    double total = 0, kept = 0;
    for (size_t i = 0; i < sigma.size(); ++i) {
        const double s2 = double(sigma[i]) * double(sigma[i]);
        total += s2;
        if (int(i) < r) kept += s2;
    }
    return total > 0 ? kept / total : 1.0;
}

} // namespace

std::vector<float> singularValues(const Tensor& w)
{
    const MatrixD a = toMatrix(w, {});
    Eigen::BDCSVD<MatrixD> svd(a);
    const auto& s = svd.singularValues();
    std::vector<float> out(size_t(s.size()));
    for (Eigen::Index i = 0; i < s.size(); ++i) out[size_t(i)] = float(s[i]);
    return out;
}

int rankForEnergy(const std::vector<float>& sigma, double energy)
{
    if (!(energy > 0.0 && energy <= 1.0)) throw Error("energy kept must be in (0, 1], got " + std::to_string(energy));
    double total = 0;
    for (float s : sigma) total += double(s) * double(s);
    if (total <= 0 || sigma.empty()) return 1;
    double kept = 0;
    for (size_t r = 0; r < sigma.size(); ++r) {
        kept += double(sigma[r]) * double(sigma[r]);
        // A relative tolerance so that energy 1 stops at the numerical rank, not at
        // the last rounding-noise singular value.
        if (kept >= energy * total * (1 - 1e-12)) return int(r + 1);
    }
    return int(sigma.size());
}

int64_t lowRankParameters(int64_t m, int64_t n, int rank) { return int64_t(rank) * (m + n) + rank; }

int rankForBits(int64_t m, int64_t n, uint64_t targetBits, int bitsPerValue)
{
    if (m < 1 || n < 1 || bitsPerValue < 1) throw Error("rankForBits: sizes and bits per value must be positive");
    const uint64_t perRank = uint64_t(m + n + 1) * uint64_t(bitsPerValue);
    const int64_t r = int64_t(targetBits / perRank);
    return int(std::clamp<int64_t>(r, 1, std::min(m, n)));
}

LowRankResult lowRankApproximate(Tensor& w, int rank, std::string name)
{
    const MatrixD a = toMatrix(w, name);
    LowRankResult r;
    r.name = std::move(name);
    r.rows = a.rows();
    r.cols = a.cols();
    r.fullRank = int(std::min(r.rows, r.cols));
    r.rank = std::clamp(rank, 1, r.fullRank);
    Eigen::BDCSVD<MatrixD> svd(a, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const auto& s = svd.singularValues();
    for (Eigen::Index i = 0; i < s.size(); ++i) r.singularValues.push_back(float(s[i]));
    const MatrixD approx = svd.matrixU().leftCols(r.rank) * s.head(r.rank).asDiagonal()
                           * svd.matrixV().leftCols(r.rank).transpose();
    for (int64_t i = 0; i < r.rows * r.cols; ++i) w[i] = float(approx.data()[i]);
    r.energyKept = energyOf(r.singularValues, r.rank);
    r.relativeError = std::sqrt(std::max(0.0, 1.0 - r.energyKept));
    r.parameters = lowRankParameters(r.rows, r.cols, r.rank);
    r.denseParameters = r.rows * r.cols;
    return r;
}

LowRankResult lowRankByEnergy(Tensor& w, double energy, std::string name)
{
    const int rank = rankForEnergy(singularValues(w), energy);  // validates energy before changing w
    return lowRankApproximate(w, rank, std::move(name));
}

std::vector<LowRankResult> lowRankModel(Model& model, const LowRankConfig& config)
{
    if (config.targetBits == 0 && !(config.energy > 0.0 && config.energy <= 1.0))
        throw Error("low rank: energy kept must be in (0, 1], got " + std::to_string(config.energy));
    std::vector<Parameter*> dense;
    uint64_t denseBits = 0;
    for (auto& p : model.parameters())
        if (p.name.ends_with(".weight") && p.value.shape().rank() == 2) {
            dense.push_back(&p);
            denseBits += uint64_t(p.value.numel()) * 32;
        }
    std::vector<LowRankResult> out;
    for (Parameter* p : dense) {
        if (config.targetBits > 0) {
            const double share = double(p->value.numel()) * 32.0 / double(denseBits);
            const auto budget = uint64_t(share * double(config.targetBits));
            out.push_back(lowRankApproximate(p->value, rankForBits(p->value.shape()[0], p->value.shape()[1], budget),
                                             p->name));
        } else {
            out.push_back(lowRankByEnergy(p->value, config.energy, p->name));
        }
    }
    return out;
}

} // namespace nn::compress
