#pragma once
// `nnstudio-cli train` and the run store: --store FILE records the run (metrics
// from a writer thread, the initial weights and a snapshot every N epochs);
// --branch-from RUN:STEP rewinds a stored run to a snapshot and trains on as a new
// run linked to it (same model, data and seed; any setting given on the command
// line overrides the parent's).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "app/cli/args.h"
#include "engine/data/dataset.h"
#include "engine/nn/model_spec.h"
#include "engine/store/run_recorder.h"
#include "engine/train/trainer.h"

namespace nn::perf {
class Profiler;
}

namespace cli {

extern const char* const kStoreHelp;  // the help lines of the options below

// The data options as a run records them (its dataset_params).
nlohmann::json sourceJson(const nn::data::SourceOptions& s);

struct Branch {
    nn::store::RunInfo parent;
    int64_t step = 0;
    nn::TrainerCheckpoint checkpoint;
    bool freshOptimizer = false;  // the branch changed optimizer: its state starts afresh
};

// Reads --branch-from RUN:STEP (needs --store); nullopt without it. Refuses --model,
// --data, --seed and the data options: a branch trains its parent's model on its
// parent's data with its parent's seed.
std::optional<Branch> loadBranch(const Args& args);
// The settings not given on the command line, from the parent.
void applyBranch(const Args& args, Branch& branch, nn::TrainConfig& config, nn::data::SourceOptions& source);
nn::ModelSpec branchSpec(const Branch& branch);

class Recording {
public:
    // nullptr without --store. Restores a branch's snapshot into `trainer`, creates the
    // run, records the initial weights and hooks the trainer's record callbacks
    // (the trainer must outlive the recording). With --json, prints a "run" line.
    static std::unique_ptr<Recording> start(const Args& args, const nn::ModelSpec& spec, const std::string& dataName,
                                            const nn::TrainConfig& config, const nn::data::SourceOptions& source,
                                            const std::optional<Branch>& branch, nn::Trainer& trainer, bool json);
    // After training: the last snapshot (a completed run), timings, the final status.
    // Adds run_id and store (and store_error when writing failed) to `final`.
    void finish(const nn::TrainResult& result, const nn::perf::Profiler* profiler, nlohmann::json& final);
    // The store's first write error (disk full, ...), or empty. The run is then
    // recorded as interrupted, never completed.
    std::string error() const { return recorder_->error(); }

private:
    std::unique_ptr<nn::store::RunRecorder> recorder_;
    nn::Trainer* trainer_ = nullptr;
    int lastSnapshotEpoch_ = -1;
};

} // namespace cli
