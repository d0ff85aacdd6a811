#include "views/compress/compress_runner.h"

#include <chrono>

#include "engine/compress/pipeline_record.h"

namespace views::compress {

namespace {
// Progress is posted at most this often: a retrain stage reports every step.
constexpr auto kProgressInterval = std::chrono::milliseconds(50);

double secondsSince(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
} // namespace

CompressRunner::CompressRunner(QObject* parent) : QObject(parent) {}

CompressRunner::~CompressRunner()
{
    cancel();
    join();  // calls still queued to this object are dropped with it
}

bool CompressRunner::start(std::unique_ptr<nn::Model> model, std::shared_ptr<const nn::data::Split> data,
                           std::vector<nn::compress::StageSpec> stages, nn::compress::PipelineOptions options)
{
    if (running_ || !model || !data) return false;
    join();
    model_ = std::move(model);
    data_ = std::move(data);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        cancelRequested_ = false;
    }
    running_ = true;
    Recording recording = std::move(recording_);
    recording_ = {};
    thread_ = std::thread(
        [this, stages = std::move(stages), options = std::move(options), recording = std::move(recording)]() mutable {
            work(std::move(stages), std::move(options), std::move(recording));
        });
    return true;
}

void CompressRunner::cancel()
{
    std::lock_guard<std::mutex> lock(mutex_);
    cancelRequested_ = true;
    if (pipeline_) pipeline_->cancel();
}

void CompressRunner::join()
{
    if (thread_.joinable()) thread_.join();
}

void CompressRunner::work(std::vector<nn::compress::StageSpec> stages, nn::compress::PipelineOptions options,
                          Recording recording)
{
    QString error;
    bool cancelled = false;
    const auto started = std::chrono::steady_clock::now();
    // The run store, on this thread: its failures end the recording, not the run.
    std::unique_ptr<nn::compress::PipelineRecord> record;
    QString storeError;
    qint64 runId = 0;
    auto storeFailed = [&](const std::exception& e) {
        if (storeError.isEmpty()) storeError = QString::fromUtf8(e.what());
        record.reset();
    };
    if (!recording.storePath.empty()) {
        try {
            record = std::make_unique<nn::compress::PipelineRecord>(recording.storePath, std::move(recording.run),
                                                                    recording.pipeline, options);
            runId = record->runId();
        } catch (const std::exception& e) {
            storeFailed(e);
        }
    }
    try {
        nn::compress::Pipeline pipeline(*model_, *data_, std::move(options));
        {
            std::lock_guard<std::mutex> lock(mutex_);
            pipeline_ = &pipeline;
            if (cancelRequested_) pipeline.cancel();
        }
        auto last = std::chrono::steady_clock::now() - kProgressInterval;
        pipeline.run(
            stages,
            [this, &record, &storeFailed](const nn::compress::StageResult& r) {
                if (record) {
                    try {
                        record->stage(r);
                    } catch (const std::exception& e) {
                        storeFailed(e);
                    }
                }
                QMetaObject::invokeMethod(this, [this, r] { emit stageFinished(r); }, Qt::QueuedConnection);
            },
            [this, &last](int step, double fraction, const std::string& message) {
                const auto now = std::chrono::steady_clock::now();
                if (now - last < kProgressInterval && fraction < 1.0) return;
                last = now;
                const QString text = QString::fromStdString(message);
                QMetaObject::invokeMethod(this, [this, step, fraction, text] { emit progress(step, fraction, text); },
                                          Qt::QueuedConnection);
            });
        if (record) {
            try {
                record->finish(pipeline.cancelled() ? "cancelled" : "completed", "", secondsSince(started));
                record.reset();  // closed here, on its own thread; ended before the timing below
            } catch (const std::exception& e) {
                storeFailed(e);
            }
        }
        if (!pipeline.cancelled()) {
            const auto t = pipeline.timeInference();
            QMetaObject::invokeMethod(
                this, [this, t] { emit timed(t.denseMs, t.compressedMs, t.rounds); }, Qt::QueuedConnection);
        }
        std::lock_guard<std::mutex> lock(mutex_);
        cancelled = pipeline.cancelled();
        pipeline_ = nullptr;
    } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mutex_);
        pipeline_ = nullptr;
        error = QString::fromUtf8(e.what());
    }
    if (record && !error.isEmpty()) {  // the error that stopped the pipeline ends its run, as in the CLI
        try {
            record->finishWithError(error.toStdString(), secondsSince(started));
        } catch (const std::exception& e) {
            storeFailed(e);
        }
    }
    if (!recording.storePath.empty()) {
        record.reset();
        QMetaObject::invokeMethod(
            this, [this, runId, storeError] { emit recorded(runId, storeError); }, Qt::QueuedConnection);
    }
    QMetaObject::invokeMethod(
        this,
        [this, cancelled, error] {
            join();
            running_ = false;
            emit finished(cancelled, error);
        },
        Qt::QueuedConnection);
}

} // namespace views::compress
