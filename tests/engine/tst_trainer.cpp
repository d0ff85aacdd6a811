// The Trainer and the TrainingWorker: seeded determinism, learning XOR, stopping
// on NaN with a message that names the node, early stopping, the worker's
// pause / single-step / resume / cancel controls, and config validation.
#include <QtTest/QtTest>

#include <chrono>
#include <cmath>
#include <functional>
#include <thread>

#include "engine/core/error.h"
#include "engine/core/random.h"
#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/train/metrics_channel.h"
#include "engine/train/trainer.h"
#include "engine/train/training_worker.h"

using namespace nn;
using namespace std::chrono_literals;

namespace {

const char* kTinySpec = R"({
  "name": "tiny",
  "input": {"shape": [2]},
  "layers": [
    {"id": "h1", "type": "dense", "units": 8, "activation": "tanh"},
    {"id": "h2", "type": "dense", "units": 8, "activation": "tanh"},
    {"id": "out", "type": "dense", "units": "auto"}
  ],
  "loss": "softmax_cross_entropy"
})";

const char* kReluSpec = R"({
  "name": "deep-relu",
  "input": {"shape": [2]},
  "layers": [
    {"id": "h1", "type": "dense", "units": 16, "activation": "relu"},
    {"id": "h2", "type": "dense", "units": 16, "activation": "relu"},
    {"id": "h3", "type": "dense", "units": 16, "activation": "relu"},
    {"id": "out", "type": "dense", "units": "auto"}
  ],
  "loss": "softmax_cross_entropy"
})";

const char* kBatchNormSpec = R"({
  "name": "tiny-bn",
  "input": {"shape": [2]},
  "layers": [
    {"id": "h1", "type": "dense", "units": 8},
    {"id": "bn1", "type": "batchnorm"},
    {"id": "act1", "type": "tanh"},
    {"id": "out", "type": "dense", "units": "auto"}
  ],
  "loss": "softmax_cross_entropy"
})";

const char* kHingeSpec = R"({
  "name": "hinge-relu",
  "input": {"shape": [2]},
  "layers": [
    {"id": "h1", "type": "dense", "units": 16, "activation": "relu"},
    {"id": "out", "type": "dense", "units": "auto"}
  ],
  "loss": "hinge"
})";

std::vector<std::vector<float>> values(const std::vector<Parameter>& ps)
{
    std::vector<std::vector<float>> out;
    for (const auto& p : ps) out.push_back(p.value.toVector());
    return out;
}

Model tinyModel(const data::Split& s, const char* spec = kTinySpec)
{
    return Model(ModelSpec::fromString(spec, "tiny"), s.train.sampleShape, s.train.numClasses);
}

data::Split xorSplit() { return data::splitDataset(data::makeXor({200, 0.05, 1, 2}), 0.2, 0.2, 1); }

TrainConfig baseConfig()
{
    TrainConfig c;
    c.epochs = 5;
    c.batch = 10;
    c.lr = 0.05f;
    c.optimizer.kind = "adam";
    c.seed = 1;
    return c;
}

struct Trace {
    std::vector<double> trainLoss, valLoss, valAccuracy;
    std::vector<std::vector<float>> params;
    TrainResult result;
};

Trace train(const data::Split& s, const TrainConfig& c, const char* spec = kTinySpec)
{
    Model m = tinyModel(s, spec);
    Trainer t(m, s, c);
    Trace tr;
    t.onEpoch = [&](const EpochMetrics& e) {
        tr.trainLoss.push_back(e.trainLoss);
        tr.valLoss.push_back(e.valLoss);
        tr.valAccuracy.push_back(e.valAccuracy);
    };
    t.run();
    for (const auto& p : m.parameters()) tr.params.push_back(p.value.toVector());
    tr.result = t.result();
    return tr;
}

QString errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

// Every event queued within `wait`; the highest Step number seen (0 if none).
struct Drained {
    std::vector<TrainEvent> events;
    int64_t lastStep = 0;
    int steps = 0;
};
Drained drainFor(MetricsChannel& ch, std::chrono::milliseconds wait)
{
    std::this_thread::sleep_for(wait);
    Drained d;
    d.events = ch.drain();
    for (const auto& e : d.events)
        if (e.type == TrainEvent::Type::Step) {
            ++d.steps;
            d.lastStep = std::max(d.lastStep, e.step.step);
        }
    return d;
}

} // namespace

