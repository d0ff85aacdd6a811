#pragma once
// A compression pipeline kept in the run store as a run of its own: the run's
// settings are the pipeline string and the retraining options, each stage report
// is one record (RunStore::addStage), and the run ends completed, cancelled or
// with the error that stopped it. `nnstudio-cli compress --store` uses it; the
// compression view can too. Like RunStore, an object belongs to one thread (open
// it on the thread that runs the pipeline).
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/compress/pipeline.h"
#include "engine/store/run_store.h"

namespace nn::compress {

// The run's settings: hyperparametersJson(train) without epochs, plus
// command "compress", the pipeline and the retraining learning rate (and, when it
// has an act stage, act_samples and act_percentile). Throws nn::Error for a
// pipeline parsePipeline rejects.
nlohmann::json pipelineSettings(const std::string& pipeline, const PipelineOptions& options);

class PipelineRecord {
public:
    // Opens (or creates) the store and creates the run; `run.hyper` is replaced by
    // pipelineSettings() merged with what it held. Throws nn::Error naming the file.
    PipelineRecord(const std::string& storePath, store::NewRun run, const std::string& pipeline,
                   const PipelineOptions& options);
    ~PipelineRecord();

    // One stage's report; `line` (e.g. the CLI's JSON line with extra keys) is
    // stored instead of toJson(r) when given.
    void stage(const StageResult& r, const nlohmann::json& line = nullptr);
    // "completed", "cancelled", "diverged" or "interrupted" (any error), its
    // message, and the seconds the pipeline took.
    void finish(const std::string& status, const std::string& message, double seconds);
    // Ends the run stopped by the pipeline's error `message`: "diverged" when a
    // retraining stage diverged (its message says so), "interrupted" otherwise.
    void finishWithError(const std::string& message, double seconds);

    int64_t runId() const { return id_; }
    const std::string& path() const { return store_->path(); }

private:
    std::unique_ptr<store::RunStore> store_;
    int64_t id_ = 0;
    bool finished_ = false;
};

} // namespace nn::compress
