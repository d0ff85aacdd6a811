#pragma once
// Runs a Trainer on its own thread. The owner (GUI or CLI) controls it with
// pause / resume / stepOnce / cancel, which take effect between mini-batches, and
// reads progress from channel(). State diagram:
//
//   Idle --start--> Running <--pause/resume--> Paused --stepOnce--> (one step) Paused
//   Running|Paused --cancel or training over--> Finished
//
// Step requests are queued only while Paused, and only for that pause: resume,
// pause and cancel drop the ones not yet run (a resumed run is already stepping;
// a pause means "stop now"; a cancelled run runs nothing more). Once Finished,
// every control is a no-op and the state stays Finished.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/train/metrics_channel.h"

namespace nn {

class TrainingWorker {
public:
    enum class State { Idle, Running, Paused, Finished };

    explicit TrainingWorker(std::unique_ptr<Trainer> trainer);
    ~TrainingWorker();  // cancels and joins

    void start(bool paused = false);
    void pause();
    void resume();
    void stepOnce();  // while paused: run exactly one mini-batch
    void cancel();
    void wait();      // blocks until Finished
    State state() const { return state_.load(); }
    // Single steps asked for and not yet started (0 unless Paused).
    int pendingSteps() const;
    MetricsChannel& channel() { return channel_; }
    // Valid once Finished.
    const TrainResult& result() const { return trainer_->result(); }

private:
    void loop();
    void reportStep();  // a Step event with the current loss, weights, gradients and state

    std::unique_ptr<Trainer> trainer_;
    MetricsChannel channel_;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<State> state_ {State::Idle};
    bool paused_ = false, cancel_ = false;
    int pendingSteps_ = 0;
    bool pauseReported_ = false;  // one Step event per pause, with the exact step count
};

} // namespace nn
