#pragma once
// RunRecorder: logs one training run into a run store from a writer thread of its
// own, so training never waits on the disk. step(), epoch(), snapshot() and
// timings() only append to an in-memory queue (a mutex held for a push_back); the
// writer commits what has queued every `flushEvery` (or sooner when much has
// queued), each batch in one transaction. A process killed mid-run loses at most
// the last interval's metrics; everything committed stays, and the next open marks
// the run interrupted.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/store/run_store.h"

namespace nn::store {

class RunRecorder {
public:
    // Opens `path` (its own connection), creates the run and starts the writer.
    // Throws nn::Error (from RunStore) for a file that cannot be used.
    RunRecorder(const std::string& path, const NewRun& run,
                std::chrono::milliseconds flushEvery = std::chrono::milliseconds(200));
    // Flushes; a run not finish()ed is recorded as cancelled.
    ~RunRecorder();
    RunRecorder(const RunRecorder&) = delete;
    RunRecorder& operator=(const RunRecorder&) = delete;

    int64_t runId() const { return runId_; }
    const std::string& path() const { return path_; }

    // Any thread; never blocks on the disk.
    void step(const StepMetrics& m);
    void epoch(const EpochMetrics& m);
    void snapshot(TrainerCheckpoint c);
    void timings(std::vector<Timing> t);
    // Commits everything queued so far and waits for it.
    void flush();
    // Flushes, records the final status and stops the writer. After a write error
    // the run is recorded as "interrupted", never as `status`, with a message naming
    // the file, SQLite's cause and the last epoch kept (and the status the training
    // itself ended with): the history holds only part of the run.
    void finish(const std::string& status, const std::string& message, double seconds);
    // The first write error (disk full, file locked too long), or empty. Training
    // goes on when the store fails; the caller reports it. From the first error on,
    // nothing more is written but the final status, so what the file keeps is a
    // clean prefix of the run (no epochs missing in the middle).
    std::string error() const;
    int64_t rowsWritten() const;
    int epochsWritten() const;  // the last epoch committed (0: none)

private:
    void loop();

    std::string path_;
    std::unique_ptr<RunStore> store_;  // used by the writer thread only, after construction
    int64_t runId_ = 0;
    std::chrono::milliseconds every_;

    mutable std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::vector<StepMetrics> steps_;
    std::vector<EpochMetrics> epochs_;
    std::vector<TrainerCheckpoint> snapshots_;
    std::vector<Timing> timings_;
    uint64_t requested_ = 0, completed_ = 0;  // flush tickets
    bool stop_ = false;
    bool finished_ = false;
    std::string error_;
    int64_t rows_ = 0;
    int epochsWritten_ = 0;
    std::thread thread_;
};

} // namespace nn::store