class TrainerTest : public QObject {
    Q_OBJECT
private slots:
    // (a) same config and seed: the same numbers, bit for bit.
    void deterministic()
    {
        const data::Split s = xorSplit();
        TrainConfig c = baseConfig();
        c.epochs = 4;
        const Trace a = train(s, c), b = train(s, c);
        QCOMPARE(a.trainLoss.size(), size_t(4));
        QCOMPARE(a.trainLoss, b.trainLoss);
        QCOMPARE(a.valLoss, b.valLoss);
        QCOMPARE(a.params, b.params);
        QCOMPARE(a.result.testLoss, b.result.testLoss);
        QCOMPARE(a.result.steps, b.result.steps);
        QCOMPARE(a.result.steps, int64_t(4 * 12));  // 120 training samples, batch 10

        c.seed = 2;
        const Trace d = train(s, c);
        QVERIFY(d.trainLoss != a.trainLoss);
        QVERIFY(d.params != a.params);
    }

    // (b) XOR is learnt in a few epochs.
    void learnsXor()
    {
        const data::Split s = xorSplit();
        TrainConfig c = baseConfig();
        c.epochs = 10;
        const auto t0 = std::chrono::steady_clock::now();
        const Trace tr = train(s, c);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        QCOMPARE(tr.result.status, TrainStatus::Completed);
        QCOMPARE(tr.result.epochs, 10);
        QVERIFY2(tr.valAccuracy.back() >= 0.9, qPrintable(QString::number(tr.valAccuracy.back())));
        QVERIFY2(tr.result.testAccuracy >= 0.85, qPrintable(QString::number(tr.result.testAccuracy)));
        QVERIFY(tr.trainLoss.back() < tr.trainLoss.front());
        QVERIFY2(seconds < 1.0, qPrintable(QString::number(seconds)));
        QVERIFY(tr.result.samplesPerSecond > 0);
    }

    // (c) lr 1e6 with plain SGD on a deep ReLU net blows up: the run stops as
    // Diverged, the message names the node and suggests a lower learning rate.
    void stopsOnNaNFromLearningRate()
    {
        const data::Split s = xorSplit();
        TrainConfig c = baseConfig();
        c.optimizer.kind = "sgd";
        c.lr = 1e6f;
        c.epochs = 50;
        Model m = tinyModel(s, kReluSpec);
        Trainer t(m, s, c);
        t.run();
        const TrainResult& r = t.result();
        QCOMPARE(r.status, TrainStatus::Diverged);
        QVERIFY(t.finished());
        QVERIFY(r.epochs < 50);
        const QString msg = QString::fromStdString(r.message);
        QVERIFY2(msg.contains("'"), qPrintable(msg));
        QVERIFY2(msg.contains("NaN"), qPrintable(msg));
        QVERIFY2(msg.contains("learning rate"), qPrintable(msg));
        // Ends cleanly: no more steps, and the result is stable.
        const int64_t steps = r.steps;
        QVERIFY(!t.step());
        QCOMPARE(t.result().steps, steps);
        QVERIFY(std::isnan(r.testLoss));
    }

    // (c) a huge feature value overflows the forward pass.
    void stopsOnNaNFromData()
    {
        data::Dataset d = data::makeXor({40, 0.05, 1, 2});
        d.features[0] = 3e38f;
        d.features[1] = 3e38f;
        data::Split s;
        s.train = d;
        TrainConfig c = baseConfig();
        c.batch = 40;  // one batch holds the bad sample
        Model m = tinyModel(s, kReluSpec);
        Trainer t(m, s, c);
        t.run();
        const TrainResult& r = t.result();
        QCOMPARE(r.status, TrainStatus::Diverged);
        QCOMPARE(r.steps, int64_t(0));
        QCOMPARE(r.epochs, 0);
        const QString msg = QString::fromStdString(r.message);
        QVERIFY2(msg.contains("'h"), qPrintable(msg));  // names a layer's node
        QVERIFY2(msg.contains("NaN"), qPrintable(msg));
        QVERIFY2(msg.contains("learning rate"), qPrintable(msg));
        QVERIFY(!t.step());
    }

