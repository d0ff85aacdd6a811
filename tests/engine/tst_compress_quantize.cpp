// Quantization (engine/compress/quantize): calibration against a sorted copy, the
// fixed-point split worked out by hand and the issue's check that the range covers
// the calibration maximum (and is the tightest that does), affine formats with an
// exact zero, quantize-dequantize error bounds and saturation, whole-model weight
// quantization that restores, and activation quantization checked against the
// layer outputs computed by hand for a one-layer net.
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <set>

#include "engine/compress/quantize.h"
#include "engine/core/error.h"
#include "engine/core/random.h"
#include "engine/io/inference.h"
#include "engine/train/trainer.h"

using namespace nn;
using namespace nn::compress;

namespace {

const char* kNet = R"({"name": "q-net", "input": {"shape": [2]},
  "layers": [{"id": "h1", "type": "dense", "units": 12, "activation": "relu"},
             {"id": "h2", "type": "dense", "units": 8, "activation": "tanh"},
             {"id": "out", "type": "dense", "units": "auto"}],
  "loss": "softmax_cross_entropy"})";

data::Split gaussians() { return data::splitDataset(data::makeGaussians({600, 0.25, 5, 3}), 0.1, 0.3, 2); }

// A trained 2-12-8-3 net on three Gaussian clusters.
Model trainedNet(const data::Split& split)
{
    Model model(ModelSpec::fromString(kNet), split.train.sampleShape, split.train.numClasses);
    TrainConfig c;
    c.epochs = 8;
    c.batch = 16;
    c.lr = 0.01f;
    Trainer t(model, split, c);
    t.run();
    return model;
}

} // namespace

class CompressQuantizeTest : public QObject {
    Q_OBJECT
private slots:
    void calibrationMatchesSortedValues()
    {
        Rng r(3);
        std::vector<float> v(1000);
        for (float& x : v) x = float(r.normal(0.5, 2.0));
        v[17] = 40.0f;  // an outlier the percentile clips
        const Calibration c = calibrate(v.data(), v.size(), 99.0);
        std::vector<float> s = v;
        std::sort(s.begin(), s.end());
        QCOMPARE(c.min, s.front());
        QCOMPARE(c.max, 40.0f);
        QCOMPARE(c.absMax, 40.0f);
        QCOMPARE(c.hi, s[989]);  // the 990th smallest of 1000
        QCOMPARE(c.lo, s[9]);    // the 10th smallest
        std::vector<float> a = v;
        for (float& x : a) x = std::fabs(x);
        std::sort(a.begin(), a.end());
        QCOMPARE(c.absHi, a[989]);
        QCOMPARE(c.count, int64_t(1000));
        const Calibration full = calibrate(v.data(), v.size());
        QCOMPARE(full.lo, full.min);
        QCOMPARE(full.hi, full.max);
        QCOMPARE(full.absHi, 40.0f);
    }

    void fixedPointByHand()
    {
        // 8 bits, |x| <= 3: 127 / 3 = 42.3 -> 5 fraction bits, Q2.5, range ±3.97.
        QuantFormat f = fixedPointFormat(3.0f, 8);
        QCOMPARE(f.integerBits, 2);
        QCOMPARE(f.fractionBits, 5);
        QCOMPARE(f.scale, 1.0f / 32);
        QCOMPARE(f.highest(), 127.0f / 32);
        QCOMPARE(f.lowest(), -4.0f);
        // Small weights: |x| <= 0.3 gives more fraction bits than bits (Q-1.8).
        f = fixedPointFormat(0.3f, 8);
        QCOMPARE(f.fractionBits, 8);
        QCOMPARE(f.integerBits, -1);
        // Exactly the top of Q2.5's range is still covered by Q2.5.
        QCOMPARE(fixedPointFormat(127.0f / 32, 8).fractionBits, 5);
        QCOMPARE(fixedPointFormat(0.0f, 4).fractionBits, 3);
        QCOMPARE(f.apply(0.1f), std::nearbyint(0.1f * 256) / 256);
        QCOMPARE(f.apply(5.0f), f.highest());  // saturates
        QCOMPARE(f.apply(-5.0f), -0.5f);
    }

