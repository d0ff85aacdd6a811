// The TrainingWorker's state machine: every control from every state, and what
// each leaves behind. Step requests belong to one pause: resume, pause and cancel
// drop the ones not yet run (issue 22: five Step presses, then Resume and Pause,
// ran six more steps). Once Finished, every control is a no-op. The run's last
// event carries the state it ends with (after early stopping, the restored
// epoch's weights), so a watcher saves what it draws.
//
// Deterministic: a gate in the trainer's afterUpdate hook holds the training
// thread inside a step while the test presses buttons, so "requests still queued
// when Resume is pressed" happens every time, not only on a slow machine.
#include <QtTest/QtTest>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/train/metrics_channel.h"
#include "engine/train/trainer.h"
#include "engine/train/training_worker.h"

using namespace nn;
using namespace std::chrono_literals;
using State = TrainingWorker::State;

namespace {

const char* kSpec = R"({
  "name": "tiny",
  "input": {"shape": [2]},
  "layers": [
    {"id": "h1", "type": "dense", "units": 8, "activation": "tanh"},
    {"id": "out", "type": "dense", "units": "auto"}
  ],
  "loss": "softmax_cross_entropy"
})";

data::Split xorSplit() { return data::splitDataset(data::makeXor({200, 0.05, 1, 2}), 0.2, 0.2, 1); }

TrainConfig longRun()
{
    TrainConfig c;
    c.epochs = 100000;  // never ends by itself during a test
    c.batch = 10;
    c.lr = 0.05f;
    c.optimizer.kind = "adam";
    c.stepEventEvery = 0;
    return c;
}

// Counts the optimizer updates and, while closed, holds the training thread
// inside the step it is in (after its update, before its metrics).
struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = true;
    int steps = 0;     // updates done
    int waiting = 0;   // threads held
    void hook()
    {
        std::unique_lock lock(m);
        ++steps;
        ++waiting;
        cv.notify_all();
        cv.wait(lock, [&] { return open; });
        --waiting;
    }
    void close()
    {
        std::lock_guard lock(m);
        open = false;
    }
    void release()
    {
        {
            std::lock_guard lock(m);
            open = true;
        }
        cv.notify_all();
    }
    bool waitHeld(std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(m);
        return cv.wait_for(lock, timeout, [&] { return waiting > 0; });
    }
    int count()
    {
        std::lock_guard lock(m);
        return steps;
    }
};

// One worker on the XOR net with a gate in its trainer.
struct Rig {
    data::Split split = xorSplit();
    Model model {ModelSpec::fromString(kSpec, "tiny"), split.train.sampleShape, split.train.numClasses};
    Gate gate;
    std::unique_ptr<TrainingWorker> worker;
    explicit Rig(const TrainConfig& c = longRun())
    {
        auto trainer = std::make_unique<Trainer>(model, split, c);
        trainer->afterUpdate = [this] { gate.hook(); };
        worker = std::make_unique<TrainingWorker>(std::move(trainer));
    }
    ~Rig()
    {
        gate.release();
        worker.reset();
    }
    // Starts paused and holds the first of `presses` Step presses inside its step.
    bool holdFirstOf(int presses)
    {
        worker->start(true);
        gate.close();
        for (int i = 0; i < presses; ++i) worker->stepOnce();
        return gate.waitHeld(5s);
    }
};

} // namespace

class TrainingWorkerTest : public QObject {
    Q_OBJECT
private slots:
    // The issue's sequence: paused, Step pressed five times, Resume, Pause. The
    // presses not yet run must not run after the pause.
    void resumeDropsPendingSteps()
    {
        Rig r;
        QVERIFY(r.holdFirstOf(5));
        QCOMPARE(r.worker->pendingSteps(), 4);
        r.worker->resume();
        QCOMPARE(r.worker->state(), State::Running);
        QCOMPARE(r.worker->pendingSteps(), 0);
        r.worker->pause();
        r.gate.release();
        std::this_thread::sleep_for(150ms);
        QCOMPARE(r.gate.count(), 1);  // only the step that was already running
        QCOMPARE(r.worker->state(), State::Paused);
    }

