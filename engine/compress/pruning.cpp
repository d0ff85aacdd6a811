#include "engine/compress/pruning.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/core/error.h"

namespace nn::compress {

namespace {

void checkSparsity(double s)
{
    if (!(s >= 0.0 && s <= 1.0)) throw Error("pruning sparsity must be in [0, 1], got " + std::to_string(s));
}

struct Entry {
    float magnitude;
    uint32_t tensor;
    int64_t position;
};

// Masks for `ws` pruning the `pruned` entries of smallest magnitude among all of them.
std::vector<Mask> masksFor(const std::vector<Tensor>& ws, double sparsity)
{
    checkSparsity(sparsity);
    std::vector<Entry> all;
    std::vector<Mask> masks(ws.size());
    for (size_t t = 0; t < ws.size(); ++t) {
        const int64_t n = ws[t].numel();
        masks[t].assign(size_t(n), 1);
        for (int64_t i = 0; i < n; ++i) {
            const float v = ws[t][i];
            if (!std::isfinite(v)) throw Error("cannot prune a tensor holding NaN or inf (element " + std::to_string(i) + ")");
            all.push_back({std::fabs(v), uint32_t(t), i});
        }
    }
    const size_t pruned = size_t(std::llround(sparsity * double(all.size())));
    auto less = [](const Entry& a, const Entry& b) {
        if (a.magnitude != b.magnitude) return a.magnitude < b.magnitude;
        if (a.tensor != b.tensor) return a.tensor < b.tensor;
        return a.position < b.position;
    };
    if (pruned > 0 && pruned < all.size())
        std::nth_element(all.begin(), all.begin() + std::ptrdiff_t(pruned), all.end(), less);
    for (size_t k = 0; k < std::min(pruned, all.size()); ++k) masks[all[k].tensor][size_t(all[k].position)] = 0;
    return masks;
}

} // namespace

Mask magnitudeMask(const Tensor& w, double sparsity) { return masksFor({w}, sparsity)[0]; }

std::vector<Mask> globalMagnitudeMasks(const std::vector<Tensor>& ws, double sparsity) { return masksFor(ws, sparsity); }

void applyMask(Tensor& w, const Mask& mask)
{
    if (int64_t(mask.size()) != w.numel())
        throw Error("mask has " + std::to_string(mask.size()) + " entries but the tensor has " + std::to_string(w.numel()));
    float* d = w.data();
    for (size_t i = 0; i < mask.size(); ++i)
        if (!mask[i]) d[i] = 0.0f;
}

void applyMasks(std::vector<MaskedTensor>& masked)
{
    for (auto& m : masked) applyMask(m.tensor, m.mask);
}

std::vector<MaskedTensor> prunePerTensor(const std::vector<Tensor>& ws, double sparsity)
{
    std::vector<MaskedTensor> out;
    for (const auto& w : ws) out.push_back({w, magnitudeMask(w, sparsity)});
    applyMasks(out);
    return out;
}

std::vector<MaskedTensor> pruneGlobal(const std::vector<Tensor>& ws, double sparsity)
{
    auto masks = globalMagnitudeMasks(ws, sparsity);
    std::vector<MaskedTensor> out;
    for (size_t i = 0; i < ws.size(); ++i) out.push_back({ws[i], std::move(masks[i])});
    applyMasks(out);
    return out;
}

std::function<void()> keepPruned(std::vector<MaskedTensor> masked)
{
    return [m = std::move(masked)]() mutable { applyMasks(m); };
}

double sparsity(const Tensor& w)
{
    if (w.numel() == 0) return 0.0;
    int64_t zeros = 0;
    for (int64_t i = 0; i < w.numel(); ++i) zeros += w[i] == 0.0f;
    return double(zeros) / double(w.numel());
}

int64_t keptCount(const Mask& mask) { return int64_t(std::count(mask.begin(), mask.end(), uint8_t(1))); }

std::vector<Tensor> prunableWeights(Model& model)
{
    std::vector<Tensor> out;
    for (auto& p : model.parameters()) {
        const std::string& n = p.name;
        if (n.size() > 7 && n.compare(n.size() - 7, 7, ".weight") == 0) out.push_back(p.value);
    }
    return out;
}

} // namespace nn::compress
