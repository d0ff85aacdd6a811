// The run recorder (writer thread, batches, training never waits) and rewind and
// branch: a checkpoint stored at an epoch boundary, restored into a fresh trainer
// with the same seed, continues exactly as the original run did.
#include <QtTest/QtTest>

#include <QTemporaryDir>

#include <chrono>
#include <map>

#include <sqlite3.h>

#include "engine/core/error.h"
#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/store/run_recorder.h"
#include "engine/store/run_store.h"
#include "engine/store/sqlite.h"
#include "engine/train/trainer.h"

using namespace nn;
using namespace nn::store;

namespace {

ModelSpec spiralSpec()
{
    return ModelSpec::fromString(R"({"name": "spiral-mlp", "input": {"shape": [2]},
        "layers": [{"id": "h1", "type": "dense", "units": 16, "activation": "tanh"},
                   {"id": "h2", "type": "dense", "units": 16, "activation": "tanh"},
                   {"id": "out", "type": "dense", "units": 2}],
        "loss": "softmax_cross_entropy"})");
}

data::Split spiral()
{
    data::SourceOptions o;
    o.twoD.points = 300;
    return data::loadSource("spiral", o);
}

TrainConfig config(const std::string& optimizer = "adam")
{
    TrainConfig c;
    c.epochs = 6;
    c.batch = 10;
    c.lr = 0.03f;
    c.optimizer.kind = optimizer;
    c.seed = 3;
    return c;
}

std::vector<std::vector<float>> values(const std::vector<Tensor>& ts)
{
    std::vector<std::vector<float>> out;
    for (const auto& t : ts) out.push_back(t.toVector());
    return out;
}

// A full disk, simulated: every SQLite connection opened while gMaxPages > 0 may
// hold at most that many pages (PRAGMA max_page_count), so writes past it fail
// with SQLITE_FULL, "database or disk is full".
int gMaxPages = 0;
int limitPages(sqlite3* db, char**, const sqlite3_api_routines*)
{
    if (gMaxPages > 0)
        sqlite3_exec(db, ("PRAGMA max_page_count = " + std::to_string(gMaxPages)).c_str(), nullptr, nullptr, nullptr);
    return SQLITE_OK;
}

} // namespace

class StoreRecorderTest : public QObject {
    Q_OBJECT
private slots:
    void recordsATrainingRun();
    void loggingNeverWaitsOnTheDisk();
    void unfinishedRecorderEndsCancelled();
    void restoredCheckpointContinuesTheRunExactly_data();
    void restoredCheckpointContinuesTheRunExactly();
    void restoreRejectsAMismatch();
    void branchStopsWhereItsParentStopped();
    void fullDiskNeverRecordsCompleted();
};

void StoreRecorderTest::recordsATrainingRun()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/runs.sqlite").toStdString();
    const data::Split d = spiral();
    Model model(spiralSpec(), d.train.sampleShape, d.train.numClasses);
    Trainer trainer(model, d, config());
    NewRun run;
    run.name = "recorded";
    run.spec = model.spec().toJson();
    run.dataset = "spiral";
    RunRecorder rec(path, run, std::chrono::milliseconds(20));
    rec.snapshot(trainer.checkpoint());
    trainer.recordStep = [&](const StepMetrics& m) { rec.step(m); };
    trainer.recordEpoch = [&](const EpochMetrics& m) {
        rec.epoch(m);
        if (m.epoch % 2 == 0) rec.snapshot(trainer.checkpoint());
    };
    trainer.run();
    rec.finish(statusName(trainer.result().status), trainer.result().message, trainer.result().seconds);
    QVERIFY2(rec.error().empty(), rec.error().c_str());

    RunStore s(path, OpenMode::ReadOnly);
    const RunInfo r = s.run(rec.runId());
    QCOMPARE(QString::fromStdString(r.status), QString("completed"));
    QCOMPARE(r.epochs, 6);
    QCOMPARE(r.steps, trainer.result().steps);
    QCOMPARE(int64_t(s.steps(r.id).size()), trainer.result().steps);  // every step
    const auto epochs = s.epochs(r.id);
    QCOMPARE(epochs.size(), size_t(6));
    QCOMPARE(epochs.back().valAccuracy, trainer.result().last.valAccuracy);
    QCOMPARE(epochs.back().trainLoss, trainer.result().last.trainLoss);
    std::vector<int> snapEpochs;
    for (const auto& i : s.snapshots(r.id)) snapEpochs.push_back(i.epoch);
    QCOMPARE(snapEpochs, std::vector<int>({0, 2, 4, 6}));
    QCOMPARE(values(s.loadSnapshot(r.id, trainer.result().steps).params), values(trainer.parameterSnapshot()));
}

