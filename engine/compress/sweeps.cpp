#include "engine/compress/sweeps.h"

#include <cmath>

#include "engine/compress/compressed_layer.h"
#include "engine/compress/pruning.h"
#include "engine/compress/quantize.h"
#include "engine/compress/retrain.h"
#include "engine/compress/weight_sharing.h"
#include "engine/core/error.h"
#include "engine/io/inference.h"

namespace nn::compress {

namespace {

bool stop(const std::atomic<bool>* cancel) { return cancel && *cancel; }

// Puts the model back when the sweep ends, however it ends.
struct RestoreOnExit {
    Model& model;
    ModelSnapshot saved;
    ~RestoreOnExit() { restore(model, saved); }
};

void checkTest(const data::Split& data)
{
    if (data.test.size() == 0) throw Error("a sweep needs a test split (--test-fraction 0?)");
}

std::string shortNumber(double v)
{
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

// The act and fixed-both sweeps: evaluateQuantized per point (it restores the
// weights itself), the calibration samples drawn once.
std::vector<SweepPoint> outputBitsSweep(Model& model, const data::Split& data, const BitsSweepOptions& o,
                                        const std::vector<int>& bits, const PointFn& onPoint,
                                        const SweepProgressFn& onProgress, const std::atomic<bool>* cancel)
{
    const data::Dataset calibration = calibrationSubset(data.train, o.calibrationSamples, o.seed);
    std::vector<SweepPoint> points;
    for (size_t i = 0; i < bits.size(); ++i) {
        if (stop(cancel)) return points;
        const int b = bits[i];
        if (onProgress) onProgress(double(i) / double(bits.size()), o.method + " at " + std::to_string(b) + " bits");
        QuantizedEvalConfig c;
        c.scheme = QuantScheme::FixedPoint;
        c.weightBits = o.method == "fixed-both" ? b : 0;
        c.activationBits = b;
        c.activationPercentile = o.activationPercentile;
        c.calibrationSamples = 0;  // all of the subset
        c.batch = o.evalBatch;
        const QuantizedEval e = evaluateQuantized(model, calibration, data.test, c);
        points.push_back({o.layerType, o.method, double(b), e.accuracy, e.loss, false});
        if (onPoint) onPoint(points.back());
    }
    if (onProgress) onProgress(1.0, "done");
    return points;
}

} // namespace

std::vector<SweepPoint> pruneSensitivity(Model& model, const data::Split& data, const SensitivityOptions& o,
                                         const PointFn& onPoint, const SweepProgressFn& onProgress,
                                         const std::atomic<bool>* cancel)
{
    checkTest(data);
    for (double r : o.ratios)
        if (!(r >= 0 && r < 1)) throw Error("sensitivity ratio " + shortNumber(r) + " is outside [0, 1)");
    if (o.retrainEpochs < 0) throw Error("sensitivity retraining epochs must be 0 or more");
    std::vector<CompressedLayer> all = compressibleLayers(model);
    std::vector<CompressedLayer*> layers;
    for (CompressedLayer& l : all) {
        bool wanted = o.layers.empty();
        for (const std::string& n : o.layers) wanted = wanted || n == l.name;
        if (wanted) layers.push_back(&l);
    }
    for (const std::string& n : o.layers) {
        bool found = false;
        for (const CompressedLayer& l : all) found = found || l.name == n;
        if (!found) throw Error("no weight tensor named '" + n + "' to sweep");
    }

    RestoreOnExit guard {model, snapshot(model)};
    std::vector<SweepPoint> points;
    const double total = double(layers.size() * o.ratios.size());
    double done = 0;
    for (CompressedLayer* l : layers) {
        for (double ratio : o.ratios) {
            if (stop(cancel)) return points;
            restore(model, guard.saved);
            const std::string what = l->name + " pruned to " + shortNumber(ratio);
            if (onProgress) onProgress(done / total, what);
            l->mask = magnitudeMask(l->w, ratio);
            applyMask(l->w, l->mask);
            const io::EvalResult e = io::evaluateModel(model, data.test, o.evalBatch);
            points.push_back({l->name, "prune", ratio, e.accuracy, e.loss, false});
            if (onPoint) onPoint(points.back());
            if (o.retrainEpochs > 0) {
                TrainConfig c = o.train;
                c.epochs = o.retrainEpochs;
                c.lr = o.retrainLr;
                std::vector<CompressedLayer> one {*l};
                auto progress = [&](double f, int) {
                    if (onProgress) onProgress((done + f) / total, what + ", retraining");
                };
                if (!retrainModel(model, data, c, [&one](const Trainer&) { return keepCompressed(one); }, progress,
                                  cancel, "sensitivity of " + what))
                    return points;
                const io::EvalResult r = io::evaluateModel(model, data.test, o.evalBatch);
                points.push_back({l->name, "prune", ratio, r.accuracy, r.loss, true});
                if (onPoint) onPoint(points.back());
            }
            done += 1;
        }
        l->mask.clear();
    }
    if (onProgress) onProgress(1.0, "done");
    return points;
}

std::vector<SweepPoint> bitsSweep(Model& model, const data::Split& data, const BitsSweepOptions& o,
                                  const PointFn& onPoint, const SweepProgressFn& onProgress,
                                  const std::atomic<bool>* cancel)
{
    checkTest(data);
    const bool share = o.method == "share";
    const bool outputs = o.method == "act" || o.method == "fixed-both";
    if (!share && !outputs && o.method != "fixed")
        throw Error("bits sweep method '" + o.method + "' is unknown (share, fixed, act or fixed-both)");
    if (o.layerType != "all" && o.layerType != "dense" && o.layerType != "conv")
        throw Error("layer type '" + o.layerType + "' is unknown (all, dense or conv)");
    if (outputs && o.layerType != "all")
        throw Error("the " + o.method + " bits sweep rounds every layer output: layer type " + o.layerType
                    + " applies to share and fixed only");
    std::vector<int> bits = o.bits;
    if (bits.empty())
        for (int b = share ? 8 : 16; b >= (share ? 1 : 2); --b) bits.push_back(b);
    for (int b : bits)
        if (b < (share ? 1 : 2) || b > (share ? 16 : 32))
            throw Error(std::to_string(b) + " bits is outside " + (share ? "1..16 for weight sharing" : "2..32 for fixed point"));
    std::vector<CompressedLayer> layers;
    for (CompressedLayer& l : compressibleLayers(model)) {
        const int rank = l.w.shape().rank();
        if (o.layerType == "all" || (o.layerType == "dense" && rank == 2) || (o.layerType == "conv" && rank == 4))
            layers.push_back(std::move(l));
    }
    if (layers.empty()) throw Error("the model has no " + o.layerType + " layers to sweep");
    if (outputs) {
        if (data.train.size() == 0)
            throw Error("the " + o.method + " bits sweep calibrates the layer outputs on training samples: the data "
                        "set has no training split");
        return outputBitsSweep(model, data, o, bits, onPoint, onProgress, cancel);
    }

    RestoreOnExit guard {model, snapshot(model)};
    std::vector<SweepPoint> points;
    for (size_t i = 0; i < bits.size(); ++i) {
        if (stop(cancel)) return points;
        restore(model, guard.saved);
        const int b = bits[i];
        if (onProgress) onProgress(double(i) / double(bits.size()), o.method + " at " + std::to_string(b) + " bits");
        for (CompressedLayer& l : layers) {
            if (share) {
                applySharing(l.w, shareWeights(l.w, b));
            } else {
                float absMax = 0;
                for (int64_t k = 0; k < l.w.numel(); ++k) absMax = std::max(absMax, std::fabs(l.w[k]));
                fakeQuantize(l.w, fixedPointFormat(absMax, b));
            }
        }
        const io::EvalResult e = io::evaluateModel(model, data.test, o.evalBatch);
        points.push_back({o.layerType, o.method, double(b), e.accuracy, e.loss, false});
        if (onPoint) onPoint(points.back());
    }
    if (onProgress) onProgress(1.0, "done");
    return points;
}

} // namespace nn::compress
