#pragma once
// Sweeps over one compression setting, each point a test accuracy: the curves of
// the compression view and of `nnstudio-cli compress --sensitivity / --bits-sweep`.
//  - Pruning sensitivity (Deep Compression's figure): each prunable layer alone
//    pruned to each ratio, with and without a short retraining.
//  - Accuracy vs bits: weight sharing (k-means, 8 → 1 bits) or fixed point
//    (16 → 2 bits) of every weight tensor of one layer type at once, no retraining;
//    or fixed-point layer outputs (calibrated on training samples), alone or with
//    the weights at the same bits.
// The model is changed while a sweep runs and put back afterwards (also when
// cancelled or on an error). The view runs sweeps on a worker thread: points and
// progress are reported on that thread, `cancel` is read between points and
// between training steps.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/train/trainer.h"

namespace nn::compress {

struct SweepPoint {
    std::string layer;   // a weight tensor ("h1.weight"), or the group: "all", "dense", "conv"
    std::string method;  // "prune", "share", "fixed", "act" or "fixed-both"
    double x = 0;        // pruning ratio, or bits
    double accuracy = 0, loss = 0;  // on the test split
    bool retrained = false;
};

using PointFn = std::function<void(const SweepPoint&)>;
// Fraction of the whole sweep done in [0, 1] and what runs now.
using SweepProgressFn = std::function<void(double fraction, const std::string& message)>;

struct SensitivityOptions {
    std::vector<double> ratios {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
    int retrainEpochs = 1;  // 0 = only the points without retraining
    TrainConfig train;      // batch, optimizer, seed ... of the retraining (epochs from above)
    float retrainLr = 0.01f;
    int evalBatch = 1000;
    std::vector<std::string> layers;  // empty = every .weight tensor
};

// For each layer, for each ratio: the layer alone magnitude-pruned to the ratio
// (the others dense), evaluated; then, with retrainEpochs > 0, retrained with its
// mask kept and evaluated again. Points come layer by layer, ratio by ratio, the
// unretrained point first. Throws nn::Error for a ratio outside [0, 1), an unknown
// layer, or a data set without a test split.
std::vector<SweepPoint> pruneSensitivity(Model& model, const data::Split& data, const SensitivityOptions& options,
                                         const PointFn& onPoint = {}, const SweepProgressFn& onProgress = {},
                                         const std::atomic<bool>* cancel = nullptr);

struct BitsSweepOptions {
    // "share" (k-means codebook), "fixed" (fixed point per weight tensor), "act"
    // (fixed-point layer outputs, weights f32) or "fixed-both" (weights and layer
    // outputs in fixed point at the same bits).
    std::string method = "share";
    std::vector<int> bits;         // empty = 8 → 1 for share, 16 → 2 for the others
    std::string layerType = "all"; // "all", "dense" (2-D weights) or "conv" (4-D weights); act, fixed-both: all
    int evalBatch = 1000;
    // act, fixed-both: the layer outputs' ranges from this many training samples
    // drawn with `seed`, at this percentile of |x| (100 = the maximum), recalibrated
    // at every point (the quantized weights change them).
    size_t calibrationSamples = 2000;
    double activationPercentile = 99.99;
    uint64_t seed = 1;
};

// Every weight tensor of the layer type (or every layer output) at `bits` at
// once, evaluated, put back. Throws nn::Error for an unknown method or layer type,
// bits out of the method's range (share 1..16, the others 2..32), a layer type the
// model lacks, or act / fixed-both without training samples.
std::vector<SweepPoint> bitsSweep(Model& model, const data::Split& data, const BitsSweepOptions& options,
                                  const PointFn& onPoint = {}, const SweepProgressFn& onProgress = {},
                                  const std::atomic<bool>* cancel = nullptr);

} // namespace nn::compress