    void fixedPointRangeCoversCalibrationMaximum()
    {
        Rng r(11);
        for (int trial = 0; trial < 200; ++trial) {
            Tensor w(Shape {64});
            const double spread = std::exp(r.uniform(-6.0, 6.0));
            for (int64_t i = 0; i < w.numel(); ++i) w[i] = float(r.normal(0.0, spread));
            const Calibration c = calibrate(w);
            for (int bits : {2, 3, 4, 6, 8, 12, 16}) {
                const QuantFormat f = fixedPointFormat(c.absMax, bits);
                QCOMPARE(1 + f.integerBits + f.fractionBits, bits);
                QVERIFY2(f.highest() >= c.absMax, qPrintable(QString::fromStdString(f.describe())));
                // The tightest: one more fraction bit would not cover the maximum.
                QVERIFY(std::ldexp(double(f.qmax), -(f.fractionBits + 1)) < double(c.absMax));
                // Nothing calibrated saturates: every value is within half a step.
                for (int64_t i = 0; i < w.numel(); ++i)
                    QVERIFY(std::fabs(f.apply(w[i]) - w[i]) <= 0.5f * f.scale * (1 + 1e-6f));
            }
        }
    }

    void affineByHand()
    {
        const QuantFormat f = affineFormat(-1.0f, 3.0f, 8);
        QCOMPARE(f.scale, 4.0f / 255);
        QCOMPARE(f.zeroPoint, 64);  // round(255 / 4 = 63.75)
        QCOMPARE(f.qmin, 0);
        QCOMPARE(f.qmax, 255);
        QCOMPARE(f.apply(0.0f), 0.0f);  // zero exact
        QCOMPARE(f.code(-10.0f), 0);
        QCOMPARE(f.code(10.0f), 255);
        QVERIFY(std::fabs(f.apply(2.2f) - 2.2f) <= f.scale / 2);
        // A positive-only range still holds 0 (ReLU outputs): zero point 0.
        const QuantFormat relu = affineFormat(0.5f, 6.0f, 4);
        QCOMPARE(relu.zeroPoint, 0);
        QCOMPARE(relu.apply(0.0f), 0.0f);
        QCOMPARE(relu.highest(), 6.0f);
        const std::vector<int32_t> codes = quantizeCodes(Tensor::fromVector(Shape {4}, {0.0f, 6.0f, 2.1f, -1.0f}), relu);
        QCOMPARE(codes, (std::vector<int32_t> {0, 15, 5, 0}));  // 2.1 / 0.4 = 5.25 -> 5; negatives clamp to 0
    }

    void fakeQuantizeLeavesAGrid()
    {
        Rng r(5);
        Tensor w(Shape {500});
        for (int64_t i = 0; i < w.numel(); ++i) w[i] = float(r.normal());
        for (QuantScheme s : {QuantScheme::FixedPoint, QuantScheme::Affine}) {
            Tensor q = w.clone();
            const QuantFormat f = formatFor(s, calibrate(w), 3);
            fakeQuantize(q, f);
            std::set<float> distinct(q.data(), q.data() + q.numel());
            QVERIFY(distinct.size() <= 8);
            Tensor again = q.clone();
            fakeQuantize(again, f);  // idempotent: grid values stay
            QCOMPARE(again.toVector(), q.toVector());
        }
    }

    void errors()
    {
        // Tiny ranges keep a usable (normal, nonzero) step.
        for (const QuantFormat& tiny : {fixedPointFormat(1e-37f, 8), affineFormat(0.0f, 1e-37f, 8)}) {
            QVERIFY(tiny.scale > 0.0f && std::isnormal(tiny.scale));
            QVERIFY(std::isfinite(tiny.apply(1e-30f)));
            QVERIFY(tiny.highest() >= 1e-37f);
        }
        QVERIFY_THROWS_EXCEPTION(Error, fixedPointFormat(1.0f, 1));
        QVERIFY_THROWS_EXCEPTION(Error, fixedPointFormat(NAN, 8));
        QVERIFY_THROWS_EXCEPTION(Error, affineFormat(2.0f, 1.0f, 8));
        QVERIFY_THROWS_EXCEPTION(Error, affineFormat(0.0f, 1.0f, 17));
        QVERIFY_THROWS_EXCEPTION(Error, parseScheme("float8"));
        const float bad[] = {1.0f, NAN};
        QVERIFY_THROWS_EXCEPTION(Error, calibrate(bad, 2));
        QVERIFY_THROWS_EXCEPTION(Error, calibrate(bad, 1, 30.0));
        QVERIFY_THROWS_EXCEPTION(Error, calibrate(bad, 0));
    }

