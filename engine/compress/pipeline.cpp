// The pipeline's run: the dense report, then each stage applied to the model in
// place and reported (test accuracy, bits by format, per-layer table, histograms,
// Huffman tables). Retraining goes through the Trainer one step at a time so
// progress is reported and cancel() is honoured between steps.
#include "engine/compress/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "engine/compress/compressed_layer.h"
#include "engine/compress/low_rank.h"
#include "engine/compress/quantize.h"
#include "engine/compress/retrain.h"
#include "engine/compress/ternary.h"
#include "engine/backend/kernel.h"
#include "engine/core/error.h"
#include "engine/io/inference.h"

namespace nn::compress {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Adds new masks to the layers' masks (a weight pruned once stays pruned) and
// applies them; shared weights that are pruned leave their centroid.
void addMasks(std::vector<CompressedLayer>& layers, std::vector<Mask> masks)
{
    for (size_t t = 0; t < layers.size(); ++t) {
        CompressedLayer& l = layers[t];
        Mask& m = masks[t];
        if (!l.mask.empty())
            for (size_t i = 0; i < m.size(); ++i) m[i] = uint8_t(m[i] & l.mask[i]);
        l.mask = std::move(m);
        applyMask(l.w, l.mask);
        if (l.shared)
            for (size_t i = 0; i < l.mask.size(); ++i)
                if (!l.mask[i]) l.shared->index[i] = -1;
    }
}

} // namespace

struct Pipeline::State {
    Model& model;
    const data::Split& data;
    PipelineOptions options;
    std::vector<CompressedLayer> layers;
    // Ternary and binary layers' latent weights and scales (every layer or none).
    std::vector<TernaryTensor> ternaries;
    std::vector<BinaryTensor> binaries;
    bool huffman = false;
    bool ran = false;
    ModelSnapshot dense;  // the weights before the first stage (timeInference)
    double denseAccuracy = 0;
    Clock::time_point start;
    // Set by an act stage, kept to the end: every later measurement recalibrates the
    // layer outputs on `calibration` (the stages change the weights, and so the
    // ranges) and evaluates with them rounded.
    int activationBits = 0;
    QuantScheme activationScheme = QuantScheme::FixedPoint;
    data::Dataset calibration;

    void quantizeActivations(int step, const StageSpec& spec);
    // Loss and accuracy of the test set, the layer outputs rounded after an act stage.
    std::pair<double, double> evaluate(const std::vector<QuantFormat>& activationFormats) const;

    StageResult measure(int step, const StageSpec& spec, double stageSeconds) const;
    // False when cancelled part way.
    bool retrain(int step, const StageSpec& spec, const std::atomic<bool>& cancelled, const ProgressFn& progress);
    void share(int step, const StageSpec& spec, const ProgressFn& progress);
    void prune(std::vector<Mask> masks);
    void releaseAllValues();
    void quantize(const StageSpec& spec);
    void ternarizeLayers();
    void binarizeLayers();
    void lowRank(const StageSpec& spec, int step, const ProgressFn& progress);
    std::function<void()> retrainHook(const Trainer& trainer);
};

void Pipeline::State::releaseAllValues()
{
    for (CompressedLayer& l : layers) releaseValues(l);
    ternaries.clear();
    binaries.clear();
    huffman = false;
}

void Pipeline::State::prune(std::vector<Mask> masks)
{
    if (!binaries.empty()) releaseAllValues();  // binary weights cannot be zero
    for (CompressedLayer& l : layers) l.rank = 0;  // zeros break the low-rank factors
    addMasks(layers, std::move(masks));
}

void Pipeline::State::quantize(const StageSpec& spec)
{
    const bool fixed = spec.kind == "fixed";
    releaseAllValues();
    for (CompressedLayer& l : layers) {
        float lo = 0, hi = 0, absMax = 0;
        for (int64_t i = 0; i < l.w.numel(); ++i) {
            lo = std::min(lo, l.w[i]);
            hi = std::max(hi, l.w[i]);
            absMax = std::max(absMax, std::fabs(l.w[i]));
        }
        l.grid = fixed ? fixedPointFormat(absMax, int(spec.value)) : affineFormat(lo, hi, 8);
        l.values = fixed ? Values::Fixed : Values::Int8;
        l.latent = l.w.toVector();  // retraining moves these, straight through the rounding
        fakeQuantize(l.w, *l.grid);
    }
}

