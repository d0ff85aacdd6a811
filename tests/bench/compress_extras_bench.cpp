// compress_extras_bench: what quantization, ternary / binary weights and low rank
// cost a trained Fashion-MNIST model (engine/compress quantize, ternary, low_rank).
//   1. fixed point and affine quantization, 16 -> 2 bits: test accuracy with the
//      weights quantized, with every layer output quantized (calibrated on 2000
//      training images, 99.99th percentile), both, and the weights alone with
//      their range from the 99.9th percentile of |w| instead of the maximum;
//   2. low rank: the dense layers cut to the rank keeping 99 ... 50% of the energy
//      (no retraining): ranks, factor parameters, ratio and accuracy;
//   3. ternary (TTQ, t = 0.05) and binary weights: accuracy right after the switch
//      and after E epochs of retraining through Trainer::afterUpdate, beside the
//      f32 model retrained the same way.
// Usage: bench_compress_extras MODEL.nnm [--retrain-epochs E (2)] [--lr X (1e-4)]
// MODEL.nnm: e.g. nnstudio-cli train --model assets/models/lenet-300-100.json
//            --data fashion-mnist --epochs 5 --lr 0.001 --batch 64 --out MODEL.nnm
// The data split is the one `train` used (its seed from the file's metadata).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/compress/low_rank.h"
#include "engine/compress/quantize.h"
#include "engine/compress/ternary.h"
#include "engine/core/error.h"
#include "engine/io/inference.h"
#include "engine/io/model_file.h"
#include "engine/train/trainer.h"

using namespace nn;
using namespace nn::compress;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Setup {
    io::LoadedModel loaded;
    data::Split data;
};

void quantization(Model& model, const data::Split& data, double dense)
{
    std::printf("\n1. quantization (test accuracy; dense f32 %.4f)\n", dense);
    std::printf("%-7s %4s  %10s %12s %8s %16s\n", "scheme", "bits", "weights", "activations", "both",
                "weights p99.9");
    for (QuantScheme s : {QuantScheme::FixedPoint, QuantScheme::Affine})
        for (int bits : {16, 12, 8, 6, 5, 4, 3, 2}) {
            double acc[4];
            for (int k = 0; k < 4; ++k) {
                QuantizedEvalConfig c;
                c.scheme = s;
                c.weightBits = k == 1 ? 0 : bits;
                c.activationBits = k == 0 || k == 3 ? 0 : bits;
                if (k == 3) c.weightPercentile = 99.9;  // the range set by the bulk, the largest 0.1 % clipped
                acc[k] = evaluateQuantized(model, data.train, data.test, c).accuracy;
            }
            std::printf("%-7s %4d  %10.4f %12.4f %8.4f %16.4f\n", schemeName(s), bits, acc[0], acc[1], acc[2], acc[3]);
        }
    QuantizedEvalConfig c;
    const QuantizedEval e = evaluateQuantized(model, data.train, data.test, c);
    std::printf("8-bit fixed-point formats chosen:");
    for (const auto& w : e.weights) std::printf("  %s %s", w.name.c_str(), w.format.describe().c_str());
    std::printf("\n  layer outputs:");
    for (size_t i = 0; i < e.activationFormats.size(); ++i)
        std::printf("  %s %s", e.activationLayers[i].c_str(), e.activationFormats[i].describe().c_str());
    std::printf("\n");
}

void lowRank(Model& model, const data::Split& data)
{
    std::printf("\n2. low rank (dense layers, no retraining)\n");
    std::printf("%7s  %-22s %11s %7s %9s\n", "energy", "ranks", "parameters", "ratio", "accuracy");
    const std::vector<Tensor> saved = saveParameters(model);
    int64_t denseWeights = 0;
    for (const auto& p : model.parameters())
        if (p.name.ends_with(".weight") && p.value.shape().rank() == 2) denseWeights += p.value.numel();
    for (double energy : {0.99, 0.95, 0.9, 0.8, 0.7, 0.5}) {
        const auto results = lowRankModel(model, {energy, 0});
        std::string ranks;
        int64_t params = 0;
        for (const auto& r : results) {
            if (!ranks.empty()) ranks += ',';
            ranks += std::to_string(r.rank);
            ranks += '/';
            ranks += std::to_string(r.fullRank);
            params += r.parameters;
        }
        const double acc = io::evaluateModel(model, data.test).accuracy;
        std::printf("%7.2f  %-22s %11lld %6.1fx %9.4f\n", energy, ranks.c_str(), (long long)params,
                    double(denseWeights) / double(params), acc);
        restoreParameters(model, saved);
    }
}