void StoreRecorderTest::loggingNeverWaitsOnTheDisk()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/fast.sqlite").toStdString();
    RunRecorder rec(path, NewRun {});
    // Hold the database's write lock from another connection: the writer thread
    // blocks on it, and logging still returns at once.
    sql::Db lock(path, 0x00000002 /* SQLITE_OPEN_READWRITE */);
    lock.exec("BEGIN IMMEDIATE");
    {
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 1; i <= 200000; ++i) rec.step({i, 0, 0.5, 0.1f});
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        QVERIFY2(seconds < 0.5, qPrintable(QString("200k step() calls took %1 s").arg(seconds)));
    }
    QCOMPARE(rec.rowsWritten(), int64_t(0));  // still waiting for the lock
    lock.exec("COMMIT");
    rec.flush();
    QVERIFY2(rec.error().empty(), rec.error().c_str());
    QCOMPARE(rec.rowsWritten(), int64_t(200000));
    RunStore other(path, OpenMode::ReadOnly);
    QCOMPARE(other.steps(rec.runId()).size(), size_t(200000));
}

void StoreRecorderTest::unfinishedRecorderEndsCancelled()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/c.sqlite").toStdString();
    int64_t id = 0;
    {
        RunRecorder rec(path, NewRun {});
        id = rec.runId();
        rec.epoch({1, 0.5, 0.5, 0.5, 0.5, 0.1f, 10, 0.1});
    }
    RunStore s(path);
    QCOMPARE(QString::fromStdString(s.run(id).status), QString("cancelled"));
    QCOMPARE(s.epochs(id).size(), size_t(1));
}

void StoreRecorderTest::restoredCheckpointContinuesTheRunExactly_data()
{
    QTest::addColumn<QString>("optimizer");
    QTest::newRow("adam") << "adam";
    QTest::newRow("momentum") << "momentum";
    QTest::newRow("sgd") << "sgd";
}

void StoreRecorderTest::restoredCheckpointContinuesTheRunExactly()
{
    QFETCH(QString, optimizer);
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/branch.sqlite").toStdString();
    const data::Split d = spiral();
    int64_t runId = 0, step2 = 0;
    std::vector<std::vector<float>> finalParams;
    EpochMetrics finalEpoch;
    {
        Model model(spiralSpec(), d.train.sampleShape, d.train.numClasses);
        Trainer trainer(model, d, config(optimizer.toStdString()));
        RunStore s(path);
        runId = s.createRun(NewRun {});
        trainer.recordEpoch = [&](const EpochMetrics& m) {
            if (m.epoch == 2) {
                s.addSnapshot(runId, trainer.checkpoint());  // store through the file, not memory
                step2 = m.steps;
            }
        };
        trainer.run();
        finalParams = values(trainer.parameterSnapshot());
        finalEpoch = trainer.result().last;
    }
    RunStore s(path, OpenMode::ReadOnly);
    const TrainerCheckpoint c = s.loadSnapshot(runId, step2);
    QCOMPARE(c.epochs, 2);
    Model model(spiralSpec(), d.train.sampleShape, d.train.numClasses);
    Trainer branch(model, d, config(optimizer.toStdString()));
    branch.restore(c);
    QCOMPARE(branch.result().steps, step2);
    std::vector<int> epochsSeen;
    branch.recordEpoch = [&](const EpochMetrics& m) { epochsSeen.push_back(m.epoch); };
    branch.run();
    QCOMPARE(epochsSeen, std::vector<int>({3, 4, 5, 6}));
    QCOMPARE(branch.result().steps, int64_t(finalEpoch.steps));
    QCOMPARE(branch.result().last.trainLoss, finalEpoch.trainLoss);  // bit for bit
    QCOMPARE(branch.result().last.valAccuracy, finalEpoch.valAccuracy);
    QCOMPARE(values(branch.parameterSnapshot()), finalParams);
}

void StoreRecorderTest::restoreRejectsAMismatch()
{
    const data::Split d = spiral();
    Model model(spiralSpec(), d.train.sampleShape, d.train.numClasses);
    Trainer trainer(model, d, config());
    TrainerCheckpoint c = trainer.checkpoint();
    c.params.pop_back();
    QVERIFY_THROWS_EXCEPTION(Error, Trainer(model, d, config()).restore(c));
    TrainerCheckpoint late = trainer.checkpoint();
    late.epochs = 6;  // the run has only 6 epochs
    try {
        Trainer(model, d, config()).restore(late);
        QFAIL("restored past the end");
    } catch (const Error& e) {
        QVERIFY(QString(e.what()).contains("more than 6 epochs"));
    }
    trainer.step();
    QVERIFY_THROWS_EXCEPTION(Error, trainer.restore(trainer.checkpoint()));
}

