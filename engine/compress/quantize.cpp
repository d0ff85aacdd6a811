#include "engine/compress/quantize.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>

#include "engine/core/error.h"
#include "engine/core/random.h"
#include "engine/io/inference.h"

namespace nn::compress {

namespace {

// Nearest-rank percentile of sorted values: the ceil(p/100 × n)-th smallest.
float nearestRank(const std::vector<float>& sorted, double p)
{
    const double rank = std::ceil(p / 100.0 * double(sorted.size()));
    const size_t i = size_t(std::clamp(rank, 1.0, double(sorted.size()))) - 1;
    return sorted[i];
}

void checkPercentile(double percentile)
{
    if (!(percentile > 50.0 && percentile <= 100.0))
        throw Error("calibration percentile must be in (50, 100], got " + std::to_string(percentile));
}

// Calibration from a (sub)sample `kept` for the percentiles and exact min/max.
Calibration fromSample(std::vector<float> kept, float mn, float mx, int64_t count, double percentile)
{
    Calibration c;
    c.count = count;
    c.min = mn;
    c.max = mx;
    c.absMax = std::max(std::fabs(mn), std::fabs(mx));
    c.percentile = percentile;
    if (percentile >= 100.0 || kept.empty()) {
        c.lo = mn;
        c.hi = mx;
        c.absHi = c.absMax;
        return c;
    }
    std::sort(kept.begin(), kept.end());
    c.lo = nearestRank(kept, 100.0 - percentile);
    c.hi = nearestRank(kept, percentile);
    for (float& v : kept) v = std::fabs(v);
    std::sort(kept.begin(), kept.end());
    c.absHi = nearestRank(kept, percentile);
    return c;
}

void checkBits(int bits, int lo, int hi, const char* what)
{
    if (bits < lo || bits > hi)
        throw Error(std::string(what) + " needs " + std::to_string(lo) + " to " + std::to_string(hi) + " bits, got "
                    + std::to_string(bits));
}

} // namespace

Calibration calibrate(const float* values, size_t n, double percentile)
{
    checkPercentile(percentile);
    if (n == 0) throw Error("calibration needs at least one value");
    float mn = values[0], mx = values[0];
    for (size_t i = 0; i < n; ++i) {
        if (!std::isfinite(values[i]))
            throw Error("calibration: value " + std::to_string(i) + " is not finite (" + std::to_string(values[i]) + ")");
        mn = std::min(mn, values[i]);
        mx = std::max(mx, values[i]);
    }
    std::vector<float> kept;
    if (percentile < 100.0) kept.assign(values, values + n);
    return fromSample(std::move(kept), mn, mx, int64_t(n), percentile);
}

Calibration calibrate(const Tensor& t, double percentile)
{
    return calibrate(t.data(), size_t(t.numel()), percentile);
}

int32_t QuantFormat::code(float x) const
{
    const double q = std::nearbyint(double(x) / double(scale)) + double(zeroPoint);
    return int32_t(std::clamp(q, double(qmin), double(qmax)));
}

std::string QuantFormat::describe() const
{
    std::ostringstream o;
    if (scheme == QuantScheme::FixedPoint)
        o << "Q" << integerBits << "." << fractionBits << " (" << bits << " bits, step " << scale << ")";
    else
        o << "affine " << bits << " bits, scale " << scale << ", zero point " << zeroPoint;
    return o.str();
}

QuantFormat fixedPointFormat(float absMax, int bits)
{
    checkBits(bits, 2, 32, "fixed point");
    if (!std::isfinite(absMax) || absMax < 0)
        throw Error("fixed point: the range to cover must be a finite non-negative number, got " + std::to_string(absMax));
    QuantFormat f;
    f.scheme = QuantScheme::FixedPoint;
    f.bits = bits;
    f.qmax = int32_t((int64_t(1) << (bits - 1)) - 1);
    f.qmin = -f.qmax - 1;
    // Largest n with qmax × 2^-n >= absMax: n = floor(log2(qmax / absMax)); checked
    // after rounding so float error in log2 never leaves absMax uncovered.
    int n = bits - 1;
    if (absMax > 0) {
        n = int(std::floor(std::log2(double(f.qmax) / double(absMax))));
        while (std::ldexp(double(f.qmax), -n) < double(absMax)) --n;
        while (std::ldexp(double(f.qmax), -(n + 1)) >= double(absMax)) ++n;
    }
    // The step must stay a normal float (2^-126): a range of 1e-30 would otherwise
    // ask for a step that underflows to 0. Such a format covers more than needed.
    n = std::min(n, 126);
    f.fractionBits = n;
    f.integerBits = bits - 1 - n;
    f.scale = float(std::ldexp(1.0, -n));
    return f;
}

QuantFormat affineFormat(float lo, float hi, int bits)
{
    checkBits(bits, 2, 16, "affine quantization");
    if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
        throw Error("affine quantization: range [" + std::to_string(lo) + ", " + std::to_string(hi)
                    + "] is not a finite interval");
    lo = std::min(lo, 0.0f);
    hi = std::max(hi, 0.0f);
    QuantFormat f;
    f.scheme = QuantScheme::Affine;
    f.bits = bits;
    f.qmin = 0;
    f.qmax = int32_t((int64_t(1) << bits) - 1);
    f.scale = hi > lo ? std::max(float((double(hi) - double(lo)) / double(f.qmax)), FLT_MIN) : 1.0f;
    f.zeroPoint = int32_t(std::clamp(std::nearbyint(-double(lo) / double(f.scale)), 0.0, double(f.qmax)));
    return f;
}

QuantFormat formatFor(QuantScheme scheme, const Calibration& c, int bits)
{
    return scheme == QuantScheme::FixedPoint ? fixedPointFormat(c.absHi, bits) : affineFormat(c.lo, c.hi, bits);
}

QuantScheme parseScheme(const std::string& name)
{
    if (name == "fixed" || name == "fixed_point") return QuantScheme::FixedPoint;
    if (name == "affine" || name == "int") return QuantScheme::Affine;
    throw Error("unknown quantization scheme '" + name + "'; use fixed (sign + integer + fraction bits) or affine "
                "(scale and zero point, as int8)");
}

const char* schemeName(QuantScheme s) { return s == QuantScheme::FixedPoint ? "fixed" : "affine"; }

void fakeQuantize(float* x, size_t n, const QuantFormat& format)
{
    for (size_t i = 0; i < n; ++i) x[i] = format.apply(x[i]);
}

void fakeQuantize(Tensor& t, const QuantFormat& format) { fakeQuantize(t.data(), size_t(t.numel()), format); }

std::vector<int32_t> quantizeCodes(const Tensor& t, const QuantFormat& format)
{
    std::vector<int32_t> q(size_t(t.numel()));
    for (int64_t i = 0; i < t.numel(); ++i) q[size_t(i)] = format.code(t[i]);
    return q;
}

std::vector<QuantizedTensor> quantizeWeights(Model& model, const WeightQuantConfig& config)
{
    std::vector<QuantizedTensor> out;
    for (auto& p : model.parameters()) {
        const bool weight = p.name.ends_with(".weight"), bias = p.name.ends_with(".bias");
        if (!weight && !(bias && config.biases)) continue;
        QuantizedTensor q;
        q.name = p.name;
        q.values = p.value.numel();
        q.calibration = calibrate(p.value, config.percentile);
        q.format = formatFor(config.scheme, q.calibration, config.bits);
        double err = 0;
        float* x = p.value.data();
        for (int64_t i = 0; i < p.value.numel(); ++i) {
            const float v = q.format.apply(x[i]);
            err += std::fabs(double(x[i]) - double(v));
            x[i] = v;
        }
        q.meanAbsError = q.values ? err / double(q.values) : 0;
        out.push_back(std::move(q));
    }
    return out;
}

std::vector<Tensor> saveParameters(const Model& model)
{
    std::vector<Tensor> saved;
    for (const auto& p : model.parameters()) saved.push_back(p.value.clone());
    return saved;
}

void restoreParameters(Model& model, const std::vector<Tensor>& saved)
{
    auto& ps = model.parameters();
    if (saved.size() != ps.size())
        throw Error("restoreParameters: " + std::to_string(saved.size()) + " saved tensors for a model with "
                    + std::to_string(ps.size()) + " parameters");
    for (size_t i = 0; i < ps.size(); ++i) {
        if (saved[i].numel() != ps[i].value.numel())
            throw Error("restoreParameters: saved tensor " + std::to_string(i) + " has shape " + saved[i].shape().str()
                        + ", parameter '" + ps[i].name + "' has " + ps[i].value.shape().str());
        ps[i].value.copyFrom(saved[i]);
    }
}

std::vector<int> layerOutputNodes(const Model& model, const BuiltGraph& built)
{
    const int end = built.output + 1;  // every layer's output comes at or before the model's output
    std::vector<int> nodes;
    for (const auto& id : model.order()) {
        const std::string prefix = id + ".";
        int last = -1;
        for (int i = 0; i < end; ++i)
            if (built.graph.node(i).op != OpKind::Variable && built.graph.node(i).name.starts_with(prefix)) last = i;
        if (last < 0) throw Error("layer '" + id + "' has no node in the graph of model '" + model.spec().name + "'");
        nodes.push_back(last);
    }
    return nodes;
}

namespace {

void checkData(const Model& model, const data::Dataset& d)
{
    const size_t features = size_t(Shape(model.inputShape()).numel());
    if (d.size() && d.featureCount() != features)
        throw Error("data set '" + d.name + "' has " + std::to_string(d.featureCount()) + " features per sample but model '"
                    + model.spec().name + "' takes " + Shape(model.inputShape()).str());
}

// The model's evaluation graphs, one per batch size, each run node by node with
// a callback after every layer output (so it can be read or quantized in place).
class SteppedRunner {
public:
    explicit SteppedRunner(const Model& model) : model_(model) {}

