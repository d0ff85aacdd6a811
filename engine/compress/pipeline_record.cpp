#include "engine/compress/pipeline_record.h"

#include "engine/core/numbers.h"
#include <cmath>
#include <cstdio>

namespace nn::compress {

namespace {

// A float as typed (0.003, not 0.0030000000260770321), as hyperparametersJson writes them.
// (%.7g did not always read back as the same float.)
double asTyped(float v) { return num::asTyped(v); }

} // namespace

nlohmann::json pipelineSettings(const std::string& pipeline, const PipelineOptions& options)
{
    nlohmann::json j = store::hyperparametersJson(options.train);
    j.erase("epochs");  // each retrain stage says its own
    j["command"] = "compress";
    j["pipeline"] = pipeline;
    j["retrain_lr"] = asTyped(options.retrainLr);
    // The act stages' calibration, for a pipeline that has one (the others do not use it).
    bool act = false;
    for (const StageSpec& s : parsePipeline(pipeline)) act = act || s.kind == "act" || s.kind == "act8";
    if (act) {
        j["act_samples"] = options.activationSamples;
        j["act_percentile"] = options.activationPercentile;
    }
    return j;
}

PipelineRecord::PipelineRecord(const std::string& storePath, store::NewRun run, const std::string& pipeline,
                               const PipelineOptions& options)
    : store_(std::make_unique<store::RunStore>(storePath))
{
    nlohmann::json settings = pipelineSettings(pipeline, options);
    if (run.hyper.is_object()) settings.update(run.hyper);
    run.hyper = settings;
    if (run.seed == 1) run.seed = options.train.seed;
    id_ = store_->createRun(run);
}

PipelineRecord::~PipelineRecord()
{
    // A record dropped without finish() (an exception on its way up): not left "running".
    if (!finished_) {
        try {
            store_->finishRun(id_, "interrupted", "the pipeline stopped before its end", 0);
        } catch (...) {
        }
    }
}

void PipelineRecord::stage(const StageResult& r, const nlohmann::json& line)
{
    store_->addStage(id_, line.is_null() ? toJson(r) : line);
}

void PipelineRecord::finish(const std::string& status, const std::string& message, double seconds)
{
    store_->finishRun(id_, status, message, seconds);
    finished_ = true;
}

void PipelineRecord::finishWithError(const std::string& message, double seconds)
{
    finish(message.find("diverged") != std::string::npos ? "diverged" : "interrupted", message, seconds);
}

} // namespace nn::compress