TrainConfig retrainConfig(int epochs, float lr)
{
    TrainConfig c;
    c.epochs = epochs;
    c.batch = 64;
    c.lr = lr;
    return c;
}

void ternaryAndBinary(Model& model, const data::Split& data, int epochs, float lr)
{
    std::printf("\n3. ternary and binary weights (every .weight; biases f32), retrained %d epochs, Adam lr %g\n", epochs,
                double(lr));
    const std::vector<Tensor> dense = saveParameters(model);
    {
        // The control: the f32 model retrained the same way (more epochs help it too).
        Trainer trainer(model, data, retrainConfig(epochs, lr));
        restoreParameters(model, dense);
        trainer.run();
        std::printf("%-8s after the same retraining %.4f\n", "f32", trainer.result().testAccuracy);
        restoreParameters(model, dense);
    }
    for (const char* kind : {"ternary", "binary"}) {
        const auto t0 = Clock::now();
        Trainer trainer(model, data, retrainConfig(epochs, lr));  // re-initialises: put the trained weights back
        restoreParameters(model, dense);
        std::vector<TernaryTensor> tts;
        std::vector<BinaryTensor> bts;
        if (std::strcmp(kind, "ternary") == 0) {
            tts = ternarizeModel(model, 0.05f);
            trainer.afterUpdate = keepTernary(tts, trainer, lr);
        } else {
            bts = binarizeModel(model);
            trainer.afterUpdate = keepBinary(bts);
        }
        const double before = io::evaluateModel(model, data.test).accuracy;
        trainer.run();
        std::printf("%-8s before retraining %.4f, after %.4f (%.1f s)\n", kind, before, trainer.result().testAccuracy,
                    since(t0));
        for (const auto& tt : tts) {
            int64_t zeros = 0;
            for (int8_t c : tt.code) zeros += c == 0;
            std::printf("  %-11s Wp %.4f  Wn %.4f  zeros %.1f%%\n", tt.name.c_str(), double(tt.wp), double(tt.wn),
                        100.0 * double(zeros) / double(tt.code.size()));
        }
        for (const auto& bt : bts) std::printf("  %-11s alpha %.4f\n", bt.name.c_str(), double(bt.scale));
        restoreParameters(model, dense);
    }
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        std::fprintf(stderr, "usage: bench_compress_extras MODEL.nnm [--retrain-epochs E] [--lr X]\n");
        return 2;
    }
    int epochs = 2;
    float lr = 1e-4f;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--retrain-epochs")) epochs = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--lr")) lr = float(std::atof(argv[i + 1]));
    }
    try {
        io::LoadedModel loaded = io::loadModelFile(argv[1]);
        const auto& meta = loaded.extras.metadata;
        const std::string dataName = meta.value("data", std::string("fashion-mnist"));
        data::SourceOptions source;
        source.splitSeed = source.twoD.seed = meta.value("seed", uint64_t(1));
        if (dataName == "fashion-mnist") source.validationFraction = 5000.0 / 60000.0;  // as `train` splits it
        const data::Split data = data::loadSource(dataName, source);
        Model& model = loaded.model;
        const double dense = io::evaluateModel(model, data.test).accuracy;
        std::printf("model '%s' (%lld parameters) on %s: dense test accuracy %.4f\n", model.spec().name.c_str(),
                    (long long)model.parameterCount(), dataName.c_str(), dense);
        auto t0 = Clock::now();
        quantization(model, data, dense);
        std::printf("(%.1f s)\n", since(t0));
        t0 = Clock::now();
        lowRank(model, data);
        std::printf("(%.1f s)\n", since(t0));
        ternaryAndBinary(model, data, epochs, lr);
    } catch (const Error& e) {
        std::fprintf(stderr, "bench_compress_extras: %s\n", e.what());
        return 1;
    }
    return 0;
}