void Pipeline::State::quantizeActivations(int step, const StageSpec& spec)
{
    const bool int8 = spec.kind == "act8";
    activationBits = int8 ? 8 : int(spec.value);
    activationScheme = int8 ? QuantScheme::Affine : QuantScheme::FixedPoint;
    if (calibration.size() > 0) return;  // drawn once: every act stage sees the same samples
    if (data.train.size() == 0)
        throw Error("stage " + std::to_string(step) + " '" + spec.text
                    + "': activations are calibrated on training samples and the data set has no training split");
    calibration = calibrationSubset(data.train, options.activationSamples, options.train.seed);
}

std::pair<double, double> Pipeline::State::evaluate(const std::vector<QuantFormat>& activationFormats) const
{
    if (activationFormats.empty()) {
        const io::EvalResult e = io::evaluateModel(model, data.test, options.evalBatch);
        return {e.accuracy, e.loss};
    }
    const QuantizedForwardResult e =
        evaluateWithActivationFormats(model, data.test, activationFormats, options.evalBatch);
    return {e.accuracy, e.loss};
}

void Pipeline::State::ternarizeLayers()
{
    releaseAllValues();
    for (CompressedLayer& l : layers) {
        ternaries.push_back(ternarize(l.w, 0.05f, l.name));
        ternaries.back().param = l.param;
        l.values = Values::Ternary;
    }
}

void Pipeline::State::binarizeLayers()
{
    releaseAllValues();
    for (CompressedLayer& l : layers) {
        l.mask.clear();
        binaries.push_back(binarize(l.w, l.name));
        binaries.back().param = l.param;
        l.values = Values::Binary;
    }
}

void Pipeline::State::lowRank(const StageSpec& spec, int step, const ProgressFn& progress)
{
    for (size_t i = 0; i < layers.size(); ++i) {
        CompressedLayer& l = layers[i];
        if (l.w.shape().rank() != 2) continue;  // conv filters stay
        if (progress) progress(step, double(i) / double(layers.size()), spec.text + ": SVD of " + l.name);
        if (l.values == Values::Ternary || l.values == Values::Binary) releaseAllValues();
        releaseValues(l);
        l.mask.clear();
        l.rank = lowRankByEnergy(l.w, spec.value, l.name).rank;
    }
    huffman = false;
}

std::function<void()> Pipeline::State::retrainHook(const Trainer& trainer)
{
    std::function<void()> ternary = ternaries.empty() ? nullptr : keepTernary(ternaries, trainer);
    std::function<void()> binary = binaries.empty() ? nullptr : keepBinary(binaries);
    std::function<void()> keep = keepCompressed(layers);
    return [this, ternary, binary, keep] {
        if (ternary) {
            ternary();
            for (TernaryTensor& tt : ternaries) {  // pruned weights stay zero: their latent too
                const Mask& mask = layers[size_t(&tt - ternaries.data())].mask;
                if (mask.empty()) continue;
                for (size_t i = 0; i < mask.size(); ++i)
                    if (!mask[i]) tt.latent[i] = 0.0f;
                applyTernary(tt);
            }
        }
        if (binary) binary();
        keep();
    };
}