    void modelWeightsQuantizeAndRestore()
    {
        const data::Split split = gaussians();
        Model model = trainedNet(split);
        model.parameters()[0].value[0] = 0.0f;  // a pruned weight stays zero
        const std::vector<Tensor> saved = saveParameters(model);
        const auto q = quantizeWeights(model, {QuantScheme::FixedPoint, 4, 100, false});
        QCOMPARE(int(q.size()), 3);  // the .weight tensors only
        for (size_t i = 0; i < model.parameters().size(); ++i) {
            const Parameter& p = model.parameters()[i];
            if (p.name.ends_with(".bias")) {
                QCOMPARE(p.value.toVector(), saved[i].toVector());
                continue;
            }
            std::set<float> distinct(p.value.data(), p.value.data() + p.value.numel());
            QVERIFY(distinct.size() <= 16);
            QVERIFY(distinct.size() >= 4);
        }
        QCOMPARE(model.parameters()[0].value[0], 0.0f);
        QVERIFY(q[0].meanAbsError > 0 && q[0].meanAbsError <= q[0].format.scale / 2);
        restoreParameters(model, saved);
        for (size_t i = 0; i < saved.size(); ++i) QCOMPARE(model.parameters()[i].value.toVector(), saved[i].toVector());
        QVERIFY_THROWS_EXCEPTION(Error, restoreParameters(model, {}));
    }

    void layerOutputsAreTheLayersNodes()
    {
        const data::Split split = gaussians();
        Model model(ModelSpec::fromString(kNet), split.train.sampleShape, split.train.numClasses);
        const BuiltGraph b = model.build(7, true);
        const std::vector<int> nodes = layerOutputNodes(model, b);
        QCOMPARE(int(nodes.size()), 3);
        QCOMPARE(b.graph.node(nodes[0]).name, std::string("h1.relu"));
        QCOMPARE(b.graph.node(nodes[1]).name, std::string("h2.tanh"));
        QCOMPARE(nodes[2], b.output);
    }

    // The first layer's output range computed by hand (relu(x·W + b)) over the
    // calibration samples equals what the stepped graph gathered.
    void activationCalibrationMatchesHandComputation()
    {
        const data::Split split = gaussians();
        Model model = trainedNet(split);
        const size_t samples = 150;
        const ActivationCalibration cal = calibrateActivations(model, split.train, samples, 99.0, 64);
        QCOMPARE(cal.samples, int64_t(samples));
        QCOMPARE(int(cal.ranges.size()), 3);
        const Tensor& w = model.parameters()[0].value;  // [2, 12]
        const Tensor& bias = model.parameters()[1].value;
        std::vector<float> h;
        for (size_t s = 0; s < samples; ++s)
            for (int j = 0; j < 12; ++j) {
                const float* x = split.train.sample(s);
                const float v = x[0] * w[j] + x[1] * w[12 + j] + bias[j];
                h.push_back(std::max(0.0f, v));
            }
        const Calibration hand = calibrate(h.data(), h.size(), 99.0);
        QCOMPARE(cal.ranges[0].count, int64_t(h.size()));
        QVERIFY(std::fabs(cal.ranges[0].max - hand.max) < 1e-5f);
        QCOMPARE(cal.ranges[0].min, 0.0f);  // relu
        QVERIFY(std::fabs(cal.ranges[0].hi - hand.hi) < 1e-5f);
        QVERIFY(cal.ranges[1].max <= 1.0f && cal.ranges[1].min >= -1.0f);  // tanh
    }

    // More than 2^20 values per layer: percentiles come from an even subsample
    // (every 3rd value here: a stride of 2 would see only the even units of the
    // 12) and stay close to the exact ones; min and max see all.
    void calibrationSubsamplesLargeLayers()
    {
        const data::Dataset big = data::makeGaussians({100000, 0.4, 9, 3});
        Model model(ModelSpec::fromString(kNet), big.sampleShape, big.numClasses);
        model.initialize(4);
        const ActivationCalibration cal = calibrateActivations(model, big, 0, 99.0, 4096);
        QCOMPARE(cal.samples, int64_t(100000));
        QCOMPARE(cal.ranges[0].count, int64_t(100000) * 12);
        const Tensor& w = model.parameters()[0].value;
        const Tensor& bias = model.parameters()[1].value;
        std::vector<float> h;
        h.reserve(size_t(100000) * 12);
        for (size_t s = 0; s < big.size(); ++s)
            for (int j = 0; j < 12; ++j) {
                const float* x = big.sample(s);
                h.push_back(std::max(0.0f, x[0] * w[j] + x[1] * w[12 + j] + bias[j]));
            }
        const Calibration exact = calibrate(h.data(), h.size(), 99.0);
        QVERIFY(std::fabs(cal.ranges[0].max - exact.max) < 1e-5f);
        QVERIFY2(std::fabs(cal.ranges[0].hi - exact.hi) <= 0.01f * exact.hi,
                 qPrintable(QString("%1 vs %2").arg(double(cal.ranges[0].hi)).arg(double(exact.hi))));
        QVERIFY(cal.ranges[0].hi < exact.max);  // the percentile did clip
    }

