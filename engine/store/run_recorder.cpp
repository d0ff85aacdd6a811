#include "engine/store/run_recorder.h"

#include <algorithm>

#include "engine/core/error.h"

namespace nn::store {

namespace {
constexpr size_t kBatchRows = 16384;  // wake the writer early past this many queued rows
}

RunRecorder::RunRecorder(const std::string& path, const NewRun& run, std::chrono::milliseconds flushEvery)
    : path_(path), store_(std::make_unique<RunStore>(path)), every_(flushEvery)
{
    runId_ = store_->createRun(run);
    thread_ = std::thread([this] { loop(); });
}

RunRecorder::~RunRecorder()
{
    if (!finished_) {
        try {
            finish("cancelled", "the program stopped recording before the run ended", -1);
        } catch (...) {
        }
    }
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void RunRecorder::step(const StepMetrics& m)
{
    bool wake;
    {
        std::lock_guard lock(mutex_);
        steps_.push_back(m);
        wake = steps_.size() == kBatchRows;  // once, as the batch fills
    }
    if (wake) wake_.notify_one();
}

void RunRecorder::epoch(const EpochMetrics& m)
{
    std::lock_guard lock(mutex_);
    epochs_.push_back(m);
}

void RunRecorder::snapshot(TrainerCheckpoint c)
{
    {
        std::lock_guard lock(mutex_);
        snapshots_.push_back(std::move(c));
    }
    wake_.notify_one();
}

void RunRecorder::timings(std::vector<Timing> t)
{
    std::lock_guard lock(mutex_);
    timings_.insert(timings_.end(), t.begin(), t.end());
}

void RunRecorder::flush()
{
    std::unique_lock lock(mutex_);
    if (stop_) return;
    const uint64_t ticket = ++requested_;
    wake_.notify_one();
    done_.wait(lock, [&] { return completed_ >= ticket || stop_; });
}

void RunRecorder::finish(const std::string& status, const std::string& message, double seconds)
{
    if (finished_) return;
    flush();
    finished_ = true;
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::string finalStatus = status, finalMessage = message;
    {
        std::lock_guard lock(mutex_);
        if (!error_.empty()) {
            // A full disk once recorded "completed" over 2 of 50 epochs.
            finalStatus = "interrupted";
            finalMessage = "recording stopped: " + error_ + "; the history keeps "
                           + (epochsWritten_ ? "epochs 1-" + std::to_string(epochsWritten_) : std::string("no epochs"))
                           + " (the training itself ended " + status + (message.empty() ? "" : ": " + message) + ")";
        }
    }
    try {
        store_->finishRun(runId_, finalStatus, finalMessage, seconds);
    } catch (const Error& e) {
        // Left "running" with this process as its writer: the next open of the file
        // marks it interrupted.
        std::lock_guard lock(mutex_);
        if (error_.empty()) error_ = e.what();
    }
}

int RunRecorder::epochsWritten() const
{
    std::lock_guard lock(mutex_);
    return epochsWritten_;
}

std::string RunRecorder::error() const
{
    std::lock_guard lock(mutex_);
    return error_;
}

int64_t RunRecorder::rowsWritten() const
{
    std::lock_guard lock(mutex_);
    return rows_;
}

void RunRecorder::loop()
{
    std::unique_lock lock(mutex_);
    std::vector<StepMetrics> steps;  // swapped with the queue: its capacity is reused
    for (;;) {
        wake_.wait_for(lock, every_, [&] {
            return stop_ || requested_ > completed_ || steps_.size() >= kBatchRows || !snapshots_.empty();
        });
        const uint64_t ticket = requested_;
        steps.clear();
        std::vector<EpochMetrics> epochs;
        std::vector<TrainerCheckpoint> snapshots;
        std::vector<Timing> timings;
        steps.swap(steps_);
        epochs.swap(epochs_);
        snapshots.swap(snapshots_);
        timings.swap(timings_);
        const bool stopping = stop_;
        const bool failed = !error_.empty();  // after a failure, write nothing more: no gaps
        lock.unlock();
        std::string err;
        int lastEpoch = 0;
        int64_t written = 0;
        if (!failed) {
            try {
                store_->addMetrics(runId_, steps, epochs);
                written = int64_t(steps.size() + epochs.size());
                for (const auto& m : epochs) lastEpoch = std::max(lastEpoch, m.epoch);
                for (const auto& c : snapshots) store_->addSnapshot(runId_, c);
                if (!timings.empty()) store_->addTimings(runId_, timings);
            } catch (const std::exception& e) {
                err = e.what();
            }
        }
        lock.lock();
        rows_ += written;
        epochsWritten_ = std::max(epochsWritten_, lastEpoch);
        if (!err.empty() && error_.empty()) error_ = err;
        completed_ = ticket;
        done_.notify_all();
        if (stopping) break;
    }
}

} // namespace nn::store