// A branch carries early stopping's state (best loss, best epoch, epochs since,
// the best epoch's weights): with nothing changed it stops at the parent's epoch
// with the parent's restored weights. It used to start tracking afresh and run on.
void StoreRecorderTest::branchStopsWhereItsParentStopped()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/stop.sqlite").toStdString();
    const data::Split d = spiral();
    TrainConfig c = config();
    c.epochs = 300;
    c.patience = 2;
    int64_t runId = 0;
    std::map<int, int64_t> stepAfter;  // epoch -> step of its snapshot
    TrainResult parent;
    std::vector<std::vector<float>> parentParams;
    {
        Model model(spiralSpec(), d.train.sampleShape, d.train.numClasses);
        Trainer trainer(model, d, c);
        RunStore s(path);
        runId = s.createRun(NewRun {});
        trainer.recordEpoch = [&](const EpochMetrics& m) {
            s.addSnapshot(runId, trainer.checkpoint());  // through the file, as a branch reads it
            stepAfter[m.epoch] = m.steps;
        };
        trainer.run();
        parent = trainer.result();
        parentParams = values(trainer.parameterSnapshot());
    }
    QCOMPARE(parent.status, TrainStatus::EarlyStopped);
    const int stopped = parent.epochs, best = parent.bestEpoch;
    QCOMPARE(stopped, best + 2);
    RunStore s(path, OpenMode::ReadOnly);
    // From the epoch before the stop, and from the stopping epoch itself (at once).
    for (int from : {stopped - 1, stopped}) {
        const TrainerCheckpoint cp = s.loadSnapshot(runId, stepAfter[from]);
        QVERIFY(cp.earlyStop.tracking);
        QCOMPARE(cp.earlyStop.bestEpoch, best);
        Model model(spiralSpec(), d.train.sampleShape, d.train.numClasses);
        Trainer branch(model, d, c);
        branch.restore(cp);
        branch.run();
        const TrainResult& r = branch.result();
        QCOMPARE(r.status, TrainStatus::EarlyStopped);
        QCOMPARE(r.epochs, stopped);
        QCOMPARE(r.bestEpoch, best);
        QCOMPARE(r.message, parent.message);
        QCOMPARE(values(branch.parameterSnapshot()), parentParams);  // the best epoch's, bit for bit
        QCOMPARE(r.last.valLoss, parent.last.valLoss);
        QCOMPARE(r.last.trainLoss, parent.last.trainLoss);
        QCOMPARE(r.testAccuracy, parent.testAccuracy);
    }
    // A larger patience goes on past the parent's stop, still counting from its best epoch.
    TrainConfig patient = c;
    patient.patience = 4;
    Model model(spiralSpec(), d.train.sampleShape, d.train.numClasses);
    Trainer branch(model, d, patient);
    branch.restore(s.loadSnapshot(runId, stepAfter[stopped]));
    branch.run();
    QVERIFY(branch.result().epochs > stopped);
    QVERIFY(branch.result().epochs <= best + 4 || branch.result().bestEpoch > best);
}

// A store that cannot be written (here: full, as a full disk) leaves the run
// "interrupted" with a message naming the file and the cause, never "completed"
// over the epochs that happened to fit.
void StoreRecorderTest::fullDiskNeverRecordsCompleted()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/full.sqlite").toStdString();
    int pages = 0;
    {
        RunStore s(path);  // the schema
        sql::Db db(path, 0x00000002 /* SQLITE_OPEN_READWRITE */);
        pages = int(db.scalar("PRAGMA page_count"));
    }
    gMaxPages = pages + 4;  // room for the run row and an epoch or so, not for 20 epochs of snapshots
    sqlite3_auto_extension(reinterpret_cast<void (*)()>(limitPages));
    const data::Split d = spiral();
    TrainConfig c = config();
    c.epochs = 20;
    Model model(spiralSpec(), d.train.sampleShape, d.train.numClasses);
    Trainer trainer(model, d, c);
    int64_t id = 0;
    std::string error;
    int written = -1;
    {
        RunRecorder rec(path, NewRun {}, std::chrono::milliseconds(5));
        id = rec.runId();
        trainer.recordStep = [&](const StepMetrics& m) { rec.step(m); };
        trainer.recordEpoch = [&](const EpochMetrics& m) {
            rec.epoch(m);
            rec.snapshot(trainer.checkpoint());
            rec.flush();  // one epoch per transaction, as a slow run would commit them
        };
        trainer.run();
        QCOMPARE(trainer.result().status, TrainStatus::Completed);
        rec.finish(statusName(trainer.result().status), "", trainer.result().seconds);
        error = rec.error();
        written = rec.epochsWritten();
    }
    sqlite3_reset_auto_extension();
    gMaxPages = 0;
    QVERIFY2(QString::fromStdString(error).contains("full"), error.c_str());
    QVERIFY2(QString::fromStdString(error).contains(QString::fromStdString(path)), error.c_str());
    RunStore s(path, OpenMode::ReadOnly);
    const RunInfo r = s.run(id);
    QCOMPARE(QString::fromStdString(r.status), QString("interrupted"));
    const QString msg = QString::fromStdString(r.message);
    QVERIFY2(msg.contains(QString::fromStdString(path)) && msg.contains("full") && msg.contains("completed"), qPrintable(msg));
    QVERIFY(written < 20);
    QCOMPARE(int(s.epochs(id).size()), written);  // a clean prefix: no epochs after the failure
    QVERIFY2(written == 0 ? msg.contains("no epochs") : msg.contains("epochs 1-" + QString::number(written)), qPrintable(msg));
}

QTEST_GUILESS_MAIN(StoreRecorderTest)
#include "tst_store_recorder.moc"
