#include "views/training/training_session.h"

#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>

#include "engine/core/error.h"

namespace views {

namespace {
// How often the UI thread drains the worker's channel: fast enough for smooth
// curves, slow enough to cost nothing.
constexpr int kPollMs = 30;
constexpr int kMaxPollMs = 1000;
} // namespace

void TrainingSession::setFrameCost(double ms)
{
    frameMs_ = 0.7 * frameMs_ + 0.3 * std::max(0.0, ms);
    // Only a running net floods the UI; paused or stepping, every step shows at once.
    const int interval = state_ == State::Running ? std::clamp(int(10 * frameMs_), kPollMs, kMaxPollMs) : kPollMs;
    if (interval != poll_.interval()) poll_.setInterval(interval);
}

int TrainingSession::pollInterval() const { return poll_.interval(); }

TrainingSession::TrainingSession(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<nn::EpochMetrics>();
    qRegisterMetaType<nn::TrainResult>();
    poll_.setInterval(kPollMs);
    connect(&poll_, &QTimer::timeout, this, &TrainingSession::poll);
    connect(&loader_, &QFutureWatcher<std::shared_ptr<const nn::data::Split>>::finished, this, [this] {
        loading_ = false;
        auto split = loader_.result();
        if (!split) {
            emit errorOccurred(loadError_);
            return;
        }
        data_ = std::move(split);
        emit dataChanged();
        rebuildModel();
    });
}

TrainingSession::~TrainingSession()
{
    worker_.reset();  // cancels and joins before the data and model go away
}

void TrainingSession::setState(State s)
{
    if (s == state_) return;
    state_ = s;
    emit stateChanged(s);
}

void TrainingSession::loadData(const QString& name, const nn::data::SourceOptions& options)
{
    stop();
    loading_ = true;
    dataName_ = name;
    const std::string n = name.toStdString();
    loader_.setFuture(QtConcurrent::run([n, options, this]() -> std::shared_ptr<const nn::data::Split> {
        try {
            return std::make_shared<const nn::data::Split>(nn::data::loadSource(n, options));
        } catch (const std::exception& e) {
            // Written before the future finishes; read on the UI thread after.
            loadError_ = QString::fromStdString(e.what());
            return nullptr;
        }
    }));
}

void TrainingSession::setModelSpec(const nn::ModelSpec& spec)
{
    stop();
    spec_ = std::make_shared<nn::ModelSpec>(spec);
    rebuildModel();
}

void TrainingSession::setModelFile(const QString& path)
{
    try {
        setModelSpec(nn::ModelSpec::fromFile(path.toStdString()));
    } catch (const nn::Error& e) {
        emit errorOccurred(QString::fromUtf8(e.what()));
    }
}

void TrainingSession::rebuildModel()
{
    worker_.reset();
    branchFrom_.reset();
    branch_ = {};
    checkpoint_.reset();
    history_.clear();
    steps_ = 0;
    result_ = {};
    if (!spec_ || !data_) {
        setState(State::NoData);
        return;
    }
    try {
        const auto& train = data_->train;
        model_ = std::make_unique<nn::Model>(*spec_, train.sampleShape, train.numClasses);
        model_->initialize(config_.seed);
        viewModel_ = std::make_unique<nn::Model>(*spec_, train.sampleShape, train.numClasses);
        std::vector<nn::Tensor> initial;
        for (const auto& p : model_->parameters()) initial.push_back(p.value.clone());
        applySnapshot(std::move(initial), {});
        emit modelChanged();
        setState(State::Ready);
    } catch (const nn::Error& e) {
        model_.reset();
        viewModel_.reset();
        setState(State::NoData);
        emit errorOccurred(QString::fromUtf8(e.what()));
    }
}

void TrainingSession::ensureWorker(bool paused)
{
    if (worker_ || !model_ || !data_) return;
    try {
        workerData_ = data_;
        auto trainer = std::make_unique<nn::Trainer>(*model_, *workerData_, config_);
        if (branchFrom_) trainer->restore(*branchFrom_);  // throws naming what does not fit
        worker_ = std::make_unique<nn::TrainingWorker>(std::move(trainer));
        history_.clear();
        steps_ = 0;
        worker_->start(paused);
        poll_.start();
    } catch (const nn::Error& e) {
        emit errorOccurred(QString::fromUtf8(e.what()));
    }
}

void TrainingSession::train()
{
    if (state_ == State::Finished) reset();
    if (!model_) return;
    if (!worker_) {
        ensureWorker(false);
    } else {
        worker_->resume();
    }
    if (worker_) setState(State::Running);
}

void TrainingSession::pause()
{
    if (!worker_ || state_ != State::Running) return;
    worker_->pause();
    poll_.setInterval(kPollMs);  // where it stopped shows at once, however slow frames were
    setState(State::Paused);
}

void TrainingSession::step()
{
    if (state_ == State::Finished) reset();
    if (!model_) return;
    if (!worker_) ensureWorker(true);
    if (!worker_) return;
    if (state_ == State::Running) pause();
    setState(State::Paused);
    worker_->stepOnce();
}

void TrainingSession::stop()
{
    if (!worker_ || state_ == State::Finished) return;
    worker_->cancel();
    worker_->wait();
    poll();
}

std::unique_ptr<nn::Model> TrainingSession::currentModel() const
{
    if (!spec_ || !data_ || !viewModel_) return nullptr;
    auto m = std::make_unique<nn::Model>(*spec_, data_->train.sampleShape, data_->train.numClasses);
    // The newest full state when it is as new as the drawn weights, else the drawn weights.
    const bool useState = checkpoint_ && checkpoint_->steps >= snapshot_.step;
    const auto& params = useState ? checkpoint_->params : snapshot_.params;
    for (size_t i = 0; i < m->parameters().size() && i < params.size(); ++i) m->parameters()[i].value.copyFrom(params[i]);
    if (useState)
        for (size_t i = 0; i < m->buffers().size() && i < checkpoint_->buffers.size(); ++i)
            m->buffers()[i].value.copyFrom(checkpoint_->buffers[i]);
    return m;
}

void TrainingSession::prepareBranch(std::shared_ptr<const nn::TrainerCheckpoint> state, qint64 parentId, qint64 parentStep)
{
    rebuildModel();  // a fresh model for the parent's spec and data
    if (!model_ || !state) return;
    if (state->params.size() != model_->parameters().size()) {
        emit errorOccurred(tr("The snapshot holds %1 parameter tensors, the loaded model has %2: load the parent run's model first")
                               .arg(state->params.size())
                               .arg(model_->parameters().size()));
        return;
    }
    branchFrom_ = std::move(state);
    branch_ = {parentId, parentStep};
    std::vector<nn::Tensor> params;
    for (const auto& p : branchFrom_->params) params.push_back(p.clone());
    applySnapshot(std::move(params), {});  // the views show where the branch starts
    snapshot_.epoch = branchFrom_->epochs;
    snapshot_.step = branchFrom_->steps;
}

void TrainingSession::reset()
{
    rebuildModel();
}

void TrainingSession::applySnapshot(std::vector<nn::Tensor> params, std::vector<nn::Tensor> grads)
{
    if (!viewModel_ || params.size() != viewModel_->parameters().size()) return;
    for (size_t i = 0; i < params.size(); ++i) viewModel_->parameters()[i].value.copyFrom(params[i]);
    snapshot_.params = std::move(params);
    snapshot_.grads = std::move(grads);
    snapshot_.epoch = int(history_.size());
    snapshot_.step = steps_;
    emit snapshotChanged();
}

void TrainingSession::poll()
{
    if (!worker_) return;
    bool newWeights = false;
    std::vector<nn::Tensor> params, grads;
    const size_t epochsBefore = history_.size();
    bool stepped = false;
    epochSnapshots_.clear();
    for (auto& e : worker_->channel().drain()) {
        switch (e.type) {
        case nn::TrainEvent::Type::Step:
            steps_ = e.step.step;
            lastLoss_ = e.step.loss;
            stepped = true;
            break;
        case nn::TrainEvent::Type::Epoch:
            history_.push_back(e.epoch);
            steps_ = e.epoch.steps;
            if (!e.params.empty()) epochSnapshots_.push_back({int(history_.size()), steps_, e.params, e.grads, e.checkpoint});
            if (e.checkpoint) checkpoint_ = e.checkpoint;
            break;
        case nn::TrainEvent::Type::Finished:
            result_ = e.result;
            steps_ = e.result.steps;
            poll_.stop();
            break;
        }
        if (!e.params.empty()) {
            params = std::move(e.params);
            grads = std::move(e.grads);
            newWeights = true;
        }
    }
    // Signals are coalesced per poll: the UI redraws at most once per tick however
    // fast the worker runs.
    if (stepped) emit this->stepped(steps_, lastLoss_);
    if (history_.size() > epochsBefore) {
        emit epochsFinished(int(epochsBefore), history_.back());
        emit progress(history_.back().epoch, config_.epochs);
    }
    if (newWeights) applySnapshot(std::move(params), std::move(grads));  // only the latest is drawn
    if (result_.status != nn::TrainStatus::Running && state_ != State::Finished && !poll_.isActive()) {
        setState(State::Finished);
        emit finished(result_);
    }
}

} // namespace views
