#pragma once
// Runs a Trainer on its own thread. The owner (GUI or CLI) controls it with
// pause / resume / stepOnce / cancel, which take effect between mini-batches, and
// reads progress from channel(). State diagram:
//
//   Idle --start--> Running <--pause/resume--> Paused --stepOnce--> (one step) Paused
//   Running|Paused --cancel or training over--> Finished
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
    MetricsChannel& channel() { return channel_; }
    // Valid once Finished.
    const TrainResult& result() const { return trainer_->result(); }

private:
    void loop();
    void reportStep();  // a Step event with the current loss, weights and gradients

    std::unique_ptr<Trainer> trainer_;
    MetricsChannel channel_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<State> state_ {State::Idle};
    bool paused_ = false, cancel_ = false;
    int pendingSteps_ = 0;
    bool pauseReported_ = false;  // one Step event per pause, with the exact step count
};

} // namespace nn
