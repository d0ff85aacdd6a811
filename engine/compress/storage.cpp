#include "engine/compress/storage.h"

#include <algorithm>
#include <string>

#include "engine/compress/huffman.h"
#include "engine/core/error.h"

namespace nn::compress {

double ratio(uint64_t denseBits, const StorageBits& s)
{
    return s.total() ? double(denseBits) / double(s.total()) : 0.0;
}

namespace {

// The stored centroids: entry 0, the reserved zero, is implied.
uint64_t centroidBits(const SharedWeights& s) { return 32 * uint64_t(s.codebook.empty() ? 0 : s.codebook.size() - 1); }

} // namespace

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
    b.codebook = centroidBits(s);
    return b;
}

CodebookStream codebookStream(const SharedWeights& s, int gapBits)
{
    CodebookStream out;
    for (const auto& e : relativeIndex(nonzeroFlags(s), gapBits)) {
        const int32_t index = e.position < 0 ? kZeroEntry : s.index[size_t(e.position)];
        if (e.position >= 0 && index == kZeroEntry)
            throw Error("weight " + std::to_string(e.position) + " is shared to index 0, the reserved zero entry");
        out.values.push_back(uint32_t(index));
        out.gaps.push_back(e.gap);
    }
    return out;
}

std::vector<float> decodeCodebookStream(const CodebookStream& stream, const std::vector<float>& codebook,
                                        int64_t numel)
{
    if (stream.values.size() != stream.gaps.size())
        throw Error("a codebook stream has " + std::to_string(stream.values.size()) + " indices but "
                    + std::to_string(stream.gaps.size()) + " gaps");
    std::vector<float> w(size_t(std::max<int64_t>(0, numel)), 0.0f);
    uint64_t position = 0;
    for (size_t e = 0; e < stream.values.size(); ++e) {
        position += stream.gaps[e];
        if (position >= w.size())
            throw Error("a codebook stream runs past the tensor's " + std::to_string(numel) + " weights");
        const uint32_t v = stream.values[e];
        if (v >= codebook.size())
            throw Error("codebook index " + std::to_string(v) + " is outside the codebook of "
                        + std::to_string(codebook.size()));
        w[position++] = v == uint32_t(kZeroEntry) ? 0.0f : codebook[v];
    }
    return w;
}

StorageBits huffmanBits(const SharedWeights& s, int gapBits)
{
    const CodebookStream stream = codebookStream(s, gapBits);
    const size_t k = s.codebook.size(), g = size_t(1) << gapBits;
    const auto vc = symbolCounts(stream.values, k), gc = symbolCounts(stream.gaps, g);
    StorageBits b;
    b.values = buildHuffman(vc).bits(vc);
    b.indices = buildHuffman(gc).bits(gc);
    b.codebook = centroidBits(s);
    b.tables = 8 * uint64_t(k + g);
    return b;
}

} // namespace nn::compress