    struct Built {
        BuiltGraph graph;
        std::vector<int> layerNodes;
    };
    Built& graph(int n)
    {
        auto& b = graphs_[n];
        if (!b) {
            b = std::make_unique<Built>();
            b->graph = model_.build(n, true);
            b->graph.graph.setTraining(false);
            b->layerNodes = layerOutputNodes(model_, b->graph);
        }
        return *b;
    }

    // Runs samples [pos, pos + n) of d; onLayer(layer index, node value) after each
    // layer output is computed.
    template <class F> Built& run(const data::Dataset& d, size_t pos, int n, F&& onLayer)
    {
        Built& b = graph(n);
        Graph& g = b.graph.graph;
        std::copy_n(d.sample(pos), size_t(n) * d.featureCount(), g.node(b.graph.input).value.data());
        float* y = g.node(b.graph.labels).value.data();
        for (int i = 0; i < n; ++i) y[i] = float(d.labels[pos + size_t(i)]);
        std::vector<int> layerAt(size_t(g.size()), -1);
        for (size_t l = 0; l < b.layerNodes.size(); ++l) layerAt[size_t(b.layerNodes[l])] = int(l);
        g.resetForward();
        while (g.stepForward()) {
            const int done = g.forwardCursor() - 1;
            if (layerAt[size_t(done)] >= 0) onLayer(layerAt[size_t(done)], g.node(done).value);
        }
        return b;
    }

private:
    const Model& model_;
    std::map<int, std::unique_ptr<Built>> graphs_;
};

} // namespace

ActivationCalibration calibrateActivations(const Model& model, const data::Dataset& d, size_t samples,
                                           double percentile, int batch)
{
    checkPercentile(percentile);
    checkData(model, d);
    const size_t total = samples == 0 ? d.size() : std::min(samples, d.size());
    if (total == 0) throw Error("activation calibration needs at least one sample of '" + d.name + "'");
    ActivationCalibration out;
    out.layers = model.order();
    out.samples = int64_t(total);
    const size_t layers = out.layers.size();
    constexpr size_t kMaxKept = size_t(1) << 20;
    std::vector<size_t> stride(layers);
    for (size_t l = 0; l < layers; ++l) {
        const size_t perSample = size_t(Shape(model.layerShape(out.layers[l])).numel());
        stride[l] = std::max<size_t>(1, (perSample * total + kMaxKept - 1) / kMaxKept);
        // A stride sharing a factor with the sample size would keep the same units
        // (or channels) of every sample and skip the others: make it coprime.
        while (std::gcd(stride[l], perSample) != 1) ++stride[l];
    }
    std::vector<std::vector<float>> kept(layers);
    std::vector<float> mn(layers, INFINITY), mx(layers, -INFINITY);
    std::vector<int64_t> count(layers, 0);
    std::vector<size_t> phase(layers, 0);  // where the stride's next pick falls across batches
    SteppedRunner runner(model);
    batch = std::max(1, batch);
    for (size_t pos = 0; pos < total;) {
        const int n = int(std::min<size_t>(size_t(batch), total - pos));
        runner.run(d, pos, n, [&](int layer, const Tensor& v) {
            const size_t l = size_t(layer);
            const float* x = v.data();
            const size_t m = size_t(v.numel());
            for (size_t i = 0; i < m; ++i) {
                if (!std::isfinite(x[i]))
                    throw Error("activation calibration: layer '" + out.layers[l] + "' produced a non-finite value");
                mn[l] = std::min(mn[l], x[i]);
                mx[l] = std::max(mx[l], x[i]);
            }
            size_t i = phase[l];
            for (; i < m; i += stride[l]) kept[l].push_back(x[i]);
            phase[l] = i - m;
            count[l] += int64_t(m);
        });
        pos += size_t(n);
    }
    for (size_t l = 0; l < layers; ++l)
        out.ranges.push_back(fromSample(std::move(kept[l]), mn[l], mx[l], count[l], percentile));
    return out;
}

data::Dataset calibrationSubset(const data::Dataset& d, size_t samples, uint64_t seed)
{
    if (samples == 0) throw Error("activation calibration needs at least one sample (got 0)");
    if (d.size() == 0) throw Error("activation calibration needs samples, and '" + d.name + "' is empty");
    std::vector<size_t> order(d.size());
    std::iota(order.begin(), order.end(), size_t(0));
    Rng rng(seed);
    rng.shuffle(order);
    order.resize(std::min(samples, order.size()));
    return d.subset(order);
}

QuantizedForwardResult evaluateWithActivationFormats(const Model& model, const data::Dataset& d,
                                                     const std::vector<QuantFormat>& formats, int batch)
{
    checkData(model, d);
    if (!formats.empty() && formats.size() != model.order().size())
        throw Error("activation quantization: " + std::to_string(formats.size()) + " formats for "
                    + std::to_string(model.order().size()) + " layers of model '" + model.spec().name + "'");
    QuantizedForwardResult r;
    r.samples = d.size();
    if (!d.size()) {
        r.loss = r.accuracy = std::nan("");
        return r;
    }
    SteppedRunner runner(model);
    batch = std::max(1, batch);
    const int outputs = model.outputs();
    double lossSum = 0;
    size_t hits = 0;
    for (size_t pos = 0; pos < d.size();) {
        const int n = int(std::min<size_t>(size_t(batch), d.size() - pos));
        auto& b = runner.run(d, pos, n, [&](int layer, Tensor& v) {
            if (!formats.empty()) fakeQuantize(v, formats[size_t(layer)]);
        });
        const Graph& g = b.graph.graph;
        lossSum += double(g.node(b.graph.loss).value.item()) * n;
        const float* out = g.node(b.graph.output).value.data();
        for (int i = 0; i < n; ++i)
            hits += io::predictedClass(out + size_t(i) * size_t(outputs), outputs) == d.labels[pos + size_t(i)];
        pos += size_t(n);
    }
    r.loss = lossSum / double(d.size());
    r.accuracy = double(hits) / double(d.size());
    return r;
}

QuantizedEval evaluateQuantized(Model& model, const data::Dataset& calibration, const data::Dataset& test,
                                const QuantizedEvalConfig& config)
{
    if (config.weightBits != 0) checkBits(config.weightBits, 2, config.scheme == QuantScheme::Affine ? 16 : 32, "weight quantization");
    if (config.activationBits != 0)
        checkBits(config.activationBits, 2, config.scheme == QuantScheme::Affine ? 16 : 32, "activation quantization");
    QuantizedEval r;
    const std::vector<Tensor> saved = saveParameters(model);
    try {
        if (config.weightBits != 0)
            r.weights = quantizeWeights(model, {config.scheme, config.weightBits, config.weightPercentile, config.biases});
        r.activationLayers = model.order();
        if (config.activationBits != 0) {
            // Calibrated with the quantized weights: the ranges the deployed net produces.
            const ActivationCalibration cal = calibrateActivations(model, calibration, config.calibrationSamples,
                                                                   config.activationPercentile, config.batch);
            for (const auto& c : cal.ranges) r.activationFormats.push_back(formatFor(config.scheme, c, config.activationBits));
        }
        const QuantizedForwardResult e = evaluateWithActivationFormats(model, test, r.activationFormats, config.batch);
        r.accuracy = e.accuracy;
        r.loss = e.loss;
        r.samples = e.samples;
    } catch (...) {
        restoreParameters(model, saved);
        throw;
    }
    restoreParameters(model, saved);
    return r;
}

} // namespace nn::compress
