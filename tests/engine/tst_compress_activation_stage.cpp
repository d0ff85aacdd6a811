// Activation quantization in the compression pipeline and the sweeps, on the
// spiral net: act:B / act8 stages round every layer output from then on (many
// bits leave the accuracy alone, 2 bits do not), each later stage recalibrates on
// the same seeded training samples, the ranges cover the calibration, storage does
// not change, the new fields survive JSON (and old records read as float outputs),
// and the act / fixed-both bits sweeps.
#include <QtTest/QtTest>

#include <cmath>

#include <nlohmann/json.hpp>

#include "engine/compress/pipeline.h"
#include "engine/compress/pipeline_record.h"
#include "engine/compress/quantize.h"
#include "engine/compress/sweeps.h"
#include "engine/core/error.h"
#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "spiral_fixture.h"

using namespace nn;
using namespace nn::compress;
using namespace spiral_fixture;

// This suite trains its spiral net with seed 7.
constexpr uint64_t kSeed = 7;

namespace {

PipelineOptions options(double percentile = 99.99, size_t samples = 200)
{
    PipelineOptions o;
    o.train = config(kSeed);
    o.retrainLr = 0.005f;
    o.histogramBins = 11;
    o.activationSamples = samples;
    o.activationPercentile = percentile;
    return o;
}

std::vector<StageResult> runPipeline(const std::string& text, const PipelineOptions& o = options())
{
    Model model = trainedModel(kSeed);
    Pipeline p(model, spiral(), o);
    return p.run(parsePipeline(text));
}

} // namespace

class CompressActivationStage : public QObject {
    Q_OBJECT
private slots:
    void parsedAndDocumented()
    {
        const auto stages = parsePipeline("act:8,prune:0.5,act8");
        QCOMPARE(stages[0].kind, std::string("act"));
        QCOMPARE(stages[0].value, 8.0);
        QCOMPARE(stages[2].kind, std::string("act8"));
        for (const char* bad : {"act:1", "act:33", "act:4.5", "act", "act8:4", "act:int8"})
            QVERIFY_THROWS_EXCEPTION(Error, parsePipeline(bad));
        QVERIFY(parsePipeline("share:4,act:6,huffman").size() == 3);  // act leaves the sharing alone
        const std::string help = pipelineHelp();
        QVERIFY(help.find("act:B") != std::string::npos);
        QVERIFY(help.find("act8") != std::string::npos);
        QVERIFY(help.find("Storage bits do not change") != std::string::npos);
    }

    void manyBitsKeepTheAccuracyTwoBitsDoNot()
    {
        const auto r = runPipeline("act:16,act:2");
        QCOMPARE(int(r.size()), 3);
        QCOMPARE(r[0].activationBits, 0);
        QVERIFY(r[0].activations.empty());
        QCOMPARE(r[1].activationBits, 16);
        QCOMPARE(r[1].activationScheme, std::string("fixed"));
        QCOMPARE(int(r[1].activations.size()), 3);  // h1, h2, out
        QCOMPARE(r[1].activations[0].layer, std::string("h1"));
        QVERIFY2(std::abs(r[1].testAccuracy - r[0].testAccuracy) <= 0.01,
                 qPrintable(QString("16 bits %1 vs dense %2").arg(r[1].testAccuracy).arg(r[0].testAccuracy)));
        QVERIFY2(std::abs(r[2].testAccuracy - r[0].testAccuracy) >= 0.05,
                 qPrintable(QString("2 bits %1 vs dense %2").arg(r[2].testAccuracy).arg(r[0].testAccuracy)));
        for (const StageResult& s : r) QCOMPARE(s.bits, r[0].bits);  // activations are not stored
    }

    void laterStagesRecalibrateOnTheSameSamples()
    {
        Model model = trainedModel(kSeed);
        const PipelineOptions o = options();
        Pipeline p(model, spiral(), o);
        const auto r = p.run(parsePipeline("act:4,prune:0.6,retrain:2"));
        QCOMPARE(r[2].activationBits, 4);
        QCOMPARE(r[3].activationBits, 4);
        // The last stage's accuracy is the pruned, retrained weights evaluated with
        // formats calibrated on them, on the seeded subset of the training split.
        const data::Dataset samples = calibrationSubset(spiral().train, o.activationSamples, o.train.seed);
        const ActivationCalibration cal = calibrateActivations(model, samples, 0, o.activationPercentile);
        std::vector<QuantFormat> formats;
        for (size_t l = 0; l < cal.ranges.size(); ++l) {
            formats.push_back(formatFor(QuantScheme::FixedPoint, cal.ranges[l], 4));
            QCOMPARE(r[3].activations[l].max, cal.ranges[l].max);
            QCOMPARE(r[3].activations[l].format, formats.back().describe());
        }
        const QuantizedForwardResult e = evaluateWithActivationFormats(model, spiral().test, formats);
        QCOMPARE(r[3].testAccuracy, e.accuracy);
        QCOMPARE(r[3].testLoss, e.loss);
        // The act stage's ranges were calibrated on the dense weights: pruning and
        // retraining moved them (the logits' at least; tanh saturates near 1).
        bool moved = false;
        for (size_t l = 0; l < 3; ++l)
            moved = moved || r[1].activations[l].min != r[3].activations[l].min || r[1].activations[l].max != r[3].activations[l].max;
        QVERIFY(moved);
    }

