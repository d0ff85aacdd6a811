#pragma once
// Quantization (Deep Compression's "fewer bits per value"): weights and layer
// outputs rounded onto a grid of 2^B levels, then read back as floats
// ("fake quantization"), so the float network computes what a B-bit one would.
//
// Two grids, one struct (QuantFormat): value = (q - zeroPoint) × scale with the
// integer code q clamped to [qmin, qmax].
//  - Fixed point Qm.n: sign + m integer bits + n fraction bits = B; scale = 2^-n,
//    zeroPoint 0, q in [-2^(B-1), 2^(B-1) - 1]. n is the largest that still covers
//    the calibration maximum, so no calibrated value saturates. m may be negative
//    (all |x| < 1/2: every bit goes to the fraction) or exceed B (huge ranges).
//  - Affine (int8 style): scale = (hi - lo) / (2^B - 1) and an integer zero point
//    so that 0 is exactly representable (zero padding, ReLU zeros, pruned weights).
//
// Calibration gathers min, max and percentiles of the values: a percentile range
// (e.g. 99.99%) clips rare outliers and spends the levels on the bulk.
// Activation quantization calibrates every layer's output on training samples,
// then evaluates the test set with each layer output quantized as the graph runs
// (the graph is stepped node by node; nothing in the graph changes).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/tensor/tensor.h"

namespace nn::compress {

// ---- calibration ----------------------------------------------------------------

struct Calibration {
    float min = 0, max = 0;
    float absMax = 0;         // max(|min|, |max|)
    double percentile = 100;  // the two-sided percentile below
    float lo = 0, hi = 0;     // (100 - p)th and p-th percentile of the values
    float absHi = 0;          // p-th percentile of |x|
    int64_t count = 0;        // values seen
};

// Calibration of n values; percentile in (50, 100] (100: lo/hi = min/max).
// Percentiles are order statistics (nearest rank). Throws nn::Error for a
// non-finite value, n = 0 or a percentile out of range.
Calibration calibrate(const float* values, size_t n, double percentile = 100);
Calibration calibrate(const Tensor& t, double percentile = 100);

// ---- formats --------------------------------------------------------------------

enum class QuantScheme : uint8_t { FixedPoint, Affine };

struct QuantFormat {
    QuantScheme scheme = QuantScheme::FixedPoint;
    int bits = 8;
    float scale = 1;         // value of one integer step
    int32_t zeroPoint = 0;   // the code of 0.0
    int32_t qmin = 0, qmax = 0;
    int integerBits = 0, fractionBits = 0;  // fixed point only: 1 + integerBits + fractionBits = bits

