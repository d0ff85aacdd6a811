#pragma once
// A thread-safe queue of training events from the worker to whoever watches
// (the GUI polls it on a timer, the CLI blocks on it). The producer never waits.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "engine/train/trainer.h"

namespace nn {

struct TrainEvent {
    enum class Type { Step, Epoch, Finished } type = Type::Step;
    StepMetrics step;
    EpochMetrics epoch;
    TrainResult result;  // Finished only
    // Epoch, single-step and Finished events carry deep copies of the parameters
    // and the latest gradients, so views can draw them without touching the
    // trainer's tensors (which the worker keeps changing).
    std::vector<Tensor> params, grads;
    // The whole training state (weights, batch norm buffers, optimizer state) with
    // those parameters: at an epoch's end (a watcher can keep it and branch from
    // it), after a single step or a pause (mid-epoch: for saving, not branching),
    // and at the run's end (after early stopping, the restored epoch's weights).
    std::shared_ptr<const TrainerCheckpoint> checkpoint;
};

class MetricsChannel {
public:
    void push(TrainEvent e)
    {
        {
            std::lock_guard lock(mutex_);
            events_.push_back(std::move(e));
        }
        ready_.notify_all();
    }
    // Everything queued so far, without waiting.
    std::vector<TrainEvent> drain()
    {
        std::lock_guard lock(mutex_);
        std::vector<TrainEvent> out(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.end()));
        events_.clear();
        return out;
    }
    // The next event, waiting up to `timeout`.
    std::optional<TrainEvent> waitPop(std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(mutex_);
        if (!ready_.wait_for(lock, timeout, [&] { return !events_.empty(); })) return std::nullopt;
        TrainEvent e = std::move(events_.front());
        events_.pop_front();
        return e;
    }

private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<TrainEvent> events_;
};

} // namespace nn
