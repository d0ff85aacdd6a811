// nnstudio-cli compress: the front end of engine/compress/pipeline.h: loads (or
// pretrains) the model, runs the pipeline, prints one report per stage (test
// accuracy, storage in bits by format) and saves the compressed model.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/compress_sweep.h"
#include "app/cli/data_options.h"
#include "app/cli/json_out.h"
#include "app/cli/train_store.h"
#include "engine/backend/kernel.h"
#include "engine/compress/pipeline.h"
#include "engine/compress/pipeline_record.h"
#include "engine/core/error.h"
#include "engine/io/model_file.h"
#include "engine/store/run_store.h"
#include "engine/train/trainer.h"

namespace cli {

namespace {

// Each line indented by `spaces` and wrapped at 100 columns, continuation lines
// under the text after the stage's usage (12 columns).
std::string indented(const std::string& lines, int spaces)
{
    std::string out, line;
    std::istringstream in(lines);
    const std::string pad(size_t(spaces), ' '), hang(size_t(spaces) + 12, ' ');
    while (std::getline(in, line)) {
        std::string current = pad;
        std::istringstream words(line.substr(std::min<size_t>(12, line.size())));
        current += line.substr(0, std::min<size_t>(12, line.size()));
        std::string word;
        bool first = true;
        while (words >> word) {
            if (!first && current.size() + 1 + word.size() > 100) {
                out += current + "\n";
                current = hang + word;
            } else {
                current += (first ? "" : " ") + word;
            }
            first = false;
        }
        out += current + "\n";
    }
    return out;
}

std::string help()
{
    return "usage: nnstudio-cli compress --model MODEL.nnm|SPEC.json --data NAME|FILE.csv --pipeline STAGES [options]\n"
           "       nnstudio-cli compress --model ... --data ... --sensitivity | --bits-sweep share|fixed|act|fixed-both [options]\n"
           "  --pipeline    comma-separated stages, run in order, e.g. \"prune:0.9,retrain:2,share:5,retrain:1,huffman\"\n"
           + indented(nn::compress::pipelineHelp(), 16)
           + "  --model       a trained model file, or a model spec trained first for --epochs-pretrain epochs\n"
             "  --epochs-pretrain N   epochs of training for a spec (required with a spec)\n"
             "  --batch N (32)  --lr X (0.01)  --retrain-lr X (--lr)  --optimizer sgd|momentum|adam (adam)\n"
             "  --momentum X (0.9)  --weight-decay X (0)  --seed N (a model file's seed, else 1)  --threads N (1)\n"
             "  --points N --noise X --classes N --val-fraction X --test-fraction X --limit N --label COLUMN\n"
             "                as for 'train' (the same seed gives the same test split)\n"
             "  --act-samples N (2000)  --act-percentile P (99.99)  act stages and act / fixed-both sweeps: the\n"
             "                layer outputs' ranges from N training samples drawn with --seed, at the P-th percentile\n"
             "                of |x| (100 = the maximum; lower clips rare outliers)\n"
             "  --out MODEL.nnm  save the compressed model (its weights as f32, pruned zeros and shared values;\n"
             "                act stages are not saved: the file runs with float layer outputs)\n"
             "  --json        one JSON object per stage (the dense model first); the last has \"final\": true\n"
           + "  --store FILE  keep the pipeline in a run history as a run (its settings: the pipeline and\n"
             "                options) with one record per stage; 'nnstudio-cli runs show RUN' prints them\n"
             "  --run-name NAME  the run's name there (default: model, data and pipeline)\n"
           + kSweepHelp
           + "  --sensitivity-retrain and the pipeline's retrain stages use --batch, --retrain-lr, --optimizer ...\n"
             "Bits count every .weight tensor in each format plus every other parameter (biases) as f32;\n"
             "\"ratio\" is dense f32 bits / the smallest format's bits. \"inference_ms\" is one pass over the\n"
             "test set on the dense kernels: pruned and shared weights still cost dense FLOPs there; the final\n"
             "line times the dense and the compressed weights alternately (dense_/compressed_inference_ms).\n";
}

std::string fmtBits(uint64_t bits)
{
    std::ostringstream o;
    o << std::fixed << std::setprecision(1) << double(bits) / 8192.0 << " KiB";
    return o.str();
}

void printStage(const nn::compress::StageResult& r)
{
    std::cout << std::left << std::setw(14) << r.text << std::right << "  test_acc " << std::fixed
              << std::setprecision(4) << r.testAccuracy << "  " << std::setw(16) << r.bestFormat << " "
              << std::setw(11) << fmtBits(r.bits.at(r.bestFormat)) << "  ratio " << std::setprecision(1) << r.ratio
              << "x  sparsity";
    for (const auto& l : r.layers) std::cout << ' ' << std::setprecision(3) << l.sparsity;
    if (r.activationBits > 0) std::cout << "  outputs " << r.activationBits << "-bit " << r.activationScheme;
    std::cout << '\n';
}

} // namespace

int compress(const std::vector<std::string>& argv)
{
    const Args args(argv, {"json", "help", "sensitivity"});
    if (args.has("help")) {
        std::cout << help();
        return 0;
    }
    std::set<std::string> known {"model", "data", "pipeline", "epochs-pretrain", "batch", "lr", "retrain-lr",
                                 "optimizer", "momentum", "weight-decay", "seed", "threads", "out", "json", "help",
                                 "sensitivity", "sensitivity-retrain", "bits-sweep", "layer-type", "store", "run-name",
                                 "act-samples", "act-percentile"};
    for (const char* name : kDataOptionNames) known.insert(name);
    args.allowOnly(known);
    const bool json = args.has("json");
    const bool sweep = wantsSweep(args);
    if (sweep && args.has("pipeline"))
        throw nn::Error("--sensitivity and --bits-sweep run on the dense model instead of a pipeline: drop --pipeline "
                        "(or run them apart)");
    if (!sweep && (args.has("sensitivity-retrain") || args.has("layer-type")))
        throw nn::Error(std::string("--") + (args.has("layer-type") ? "layer-type" : "sensitivity-retrain")
                        + " sets up a sweep: add --" + (args.has("layer-type") ? "bits-sweep share|fixed" : "sensitivity"));
    checkBitsSweep(args);
    if (sweep && args.has("out")) throw nn::Error("--out saves a pipeline's model; a sweep leaves the model as it was");
    if (sweep && args.has("store")) throw nn::Error("--store keeps a pipeline's stages; a sweep is not recorded: drop --store");
    if (args.has("run-name") && !args.has("store")) throw nn::Error("--run-name needs --store FILE (the run history to record in)");
    const std::vector<nn::compress::StageSpec> stages =
        sweep ? std::vector<nn::compress::StageSpec> {} : nn::compress::parsePipeline(args.required("pipeline"));
    bool roundsOutputs = args.has("bits-sweep") && (args.str("bits-sweep") == "act" || args.str("bits-sweep") == "fixed-both");
    for (const auto& s : stages) roundsOutputs = roundsOutputs || s.kind == "act" || s.kind == "act8";
    for (const char* name : {"act-samples", "act-percentile"})
        if (args.has(name) && !roundsOutputs)
            throw nn::Error(std::string("--") + name + " calibrates the layer outputs: add an act:B or act8 stage, or "
                            "--bits-sweep act|fixed-both");
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

    if (args.has("out")) nn::io::checkModelFileWritable(args.str("out"));  // before any work
    if (args.has("store")) {  // the history too: not after --epochs-pretrain has trained
        const nn::store::RunStore check(args.str("store"));
        if (check.readOnly())
            throw nn::Error("run history '" + args.str("store") + "' is read-only (" + check.readOnlyReason() +
                            "): its runs can be viewed, not recorded; choose another --store");
    }
    nn::data::SourceOptions source = dataSourceOptions(args, config.seed);
    if (loaded) source.csv.classes = loaded->extras.classNames;  // a CSV's labels by the model's class names
    const nn::data::Split data = nn::data::loadSource(dataName, source);
    printDataNotices("compress", data);
    std::optional<nn::Model> specModel;
    if (isSpec) specModel.emplace(nn::ModelSpec::fromFile(modelPath), data.train.sampleShape, data.train.numClasses);
    nn::Model& model = isSpec ? *specModel : loaded->model;

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

    if (sweep) {
        runSweeps(args, model, data, config, retrainLr, json);
        return 0;
    }

    nn::compress::PipelineOptions options;
    options.train = config;
    options.retrainLr = retrainLr;
    options.activationSamples = activationSamples(args);
    options.activationPercentile = activationPercentile(args);
    nn::compress::Pipeline pipeline(model, data, options);

    std::unique_ptr<nn::compress::PipelineRecord> record;
    if (args.has("store")) {
        nn::store::NewRun run;
        run.spec = model.spec().toJson();
        if (isSpec)
            run.hyper["epochs_pretrain"] = args.integer("epochs-pretrain", 10, 1, 100000);
        else
            run.hyper["model_file"] = modelPath;
        run.dataset = dataName;
        run.datasetParams = sourceJson(source);
        run.seed = config.seed;
        run.name = args.str("run-name", model.spec().name + " on " + std::filesystem::path(dataName).filename().string()
                                            + ": " + args.str("pipeline"));
        if (run.name.empty()) throw nn::Error("--run-name cannot be empty");
        record = std::make_unique<nn::compress::PipelineRecord>(args.str("store"), run, args.str("pipeline"), options);
    }

    nlohmann::json last;
    std::vector<nn::compress::StageResult> results;
    try {
        results = pipeline.run(stages, [&](const nn::compress::StageResult& r) {
            last = nn::compress::toJson(r);
            if (r.step == 0 && isSpec) last["pretrain_test_accuracy"] = num(pretrainAccuracy);
            if (record) record->stage(r, last);
            if (json)
                emit(last);
            else
                printStage(r);
        });
    } catch (const nn::Error& e) {
        if (record) record->finishWithError(e.what(), seconds());
        throw;
    }
    if (record) record->finish("completed", "", seconds());
    const double denseAccuracy = results.front().testAccuracy;

    nlohmann::json final = last;
    final["final"] = true;
    final["pipeline"] = args.str("pipeline");
    final["dense_test_accuracy"] = num(denseAccuracy);
    // Dense and compressed weights timed alternately, the same dense kernels for both.
    const auto timing = pipeline.timeInference(8);
    final["dense_inference_ms"] = timing.denseMs;
    final["compressed_inference_ms"] = timing.compressedMs;
    final["total_seconds"] = seconds();  // pretraining included
    if (record) {
        final["run_id"] = record->runId();
        final["store"] = record->path();
    }
    if (args.has("out")) {
        nn::io::ModelFileExtras extras;
        extras.classNames = data.train.classNames;
        extras.metadata = {{"data", dataName},
                           {"seed", config.seed},
                           {"compress", args.str("pipeline")},
                           {"ratio", final["ratio"]},
                           {"test_accuracy", final["test_accuracy"]}};
        // The file holds f32 weights only; this says what the reported accuracy assumed.
        if (results.back().activationBits > 0)
            extras.metadata["activation_bits"] = results.back().activationBits;
        nn::io::saveModelFile(args.str("out"), model, extras);
        final["model_file"] = args.str("out");
    }
    if (json)
        emit(final);
    else
        std::cout << "done: test_accuracy " << std::setprecision(4) << final["test_accuracy"].get<double>()
                  << " (dense " << denseAccuracy << "), " << std::setprecision(1) << final["ratio"].get<double>()
                  << "x smaller than dense f32 (" << final["best_format"].get<std::string>() << "), "
                  << seconds() << " s; test-set inference " << timing.denseMs << " ms dense, " << timing.compressedMs
                  << " ms compressed (both on the dense kernels)\n";
    return 0;
}

} // namespace cli