StageResult Pipeline::State::measure(int step, const StageSpec& spec, double stageSeconds) const
{
    StageResult r;
    r.step = step;
    r.kind = spec.kind;
    r.text = spec.text;
    std::vector<QuantFormat> formats;
    if (activationBits > 0) {
        const ActivationCalibration cal =
            calibrateActivations(model, calibration, 0, options.activationPercentile, options.evalBatch);
        r.activationBits = activationBits;
        r.activationScheme = schemeName(activationScheme);
        for (size_t l = 0; l < cal.ranges.size(); ++l) {
            const Calibration& c = cal.ranges[l];
            formats.push_back(formatFor(activationScheme, c, activationBits));
            const QuantFormat& f = formats.back();
            r.activations.push_back({cal.layers[l], c.min, c.max, c.lo, c.hi, c.absHi, f.lowest(), f.highest(),
                                     f.describe()});
        }
    }
    // Two passes: the accuracy, and the faster time of the two (with rounded layer
    // outputs, the stepped graph's time, rounding included).
    const auto t0 = Clock::now();
    const auto [accuracy, loss] = evaluate(formats);
    const double first = secondsSince(t0);
    const auto t1 = Clock::now();
    evaluate(formats);
    r.inferenceMs = 1000.0 * std::min(first, secondsSince(t1));
    r.testAccuracy = accuracy;
    r.testLoss = loss;
    r.accuracyChange = step == 0 ? 0.0 : accuracy - denseAccuracy;
    for (const CompressedLayer& l : layers) r.layers.push_back(reportLayer(l, huffman, options.histogramBins));
    completeLowRank(r.layers);
    totalBits(r, model);
    r.seconds = secondsSince(start);
    r.stageSeconds = stageSeconds;
    return r;
}

bool Pipeline::State::retrain(int step, const StageSpec& spec, const std::atomic<bool>& cancelled,
                              const ProgressFn& progress)
{
    TrainConfig c = options.train;
    c.epochs = int(spec.value);
    c.lr = options.retrainLr;
    c.seed = options.train.seed + uint64_t(step);  // fresh shuffles per stage
    auto onProgress = [&](double f, int epoch) {
        if (progress) progress(step, f, spec.text + ": epoch " + std::to_string(epoch) + "/" + std::to_string(c.epochs));
    };
    const bool done = retrainModel(model, data, c, [this](const Trainer& t) { return retrainHook(t); }, onProgress,
                                   &cancelled, "stage " + std::to_string(step) + " '" + spec.text + "'");
    for (CompressedLayer& l : layers)  // retraining filled the rank back in: truncate again
        if (l.rank > 0) lowRankApproximate(l.w, l.rank, l.name);
    return done;
}

void Pipeline::State::share(int step, const StageSpec& spec, const ProgressFn& progress)
{
    releaseAllValues();
    for (size_t i = 0; i < layers.size(); ++i) {
        CompressedLayer& l = layers[i];
        if (progress) progress(step, double(i) / double(layers.size()), spec.text + ": k-means of " + l.name);
        l.rank = 0;  // retraining keeps the sharing, not the rank
        l.shared = shareWeights(l.w, int(spec.value));
        l.values = Values::Shared;
        applySharing(l.w, *l.shared);
    }
}

Pipeline::Pipeline(Model& model, const data::Split& data, PipelineOptions options)
{
    if (data.test.size() == 0) throw Error("the data set has no test split (--test-fraction 0?)");
    if (options.histogramBins < 1 || options.histogramBins > 100000)
        throw Error("histogram bins must be 1 to 100000, got " + std::to_string(options.histogramBins));
    if (options.evalBatch < 1) throw Error("the evaluation batch must be at least 1");
    if (options.activationSamples < 1) throw Error("activation calibration needs at least one training sample");
    if (!(options.activationPercentile > 50 && options.activationPercentile <= 100))
        throw Error("the activation calibration percentile must be in (50, 100], got "
                    + std::to_string(options.activationPercentile));
    if (!(options.retrainLr > 0.0f) || !std::isfinite(options.retrainLr))
        throw Error("the retraining learning rate must be a positive number");
    state_ = new State {model, data, options, compressibleLayers(model), {}, {}, false, false, {}, 0, Clock::now(),
                        0, QuantScheme::FixedPoint, {}};
}

Pipeline::~Pipeline() { delete state_; }

