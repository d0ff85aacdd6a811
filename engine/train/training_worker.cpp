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
    if (state_ != State::Idle) return;
    paused_ = paused;
    pauseReported_ = paused;  // nothing has run yet: the watcher already has the initial weights
    state_ = paused ? State::Paused : State::Running;
    thread_ = std::thread([this] { loop(); });
}

void TrainingWorker::pause()
{
    std::lock_guard lock(mutex_);
    paused_ = true;
    if (state_ == State::Running) state_ = State::Paused;
}

void TrainingWorker::resume()
{
    {
        std::lock_guard lock(mutex_);
        paused_ = false;
        if (state_ == State::Paused) state_ = State::Running;
    }
    wake_.notify_all();
}

void TrainingWorker::stepOnce()
{
    {
        std::lock_guard lock(mutex_);
        if (!paused_) return;
        ++pendingSteps_;
    }
    wake_.notify_all();
}

void TrainingWorker::cancel()
{
    {
        std::lock_guard lock(mutex_);
        cancel_ = true;
    }
    wake_.notify_all();
}

void TrainingWorker::wait()
{
    if (thread_.joinable()) thread_.join();
}

void TrainingWorker::reportStep()
{
    TrainEvent e;
    e.type = TrainEvent::Type::Step;
    e.step = {trainer_->result().steps, trainer_->result().epochs, trainer_->lastLoss(), 0};
    e.params = trainer_->parameterSnapshot();
    e.grads = trainer_->gradientSnapshot();
    channel_.push(std::move(e));
}

void TrainingWorker::loop()
{
    for (;;) {
        bool single = false;
        {
            std::unique_lock lock(mutex_);
            if (paused_ && !cancel_ && pendingSteps_ == 0 && !pauseReported_) {
                // Tell watchers exactly where the run stopped (step events are
                // thinned out while running), with the weights to draw.
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
    state_ = State::Finished;
    TrainEvent e;
    e.type = TrainEvent::Type::Finished;
    e.result = trainer_->result();
    e.params = trainer_->parameterSnapshot();
    e.grads = trainer_->gradientSnapshot();
    channel_.push(std::move(e));
}

} // namespace nn
