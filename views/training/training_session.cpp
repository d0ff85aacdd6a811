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

QString weightsLabel(int epoch, qint64 step)
{
    if (epoch == 0 && step == 0) return TrainingSession::tr("initial weights");
    return TrainingSession::tr("epoch %1 · step %2").arg(epoch).arg(step);
}

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
            if (!model_) rebuildModel();  // a spec set while it loaded: build it for the data still here
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

bool TrainingSession::setModelSpec(const nn::ModelSpec& spec)
{
    // Check the spec against the data before anything is thrown away: a spec that
    // does not fit must not cost the trained model (nor leave views of it behind).
    // While new data loads, the check waits for it (rebuildModel reports then).
    if (data_ && !loading_) {
        try {
            const nn::Model probe(spec, data_->train.sampleShape, data_->train.numClasses);
        } catch (const nn::Error& e) {
            emit errorOccurred(tr("The model '%1' does not fit the data '%2': %3. The current model%4 is kept: load data it fits "
                                  "first, or choose a model made for this data.")
                                   .arg(QString::fromStdString(spec.name), dataName_, QString::fromUtf8(e.what()),
                                        state_ == State::Ready || state_ == State::NoData ? QString() : tr(" and its training")));
            return false;
        }
    }
    stop();
    spec_ = std::make_shared<nn::ModelSpec>(spec);
    modelPath_.clear();
    rebuildModel();
    return model_ || !data_ || loading_;  // else rebuildModel said why
}

bool TrainingSession::setModelFile(const QString& path)
{
    try {
        if (!setModelSpec(nn::ModelSpec::fromFile(path.toStdString()))) return false;
    } catch (const nn::Error& e) {
        emit errorOccurred(QString::fromUtf8(e.what()));
        return false;
    }
    modelPath_ = path;
    return true;
}

void TrainingSession::rebuildModel()
{
    worker_.reset();
    branchFrom_.reset();
    branch_ = {};
    parentHistory_.clear();
    recent_.clear();
    checkpoint_.reset();
    history_.clear();
    steps_ = 0;
    result_ = {};
    if (!spec_ || !data_ || loading_) {
        // While new data loads, the model waits for it (the loader rebuilds it):
        // built now it would be built for the data being replaced.
        if (loading_ && viewModel_) {
            model_.reset();
            viewModel_.reset();
            snapshot_ = {};
            emit modelChanged();
        }
        setState(State::NoData);
        return;
    }
    try {
        const auto& train = data_->train;
        model_ = std::make_unique<nn::Model>(*spec_, train.sampleShape, train.numClasses);
        model_->initialize(config_.seed);
        viewModel_ = std::make_unique<nn::Model>(*spec_, train.sampleShape, train.numClasses);
        Snapshot initial;
        for (const auto& p : model_->parameters()) initial.params.push_back(p.value.clone());
        applySnapshot(std::move(initial));
        emit modelChanged();
        setState(State::Ready);
    } catch (const nn::Error& e) {
        // New data the spec does not fit: no model, and the views say so rather
        // than keep showing the old one.
        model_.reset();
        viewModel_.reset();
        snapshot_ = {};
        emit modelChanged();
        setState(State::NoData);
        emit errorOccurred(tr("The model '%1' does not fit the data '%2': %3. Choose a model made for this data.")
                               .arg(QString::fromStdString(spec_->name), dataName_, QString::fromUtf8(e.what())));
    }
}

void TrainingSession::ensureWorker(bool paused)
{
    if (worker_ || !model_ || !data_) return;
    try {
        workerData_ = data_;
        auto trainer = std::make_unique<nn::Trainer>(*model_, *workerData_, config_);
        if (branchFrom_) trainer->restore(*branchFrom_);  // throws naming what does not fit
        // What the trainer decided about the set-up (e.g. a final batch of one
        // left out because of batch norm) is said once, when the run starts.
        QStringList notes;
        for (const std::string& n : trainer->result().notices) notes << QString::fromStdString(n);
        worker_ = std::make_unique<nn::TrainingWorker>(std::move(trainer));
        history_.clear();
        recent_.clear();
        runPatience_ = config_.patience;
        steps_ = branchFrom_ ? branchFrom_->steps : 0;
        worker_->start(paused);
        poll_.start();
        if (!notes.isEmpty()) emit notice(notes.join(' '));
    } catch (const nn::Error& e) {
        emit errorOccurred(QString::fromUtf8(e.what()));
    }
}

void TrainingSession::train()
{
    const bool again = state_ == State::Finished;
    if (again) reset();
    if (!model_) return;
    if (again) emit notice(tr("A new run started from the initial weights; the finished one is in History."));
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
    if (state_ == State::Finished) {
        // Stepping a finished run would have to start a new one and drop the
        // trained weights; nobody pressing F10 means that.
        emit notice(tr("The run has finished, so there is nothing to step. Press Reset (Ctrl+R) to start again from the "
                       "initial weights, or Train (Space) for a new run."));
        return;
    }
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
    // The drawing copy holds exactly the snapshot's weights and buffers.
    auto m = std::make_unique<nn::Model>(*spec_, data_->train.sampleShape, data_->train.numClasses);
    const auto& from = viewModel_->parameters();
    for (size_t i = 0; i < m->parameters().size() && i < from.size(); ++i) m->parameters()[i].value.copyFrom(from[i].value);
    const auto& buffers = viewModel_->buffers();
    for (size_t i = 0; i < m->buffers().size() && i < buffers.size(); ++i) m->buffers()[i].value.copyFrom(buffers[i].value);
    return m;
}