    // (d) early stopping on a tiny set the model overfits.
    void earlyStopping()
    {
        const data::Split s = data::splitDataset(data::makeSpiral({40, 0.3, 1, 2}), 0.5, 0.0, 1);
        TrainConfig c = baseConfig();
        c.epochs = 400;
        c.batch = 4;
        c.lr = 0.05f;
        c.patience = 2;
        Model m = tinyModel(s);
        Trainer t(m, s, c);
        std::vector<double> valLoss;
        t.onEpoch = [&](const EpochMetrics& e) { valLoss.push_back(e.valLoss); };
        t.run();
        const TrainResult& r = t.result();
        QCOMPARE(r.status, TrainStatus::EarlyStopped);
        QVERIFY2(r.epochs < 400, qPrintable(QString::number(r.epochs)));
        QVERIFY(r.bestEpoch >= 1);
        QCOMPARE(r.epochs, r.bestEpoch + 2);
        QVERIFY(!r.message.empty());
        // The best epoch had the lowest validation loss, and its weights are back.
        for (size_t e = 0; e < valLoss.size(); ++e) QVERIFY(valLoss[size_t(r.bestEpoch - 1)] <= valLoss[e]);
        QCOMPARE(t.evaluate(s.validation).loss, valLoss[size_t(r.bestEpoch - 1)]);
    }

    void earlyStoppingPatienceOne()
    {
        const data::Split s = data::splitDataset(data::makeSpiral({40, 0.3, 1, 2}), 0.5, 0.0, 1);
        TrainConfig c = baseConfig();
        c.epochs = 400;
        c.batch = 4;
        c.patience = 1;
        const Trace tr = train(s, c);
        QCOMPARE(tr.result.status, TrainStatus::EarlyStopped);
        QCOMPARE(tr.result.epochs, tr.result.bestEpoch + 1);
        QVERIFY(tr.valLoss.back() >= tr.valLoss[size_t(tr.result.bestEpoch - 1)]);
    }

    // Early stopping puts back the best epoch's whole model state, batch norm's
    // running statistics included (they were left at the last epoch's, so evaluation
    // disagreed with the best epoch), and the result's figures are that epoch's (they
    // described the discarded last epoch).
    void earlyStoppingRestoresBatchNormStatistics()
    {
        const data::Split s = data::splitDataset(data::makeSpiral({40, 0.3, 1, 2}), 0.5, 0.0, 1);
        TrainConfig c = baseConfig();
        c.epochs = 400;
        c.batch = 4;
        c.patience = 2;
        Model m = tinyModel(s, kBatchNormSpec);
        QCOMPARE(m.buffers().size(), size_t(2));
        Trainer t(m, s, c);
        std::vector<EpochMetrics> epochs;
        std::vector<std::vector<std::vector<float>>> buffers, params;
        t.onEpoch = [&](const EpochMetrics& e) {
            epochs.push_back(e);
            buffers.push_back(values(m.buffers()));
            params.push_back(values(m.parameters()));
        };
        t.run();
        const TrainResult& r = t.result();
        QCOMPARE(r.status, TrainStatus::EarlyStopped);
        QCOMPARE(r.epochs, r.bestEpoch + 2);
        const size_t best = size_t(r.bestEpoch - 1);
        QVERIFY(buffers[best] != buffers.back());  // the statistics did move after the best epoch
        QCOMPARE(values(m.buffers()), buffers[best]);
        QCOMPARE(values(m.parameters()), params[best]);
        QCOMPARE(t.evaluate(s.validation).loss, epochs[best].valLoss);  // eval mode reads the running statistics
        // The final figures are the restored epoch's, not the last one trained.
        QCOMPARE(r.last.epoch, r.bestEpoch);
        QCOMPARE(r.last.trainLoss, epochs[best].trainLoss);
        QCOMPARE(r.last.valLoss, epochs[best].valLoss);
        QCOMPARE(r.last.valAccuracy, epochs[best].valAccuracy);
        QVERIFY2(QString::fromStdString(r.message).contains("batch norm statistics"), r.message.c_str());
    }

