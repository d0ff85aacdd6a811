// nnstudio-cli compress: Deep Compression as a pipeline of stages over a trained
// model (prune → retrain → share → retrain → Huffman), one report per stage with
// the test accuracy and the storage in bits by format (engine/compress/).
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/data_options.h"
#include "app/cli/json_out.h"
#include "engine/backend/kernel.h"
#include "engine/compress/pruning.h"
#include "engine/compress/storage.h"
#include "engine/compress/weight_sharing.h"
#include "engine/core/error.h"
#include "engine/io/inference.h"
#include "engine/io/model_file.h"
#include "engine/train/trainer.h"

namespace cli {

namespace {

const char* kHelp =
    "usage: nnstudio-cli compress --model MODEL.nnm|SPEC.json --data NAME|FILE.csv --pipeline STAGES [options]\n"
    "  --pipeline    comma-separated stages, run in order, e.g. \"prune:0.9,retrain:2,share:5,retrain:1,huffman\"\n"
    "                prune:S     magnitude-prune every .weight tensor to sparsity S in [0, 1) (per tensor;\n"
    "                            masks keep pruned weights exactly zero from then on)\n"
    "                retrain:E   E epochs of training (pruned weights stay zero; after share, the weights\n"
    "                            stay on their centroids: each centroid moves by the mean of its weights'\n"
    "                            optimizer steps)\n"
    "                share:B     k-means of each weight tensor's nonzeros into 2^B centroids (B in 1..16)\n"
    "                huffman     Huffman-code the shared indices and the relative-index gaps (after share)\n"
    "  --model       a trained model file, or a model spec trained first for --epochs-pretrain epochs\n"
    "  --epochs-pretrain N   epochs of training for a spec (required with a spec)\n"
    "  --batch N (32)  --lr X (0.01)  --retrain-lr X (--lr)  --optimizer sgd|momentum|adam (adam)\n"
    "  --momentum X (0.9)  --weight-decay X (0)  --seed N (a model file's seed, else 1)  --threads N (1)\n"
    "  --points N --noise X --classes N --val-fraction X --test-fraction X --limit N --label COLUMN\n"
    "                as for 'train' (the same seed gives the same test split)\n"
    "  --out MODEL.nnm  save the compressed model (its weights as f32, pruned zeros and shared values)\n"
    "  --json        one JSON object per stage (the dense model first); the last has \"final\": true\n"
    "Bits count every .weight tensor in each format plus every other parameter (biases) as f32;\n"
    "\"ratio\" is dense f32 bits / the smallest format's bits.\n";

struct Stage {
    std::string kind;  // prune, retrain, share, huffman
    double value = 0;  // sparsity, epochs or bits
    std::string text;
};

std::vector<Stage> parsePipeline(const std::string& text)
{
    std::vector<Stage> stages;
    std::stringstream in(text);
    std::string item;
    int index = 0;
    auto fail = [&](const std::string& item, const std::string& why) -> void {
        throw nn::Error("--pipeline stage " + std::to_string(index) + " '" + item + "': " + why);
    };
    while (std::getline(in, item, ',')) {
        ++index;
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (item.empty()) fail(item, "empty stage");
        Stage s;
        s.text = item;
        const auto colon = item.find(':');
        s.kind = item.substr(0, colon);
        const std::string arg = colon == std::string::npos ? std::string() : item.substr(colon + 1);
        double v = 0;
        if (s.kind != "huffman") {
            if (arg.empty()) fail(item, "needs a value (" + s.kind + ":N)");
            try {
                size_t used = 0;
                v = std::stod(arg, &used);
                if (used != arg.size()) throw std::invalid_argument(arg);
            } catch (const std::exception&) {
                fail(item, "'" + arg + "' is not a number");
            }
        }
        if (s.kind == "prune") {
            if (!(v >= 0 && v < 1)) fail(item, "sparsity must be in [0, 1)");
        } else if (s.kind == "retrain") {
            if (v != std::floor(v) || v < 1 || v > 100000) fail(item, "epochs must be a whole number from 1");
        } else if (s.kind == "share") {
            if (v != std::floor(v) || v < 1 || v > 16) fail(item, "bits must be a whole number from 1 to 16");
        } else if (s.kind == "huffman") {
            if (colon != std::string::npos) fail(item, "huffman takes no value");
            bool shared = false;
            for (const Stage& p : stages) shared = shared || p.kind == "share";
            if (!shared) fail(item, "huffman codes the shared indices: put a share:B stage before it");
        } else {
            fail(item, "unknown stage '" + s.kind + "' (prune:S, retrain:E, share:B, huffman)");
        }
        s.value = v;
        stages.push_back(s);
    }
    if (!text.empty() && text.back() == ',') {
        ++index;
        fail("", "empty stage");
    }
    if (stages.empty()) throw nn::Error("--pipeline is empty (e.g. \"prune:0.9,retrain:2,share:5,retrain:1,huffman\")");
    return stages;
}

bool isWeight(const std::string& n) { return n.size() > 7 && n.compare(n.size() - 7, 7, ".weight") == 0; }

// The compression state of one .weight tensor.
struct Layer {
    std::string name;
    nn::Tensor w;  // a handle on the model's parameter
    nn::compress::Mask mask;  // empty until pruned
    std::optional<nn::compress::SharedWeights> shared;
};

nn::Tensor as2d(const nn::Tensor& w)
{
    if (w.shape().rank() == 2) return w;
    const int64_t rows = w.shape().rank() ? w.shape()[0] : 1;
    nn::Tensor t(nn::Shape {rows, w.numel() / std::max<int64_t>(1, rows)});
    t.copyFrom(w);
    return t;
}

// The model's storage by format: bits per format (weights in that format, other
// parameters f32) and one JSON object per weight tensor.
struct Report {
    nlohmann::json bits = nlohmann::json::object();
    nlohmann::json layers = nlohmann::json::array();
    double ratio = 1;
    std::string best = "dense";
};

Report report(nn::Model& model, const std::vector<Layer>& layers, bool huffman)
{
    uint64_t other = 0;
    for (const auto& p : model.parameters())
        if (!isWeight(p.name)) other += nn::compress::denseBits(p.value);
    std::map<std::string, uint64_t> total;
    Report r;
    for (const Layer& l : layers) {
        std::map<std::string, uint64_t> b;
        b["dense"] = nn::compress::denseBits(l.w);
        const bool sparse = !l.mask.empty() || l.shared;
        if (sparse) {
            b["csr"] = nn::compress::csrBits(as2d(l.w)).total();
            b["relative_index"] = nn::compress::relativeIndexBits(l.w).total();
        }
        if (l.shared) b["codebook"] = nn::compress::codebookBits(*l.shared).total();
        if (l.shared && huffman) b["huffman"] = nn::compress::huffmanBits(*l.shared).total();
        int64_t zeros = 0;
        std::set<float> distinct;
        const float* x = l.w.data();
        for (int64_t i = 0; i < l.w.numel(); ++i) {
            if (x[i] == 0.0f)
                ++zeros;
            else if (distinct.size() <= 70000)
                distinct.insert(x[i]);
        }
        nlohmann::json lb = nlohmann::json::object();
        for (const auto& [k, v] : b) {
            lb[k] = v;
            total[k] += v;
        }
        nlohmann::json layer {{"name", l.name},
                              {"weights", l.w.numel()},
                              {"zeros", zeros},
                              {"sparsity", double(zeros) / double(std::max<int64_t>(1, l.w.numel()))},
                              {"distinct_nonzero", distinct.size()},
                              {"bits", lb}};
        if (l.shared) layer["codebook_bits"] = l.shared->bits;
        r.layers.push_back(layer);
    }
    // A format counts for the model only when every weight tensor has it.
    uint64_t best = 0;
    for (const auto& [k, v] : total) {
        bool all = true;
        for (const auto& l : r.layers) all = all && l["bits"].contains(k);
        if (!all) continue;
        r.bits[k] = v + other;
        if (best == 0 || v + other < best) {
            best = v + other;
            r.best = k;
        }
    }
    r.ratio = best ? double(total["dense"] + other) / double(best) : 1.0;
    return r;
}

// Keeps pruned weights at zero and shared weights on their (moving) centroids
// after every optimizer step: each centroid moves by the mean of the steps the
// optimizer gave its weights.
std::function<void()> keepCompressed(std::vector<Layer>& layers)
{
    return [&layers] {
        for (Layer& l : layers) {
            if (!l.mask.empty()) {
                float* x = l.w.data();
                for (size_t i = 0; i < l.mask.size(); ++i)
                    if (!l.mask[i]) x[i] = 0.0f;
            }
            if (l.shared) {
                auto& s = *l.shared;
                std::vector<double> sum(s.codebook.size(), 0.0);
                std::vector<int64_t> count(s.codebook.size(), 0);
                const float* x = l.w.data();
                for (size_t i = 0; i < s.index.size(); ++i)
                    if (s.index[i] >= 0) {
                        sum[size_t(s.index[i])] += double(x[i]) - double(s.codebook[size_t(s.index[i])]);
                        ++count[size_t(s.index[i])];
                    }
                for (size_t k = 0; k < s.codebook.size(); ++k)
                    if (count[k]) s.codebook[k] += float(sum[k] / double(count[k]));
                nn::compress::applySharing(l.w, s);
            }
        }
    };
}

std::string fmtBits(uint64_t bits)
{
    std::ostringstream o;
    o << std::fixed << std::setprecision(1) << double(bits) / 8192.0 << " KiB";
    return o.str();
}

} // namespace

int compress(const std::vector<std::string>& argv)
{
    const Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp;
        return 0;
    }
    std::set<std::string> known {"model", "data", "pipeline", "epochs-pretrain", "batch", "lr", "retrain-lr",
                                 "optimizer", "momentum", "weight-decay", "seed", "threads", "out", "json", "help"};
    for (const char* name : kDataOptionNames) known.insert(name);
    args.allowOnly(known);
    const bool json = args.has("json");
    const std::vector<Stage> stages = parsePipeline(args.required("pipeline"));
    const std::string modelPath = args.required("model");
    const std::string dataName = args.required("data");
    nn::cpu::setThreads(args.integer("threads", 1, 0, 1024));
    const auto t0 = std::chrono::steady_clock::now();
    auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

