#pragma once
// Runs a compression pipeline (engine/compress/pipeline.h) on a worker thread and
// reports back on the UI thread: every callback of the pipeline is posted to this
// object as a queued call, so the signals below always arrive on the thread that
// owns it and the UI thread never waits on the pipeline. The runner owns the model
// it compresses (a copy: the dashboard's model is never touched) and keeps it
// after the run, for saving. Destroying a running runner cancels and joins it.
//
// With a history store set (setRecording), the run is also kept in that run store
// through a PipelineRecord opened on the worker thread: a run of its own, one
// record per stage, ended completed, cancelled or with its error. A store that
// fails (locked, not ours, disk full) stops the recording, never the pipeline:
// recorded() says why.
#include <QObject>
#include <QString>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/compress/pipeline.h"
#include "engine/store/run_store.h"

namespace views::compress {

class CompressRunner : public QObject {
    Q_OBJECT
public:
    explicit CompressRunner(QObject* parent = nullptr);
    ~CompressRunner() override;

    // What the next runs are kept as: the run store file (empty: not recorded), the
    // run's name, model spec, data and settings, and the pipeline string.
    struct Recording {
        std::string storePath;
        nn::store::NewRun run;
        std::string pipeline;
    };
    // For the next start() only (start() consumes it).
    void setRecording(Recording recording) { recording_ = std::move(recording); }

    // Starts the pipeline on `model` over `data`'s test split; false (and nothing
    // started) while a run is in progress.
    bool start(std::unique_ptr<nn::Model> model, std::shared_ptr<const nn::data::Split> data,
               std::vector<nn::compress::StageSpec> stages, nn::compress::PipelineOptions options);
    // Asks the pipeline to stop between training steps or stages; finished() follows.
    void cancel();
    bool running() const { return running_; }
    // The compressed model after a run (null while running or before the first).
    const nn::Model* model() const { return running_ ? nullptr : model_.get(); }

signals:
    void stageFinished(const nn::compress::StageResult& stage);
    // Stage `step` (1-based; 0 the dense report) is `fraction` done.
    void progress(int step, double fraction, const QString& message);
    // After the last stage, a cancel, or an error (`error` not empty; the stages
    // done so far were reported).
    // After a run that completed: one pass over the test set with the dense and with
    // the compressed weights, timed alternately (Pipeline::timeInference).
    void timed(double denseMs, double compressedMs, int rounds);
    void finished(bool cancelled, const QString& error);
    // Before finished(), for a run with a recording: the run's id in the store (0
    // when it could not be created) and "" or why the store failed.
    void recorded(qint64 runId, const QString& storeError);

private:
    void work(std::vector<nn::compress::StageSpec> stages, nn::compress::PipelineOptions options, Recording recording);
    void join();

    std::unique_ptr<nn::Model> model_;
    std::shared_ptr<const nn::data::Split> data_;
    std::thread thread_;
    bool running_ = false;  // UI thread only
    Recording recording_;   // UI thread only; moved to the worker by start()
    std::mutex mutex_;      // guards pipeline_ and cancelRequested_
    nn::compress::Pipeline* pipeline_ = nullptr;
    bool cancelRequested_ = false;
};

} // namespace views::compress