    // The hinge loss is max(0, margin): NaN scores gave a finite loss, so a run whose
    // outputs had gone NaN trained on to "completed". The outputs are checked too now.
    void stopsOnNaNUnderHingeLoss()
    {
        data::Dataset d = data::makeXor({40, 0.05, 1, 2});
        d.features[0] = 3e38f;
        d.features[1] = 3e38f;
        data::Split s;
        s.train = d;
        TrainConfig c = baseConfig();
        c.batch = 40;
        Model m = tinyModel(s, kHingeSpec);
        Trainer t(m, s, c);
        t.run();
        const TrainResult& r = t.result();
        QCOMPARE(r.status, TrainStatus::Diverged);
        QCOMPARE(r.steps, int64_t(0));
        const QString msg = QString::fromStdString(r.message);
        QVERIFY2(msg.contains("'h1."), qPrintable(msg));  // names the first node that went bad
        QVERIFY2(msg.contains("NaN"), qPrintable(msg));
    }

    // A parameter that overflows in an update is named at that step, with what its
    // gradient held, rather than one forward pass later as "the previous update".
    void namesTheParameterAnUpdateBroke()
    {
        data::Split s = xorSplit();
        for (auto& f : s.train.features) f *= 100.0f;
        TrainConfig c = baseConfig();
        c.optimizer.kind = "sgd";
        c.lr = 1e38f;
        Model m = tinyModel(s, kReluSpec);
        Trainer t(m, s, c);
        t.run();
        const TrainResult& r = t.result();
        QCOMPARE(r.status, TrainStatus::Diverged);
        const QString msg = QString::fromStdString(r.message);
        QVERIFY2(msg.contains("step 1:"), qPrintable(msg));
        QVERIFY2(msg.contains("parameter '") && msg.contains("this step's update"), qPrintable(msg));
        QVERIFY2(msg.contains("gradient was finite"), qPrintable(msg));
    }

    // A NaN validation loss never compares lower, so early stopping quietly kept an
    // old epoch and the run "completed". It is a divergence, named.
    void stopsOnNaNValidationLoss()
    {
        data::Split s = xorSplit();
        s.validation.features[3] = std::nanf("");
        TrainConfig c = baseConfig();
        c.patience = 2;
        const Trace tr = train(s, c);
        QCOMPARE(tr.result.status, TrainStatus::Diverged);
        QCOMPARE(tr.result.epochs, 1);
        const QString msg = QString::fromStdString(tr.result.message);
        QVERIFY2(msg.contains("after epoch 1") && msg.contains("validation loss"), qPrintable(msg));
        QVERIFY2(msg.contains("'input'"), qPrintable(msg));  // the data, not the model
    }

    // Batch norm in training mode needs two values per channel. A batch size of 1
    // is refused, naming the layer and the fix (PyTorch refuses it too); a final
    // batch of 1 is left out of each epoch, said once in the notices.
    void batchNormRefusesABatchOfOne()
    {
        const data::Split s = xorSplit();
        Model m = tinyModel(s, kBatchNormSpec);
        TrainConfig c = baseConfig();
        c.batch = 1;
        const QString err = errorOf([&] { Trainer t(m, s, c); });
        QVERIFY2(err.contains("'bn1'") && err.contains("batch size of 2 or more"), qPrintable(err));
        // Without batch norm a batch of 1 is fine.
        Model plain = tinyModel(s);
        QVERIFY(errorOf([&] { Trainer t(plain, s, c); }).isEmpty());
    }

