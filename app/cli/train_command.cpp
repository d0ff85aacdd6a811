// nnstudio-cli train: trains a model spec on a data set on a worker thread and
// reports progress (one JSON object per line with --json).
#include <iomanip>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/data_options.h"
#include "app/cli/json_out.h"
#include "app/cli/train_store.h"
#include "engine/backend/kernel.h"
#include "engine/core/error.h"
#include "engine/core/numbers.h"
#include "engine/core/utf8.h"
#include "engine/io/model_file.h"
#include "engine/perf/profiler.h"
#include "engine/train/training_worker.h"

namespace cli {

namespace {

const char* kHelp =
    "usage: nnstudio-cli train --model SPEC.json --data NAME|FILE.csv [options]\n"
    "  --data        spiral | circles | xor | gaussians | fashion-mnist | FILE.csv\n"
    "  --epochs N    (10)        --batch N (32)          --lr X (0.01)\n"
    "  --optimizer   sgd | momentum | adam (adam)        --momentum X (0.9)\n"
    "  --weight-decay X (0)      --schedule constant|step|cosine (constant)\n"
    "  --patience N  early stop after N epochs without a better validation loss (0 = off)\n"
    "  --seed N (1)  --threads N (1; 0 = all cores)      --device cpu|cuda (cpu)\n"
    "  --points N --noise X --classes N   2-D data set parameters (500, 0.1, 2)\n"
    "  --val-fraction X (0.15; fashion-mnist 1/12) --test-fraction X (0.15)  --limit N (fashion-mnist samples)\n"
    "  --label COLUMN  CSV label column (name or 0-based index; default the last)\n"
    "  --profile     per-op and per-layer profile of the training steps (calls, ms, GFLOP/s,\n"
    "                bytes moved, FLOP/byte); with --json one \"profile\" line per row\n"
    "  --out MODEL.nnm  save the trained model (spec, weights, batch norm statistics) for\n"
    "                predict, eval and export\n"
    "  --json        one JSON object per line; the last has \"final\": true\n";

const char* kExitHelp =
    "exit status: 0 trained, 1 bad input, 4 diverged, 5 trained but the run history (--store)\n"
    "  could not be written (the run is recorded there as interrupted)\n";

nlohmann::json epochJson(const nn::EpochMetrics& m)
{
    return {{"event", "epoch"},        {"epoch", m.epoch},           {"train_loss", num(m.trainLoss)},
            {"train_accuracy", num(m.trainAccuracy)}, {"val_loss", num(m.valLoss)},
            {"val_accuracy", num(m.valAccuracy)},     {"lr", nn::num::asTyped(m.lr)}, {"steps", m.steps}, {"seconds", m.seconds}};
}

void printProfile(const nn::perf::Profiler& p, bool json)
{
    const double stepMs = p.stepSeconds() * 1e3, kernelMs = p.kernelSeconds() * 1e3;
    if (json) {
        for (const char* group : {"op", "layer"})
            for (const auto& r : std::string(group) == "op" ? p.byOp() : p.byLayer())
                emit({{"event", "profile"},         {"group", group},
                      {"name", r.name},             {"calls", r.calls},
                      {"backward_calls", r.backwardCalls}, {"forward_ms", r.forwardSeconds * 1e3},
                      {"backward_ms", r.backwardSeconds * 1e3}, {"total_ms", r.seconds() * 1e3},
                      {"gflop", r.flops * 1e-9},    {"gflop_per_s", r.gflopsPerSecond()},
                      {"bytes", r.bytes},           {"flop_per_byte", r.intensity()}});
        emit({{"event", "profile_summary"}, {"steps", p.steps()}, {"step_ms", stepMs}, {"profiled_ms", kernelMs}});
        return;
    }
    std::cout << "profile: " << p.steps() << " training steps, " << std::fixed << std::setprecision(1) << stepMs
              << " ms; the rows below account for " << kernelMs << " ms (the rest is timer and dispatch overhead)\n";
    for (const char* group : {"op", "layer"}) {
        std::cout << '\n'
                  << std::left << std::setw(24) << (std::string("by ") + group) << std::right << std::setw(8)
                  << "calls" << std::setw(11) << "fwd ms" << std::setw(11) << "bwd ms" << std::setw(11) << "total ms"
                  << std::setw(7) << "%" << std::setw(10) << "GFLOP/s" << std::setw(11) << "MB moved" << std::setw(8)
                  << "FLOP/B" << '\n';
        for (const auto& r : std::string(group) == "op" ? p.byOp() : p.byLayer())
            std::cout << std::left << std::setw(24) << r.name << std::right << std::setw(8) << r.calls
                      << std::setprecision(1) << std::setw(11) << r.forwardSeconds * 1e3 << std::setw(11)
                      << r.backwardSeconds * 1e3 << std::setw(11) << r.seconds() * 1e3 << std::setw(7)
                      << (stepMs > 0 ? 100.0 * r.seconds() * 1e3 / stepMs : 0.0) << std::setw(10)
                      << r.gflopsPerSecond() << std::setw(11) << r.bytes * 1e-6 << std::setprecision(2)
                      << std::setw(8) << r.intensity() << '\n';
    }
}

} // namespace

int train(const std::vector<std::string>& argv)
{
    const Args args(argv, {"json", "help", "profile"});
    if (args.has("help")) {
        std::cout << kHelp << kStoreHelp << kExitHelp;
        return 0;
    }
    args.allowOnly({"model", "data", "epochs", "batch", "lr", "optimizer", "momentum", "weight-decay", "schedule",
                    "patience", "seed", "threads", "device", "points", "noise", "classes", "val-fraction",
                    "test-fraction", "limit", "label", "json", "help", "profile", "out",
                    "store", "snapshot-every", "run-name", "branch-from"});
    const bool json = args.has("json");
    const std::string device = args.str("device", "cpu");
    if (device == "cuda")
        throw nn::Error("--device cuda: this build has no CUDA backend yet; use --device cpu");
    if (device != "cpu") throw nn::Error("--device must be cpu or cuda, got '" + device + "'");

    nn::TrainConfig config;
    config.epochs = args.integer("epochs", 10, 1, 100000);
    config.batch = args.integer("batch", 32, 1, 1 << 20);
    config.lr = float(args.number("lr", 0.01, 1e-12, 1e6));
    config.optimizer.kind = args.str("optimizer", "adam");
    config.optimizer.momentum = float(args.number("momentum", 0.9, 0.0, 0.9999));
    config.optimizer.weightDecay = float(args.number("weight-decay", 0.0, 0.0, 10.0));
    config.schedule.kind = args.str("schedule", "constant");
    config.patience = args.integer("patience", 0, 0, 100000);
    config.seed = uint64_t(args.integer("seed", 1, 0, 2147483647));
    nn::cpu::setThreads(args.integer("threads", 1, 0, 1024));

    // Before any training: a typo in --out must not cost the run.
    if (args.has("out")) nn::io::checkModelFileWritable(args.str("out"));

    nn::data::SourceOptions source = dataSourceOptions(args, config.seed);
    auto branch = loadBranch(args);  // --branch-from: the parent run's model, data and settings
    if (branch) applyBranch(args, *branch, config, source);
    const std::string dataName = branch ? branch->parent.dataset : args.required("data");

    const nn::ModelSpec spec = branch ? branchSpec(*branch) : nn::ModelSpec::fromFile(args.required("model"));
    const nn::data::Split data = nn::data::loadSource(dataName, source);
    printDataNotices("train", data);
    if (config.patience > 0 && data.validation.size() == 0)
        throw nn::Error("--patience " + std::to_string(config.patience) + " stops on the validation loss, but the " +
                        "validation set is empty (--val-fraction 0): give a validation fraction, or drop --patience");
    nn::Model model(spec, data.train.sampleShape, data.train.numClasses);

    if (json)
        emit({{"event", "start"}, {"model", spec.name}, {"parameters", model.parameterCount()},
              {"train_samples", data.train.size()}, {"val_samples", data.validation.size()},
              {"test_samples", data.test.size()}, {"threads", nn::cpu::threads()}});
    else
        std::cout << "training '" << spec.name << "' (" << model.parameterCount() << " parameters) on "
                  << data.train.size() << " samples\n";

    nn::perf::Profiler profiler;
    auto trainer = std::make_unique<nn::Trainer>(model, data, config);
    for (const auto& notice : trainer->result().notices) {  // said once, before the first epoch
        if (json)
            emit({{"event", "notice"}, {"message", notice}});
        else
            std::cout << "note: " << notice << '\n';
    }
    if (args.has("profile")) trainer->setProfiler(&profiler);
    const auto recording = Recording::start(args, spec, dataName, config, source, branch, *trainer, json);
    const nn::Trainer* trained = trainer.get();  // owned by the worker until it goes out of scope
    nn::TrainingWorker worker(std::move(trainer));
    worker.start();
    nn::TrainResult result;
    for (bool done = false; !done;) {
        auto e = worker.channel().waitPop(std::chrono::milliseconds(200));
        if (!e) continue;
        if (e->type == nn::TrainEvent::Type::Epoch) {
            const auto& m = e->epoch;
            if (json)
                emit(epochJson(m));
            else
                std::cout << "epoch " << std::setw(4) << m.epoch << "  loss " << std::fixed << std::setprecision(4)
                          << m.trainLoss << "  acc " << m.trainAccuracy << "  val_acc " << m.valAccuracy << '\n';
        } else if (e->type == nn::TrainEvent::Type::Finished) {
            result = e->result;
            done = true;
        }
    }
    worker.wait();
    if (args.has("profile")) printProfile(profiler, json);

    const auto& m = result.last;
    nlohmann::json final {{"final", true},
                          {"status", nn::statusName(result.status)},
                          {"epochs", result.epochs},
                          {"steps", result.steps},
                          // With --patience the epoch of the lowest validation loss (after an early
                          // stop, the one whose weights and figures these are); else the last epoch.
                          {"best_epoch", result.bestEpoch},
                          {"train_loss", num(m.trainLoss)},
                          {"train_accuracy", num(m.trainAccuracy)},
                          {"val_loss", num(m.valLoss)},
                          {"val_accuracy", num(m.valAccuracy)},
                          {"test_loss", num(result.testLoss)},
                          {"test_accuracy", num(result.testAccuracy)},
                          {"seconds", result.seconds},
                          {"samples_per_second", result.samplesPerSecond}};
    if (!result.message.empty()) final["message"] = result.message;
    if (recording) recording->finish(result, args.has("profile") ? &profiler : nullptr, final);
    if (args.has("out") && result.status != nn::TrainStatus::Diverged) {
        nn::io::ModelFileExtras extras;
        extras.classNames = data.train.classNames;
        extras.optimizerKind = config.optimizer.kind;  // so training can resume where it stopped
        extras.optimizerState = trained->checkpoint().optimizer;
        extras.metadata = {{"data", nn::utf8::decode(args.str("data"))}, {"seed", config.seed}, {"epochs", result.epochs},
                           {"status", nn::statusName(result.status)}, {"test_accuracy", num(result.testAccuracy)}};
        nn::io::saveModelFile(args.str("out"), model, extras);
        final["model_file"] = args.str("out");
    }
    if (json)
        emit(final);
    else
        std::cout << "done (" << nn::statusName(result.status) << "): test_accuracy " << result.testAccuracy << ", "
                  << result.samplesPerSecond << " samples/s" << (result.message.empty() ? "" : "\n" + result.message)
                  << '\n';
    if (result.status == nn::TrainStatus::Diverged) return 4;
    return recording && !recording->error().empty() ? 5 : 0;  // trained, but its history record is incomplete
}

} // namespace cli