    const bool isSpec = modelPath.size() > 5 && modelPath.substr(modelPath.size() - 5) == ".json";
    std::optional<nn::io::LoadedModel> loaded;
    int defaultSeed = 1;
    if (!isSpec) {
        loaded.emplace(nn::io::loadModelFile(modelPath));
        const auto& meta = loaded->extras.metadata;
        if (meta.is_object() && meta.contains("seed") && meta["seed"].is_number_integer())
            defaultSeed = meta["seed"].get<int>();
        if (args.has("epochs-pretrain"))
            throw nn::Error("--epochs-pretrain trains a model spec; " + modelPath + " is already trained");
    } else if (!args.has("epochs-pretrain")) {
        throw nn::Error("--model " + modelPath + " is a spec: give --epochs-pretrain N to train it first (or a trained .nnm)");
    }

    nn::TrainConfig config;
    config.batch = args.integer("batch", 32, 1, 1 << 20);
    config.lr = float(args.number("lr", 0.01, 1e-12, 1e6));
    config.optimizer.kind = args.str("optimizer", "adam");
    config.optimizer.momentum = float(args.number("momentum", 0.9, 0.0, 0.9999));
    config.optimizer.weightDecay = float(args.number("weight-decay", 0.0, 0.0, 10.0));
    config.patience = 0;
    config.stepEventEvery = 0;
    config.seed = uint64_t(args.integer("seed", defaultSeed, 0, 2147483647));
    const float retrainLr = float(args.number("retrain-lr", config.lr, 1e-12, 1e6));

