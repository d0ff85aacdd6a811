#include "engine/compress/storage.h"

#include <string>

#include "engine/compress/huffman.h"
#include "engine/core/error.h"

namespace nn::compress {

double ratio(uint64_t denseBits, const StorageBits& s)
{
    return s.total() ? double(denseBits) / double(s.total()) : 0.0;
}

uint64_t denseBits(const Tensor& w) { return 32u * uint64_t(w.numel()); }

StorageBits csrBits(const Tensor& w)
{
    if (w.shape().rank() != 2) throw Error("CSR needs a 2-D tensor, got rank " + std::to_string(w.shape().rank()));
    uint64_t nnz = 0;
    for (int64_t i = 0; i < w.numel(); ++i) nnz += w[i] != 0.0f;
    StorageBits s;
    s.values = 32 * nnz;
    s.indices = 32 * nnz;
    s.pointers = 32 * uint64_t(w.shape()[0] + 1);
    return s;
}

std::vector<RelativeEntry> relativeIndex(const std::vector<uint8_t>& nonzero, int gapBits)
{
    if (gapBits < 1 || gapBits > 31) throw Error("relative index gaps must be 1 to 31 bits, got " + std::to_string(gapBits));
    const uint64_t span = uint64_t(1) << gapBits;  // positions one filler covers
    std::vector<RelativeEntry> out;
    uint64_t gap = 0;
    for (size_t i = 0; i < nonzero.size(); ++i) {
        if (!nonzero[i]) {
            ++gap;
            continue;
        }
        for (; gap >= span; gap -= span) out.push_back({uint32_t(span - 1), -1});
        out.push_back({uint32_t(gap), int64_t(i)});
        gap = 0;
    }
    return out;
}

std::vector<uint8_t> nonzeroFlags(const Tensor& w)
{
    std::vector<uint8_t> f(size_t(w.numel()));
    for (int64_t i = 0; i < w.numel(); ++i) f[size_t(i)] = w[i] != 0.0f;
    return f;
}

std::vector<uint8_t> nonzeroFlags(const SharedWeights& s)
{
    std::vector<uint8_t> f(s.index.size());
    for (size_t i = 0; i < s.index.size(); ++i) f[i] = s.index[i] >= 0;
    return f;
}

StorageBits relativeIndexBits(const Tensor& w, int gapBits)
{
    const uint64_t entries = relativeIndex(nonzeroFlags(w), gapBits).size();
    StorageBits s;
    s.values = 32 * entries;
    s.indices = uint64_t(gapBits) * entries;
    return s;
}

StorageBits codebookBits(const SharedWeights& s, int gapBits)
{
    const uint64_t entries = relativeIndex(nonzeroFlags(s), gapBits).size();
    StorageBits b;
    b.values = uint64_t(s.bits) * entries;
    b.indices = uint64_t(gapBits) * entries;
    b.codebook = 32 * uint64_t(s.codebook.size());
    return b;
}

StorageBits huffmanBits(const SharedWeights& s, int gapBits)
{
    const auto stream = relativeIndex(nonzeroFlags(s), gapBits);
    std::vector<uint32_t> values, gaps;
    for (const auto& e : stream) {
        values.push_back(e.position < 0 ? 0u : uint32_t(s.index[size_t(e.position)]));
        gaps.push_back(e.gap);
    }
    const size_t k = s.codebook.size(), g = size_t(1) << gapBits;
    const auto vc = symbolCounts(values, k), gc = symbolCounts(gaps, g);
    StorageBits b;
    b.values = buildHuffman(vc).bits(vc);
    b.indices = buildHuffman(gc).bits(gc);
    b.codebook = 32 * uint64_t(k);
    b.tables = 8 * uint64_t(k + g);
    return b;
}

} // namespace nn::compress