    float lowest() const { return float(qmin - zeroPoint) * scale; }
    float highest() const { return float(qmax - zeroPoint) * scale; }
    int32_t code(float x) const;   // round to nearest (ties to even), clamp to [qmin, qmax]
    float value(int32_t q) const { return float(q - zeroPoint) * scale; }
    float apply(float x) const { return value(code(x)); }
    // "Q2.5 (8 bits, step 0.03125)" or "affine 8 bits, scale 0.0123, zero point 37".
    std::string describe() const;
};

// The fixed-point format of `bits` (2..32) whose range covers [-absMax, absMax]
// with the most fraction bits: highest() >= absMax, and one more fraction bit
// would not cover it. absMax 0 (an all-zero tensor) gets bits - 1 fraction bits.
QuantFormat fixedPointFormat(float absMax, int bits);
// Affine format of `bits` (2..16) over [min(lo, 0), max(hi, 0)]: codes 0..2^B-1,
// 0.0 exact. lo == hi == 0 gives scale 1.
QuantFormat affineFormat(float lo, float hi, int bits);
// The format of `scheme` for a calibration: fixed point covers absHi (absMax at
// percentile 100); affine spans [lo, hi].
QuantFormat formatFor(QuantScheme scheme, const Calibration& c, int bits);
// "fixed" or "affine" (also "int"); throws nn::Error naming the valid ones.
QuantScheme parseScheme(const std::string& name);
const char* schemeName(QuantScheme s);

// ---- quantize-dequantize ----------------------------------------------------------

// x[i] = format.apply(x[i]) for every element, in place.
void fakeQuantize(float* x, size_t n, const QuantFormat& format);
void fakeQuantize(Tensor& t, const QuantFormat& format);
// The integer codes of a tensor (what a B-bit file would store).
std::vector<int32_t> quantizeCodes(const Tensor& t, const QuantFormat& format);

// ---- whole model: weights ------------------------------------------------------------

struct WeightQuantConfig {
    QuantScheme scheme = QuantScheme::FixedPoint;
    int bits = 8;
    double percentile = 100;  // of each tensor's values; 100 = its min/max
    bool biases = false;      // also quantize ".bias" tensors (else they stay f32)
};

struct QuantizedTensor {
    std::string name;  // "h1.weight"
    Calibration calibration;
    QuantFormat format;
    int64_t values = 0;
    double meanAbsError = 0;  // mean |x - q(x)| over the tensor
};

// Quantizes every ".weight" parameter (and ".bias" with config.biases) in place,
// each with its own format from its own calibration. Pruned zeros stay zero on
// both grids. Throws nn::Error for bad bits.
std::vector<QuantizedTensor> quantizeWeights(Model& model, const WeightQuantConfig& config);

// Deep copies of every parameter, and putting them back: to try B bits and undo.
std::vector<Tensor> saveParameters(const Model& model);
void restoreParameters(Model& model, const std::vector<Tensor>& saved);

// ---- whole model: activations --------------------------------------------------------

// The graph node holding each layer's output, parallel to model.order(): the last
// node Model::build named "<layer id>.<op>".
std::vector<int> layerOutputNodes(const Model& model, const BuiltGraph& built);

struct ActivationCalibration {
    std::vector<std::string> layers;  // model.order()
    std::vector<Calibration> ranges;  // per layer output
    int64_t samples = 0;
};

// Runs the first `samples` samples of `data` (0 = all) in evaluation mode and
// calibrates each layer's output over them (values subsampled evenly to at most
// 2^20 per layer for the percentiles; min and max see every value).
ActivationCalibration calibrateActivations(const Model& model, const data::Dataset& data, size_t samples = 2000,
                                           double percentile = 99.99, int batch = 500);

// `samples` samples of `data` drawn without replacement by a seeded shuffle (all of
// them, shuffled, when it has fewer): the calibration images of the pipeline's act
// stages and of the activation sweeps, the same for the same seed. Throws
// nn::Error for samples 0 or an empty data set.
data::Dataset calibrationSubset(const data::Dataset& data, size_t samples, uint64_t seed);

struct QuantizedEvalConfig {
    QuantScheme scheme = QuantScheme::FixedPoint;
    int weightBits = 8;       // 0 = weights stay f32
    int activationBits = 8;   // 0 = layer outputs stay f32
    bool biases = false;
    double weightPercentile = 100;
    double activationPercentile = 99.99;
    size_t calibrationSamples = 2000;
    int batch = 500;
};

struct QuantizedEval {
    double accuracy = 0, loss = 0;
    size_t samples = 0;
    std::vector<QuantizedTensor> weights;          // formats chosen per tensor
    std::vector<std::string> activationLayers;     // model.order()
    std::vector<QuantFormat> activationFormats;    // per layer output (empty with activationBits 0)
};

// Quantizes the weights, calibrates the layer outputs on `calibration` (training
// data), evaluates `test` with every layer output quantized, and restores the
// weights: the model is unchanged afterwards. Throws nn::Error when the data do
// not fit the model, for bad bits, or when the model has no loss.
QuantizedEval evaluateQuantized(Model& model, const data::Dataset& calibration, const data::Dataset& test,
                                const QuantizedEvalConfig& config);

// Loss and accuracy of `data` with each layer output quantized to its format
// (formats parallel to model.order(); an empty list = float outputs).
struct QuantizedForwardResult {
    double accuracy = 0, loss = 0;
    size_t samples = 0;
};
QuantizedForwardResult evaluateWithActivationFormats(const Model& model, const data::Dataset& data,
                                                     const std::vector<QuantFormat>& formats, int batch = 500);

} // namespace nn::compress