    void batchNormOnImagesAcceptsABatchOfOne()
    {
        // After a convolution each channel has H×W values per sample: one sample is enough.
        data::Dataset d;
        d.sampleShape = {1, 4, 4};
        d.numClasses = 2;
        d.classNames = {"a", "b"};
        Rng rng(5);
        for (int i = 0; i < 8; ++i) {
            d.labels.push_back(i % 2);
            for (int k = 0; k < 16; ++k) d.features.push_back(float(rng.uniform(-1, 1)) + float(i % 2));
        }
        data::Split s;
        s.train = d;
        Model m(ModelSpec::fromString(R"({"name": "c", "input": {"shape": "auto"}, "layers": [
            {"id": "conv", "type": "conv2d", "filters": 2, "kernel": 3, "padding": 1},
            {"id": "bn", "type": "batchnorm"}, {"id": "flat", "type": "flatten"},
            {"id": "out", "type": "dense", "units": "auto"}]})", "conv-bn"), d.sampleShape, 2);
        TrainConfig c = baseConfig();
        c.batch = 1;
        c.epochs = 1;
        Trainer t(m, s, c);
        t.run();
        QCOMPARE(t.result().status, TrainStatus::Completed);
        QCOMPARE(t.result().steps, int64_t(8));
        QVERIFY(t.result().notices.empty());
    }

    void batchNormDropsAFinalBatchOfOne()
    {
        data::Split s = xorSplit();
        std::vector<size_t> first21;
        for (size_t i = 0; i < 21; ++i) first21.push_back(i);
        s.train = s.train.subset(first21);
        TrainConfig c = baseConfig();
        c.epochs = 3;
        Model m = tinyModel(s, kBatchNormSpec);
        Trainer t(m, s, c);
        QCOMPARE(t.result().notices.size(), size_t(1));
        const QString notice = QString::fromStdString(t.result().notices[0]);
        QVERIFY2(notice.contains("'bn1'") && notice.contains("left out") && notice.contains("20 samples"), qPrintable(notice));
        std::vector<int64_t> stepsPerEpoch;
        t.onEpoch = [&](const EpochMetrics& e) { stepsPerEpoch.push_back(e.steps); };
        t.run();
        QCOMPARE(t.result().status, TrainStatus::Completed);
        QCOMPARE(stepsPerEpoch, std::vector<int64_t>({2, 4, 6}));  // two batches of 10 an epoch, never one of 1
        QCOMPARE(t.result().notices.size(), size_t(1));  // said once
        // Without batch norm nothing is dropped.
        Model plain = tinyModel(s);
        Trainer all(plain, s, c);
        all.run();
        QCOMPARE(all.result().steps, int64_t(9));
        QVERIFY(all.result().notices.empty());
    }

    // (e) the worker's controls.
    void workerControls()
    {
        const data::Split s = xorSplit();
        TrainConfig c = baseConfig();
        c.epochs = 100000;  // never finishes by itself during the test
        c.stepEventEvery = 1;
        Model m = tinyModel(s);
        const size_t paramCount = m.parameters().size();
        TrainingWorker w(std::make_unique<Trainer>(m, s, c));
        QCOMPARE(w.state(), TrainingWorker::State::Idle);

        w.start(true);
        QCOMPARE(w.state(), TrainingWorker::State::Paused);
        Drained d = drainFor(w.channel(), 50ms);
        QCOMPARE(d.events.size(), size_t(0));  // paused: nothing ran

        // One step, exactly. (With stepEventEvery = 1 the trainer reports step 1
        // too, next to the worker's single-step event that carries snapshots.)
        auto singleStep = [&](int64_t expected) {
            auto first = w.channel().waitPop(2000ms);
            QVERIFY(first.has_value());
            Drained more = drainFor(w.channel(), 50ms);
            more.events.insert(more.events.begin(), std::move(*first));
            bool withSnapshot = false;
            for (const auto& ev : more.events) {
                QCOMPARE(ev.type, TrainEvent::Type::Step);
                QCOMPARE(ev.step.step, expected);
                QVERIFY(std::isfinite(ev.step.loss));
                withSnapshot = withSnapshot || ev.params.size() == paramCount;
            }
            QVERIFY(withSnapshot);
            QCOMPARE(w.state(), TrainingWorker::State::Paused);
        };
        w.stepOnce();
        singleStep(1);
        if (QTest::currentTestFailed()) return;
        w.stepOnce();
        singleStep(2);
        if (QTest::currentTestFailed()) return;

        // Resume: it runs on.
        w.resume();
        QCOMPARE(w.state(), TrainingWorker::State::Running);
        d = drainFor(w.channel(), 50ms);
        QVERIFY2(d.lastStep > 2, qPrintable(QString::number(d.lastStep)));

        // Pause: the step count stops changing (one in-flight step may finish).
        w.pause();
        QCOMPARE(w.state(), TrainingWorker::State::Paused);
        const Drained first = drainFor(w.channel(), 20ms);
        const Drained second = drainFor(w.channel(), 50ms);
        QCOMPARE(second.steps, 0);
        const Drained third = drainFor(w.channel(), 50ms);
        QCOMPARE(third.steps, 0);
        Q_UNUSED(first);

        // Cancel while paused: Finished, with a Finished event saying so.
        w.cancel();
        w.wait();
        QCOMPARE(w.state(), TrainingWorker::State::Finished);
        const auto rest = w.channel().drain();
        QVERIFY(!rest.empty());
        QCOMPARE(rest.back().type, TrainEvent::Type::Finished);
        QCOMPARE(rest.back().result.status, TrainStatus::Cancelled);
        QCOMPARE(QString(statusName(rest.back().result.status)), QString("cancelled"));
        QCOMPARE(w.result().status, TrainStatus::Cancelled);
        QVERIFY(w.result().epochs < 100000);
    }

    void workerCancelWhileRunning()
    {
        const data::Split s = xorSplit();
        TrainConfig c = baseConfig();
        c.epochs = 100000;
        Model m = tinyModel(s);
        TrainingWorker w(std::make_unique<Trainer>(m, s, c));
        w.start();
        QCOMPARE(w.state(), TrainingWorker::State::Running);
        std::this_thread::sleep_for(30ms);
        w.cancel();
        w.wait();
        QCOMPARE(w.state(), TrainingWorker::State::Finished);
        QCOMPARE(w.result().status, TrainStatus::Cancelled);
        QVERIFY(w.result().steps > 0);
        bool finishedEvent = false;
        for (const auto& ev : w.channel().drain())
            if (ev.type == TrainEvent::Type::Finished) finishedEvent = ev.result.status == TrainStatus::Cancelled;
        QVERIFY(finishedEvent);
    }

    // A run that ends by itself reports Completed through the channel.
    void workerRunsToCompletion()
    {
        const data::Split s = xorSplit();
        TrainConfig c = baseConfig();
        c.epochs = 3;
        Model m = tinyModel(s);
        TrainingWorker w(std::make_unique<Trainer>(m, s, c));
        w.start();
        int epochs = 0;
        bool finished = false;
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!finished && std::chrono::steady_clock::now() < deadline) {
            auto ev = w.channel().waitPop(200ms);
            if (!ev) continue;
            if (ev->type == TrainEvent::Type::Epoch) ++epochs;
            if (ev->type == TrainEvent::Type::Finished) {
                finished = true;
                QCOMPARE(ev->result.status, TrainStatus::Completed);
                QCOMPARE(ev->result.epochs, 3);
            }
        }
        QVERIFY(finished);
        QCOMPARE(epochs, 3);
        w.wait();
        QCOMPARE(w.state(), TrainingWorker::State::Finished);
    }

    void workerDestructorReturnsPromptly()
    {
        const data::Split s = xorSplit();
        TrainConfig c = baseConfig();
        c.epochs = 100000;
        Model m = tinyModel(s);
        auto w = std::make_unique<TrainingWorker>(std::make_unique<Trainer>(m, s, c));
        w->start();
        std::this_thread::sleep_for(20ms);
        const auto t0 = std::chrono::steady_clock::now();
        w.reset();
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        QVERIFY2(ms < 500, qPrintable(QString::number(ms)));

        // Paused, and never started, too.
        auto p = std::make_unique<TrainingWorker>(std::make_unique<Trainer>(m, s, c));
        p->start(true);
        const auto t1 = std::chrono::steady_clock::now();
        p.reset();
        QVERIFY(std::chrono::steady_clock::now() - t1 < 500ms);
        auto idle = std::make_unique<TrainingWorker>(std::make_unique<Trainer>(m, s, c));
        idle.reset();
    }

    // (f) bad configs are rejected up front.
    void badConfig_data()
    {
        QTest::addColumn<int>("batch");
        QTest::addColumn<int>("epochs");
        QTest::addColumn<float>("lr");
        QTest::addColumn<QString>("optimizer");
        QTest::addColumn<QString>("schedule");
        QTest::addColumn<QString>("mention");
        QTest::newRow("batch 0") << 0 << 5 << 0.01f << "adam" << "constant" << "batch";
        QTest::newRow("batch -1") << -1 << 5 << 0.01f << "adam" << "constant" << "batch";
        QTest::newRow("epochs 0") << 10 << 0 << 0.01f << "adam" << "constant" << "epochs";
        QTest::newRow("lr 0") << 10 << 5 << 0.0f << "adam" << "constant" << "learning rate";
        QTest::newRow("lr negative") << 10 << 5 << -0.1f << "adam" << "constant" << "learning rate";
        QTest::newRow("lr NaN") << 10 << 5 << std::nanf("") << "adam" << "constant" << "learning rate";
        QTest::newRow("lr inf") << 10 << 5 << INFINITY << "adam" << "constant" << "learning rate";
        QTest::newRow("optimizer") << 10 << 5 << 0.01f << "adagrad" << "constant" << "adagrad";
        QTest::newRow("schedule") << 10 << 5 << 0.01f << "adam" << "linear" << "linear";
    }

    void badConfig()
    {
        QFETCH(int, batch);
        QFETCH(int, epochs);
        QFETCH(float, lr);
        QFETCH(QString, optimizer);
        QFETCH(QString, schedule);
        QFETCH(QString, mention);
        const data::Split s = xorSplit();
        Model m = tinyModel(s);
        TrainConfig c = baseConfig();
        c.batch = batch;
        c.epochs = epochs;
        c.lr = lr;
        c.optimizer.kind = optimizer.toStdString();
        c.schedule.kind = schedule.toStdString();
        const QString err = errorOf([&] { Trainer t(m, s, c); });
        QVERIFY2(!err.isEmpty(), "expected an nn::Error");
        QVERIFY2(err.contains(mention), qPrintable(err));
    }

    void emptyTrainingSet()
    {
        data::Split s = xorSplit();
        Model m = tinyModel(s);
        s.train = data::Dataset {};
        QVERIFY(!errorOf([&] { Trainer t(m, s, baseConfig()); }).isEmpty());
    }

    // A LossExtension replaces the node training minimises (here the model's loss
    // times 1, so the numbers must not change), sees every training sample once per
    // epoch, leaves evaluation alone, and cannot be set once training has begun.
    void lossExtension()
    {
        const data::Split s = xorSplit();
        const TrainConfig c = baseConfig();
        const Trace plain = train(s, c);
        Model m = tinyModel(s);
        Trainer t(m, s, c);
        int64_t filled = 0;
        int extended = 0;
        LossExtension e;
        e.extend = [&](BuiltGraph& b) {
            ++extended;
            OpAttrs one;
            one.scalar = 1.0f;
            return b.graph.apply(OpKind::MulScalar, {b.loss}, one, "loss_times_one");
        };
        e.fill = [&](BuiltGraph&, const size_t*, int n) { filled += n; };
        t.setLossExtension(e);
        t.run();
        QCOMPARE(filled, int64_t(s.train.size()) * c.epochs);
        QVERIFY(extended >= 1);
        QCOMPARE(t.result().last.valLoss, plain.result.last.valLoss);
        for (size_t i = 0; i < m.parameters().size(); ++i) QCOMPARE(m.parameters()[i].value.toVector(), plain.params[i]);
        QVERIFY(errorOf([&] { t.setLossExtension({}); }).contains("before its first step"));
    }

    // A model with a dropout layer trains deterministically too: dropout draws
    // its masks from the seeded graph. Kept last: with a graph whose dropout
    // reads a dangling Rng (a moved-from graph's) it crashes the process.
    void dropoutModelTrainsDeterministically()
    {
        const char* spec = R"({"name": "d", "input": {"shape": [2]}, "layers": [
            {"id": "h1", "type": "dense", "units": 8, "activation": "relu"},
            {"id": "drop", "type": "dropout", "rate": 0.3},
            {"id": "out", "type": "dense", "units": 2}]})";
        const data::Split s = xorSplit();
        TrainConfig c = baseConfig();
        c.epochs = 3;
        c.optimizer.kind = "momentum";
        c.lr = 0.02f;
        c.schedule.kind = "cosine";
        const Trace a = train(s, c, spec), b = train(s, c, spec);
        QCOMPARE(a.trainLoss, b.trainLoss);
        QCOMPARE(a.params, b.params);
    }
};

QTEST_APPLESS_MAIN(TrainerTest)
#include "tst_trainer.moc"
