#pragma once
// The compression state of one weight tensor while the pipeline runs (its mask;
// how its values are stored: f32, a shared codebook, a fixed-point or int8 grid,
// ternary, binary; its low rank) and the report of it: bits by format, the
// histogram on the dense model's axes and the Huffman code tables.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/compress/pipeline.h"
#include "engine/compress/pruning.h"
#include "engine/compress/quantize.h"
#include "engine/compress/weight_sharing.h"
#include "engine/nn/model.h"

namespace nn::compress {

// How a layer's (nonzero) values are stored.
enum class Values { Float, Shared, Fixed, Int8, Ternary, Binary };

struct CompressedLayer {
    std::string name;
    int param = -1;  // its index in model.parameters()
    Tensor w;        // a handle on the model's parameter: stages change it in place
    Mask mask;       // empty until pruned
    Values values = Values::Float;
    std::optional<SharedWeights> shared;  // Values::Shared
    std::optional<QuantFormat> grid;      // Values::Fixed and Int8
    // Values::Fixed and Int8 while retraining: the full-precision weights the
    // optimizer moves (straight through), rounded onto the grid after each step.
    std::vector<float> latent;
    int rank = 0;  // low rank kept (a 2-D weight rebuilt from rank-r factors); 0 = full
    float axisLo = -1, axisHi = 1;  // histogram axes, from the dense weights
};

// Back to plain f32 values (keeps the mask and the rank).
void releaseValues(CompressedLayer& l);

bool isWeightName(const std::string& name);
// One layer per ".weight" parameter, axes symmetric about 0 (±max |w|, so the
// pruned zeros fall in the middle bin of an odd bin count). Throws nn::Error when
// the model has no .weight tensor.
std::vector<CompressedLayer> compressibleLayers(Model& model);

// Trainer::afterUpdate while retraining: pruned weights back to exactly zero;
// shared weights back onto their centroids, each centroid moved by the mean of the
// optimizer steps its weights were given (the grouped update of Deep Compression,
// with the optimizer's own step size and moments); fixed-point and int8 weights:
// the step goes to the latent weights, which are rounded onto the grid again.
// Ternary and binary layers are kept by their own hooks (ternary.h).
std::function<void()> keepCompressed(std::vector<CompressedLayer>& layers);

// Values of `w` on fixed axes; values outside [lo, hi] (a weight that grew while
// retraining) count in the edge bins.
Histogram histogram(const Tensor& w, float lo, float hi, int bins);

// Canonical Huffman table rows for symbols with a nonzero count, by symbol.
std::vector<HuffmanRow> huffmanRows(const std::vector<uint64_t>& counts);

LayerReport reportLayer(const CompressedLayer& layer, bool huffman, int bins);

// Layers without a low rank count their dense bits under "low_rank" once any layer
// has one (conv layers are not factored), so the model total exists.
void completeLowRank(std::vector<LayerReport>& layers);

// The model's bits by format (a format counts only when every layer has it; the
// other parameters, biases and batch norm, as f32), its best format and ratio.
void totalBits(StageResult& r, const Model& model);

} // namespace nn::compress