    // Same, with the run really running between Resume and Pause: after the pause
    // at most the step in flight finishes.
    void resumeRunPauseRunsNoLeftovers()
    {
        Rig r;
        QVERIFY(r.holdFirstOf(5));
        r.worker->resume();
        r.gate.release();
        std::this_thread::sleep_for(30ms);
        r.worker->pause();
        const int atPause = r.gate.count();
        QVERIFY(atPause > 1);
        std::this_thread::sleep_for(150ms);
        QVERIFY2(r.gate.count() - atPause <= 1, qPrintable(QString("%1 steps after the pause").arg(r.gate.count() - atPause)));
        QCOMPARE(r.worker->pendingSteps(), 0);
    }

    // Pause pressed while paused with steps queued: "stop now" drops them.
    void pauseDropsPendingSteps()
    {
        Rig r;
        QVERIFY(r.holdFirstOf(3));
        r.worker->pause();
        QCOMPARE(r.worker->pendingSteps(), 0);
        r.gate.release();
        std::this_thread::sleep_for(150ms);
        QCOMPARE(r.gate.count(), 1);
        QCOMPARE(r.worker->state(), State::Paused);
        // The next press runs exactly one step.
        r.worker->stepOnce();
        QTRY_COMPARE(r.gate.count(), 2);
        std::this_thread::sleep_for(50ms);
        QCOMPARE(r.gate.count(), 2);
    }

    void cancelDropsPendingSteps()
    {
        Rig r;
        QVERIFY(r.holdFirstOf(4));
        r.worker->cancel();
        QCOMPARE(r.worker->pendingSteps(), 0);
        r.gate.release();
        r.worker->wait();
        QCOMPARE(r.gate.count(), 1);
        QCOMPARE(r.worker->state(), State::Finished);
        QCOMPARE(r.worker->result().status, TrainStatus::Cancelled);
        const auto events = r.worker->channel().drain();
        QVERIFY(!events.empty());
        QCOMPARE(events.back().type, TrainEvent::Type::Finished);
    }

    // Every control from every state: the state it leads to, and no step request
    // left behind anywhere.
    void everyTransition()
    {
        Rig r;
        TrainingWorker& w = *r.worker;
        // Idle: nothing but start() does anything.
        w.pause();
        QCOMPARE(w.state(), State::Idle);
        w.resume();
        QCOMPARE(w.state(), State::Idle);
        w.stepOnce();
        QCOMPARE(w.state(), State::Idle);
        QCOMPARE(w.pendingSteps(), 0);
        // Idle -> Paused; nothing runs until asked.
        w.start(true);
        QCOMPARE(w.state(), State::Paused);
        std::this_thread::sleep_for(30ms);
        QCOMPARE(r.gate.count(), 0);
        w.start(false);  // a second start is ignored
        QCOMPARE(w.state(), State::Paused);
        // Paused -> step -> Paused, exactly one update.
        w.stepOnce();
        QTRY_COMPARE(r.gate.count(), 1);
        QCOMPARE(w.state(), State::Paused);
        // Paused -> Running; Step while running is ignored (queues nothing).
        w.resume();
        QCOMPARE(w.state(), State::Running);
        w.stepOnce();
        QCOMPARE(w.pendingSteps(), 0);
        w.resume();
        QCOMPARE(w.state(), State::Running);
        QTRY_VERIFY(r.gate.count() > 3);
        // Running -> Paused -> Paused.
        w.pause();
        QCOMPARE(w.state(), State::Paused);
        w.pause();
        QCOMPARE(w.state(), State::Paused);
        // Paused -> Finished by cancel; afterwards every control is a no-op.
        w.cancel();
        w.wait();
        QCOMPARE(w.state(), State::Finished);
        const int done = r.gate.count();
        w.resume();
        QCOMPARE(w.state(), State::Finished);
        w.pause();
        QCOMPARE(w.state(), State::Finished);
        w.stepOnce();
        QCOMPARE(w.pendingSteps(), 0);
        w.start(false);
        std::this_thread::sleep_for(30ms);
        QCOMPARE(w.state(), State::Finished);
        QCOMPARE(r.gate.count(), done);
    }