    const nn::data::Split data = nn::data::loadSource(dataName, dataSourceOptions(args, config.seed));
    std::optional<nn::Model> specModel;
    if (isSpec) specModel.emplace(nn::ModelSpec::fromFile(modelPath), data.train.sampleShape, data.train.numClasses);
    nn::Model& model = isSpec ? *specModel : loaded->model;
    if (data.test.size() == 0) throw nn::Error("the data set has no test split (--test-fraction 0?)");

    double pretrainAccuracy = std::nan("");
    if (isSpec) {
        nn::TrainConfig c = config;
        c.epochs = args.integer("epochs-pretrain", 10, 1, 100000);
        nn::Trainer trainer(model, data, c);
        trainer.run();
        if (trainer.result().status == nn::TrainStatus::Diverged)
            throw nn::Error("pretraining diverged: " + trainer.result().message);
        pretrainAccuracy = trainer.result().testAccuracy;
    }

    std::vector<Layer> layers;
    for (auto& p : model.parameters())
        if (isWeight(p.name)) layers.push_back({p.name, p.value, {}, std::nullopt});
    if (layers.empty()) throw nn::Error("the model has no .weight tensors to compress");

    bool huffman = false;
    double denseAccuracy = 0;
    nlohmann::json last;
    auto emitStage = [&](const std::string& stage, const std::string& text, int index, double extraSeconds) {
        const nn::io::EvalResult e = nn::io::evaluateModel(model, data.test, 1000);
        if (index == 0) denseAccuracy = e.accuracy;
        const Report r = report(model, layers, huffman);
        nlohmann::json j {{"stage", stage},         {"step", index},
                          {"text", text},           {"test_accuracy", num(e.accuracy)},
                          {"test_loss", num(e.loss)}, {"accuracy_change", num(e.accuracy - denseAccuracy)},
                          {"bits", r.bits},         {"best_format", r.best},
                          {"ratio", r.ratio},       {"layers", r.layers},
                          {"seconds", seconds()}};
        if (extraSeconds >= 0) j["stage_seconds"] = extraSeconds;
        if (index == 0 && isSpec) j["pretrain_test_accuracy"] = num(pretrainAccuracy);
        last = j;
        if (json) {
            emit(j);
            return;
        }
        std::cout << std::left << std::setw(14) << (index ? text : "dense") << std::right << "  test_acc "
                  << std::fixed << std::setprecision(4) << e.accuracy << "  " << std::setw(16) << r.best << " "
                  << std::setw(11) << fmtBits(r.bits[r.best].get<uint64_t>()) << "  ratio " << std::setprecision(1)
                  << r.ratio << "x  sparsity";
        for (const auto& l : r.layers) std::cout << ' ' << std::setprecision(3) << l["sparsity"].get<double>();
        std::cout << '\n';
    };