    void rangesCoverTheCalibration()
    {
        for (const int bits : {3, 8, 12}) {
            const auto whole = runPipeline("act:" + std::to_string(bits), options(100));
            for (const ActivationReport& a : whole[1].activations) {
                const float absMax = std::max(std::abs(a.min), std::abs(a.max));
                QCOMPARE(a.absHi, absMax);  // percentile 100: the maximum
                QVERIFY2(a.highest >= absMax && a.lowest <= -absMax,
                         qPrintable(QString("%1: %2 not covered by %3").arg(a.layer.c_str()).arg(absMax).arg(a.format.c_str())));
                // The tightest such format: the next fraction bit would not cover it.
                QVERIFY(a.highest / 2 < absMax);
            }
        }
        const auto clipped = runPipeline("act:6", options(90));
        for (const ActivationReport& a : clipped[1].activations) {
            QVERIFY(a.absHi <= std::max(std::abs(a.min), std::abs(a.max)));
            QVERIFY(a.highest >= a.absHi);
        }
        const auto affine = runPipeline("act8", options(100));
        QCOMPARE(affine[1].activationScheme, std::string("affine"));
        for (const ActivationReport& a : affine[1].activations) {
            const float step = (a.highest - a.lowest) / 255.0f;
            QVERIFY(a.lowest <= std::min(a.min, 0.0f) + step && a.highest >= std::max(a.max, 0.0f) - step);
        }
    }

    void calibrationSubsetIsSeeded()
    {
        const data::Dataset& train = spiral().train;
        const data::Dataset a = calibrationSubset(train, 50, 3), b = calibrationSubset(train, 50, 3),
                            c = calibrationSubset(train, 50, 4);
        QCOMPARE(a.size(), size_t(50));
        QCOMPARE(a.features, b.features);
        QVERIFY(a.features != c.features);
        QCOMPARE(calibrationSubset(train, 100000, 3).size(), train.size());
        QVERIFY_THROWS_EXCEPTION(Error, calibrationSubset(train, 0, 3));
        QVERIFY_THROWS_EXCEPTION(Error, calibrationSubset(data::Dataset {}, 5, 3));
    }

    void jsonRoundTrip()
    {
        const auto r = runPipeline("act:5,prune:0.3");
        for (const StageResult& s : r) {
            const nlohmann::json j = toJson(s);
            QCOMPARE(QString::fromStdString(toJson(stageFromJson(j)).dump()), QString::fromStdString(j.dump()));
        }
        const nlohmann::json j = toJson(r[2]);
        QCOMPARE(j["activation_bits"].get<int>(), 5);
        QCOMPARE(j["activation_scheme"].get<std::string>(), std::string("fixed"));
        QCOMPARE(j["activations"].size(), size_t(3));
        QCOMPARE(toJson(r[0])["activation_bits"].get<int>(), 0);
        QVERIFY(!toJson(r[0]).contains("activations"));
        // A record written before act stages existed reads as float outputs.
        nlohmann::json old = toJson(r[0]);
        old.erase("activation_bits");
        const StageResult back = stageFromJson(old);
        QCOMPARE(back.activationBits, 0);
        QVERIFY(back.activations.empty());
        nlohmann::json broken = j;
        broken["activations"][0].erase("highest");
        QVERIFY_THROWS_EXCEPTION(Error, stageFromJson(broken));
    }

    void calibrationKeptWithTheRun()
    {
        PipelineOptions o = options(99.9, 300);
        const nlohmann::json act = pipelineSettings("prune:0.5,act:6", o);
        QCOMPARE(act["act_samples"].get<size_t>(), size_t(300));
        QCOMPARE(act["act_percentile"].get<double>(), 99.9);
        QVERIFY(!pipelineSettings("prune:0.5", o).contains("act_samples"));
    }

    void badOptionsRejected()
    {
        Model model = trainedModel(kSeed);
        QVERIFY_THROWS_EXCEPTION(Error, Pipeline(model, spiral(), options(40)));
        QVERIFY_THROWS_EXCEPTION(Error, Pipeline(model, spiral(), options(99.99, 0)));
        data::Split noTrain = spiral();
        noTrain.train = data::Dataset {};
        Pipeline p(model, noTrain, options());
        try {
            p.run(parsePipeline("act:8"));
            QFAIL("an act stage without training samples ran");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("stage 1 'act:8'") != std::string::npos, e.what());
        }
    }

    void bitsSweepsOfTheLayerOutputs()
    {
        Model model = trainedModel(kSeed);
        const std::vector<Tensor> before = saveParameters(model);
        BitsSweepOptions o;
        o.method = "act";
        o.calibrationSamples = 200;
        const auto act = bitsSweep(model, spiral(), o);
        QCOMPARE(int(act.size()), 15);  // 16 → 2
        QCOMPARE(act.front().x, 16.0);
        QCOMPARE(act.back().x, 2.0);
        const double dense = evaluateWithActivationFormats(model, spiral().test, {}).accuracy;
        QVERIFY(std::abs(act.front().accuracy - dense) <= 0.01);
        QVERIFY(std::abs(act.back().accuracy - dense) >= 0.05);
        o.method = "fixed-both";
        o.bits = {16, 2};
        const auto both = bitsSweep(model, spiral(), o);
        QCOMPARE(both[0].method, std::string("fixed-both"));
        QVERIFY(std::abs(both[0].accuracy - dense) <= 0.01);
        QVERIFY(both[1].accuracy != act.back().accuracy || both[1].loss != act.back().loss);  // weights rounded too
        const std::vector<Tensor> after = saveParameters(model);
        for (size_t i = 0; i < before.size(); ++i) QCOMPARE(after[i].toVector(), before[i].toVector());
        o.layerType = "dense";
        QVERIFY_THROWS_EXCEPTION(Error, bitsSweep(model, spiral(), o));
        o.layerType = "all";
        o.bits = {1};
        QVERIFY_THROWS_EXCEPTION(Error, bitsSweep(model, spiral(), o));
    }
};

QTEST_APPLESS_MAIN(CompressActivationStage)
#include "tst_compress_activation_stage.moc"