    // A run that ends by itself: Finished stays Finished whatever is pressed after.
    void finishedByItselfStaysFinished()
    {
        TrainConfig c = longRun();
        c.epochs = 2;
        Rig r(c);
        r.worker->start(false);
        r.worker->wait();
        QCOMPARE(r.worker->state(), State::Finished);
        QCOMPARE(r.worker->result().status, TrainStatus::Completed);
        r.worker->channel().drain();
        r.worker->pause();
        r.worker->stepOnce();
        r.worker->resume();
        QCOMPARE(r.worker->state(), State::Finished);
        QCOMPARE(r.worker->pendingSteps(), 0);
        std::this_thread::sleep_for(30ms);
        QVERIFY(r.worker->channel().drain().empty());
    }

    // Issue 22 item 2: the last event carries the state the run ends with. After
    // early stopping that is the restored epoch's weights, not the last epoch's:
    // its parameters equal those of the best epoch's own Epoch event.
    void finishedEventCarriesTheRestoredState()
    {
        const data::Split s = data::splitDataset(data::makeSpiral({40, 0.3, 1, 2}), 0.5, 0.0, 1);
        TrainConfig c = longRun();
        c.epochs = 400;
        c.batch = 4;
        c.patience = 2;
        Model m(ModelSpec::fromString(kSpec, "tiny"), s.train.sampleShape, s.train.numClasses);
        TrainingWorker w(std::make_unique<Trainer>(m, s, c));
        w.start(false);
        w.wait();
        const TrainResult& res = w.result();
        QCOMPARE(res.status, TrainStatus::EarlyStopped);
        QVERIFY(res.bestEpoch < res.epochs);
        std::map<int, std::vector<float>> firstParamAt;
        std::shared_ptr<const TrainerCheckpoint> last;
        std::vector<float> lastEpochParam;
        for (auto& e : w.channel().drain()) {
            if (e.type == TrainEvent::Type::Epoch) {
                firstParamAt[e.epoch.epoch] = e.params.at(0).toVector();
                lastEpochParam = e.params.at(0).toVector();
            }
            if (e.type == TrainEvent::Type::Finished) {
                QVERIFY(e.checkpoint);
                QCOMPARE(e.checkpoint->params.size(), e.params.size());
                QCOMPARE(e.checkpoint->params[0].toVector(), e.params[0].toVector());
                last = e.checkpoint;
            }
        }
        QVERIFY(last);
        QCOMPARE(last->params[0].toVector(), firstParamAt.at(res.bestEpoch));
        QVERIFY(last->params[0].toVector() != lastEpochParam);
    }

    // A single step and a pause report carry the whole state too (for saving
    // while paused mid-epoch).
    void stepEventsCarryTheState()
    {
        Rig r;
        r.worker->start(true);
        r.worker->stepOnce();
        QTRY_COMPARE(r.gate.count(), 1);
        std::shared_ptr<const TrainerCheckpoint> state;
        for (int i = 0; i < 100 && !state; ++i) {
            for (auto& e : r.worker->channel().drain())
                if (e.type == TrainEvent::Type::Step && e.checkpoint) state = e.checkpoint;
            if (!state) std::this_thread::sleep_for(10ms);
        }
        QVERIFY(state);
        QCOMPARE(state->steps, int64_t(1));
        QCOMPARE(state->params.size(), r.model.parameters().size());
    }
};

QTEST_MAIN(TrainingWorkerTest)
#include "tst_training_worker.moc"
