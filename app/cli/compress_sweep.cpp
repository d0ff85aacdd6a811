#include "app/cli/compress_sweep.h"

#include <chrono>
#include <iomanip>
#include <iostream>

#include "app/cli/json_out.h"
#include "engine/compress/sweeps.h"
#include "engine/core/error.h"
#include "engine/io/inference.h"

namespace cli {

const char* const kSweepHelp =
    "  --sensitivity  instead of a pipeline: prune each weight tensor alone to 0, 0.1 ... 0.9, 0.95 and\n"
    "                test it, without and with retraining; one line per point {layer, ratio, accuracy,\n"
    "                retrained} (the weights are put back between points)\n"
    "  --sensitivity-retrain E  epochs of retraining per point (1; 0 = no retrained points)\n"
    "  --bits-sweep share|fixed|act|fixed-both  instead of a pipeline: every weight tensor shared by\n"
    "                k-means at 8 -> 1 bits, or in fixed point at 16 -> 2 bits; act: every layer output in\n"
    "                fixed point at 16 -> 2 bits (weights f32, ranges as --act-samples/--act-percentile);\n"
    "                fixed-both: weights and layer outputs at the same bits. No retraining; one line per\n"
    "                point {layer, method, bits, accuracy}\n"
    "  --layer-type all|dense|conv  which weight tensors --bits-sweep share|fixed quantizes (all)\n";

bool wantsSweep(const Args& args) { return args.has("sensitivity") || args.has("bits-sweep"); }

void checkBitsSweep(const Args& args)
{
    if (!args.has("bits-sweep")) return;
    const std::string m = args.str("bits-sweep");
    if (m != "share" && m != "fixed" && m != "act" && m != "fixed-both")
        throw nn::Error("--bits-sweep " + m + ": give share (k-means, 8 -> 1 bits), fixed (fixed-point weights, "
                        "16 -> 2 bits), act (fixed-point layer outputs) or fixed-both (weights and outputs)");
    if ((m == "act" || m == "fixed-both") && args.has("layer-type") && args.str("layer-type") != "all")
        throw nn::Error("--layer-type " + args.str("layer-type") + " picks weight tensors; --bits-sweep " + m
                        + " rounds every layer output: drop --layer-type");
}

size_t activationSamples(const Args& args) { return size_t(args.integer("act-samples", 2000, 1, 100000000)); }

double activationPercentile(const Args& args) { return args.number("act-percentile", 99.99, 50.000001, 100.0); }

void runSweeps(const Args& args, nn::Model& model, const nn::data::Split& data, const nn::TrainConfig& config,
               float retrainLr, bool json)
{
    const auto t0 = std::chrono::steady_clock::now();
    const double dense = nn::io::evaluateModel(model, data.test, 1000).accuracy;
    size_t count = 0;
    auto print = [&](const nn::compress::SweepPoint& p) {
        ++count;
        if (json) {
            nlohmann::json j {{"layer", p.layer}, {"method", p.method}, {"accuracy", num(p.accuracy)},
                              {"loss", num(p.loss)}};
            if (p.method == "prune") {
                j["ratio"] = p.x;
                j["retrained"] = p.retrained;
            } else {
                j["bits"] = int(p.x);
            }
            emit(j);
            return;
        }
        std::cout << std::left << std::setw(12) << p.layer << std::right << ' ' << std::setw(6) << p.method << ' '
                  << std::setw(5) << p.x << (p.retrained ? "  retrained " : "            ") << " test_acc "
                  << std::fixed << std::setprecision(4) << p.accuracy << std::defaultfloat << '\n';
    };
    if (args.has("sensitivity")) {
        nn::compress::SensitivityOptions o;
        o.retrainEpochs = args.integer("sensitivity-retrain", 1, 0, 10000);
        o.train = config;
        o.retrainLr = retrainLr;
        nn::compress::pruneSensitivity(model, data, o, print);
    }
    if (args.has("bits-sweep")) {
        nn::compress::BitsSweepOptions o;
        o.method = args.str("bits-sweep");
        o.layerType = args.str("layer-type", "all");
        o.calibrationSamples = activationSamples(args);
        o.activationPercentile = activationPercentile(args);
        o.seed = config.seed;
        nn::compress::bitsSweep(model, data, o, print);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (json)
        emit({{"final", true}, {"points", count}, {"dense_test_accuracy", num(dense)}, {"seconds", seconds}});
    else
        std::cout << "done: " << count << " points, dense test_accuracy " << std::fixed << std::setprecision(4)
                  << dense << ", " << std::setprecision(1) << seconds << " s\n";
}

} // namespace cli
