#pragma once
// The compression state of one weight tensor while the pipeline runs (its mask,
// its shared codebook) and the report of it: bits by format, the histogram on the
// dense model's axes and the Huffman code tables.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/compress/pipeline.h"
#include "engine/compress/pruning.h"
#include "engine/compress/weight_sharing.h"
#include "engine/nn/model.h"

namespace nn::compress {

struct CompressedLayer {
    std::string name;
    Tensor w;    // a handle on the model's parameter: stages change it in place
    Mask mask;   // empty until pruned
    std::optional<SharedWeights> shared;
    float axisLo = -1, axisHi = 1;  // histogram axes, from the dense weights
};

bool isWeightName(const std::string& name);
// One layer per ".weight" parameter, axes symmetric about 0 (±max |w|, so the
// pruned zeros fall in the middle bin of an odd bin count). Throws nn::Error when
// the model has no .weight tensor.
std::vector<CompressedLayer> compressibleLayers(Model& model);

// Trainer::afterUpdate while retraining: pruned weights back to exactly zero, and
// shared weights back onto their centroids, each centroid moved by the mean of the
// optimizer steps its weights were given (the grouped update of Deep Compression,
// with the optimizer's own step size and moments).
std::function<void()> keepCompressed(std::vector<CompressedLayer>& layers);

// Values of `w` on fixed axes; values outside [lo, hi] (a weight that grew while
// retraining) count in the edge bins.
Histogram histogram(const Tensor& w, float lo, float hi, int bins);

// Canonical Huffman table rows for symbols with a nonzero count, by symbol.
std::vector<HuffmanRow> huffmanRows(const std::vector<uint64_t>& counts);

LayerReport reportLayer(const CompressedLayer& layer, bool huffman, int bins);

// The model's bits by format (a format counts only when every layer has it; the
// other parameters, biases and batch norm, as f32), its best format and ratio.
void totalBits(StageResult& r, const Model& model);

} // namespace nn::compress