int TrainingSession::epochsDone() const
{
    if (!history_.empty()) return history_.back().epoch;
    if (result_.status != nn::TrainStatus::Running) return result_.epochs;
    return branchFrom_ ? branchFrom_->epochs : 0;
}

void TrainingSession::prepareBranch(std::shared_ptr<const nn::TrainerCheckpoint> state, qint64 parentId, qint64 parentStep,
                                    std::vector<nn::EpochMetrics> parentHistory)
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
    // The curves show the parent's road up to the branch point, then the branch.
    std::erase_if(parentHistory, [&](const nn::EpochMetrics& m) { return m.epoch > branchFrom_->epochs; });
    parentHistory_ = std::move(parentHistory);
    Snapshot start;  // the views show where the branch starts, labelled with the parent's epoch and step
    start.epoch = branchFrom_->epochs;
    start.step = branchFrom_->steps;
    for (const auto& p : branchFrom_->params) start.params.push_back(p.clone());
    start.state = branchFrom_;
    applySnapshot(std::move(start));
    emit branchPrepared();
}

void TrainingSession::reset()
{
    rebuildModel();
}

void TrainingSession::applySnapshot(Snapshot s)
{
    if (!viewModel_ || s.params.size() != viewModel_->parameters().size()) return;
    for (size_t i = 0; i < s.params.size(); ++i) viewModel_->parameters()[i].value.copyFrom(s.params[i]);
    // Batch norm's running statistics go with the weights: the boundary and the
    // confusion matrix evaluate in inference mode, which uses them.
    if (s.state && s.state->buffers.size() == viewModel_->buffers().size())
        for (size_t i = 0; i < s.state->buffers.size(); ++i) viewModel_->buffers()[i].value.copyFrom(s.state->buffers[i]);
    snapshot_ = std::move(s);
    emit snapshotChanged();
}

Snapshot TrainingSession::finalSnapshot(nn::TrainEvent& e) const
{
    const nn::TrainResult& r = e.result;
    Snapshot s {r.epochs, r.steps, false, std::move(e.params), std::move(e.grads), e.checkpoint};
    if (r.status != nn::TrainStatus::EarlyStopped || r.bestEpoch >= r.epochs) return s;
    // Early stopping put the best epoch's weights back: the final snapshot is that
    // epoch's, labelled so, with its batch norm statistics and optimizer state.
    s.restored = true;
    s.epoch = r.bestEpoch;
    for (const Snapshot& kept : recent_)
        if (kept.epoch == r.bestEpoch) {
            s.step = kept.step;
            s.params = kept.params;
            s.grads = kept.grads;
            if (kept.state) s.state = kept.state;
            return s;
        }
    if (branchFrom_ && branchFrom_->epochs == r.bestEpoch) {
        s.step = branchFrom_->steps;
        s.state = branchFrom_;
        s.grads.clear();
        return s;
    }
    // Not kept here: the trainer's own restored weights, with the step of that
    // epoch and no optimizer state (the one it has belongs to the last epoch).
    for (const auto& m : history_)
        if (m.epoch == r.bestEpoch) s.step = m.steps;
    if (e.checkpoint) {
        auto c = std::make_shared<nn::TrainerCheckpoint>(*e.checkpoint);
        c->epochs = s.epoch;
        c->steps = s.step;
        c->optimizer.clear();
        s.state = std::move(c);
    }
    return s;
}

void TrainingSession::poll()
{
    if (!worker_) return;
    // Only the newest weights are drawn; each carries its own epoch and step, so a
    // branch (which starts at its parent's epoch) and a restored early stop are
    // labelled right.
    Snapshot newest;
    bool newWeights = false;
    const size_t epochsBefore = history_.size();
    bool stepped = false;
    epochSnapshots_.clear();
    for (auto& e : worker_->channel().drain()) {
        switch (e.type) {
        case nn::TrainEvent::Type::Step:
            steps_ = e.step.step;
            lastLoss_ = e.step.loss;
            stepped = true;
            if (!e.params.empty()) {
                newest = {e.step.epoch, e.step.step, false, std::move(e.params), std::move(e.grads), e.checkpoint};
                newWeights = true;
            }
            break;
        case nn::TrainEvent::Type::Epoch:
            history_.push_back(e.epoch);
            steps_ = e.epoch.steps;
            if (e.checkpoint) checkpoint_ = e.checkpoint;
            if (!e.params.empty()) {
                Snapshot s {e.epoch.epoch, e.epoch.steps, false, std::move(e.params), std::move(e.grads), e.checkpoint};
                epochSnapshots_.push_back(s);
                if (runPatience_ > 0) {
                    recent_.push_back(s);
                    while (int(recent_.size()) > runPatience_ + 1) recent_.pop_front();
                }
                newest = std::move(s);
                newWeights = true;
            }
            break;
        case nn::TrainEvent::Type::Finished:
            result_ = e.result;
            steps_ = e.result.steps;
            poll_.stop();
            if (!e.params.empty()) {
                newest = finalSnapshot(e);
                newWeights = true;
            }
            break;
        }
    }
    // Signals are coalesced per poll: the UI redraws at most once per tick however
    // fast the worker runs. The weights first, so whatever the other signals make
    // a view read is already the snapshot they describe.
    if (newWeights) applySnapshot(std::move(newest));
    if (history_.size() > epochsBefore) {
        emit epochsFinished(int(epochsBefore), history_.back());
        emit progress(history_.back().epoch, config_.epochs);
    }
    if (stepped) emit this->stepped(steps_, lastLoss_);
    if (result_.status != nn::TrainStatus::Running && state_ != State::Finished && !poll_.isActive()) {
        setState(State::Finished);
        emit finished(result_);
    }
}

} // namespace views