    emitStage("dense", "dense", 0, -1);

    int index = 0;
    for (const Stage& s : stages) {
        ++index;
        const auto ts = std::chrono::steady_clock::now();
        if (s.kind == "prune") {
            for (Layer& l : layers) {
                nn::compress::Mask m = nn::compress::magnitudeMask(l.w, s.value);
                if (!l.mask.empty())  // a second prune keeps what the first removed
                    for (size_t i = 0; i < m.size(); ++i) m[i] = uint8_t(m[i] & l.mask[i]);
                l.mask = std::move(m);
                nn::compress::applyMask(l.w, l.mask);
                if (l.shared)
                    for (size_t i = 0; i < l.mask.size(); ++i)
                        if (!l.mask[i]) l.shared->index[i] = -1;
            }
        } else if (s.kind == "retrain") {
            nn::TrainConfig c = config;
            c.epochs = int(s.value);
            c.lr = retrainLr;
            c.seed = config.seed + uint64_t(index);  // fresh shuffles per stage
            std::vector<nn::Tensor> params, buffers;
            for (const auto& p : model.parameters()) params.push_back(p.value.clone());
            for (const auto& b : model.buffers()) buffers.push_back(b.value.clone());
            nn::Trainer trainer(model, data, c);  // initialises the weights: put the trained ones back
            trainer.restore({0, 0, params, buffers, {}});
            trainer.afterUpdate = keepCompressed(layers);
            trainer.run();
            if (trainer.result().status == nn::TrainStatus::Diverged)
                throw nn::Error("stage " + std::to_string(index) + " '" + s.text + "': retraining diverged: "
                                + trainer.result().message);
        } else if (s.kind == "share") {
            for (Layer& l : layers) {
                l.shared = nn::compress::shareWeights(l.w, int(s.value));
                nn::compress::applySharing(l.w, *l.shared);
            }
        } else if (s.kind == "huffman") {
            huffman = true;
        }
        emitStage(s.kind, s.text, index,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - ts).count());
    }

    nlohmann::json final = last;
    final["final"] = true;
    final["pipeline"] = args.str("pipeline");
    final["dense_test_accuracy"] = num(denseAccuracy);
    if (args.has("out")) {
        nn::io::ModelFileExtras extras;
        extras.classNames = data.train.classNames;
        extras.metadata = {{"data", dataName},
                           {"seed", config.seed},
                           {"compress", args.str("pipeline")},
                           {"ratio", final["ratio"]},
                           {"test_accuracy", final["test_accuracy"]}};
        nn::io::saveModelFile(args.str("out"), model, extras);
        final["model_file"] = args.str("out");
    }
    if (json)
        emit(final);
    else
        std::cout << "done: test_accuracy " << std::setprecision(4) << final["test_accuracy"].get<double>()
                  << " (dense " << denseAccuracy << "), " << std::setprecision(1) << final["ratio"].get<double>()
                  << "x smaller than dense f32 (" << final["best_format"].get<std::string>() << "), "
                  << seconds() << " s\n";
    return 0;
}

} // namespace cli
