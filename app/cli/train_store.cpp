#include "app/cli/train_store.h"

#include "app/cli/data_options.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/cli/json_out.h"
#include "engine/core/error.h"
#include "engine/perf/profiler.h"

namespace cli {

const char* const kStoreHelp =
    "  --store FILE  record the run in a run history (SQLite; see 'nnstudio-cli runs')\n"
    "  --run-name NAME     the run's name in the history (default: model on data)\n"
    "  --snapshot-every N  keep the weights and optimizer state every N epochs (0: only the\n"
    "                initial and final weights); a branch can start from any of them\n"
    "  --branch-from RUN:STEP  rewind run RUN (id or name) to its snapshot at STEP and train\n"
    "                on as a new run linked to it: same model, data and seed; --epochs (the\n"
    "                total, counting the parent's), --lr, --optimizer, ... override the parent's\n";

namespace {

template <class T> T from(const nlohmann::json& j, const char* key, T fallback)
{
    if (!j.is_object() || !j.contains(key) || j[key].is_null()) return fallback;
    try {
        return j[key].get<T>();
    } catch (const nlohmann::json::exception&) {
        return fallback;
    }
}

} // namespace

nlohmann::json sourceJson(const nn::data::SourceOptions& s)
{
    return {{"points", s.twoD.points},
            {"noise", s.twoD.noise},
            {"classes", s.twoD.classes},
            {"val_fraction", s.validationFraction},
            {"test_fraction", s.testFraction},
            {"limit", s.limit},
            {"label", s.csv.labelColumn}};
}

std::optional<Branch> loadBranch(const Args& args)
{
    if (!args.has("branch-from")) return std::nullopt;
    const std::string ref = args.str("branch-from");
    if (!args.has("store"))
        throw nn::Error("--branch-from " + ref + " needs --store FILE (the run history that holds run and snapshot)");
    for (const char* own : {"model", "data", "seed", "points", "noise", "classes", "val-fraction", "test-fraction",
                            "limit", "label"})
        if (args.has(own))
            throw nn::Error(std::string("--branch-from trains the parent run's model on its data with its seed; drop --")
                            + own);
    const auto colon = ref.rfind(':');
    const std::string run = colon == std::string::npos ? std::string() : ref.substr(0, colon);
    const std::string stepText = colon == std::string::npos ? std::string() : ref.substr(colon + 1);
    char* end = nullptr;
    const long long step = std::strtoll(stepText.c_str(), &end, 10);
    if (run.empty() || stepText.empty() || *end != '\0' || step < 0)
        throw nn::Error("--branch-from needs RUN:STEP (a run id or name, and a step with a snapshot; "
                        "'nnstudio-cli runs show RUN' lists them), got '" + ref + "'");
    nn::store::RunStore store(args.str("store"));
    Branch b;
    b.parent = store.run(store.resolve(run));
    b.step = step;
    b.checkpoint = store.loadSnapshot(b.parent.id, step);
    return b;
}

void applyBranch(const Args& args, Branch& b, nn::TrainConfig& config, nn::data::SourceOptions& source)
{
    const nlohmann::json& h = b.parent.hyper;
    if (!args.has("epochs")) config.epochs = from(h, "epochs", config.epochs);
    if (!args.has("batch")) config.batch = from(h, "batch", config.batch);
    if (!args.has("lr")) config.lr = from(h, "lr", config.lr);
    if (!args.has("optimizer")) config.optimizer.kind = from(h, "optimizer", config.optimizer.kind);
    if (!args.has("momentum")) config.optimizer.momentum = from(h, "momentum", config.optimizer.momentum);
    if (!args.has("weight-decay")) config.optimizer.weightDecay = from(h, "weight_decay", config.optimizer.weightDecay);
    if (!args.has("schedule")) config.schedule.kind = from(h, "schedule", config.schedule.kind);
    if (!args.has("patience")) config.patience = from(h, "patience", config.patience);
    config.seed = b.parent.seed;
    const nlohmann::json& d = b.parent.datasetParams;
    source.twoD.points = from(d, "points", source.twoD.points);
    source.twoD.noise = from(d, "noise", source.twoD.noise);
    source.twoD.classes = from(d, "classes", source.twoD.classes);
    source.validationFraction = from(d, "val_fraction", source.validationFraction);
    source.testFraction = from(d, "test_fraction", source.testFraction);
    source.limit = from(d, "limit", source.limit);
    source.csv.labelColumn = from(d, "label", source.csv.labelColumn);
    source.twoD.seed = source.splitSeed = config.seed;
    if (config.epochs <= b.checkpoint.epochs)
        throw nn::Error("--branch-from " + args.str("branch-from") + " starts after epoch "
                        + std::to_string(b.checkpoint.epochs) + ", so --epochs (the total, counting the parent's) must be more than "
                        + std::to_string(b.checkpoint.epochs) + ", got " + std::to_string(config.epochs));
    if (config.optimizer.kind != from(h, "optimizer", std::string()) && !b.checkpoint.optimizer.empty()) {
        b.checkpoint.optimizer.clear();
        b.freshOptimizer = true;
    }
}

nn::ModelSpec branchSpec(const Branch& b)
{
    return nn::ModelSpec::fromJson(b.parent.spec, "the model spec of run " + std::to_string(b.parent.id));
}

std::unique_ptr<Recording> Recording::start(const Args& args, const nn::ModelSpec& spec, const std::string& dataName,
                                            const nn::TrainConfig& config, const nn::data::SourceOptions& source,
                                            const std::optional<Branch>& branch, nn::Trainer& trainer, bool json)
{
    if (!args.has("store")) {
        for (const char* o : {"snapshot-every", "run-name"})
            if (args.has(o)) throw nn::Error(std::string("--") + o + " needs --store FILE (the run history to record in)");
        return nullptr;
    }
    const int every = args.integer("snapshot-every", 0, 0, 1000000);
    if (branch) trainer.restore(branch->checkpoint);

    nn::store::NewRun run;
    run.spec = spec.toJson();
    run.hyper = nn::store::hyperparametersJson(config);
    run.dataset = dataName;
    run.datasetParams = sourceJson(source);
    run.seed = config.seed;
    run.device = "cpu";
    if (branch) {
        run.parentId = branch->parent.id;
        run.parentStep = branch->step;
        run.name = branch->parent.name + " @" + std::to_string(branch->step);
    } else {
        run.name = spec.name + " on " + std::filesystem::path(dataName).filename().string();
    }
    if (args.has("run-name")) run.name = utf8Option("train", args, "run-name");
    if (run.name.empty()) throw nn::Error("--run-name cannot be empty");

    auto r = std::unique_ptr<Recording>(new Recording);
    r->recorder_ = std::make_unique<nn::store::RunRecorder>(args.str("store"), run);
    r->trainer_ = &trainer;
    nn::store::RunRecorder* rec = r->recorder_.get();
    Recording* self = r.get();
    rec->snapshot(trainer.checkpoint());  // the initial weights (a branch: the restored ones)
    r->lastSnapshotEpoch_ = trainer.result().epochs;
    trainer.recordStep = [rec](const nn::StepMetrics& m) { rec->step(m); };
    trainer.recordEpoch = [rec, self, every, &trainer](const nn::EpochMetrics& m) {
        rec->epoch(m);
        if (every > 0 && m.epoch % every == 0) {
            rec->snapshot(trainer.checkpoint());
            self->lastSnapshotEpoch_ = m.epoch;
        }
    };
    if (json) {
        nlohmann::json line {{"event", "run"}, {"run_id", rec->runId()}, {"name", run.name}, {"store", rec->path()}};
        if (branch) {
            line["parent_id"] = branch->parent.id;
            line["parent_step"] = branch->step;
            line["start_epoch"] = branch->checkpoint.epochs;
            line["optimizer_state"] = branch->freshOptimizer ? "fresh (optimizer changed)" : "restored";
        }
        emit(line);
    } else {
        std::cout << "recording run " << rec->runId() << " ('" << run.name << "') in " << rec->path();
        if (branch)
            std::cout << ", branched from run " << branch->parent.id << " at step " << branch->step << " (epoch "
                      << branch->checkpoint.epochs << ")";
        std::cout << '\n';
    }
    return r;
}

void Recording::finish(const nn::TrainResult& result, const nn::perf::Profiler* profiler, nlohmann::json& final)
{
    // A completed run ends on an epoch boundary: its last weights can be branched from.
    if (result.status == nn::TrainStatus::Completed && lastSnapshotEpoch_ != result.epochs)
        recorder_->snapshot(trainer_->checkpoint());
    std::vector<nn::store::Timing> t {{"train", result.seconds, result.steps, 0, 0}};
    if (profiler) {
        for (const auto& row : profiler->byOp()) t.push_back({"op." + row.name, row.seconds(), row.calls, row.flops, row.bytes});
        for (const auto& row : profiler->byLayer())
            t.push_back({"layer." + row.name, row.seconds(), row.calls, row.flops, row.bytes});
    }
    recorder_->timings(std::move(t));
    recorder_->finish(nn::statusName(result.status), result.message, result.seconds);
    final["run_id"] = recorder_->runId();
    final["store"] = recorder_->path();
    if (!recorder_->error().empty()) {
        final["store_error"] = recorder_->error();
        final["store_status"] = "interrupted";  // what the history says of this run
        std::cerr << "nnstudio-cli train: the run history could not be written (" << recorder_->error()
                  << "); the run is recorded as interrupted with epochs 1-" << recorder_->epochsWritten() << " only\n";
    }
}

} // namespace cli
