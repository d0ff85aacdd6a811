#include "engine/compress/compressed_layer.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "engine/compress/huffman.h"
#include "engine/compress/storage.h"
#include "engine/core/error.h"

namespace nn::compress {

bool isWeightName(const std::string& n) { return n.size() > 7 && n.compare(n.size() - 7, 7, ".weight") == 0; }

std::vector<CompressedLayer> compressibleLayers(Model& model)
{
    std::vector<CompressedLayer> layers;
    for (size_t i = 0; i < model.parameters().size(); ++i) {
        auto& p = model.parameters()[i];
        if (!isWeightName(p.name)) continue;
        CompressedLayer l;
        l.name = p.name;
        l.param = int(i);
        l.w = p.value;
        float m = 0;
        for (int64_t i = 0; i < l.w.numel(); ++i)
            if (std::isfinite(l.w[i])) m = std::max(m, std::fabs(l.w[i]));
        if (m == 0) m = 1;
        l.axisLo = -m;
        l.axisHi = m;
        layers.push_back(std::move(l));
    }
    if (layers.empty()) throw Error("the model has no .weight tensors to compress");
    return layers;
}

void releaseValues(CompressedLayer& l)
{
    l.values = Values::Float;
    l.shared.reset();
    l.grid.reset();
    l.latent.clear();
}

std::function<void()> keepCompressed(std::vector<CompressedLayer>& layers)
{
    return [&layers] {
        for (CompressedLayer& l : layers) {
            if (l.grid) {
                // The optimizer moved the grid value; the move goes to the latent weight.
                if (l.latent.size() != size_t(l.w.numel())) l.latent = l.w.toVector();
                float* x = l.w.data();
                for (size_t i = 0; i < l.latent.size(); ++i) {
                    const float before = l.grid->apply(l.latent[i]);
                    l.latent[i] += x[i] - before;
                    if (!l.mask.empty() && !l.mask[i]) l.latent[i] = 0.0f;
                    x[i] = l.grid->apply(l.latent[i]);
                }
            }
            if (!l.mask.empty()) applyMask(l.w, l.mask);
            if (!l.shared) continue;
            SharedWeights& s = *l.shared;
            std::vector<double> sum(s.codebook.size(), 0.0);
            std::vector<int64_t> count(s.codebook.size(), 0);
            const float* x = l.w.data();
            for (size_t i = 0; i < s.index.size(); ++i) {
                const int32_t k = s.index[i];
                if (k < 0) continue;
                sum[size_t(k)] += double(x[i]) - double(s.codebook[size_t(k)]);
                ++count[size_t(k)];
            }
            for (size_t k = 0; k < s.codebook.size(); ++k)
                if (count[k]) s.codebook[k] += float(sum[k] / double(count[k]));
            applySharing(l.w, s);
        }
    };
}

Histogram histogram(const Tensor& w, float lo, float hi, int bins)
{
    if (bins < 1) throw Error("a histogram needs at least one bin, got " + std::to_string(bins));
    if (!(hi > lo)) throw Error("histogram axes must have hi > lo");
    Histogram h;
    h.lo = lo;
    h.hi = hi;
    h.counts.assign(size_t(bins), 0);
    const double scale = double(bins) / (double(hi) - double(lo));
    for (int64_t i = 0; i < w.numel(); ++i) {
        const float v = w[i];
        if (v == 0.0f) ++h.zeros;
        if (!std::isfinite(v)) continue;
        const double b = std::floor((double(v) - double(lo)) * scale);
        ++h.counts[size_t(std::clamp(b, 0.0, double(bins - 1)))];
    }
    return h;
}

std::vector<HuffmanRow> huffmanRows(const std::vector<uint64_t>& counts)
{
    const HuffmanCode code = buildHuffman(counts);
    std::vector<HuffmanRow> rows;
    for (size_t s = 0; s < counts.size(); ++s) {
        if (!counts[s]) continue;
        HuffmanRow r;
        r.symbol = uint32_t(s);
        r.count = counts[s];
        for (int b = code.lengths[s] - 1; b >= 0; --b) r.code += ((code.codes[s] >> b) & 1u) ? '1' : '0';
        rows.push_back(std::move(r));
    }
    return rows;
}

namespace {

// CSR of a conv weight [out, in, kh, kw] is over its rows [out, in × kh × kw].
Tensor as2d(const Tensor& w)
{
    if (w.shape().rank() == 2) return w;
    const int64_t rows = w.shape().rank() ? w.shape()[0] : 1;
    Tensor t(Shape {rows, w.numel() / std::max<int64_t>(1, rows)});
    t.copyFrom(w);
    return t;
}

// The two factors a rank-r m × n layer stores: U_r Σ_r (m × r) and V_r (n × r).
int64_t lowRankParametersOf(const Tensor& w, int rank)
{
    return int64_t(rank) * (w.shape()[0] + w.shape()[1]);
}

} // namespace

LayerReport reportLayer(const CompressedLayer& l, bool huffman, int bins)
{
    LayerReport r;
    r.name = l.name;
    for (int d = 0; d < l.w.shape().rank(); ++d) r.shape.push_back(l.w.shape()[d]);
    r.weights = l.w.numel();
    std::set<float> distinct;
    for (int64_t i = 0; i < l.w.numel(); ++i) {
        const float v = l.w[i];
        if (v == 0.0f)
            ++r.zeros;
        else if (distinct.size() <= 70000)
            distinct.insert(v);
    }
    r.distinctNonzero = int64_t(distinct.size());
    r.sparsity = double(r.zeros) / double(std::max<int64_t>(1, r.weights));
    r.bits["dense"] = denseBits(l.w);
    if (!l.mask.empty() || l.shared) {
        r.bits["csr"] = csrBits(as2d(l.w)).total();
        r.bits["relative_index"] = relativeIndexBits(l.w).total();
    }
    const uint64_t n = uint64_t(l.w.numel());
    // Sparse layouts of the narrow formats: the relative-index stream (fillers
    // included) with the narrow value instead of an f32.
    const uint64_t entries = l.mask.empty() ? 0 : uint64_t(relativeIndex(nonzeroFlags(l.w)).size());
    if (l.values == Values::Fixed) {
        // B-bit codes; the step is a power of two, so one byte names the fraction bits.
        r.bits["fixed"] = uint64_t(l.grid->bits) * n + 8;
        if (!l.mask.empty()) r.bits["fixed_sparse"] = entries * uint64_t(l.grid->bits + 4) + 8;
    } else if (l.values == Values::Int8) {
        r.bits["int8"] = 8 * n + 64;  // + the f32 scale and the zero point
        if (!l.mask.empty()) r.bits["int8_sparse"] = entries * 12 + 64;
    } else if (l.values == Values::Ternary) {
        r.bits["ternary"] = 2 * n + 64;  // 2-bit codes + the two f32 scales
    } else if (l.values == Values::Binary) {
        r.bits["binary"] = n + 32;  // sign bits + the f32 scale
    }
    // A layer whose factors would outweigh it (rank near full) is kept dense.
    if (l.rank > 0 && l.w.shape().rank() == 2)
        r.bits["low_rank"] = std::min(32 * uint64_t(lowRankParametersOf(l.w, l.rank)), denseBits(l.w));
    if (l.shared) {
        r.codebookBits = l.shared->bits;
        r.bits["codebook"] = codebookBits(*l.shared).total();
        if (huffman) {
            r.bits["huffman"] = huffmanBits(*l.shared).total();
            const CodebookStream stream = codebookStream(*l.shared);
            r.huffmanIndices = huffmanRows(symbolCounts(stream.values, l.shared->codebook.size()));
            r.huffmanGaps = huffmanRows(symbolCounts(stream.gaps, size_t(1) << 4));
        }
    }
    r.histogram = histogram(l.w, l.axisLo, l.axisHi, bins);
    return r;
}

void completeLowRank(std::vector<LayerReport>& layers)
{
    bool any = false;
    for (const LayerReport& l : layers) any = any || l.bits.count("low_rank");
    if (!any) return;
    for (LayerReport& l : layers)
        if (!l.bits.count("low_rank")) l.bits["low_rank"] = l.bits.at("dense");
}

void totalBits(StageResult& r, const Model& model)
{
    uint64_t other = 0;
    for (const auto& p : model.parameters())
        if (!isWeightName(p.name)) other += denseBits(p.value);
    std::map<std::string, uint64_t> total;
    for (const LayerReport& l : r.layers)
        for (const auto& [format, bits] : l.bits) total[format] += bits;
    r.bits.clear();
    uint64_t best = 0;
    for (const auto& [format, bits] : total) {
        bool everyLayer = true;
        for (const LayerReport& l : r.layers) everyLayer = everyLayer && l.bits.count(format);
        if (!everyLayer) continue;
        r.bits[format] = bits + other;
        if (best == 0 || bits + other < best) {
            best = bits + other;
            r.bestFormat = format;
        }
    }
    r.ratio = best ? double(total["dense"] + other) / double(best) : 1.0;
}

} // namespace nn::compress