std::vector<StageResult> Pipeline::run(const std::vector<StageSpec>& stages, const StageFn& onStage,
                                       const ProgressFn& onProgress)
{
    State& s = *state_;
    if (s.ran) throw Error("a compression Pipeline runs once: make a new one for another run");
    s.ran = true;
    s.start = Clock::now();
    s.dense = snapshot(s.model);
    cpu::enableFlushToZero();  // as the Trainer does: the worker thread may be any thread
    std::vector<StageResult> results;
    auto report = [&](StageResult r) {
        if (onProgress) onProgress(r.step, 1.0, r.text + ": done");
        results.push_back(std::move(r));
        if (onStage) onStage(results.back());
    };
    const StageResult dense = s.measure(0, {"dense", 0, "dense"}, 0);
    s.denseAccuracy = dense.testAccuracy;
    report(dense);

    int step = 0;
    for (const StageSpec& spec : stages) {
        ++step;
        if (cancelled_) break;
        const auto t = Clock::now();
        if (onProgress) onProgress(step, 0.0, spec.text);
        if (spec.kind == "prune") {
            std::vector<Mask> masks;
            for (const CompressedLayer& l : s.layers) masks.push_back(magnitudeMask(l.w, spec.value));
            s.prune(std::move(masks));
        } else if (spec.kind == "gprune") {
            std::vector<Tensor> ws;
            for (const CompressedLayer& l : s.layers) ws.push_back(l.w);
            s.prune(globalMagnitudeMasks(ws, spec.value));
        } else if (spec.kind == "retrain") {
            if (!s.retrain(step, spec, cancelled_, onProgress)) break;
        } else if (spec.kind == "dsd") {
            s.releaseAllValues();
            for (CompressedLayer& l : s.layers) {
                l.mask.clear();
                l.rank = 0;
            }
            if (!s.retrain(step, spec, cancelled_, onProgress)) break;
        } else if (spec.kind == "share") {
            s.share(step, spec, onProgress);
        } else if (spec.kind == "fixed" || spec.kind == "int8") {
            s.quantize(spec);
        } else if (spec.kind == "act" || spec.kind == "act8") {
            s.quantizeActivations(step, spec);
        } else if (spec.kind == "ternary") {
            s.ternarizeLayers();
        } else if (spec.kind == "binary") {
            s.binarizeLayers();
        } else if (spec.kind == "lowrank") {
            s.lowRank(spec, step, onProgress);
        } else if (spec.kind == "huffman") {
            bool shared = true;
            for (const CompressedLayer& l : s.layers) shared = shared && l.shared.has_value();
            if (!shared)
                throw Error("stage " + std::to_string(step) + " '" + spec.text
                            + "': huffman codes the shared indices: put a share:B stage before it");
            s.huffman = true;
        } else {
            throw Error("stage " + std::to_string(step) + " '" + spec.text + "': unknown stage kind '" + spec.kind
                        + "'");
        }
        if (cancelled_) break;
        report(s.measure(step, spec, secondsSince(t)));
    }
    return results;
}

Pipeline::InferenceTiming Pipeline::timeInference(int rounds)
{
    State& s = *state_;
    if (!s.ran) throw Error("timeInference compares the dense and the compressed model: call run() first");
    if (rounds < 1) throw Error("timeInference needs at least one round");
    cpu::enableFlushToZero();
    const ModelSnapshot compressed = snapshot(s.model);
    auto pass = [&] {
        const auto t = Clock::now();
        io::evaluateModel(s.model, s.data.test, s.options.evalBatch);
        return 1000.0 * secondsSince(t);
    };
    InferenceTiming r;
    r.rounds = rounds;
    r.denseMs = r.compressedMs = 1e300;
    // A B B A ...: neither set always goes first, so a load change on a shared
    // machine falls on both alike.
    for (int i = 0; i < 2 * rounds; ++i) {
        const bool dense = (i % 4 == 0) || (i % 4 == 3);
        restore(s.model, dense ? s.dense : compressed);
        double& best = dense ? r.denseMs : r.compressedMs;
        best = std::min(best, pass());
    }
    restore(s.model, compressed);
    return r;
}

} // namespace nn::compress
