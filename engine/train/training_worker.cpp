#include "engine/train/training_worker.h"

namespace nn {

TrainingWorker::TrainingWorker(std::unique_ptr<Trainer> trainer) : trainer_(std::move(trainer))
{
    trainer_->onStep = [this](const StepMetrics& m) {
        TrainEvent e;
        e.type = TrainEvent::Type::Step;
        e.step = m;
        channel_.push(std::move(e));
    };
    trainer_->onEpoch = [this](const EpochMetrics& m) {
        TrainEvent e;
        e.type = TrainEvent::Type::Epoch;
        e.epoch = m;
        e.checkpoint = std::make_shared<const TrainerCheckpoint>(trainer_->checkpoint());
        e.params = e.checkpoint->params;  // shares the checkpoint's deep copies (read-only)
        e.grads = trainer_->gradientSnapshot();
        channel_.push(std::move(e));
    };
}

TrainingWorker::~TrainingWorker()
{
    cancel();
    if (thread_.joinable()) thread_.join();
}

void TrainingWorker::start(bool paused)
{
    std::lock_guard lock(mutex_);
    if (state_ != State::Idle) return;
    paused_ = paused;
    pauseReported_ = paused;  // nothing has run yet: the watcher already has the initial weights
    pendingSteps_ = 0;
    state_ = paused ? State::Paused : State::Running;
    thread_ = std::thread([this] { loop(); });
}

// Every control below changes the state only from the states it names, under the
// lock the loop also takes to end the run: so none can move a Finished worker
// back to Paused or Running, and none leaves a step request behind it.

void TrainingWorker::pause()
{
    std::lock_guard lock(mutex_);
    pendingSteps_ = 0;  // "stop now": steps asked for before the pause are dropped
    if (state_ != State::Running && state_ != State::Paused) return;
    paused_ = true;
    state_ = State::Paused;
}

void TrainingWorker::resume()
{
    {
        std::lock_guard lock(mutex_);
        pendingSteps_ = 0;  // a running worker steps anyway; left over, they would run at the next pause
        if (state_ != State::Paused) return;
        paused_ = false;
        state_ = State::Running;
    }
    wake_.notify_all();
}

void TrainingWorker::stepOnce()
{
    {
        std::lock_guard lock(mutex_);
        if (state_ != State::Paused || cancel_) return;
        ++pendingSteps_;
    }
    wake_.notify_all();
}

void TrainingWorker::cancel()
{
    {
        std::lock_guard lock(mutex_);
        cancel_ = true;
        pendingSteps_ = 0;
    }
    wake_.notify_all();
}

void TrainingWorker::wait()
{
    if (thread_.joinable()) thread_.join();
}

int TrainingWorker::pendingSteps() const
{
    std::lock_guard lock(mutex_);
    return pendingSteps_;
}

void TrainingWorker::reportStep()
{
    TrainEvent e;
    e.type = TrainEvent::Type::Step;
    e.step = {trainer_->result().steps, trainer_->result().epochs, trainer_->lastLoss(), 0};
    // The whole state, so a watcher can save or export exactly the weights it draws
    // (batch norm statistics included) while paused mid-epoch.
    e.checkpoint = std::make_shared<const TrainerCheckpoint>(trainer_->checkpoint());
    e.params = e.checkpoint->params;
    e.grads = trainer_->gradientSnapshot();
    channel_.push(std::move(e));
}

void TrainingWorker::loop()
{
    for (;;) {
        bool single = false;
        {
            std::unique_lock lock(mutex_);
            if (paused_ && !cancel_ && !pauseReported_) {
                // Tell watchers exactly where the run stopped (step events are
                // thinned out while running), with the weights to draw; also when
                // a Step came in while the step in flight was finishing, so that
                // Step counts on from a position the watcher has seen.
                pauseReported_ = true;
                lock.unlock();
                reportStep();
                lock.lock();
            }
            wake_.wait(lock, [&] { return cancel_ || !paused_ || pendingSteps_ > 0; });
            if (cancel_) break;
            if (paused_) {
                --pendingSteps_;
                single = true;
            } else {
                pauseReported_ = false;
            }
        }
        const bool more = trainer_->step();
        if (single) reportStep();  // a single step always reports its loss
        if (!more) break;
    }
    trainer_->cancel();  // no-op when training already ended by itself
    {
        std::lock_guard lock(mutex_);
        state_ = State::Finished;
        pendingSteps_ = 0;
    }
    TrainEvent e;
    e.type = TrainEvent::Type::Finished;
    e.result = trainer_->result();
    // The state the run ends with: after early stopping, the restored best epoch's
    // weights (not the last epoch's), which is what a watcher saves and exports.
    e.checkpoint = std::make_shared<const TrainerCheckpoint>(trainer_->checkpoint());
    e.params = e.checkpoint->params;
    e.grads = trainer_->gradientSnapshot();
    channel_.push(std::move(e));
}

} // namespace nn