    // Conv, pooling and flatten (a view) layers: every layer output found and
    // quantized; 16 bits is the float network within rounding.
    void convolutionalModel()
    {
        const char* spec = R"({"name": "q-conv", "input": {"shape": [1, 6, 6]},
          "layers": [{"id": "c1", "type": "conv2d", "filters": 3, "kernel": 3, "activation": "relu"},
                     {"id": "p1", "type": "maxpool2d", "size": 2},
                     {"id": "f", "type": "flatten"},
                     {"id": "out", "type": "dense", "units": 4}],
          "loss": "softmax_cross_entropy"})";
        data::Dataset d;
        d.name = "random images";
        d.sampleShape = {1, 6, 6};
        d.numClasses = 4;
        Rng r(6);
        for (int i = 0; i < 64; ++i) {
            for (int k = 0; k < 36; ++k) d.features.push_back(float(r.uniform()));
            d.labels.push_back(int32_t(r.below(4)));
        }
        d.classNames = {"a", "b", "c", "d"};
        Model model(ModelSpec::fromString(spec), d.sampleShape, 4);
        model.initialize(2);
        for (auto& p : model.parameters())  // large logits: a loss far from ln 4 that coarse grids move
            for (int64_t i = 0; i < p.value.numel(); ++i) p.value[i] *= 6.0f;
        const BuiltGraph b = model.build(5, true);
        const std::vector<int> nodes = layerOutputNodes(model, b);
        QCOMPARE(b.graph.node(nodes[0]).name, std::string("c1.relu"));
        QCOMPARE(b.graph.node(nodes[1]).name, std::string("p1.maxpool2d"));
        QCOMPARE(b.graph.node(nodes[2]).name, std::string("f.flatten"));
        const io::EvalResult f32 = io::evaluateModel(model, d);
        QuantizedEvalConfig c;
        c.weightBits = c.activationBits = 16;
        c.batch = 7;  // batches of 7 and a last one of 1
        const QuantizedEval q16 = evaluateQuantized(model, d, d, c);
        QVERIFY(std::fabs(q16.loss - f32.loss) < 1e-3);
        c.weightBits = c.activationBits = 2;
        const QuantizedEval q2 = evaluateQuantized(model, d, d, c);
        QVERIFY2(std::fabs(q2.loss - f32.loss) > 1e-2, qPrintable(QString("%1 %2").arg(q2.loss).arg(f32.loss)));
        QCOMPARE(int(q2.activationFormats.size()), 4);
    }

    void quantizedEvaluation()
    {
        const data::Split split = gaussians();
        Model model = trainedNet(split);
        const std::vector<Tensor> before = saveParameters(model);
        const io::EvalResult f32 = io::evaluateModel(model, split.test);
        QVERIFY(f32.accuracy > 0.8);

        // No quantization at all: exactly the float evaluation.
        QuantizedEvalConfig none;
        none.weightBits = none.activationBits = 0;
        const QuantizedEval same = evaluateQuantized(model, split.train, split.test, none);
        QCOMPARE(same.accuracy, f32.accuracy);
        QVERIFY(std::fabs(same.loss - f32.loss) < 1e-6);

        for (QuantScheme s : {QuantScheme::FixedPoint, QuantScheme::Affine}) {
            QuantizedEvalConfig c;
            c.scheme = s;
            c.weightBits = c.activationBits = 12;
            const QuantizedEval fine = evaluateQuantized(model, split.train, split.test, c);
            QVERIFY(std::fabs(fine.accuracy - f32.accuracy) <= 0.01);
            QCOMPARE(int(fine.activationFormats.size()), 3);
            QCOMPARE(int(fine.weights.size()), 3);
            QVERIFY(std::fabs(fine.loss - f32.loss) > 0);  // it did change something
        }
        // The weights are back afterwards.
        for (size_t i = 0; i < before.size(); ++i) QCOMPARE(model.parameters()[i].value.toVector(), before[i].toVector());

        // Layer outputs really are quantized: a grid holding only 0 makes every
        // logit 0, so the loss is ln(3) for three classes.
        QuantFormat zero;
        zero.scale = 1;
        zero.qmin = zero.qmax = 0;
        const QuantizedForwardResult flat =
            evaluateWithActivationFormats(model, split.test, {zero, zero, zero}, 100);
        QVERIFY(std::fabs(flat.loss - std::log(3.0)) < 1e-5);
        QVERIFY_THROWS_EXCEPTION(Error, evaluateWithActivationFormats(model, split.test, {zero}, 100));
    }
};

QTEST_APPLESS_MAIN(CompressQuantizeTest)
#include "tst_compress_quantize.moc"
