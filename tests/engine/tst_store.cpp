// The run store's file handling: a new file's schema and pragmas, the migrations
// of files built by hand as versions 1 and 2 wrote them, compression stages kept
// with their run, refusing files that are
// not ours / newer / damaged without changing a byte, transactions, branch links,
// and runs left "running" by a dead process coming back as interrupted.
#include <QtTest/QtTest>

#include <sys/wait.h>
#include <unistd.h>

#include <QCryptographicHash>
#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

#include <sys/stat.h>

#include <clocale>
#include <cmath>

#include "engine/compress/pipeline.h"
#include "engine/core/error.h"
#include "engine/core/utf8.h"
#include "engine/store/run_store.h"
#include "engine/store/sqlite.h"

using namespace nn;
using namespace nn::store;

namespace {

// The schema exactly as version 1 wrote it (kept here on purpose: the test must not
// follow later edits of the engine's copy).
const char* kV1 = R"sql(
CREATE TABLE runs(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL,
  model_name TEXT NOT NULL DEFAULT '', spec TEXT NOT NULL, hyper TEXT NOT NULL,
  dataset TEXT NOT NULL, dataset_params TEXT NOT NULL DEFAULT '{}', seed INTEGER NOT NULL,
  device TEXT NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL DEFAULT '',
  parent_id INTEGER REFERENCES runs(id) ON DELETE SET NULL, parent_step INTEGER);
CREATE INDEX runs_parent ON runs(parent_id);
CREATE TABLE epoch_metrics(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL, step INTEGER NOT NULL,
  train_loss REAL, train_accuracy REAL, val_loss REAL, val_accuracy REAL, lr REAL, seconds REAL,
  PRIMARY KEY(run_id, epoch)) WITHOUT ROWID;
CREATE TABLE step_metrics(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL, epoch INTEGER NOT NULL, loss REAL, lr REAL,
  PRIMARY KEY(run_id, step)) WITHOUT ROWID;
CREATE TABLE snapshots(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step INTEGER NOT NULL, epoch INTEGER NOT NULL, has_optimizer INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY(run_id, step));
CREATE TABLE timings(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name TEXT NOT NULL, seconds REAL NOT NULL, calls INTEGER NOT NULL DEFAULT 0,
  flops REAL NOT NULL DEFAULT 0, bytes REAL NOT NULL DEFAULT 0,
  PRIMARY KEY(run_id, name));
PRAGMA application_id = 1313755988;  -- 0x4E4E5354, "NNST"
PRAGMA user_version = 1;
INSERT INTO runs(id, name, created, model_name, spec, hyper, dataset, seed, device, status)
  VALUES (1, 'old run', 1700000000, 'spiral-mlp', '{"name":"spiral-mlp","layers":[]}', '{"lr":0.03}', 'spiral', 1, 'cpu', 'completed'),
         (2, 'old crash', 1700000100, 'spiral-mlp', '{"name":"spiral-mlp","layers":[]}', '{"lr":0.1}', 'spiral', 2, 'cpu', 'running');
INSERT INTO epoch_metrics VALUES (1, 1, 35, 0.9, 0.50, 0.95, 0.55, 0.03, 0.1),
                                 (1, 2, 70, 0.5, 0.80, 0.60, 0.85, 0.03, 0.2),
                                 (1, 3, 105, 0.3, 0.90, 0.40, 0.83, 0.03, 0.3);
INSERT INTO step_metrics VALUES (1, 10, 0, 1.0, 0.03), (1, 110, 3, 0.2, 0.03);
)sql";

// What version 2 added (kept here for the same reason).
const char* kV1toV2 = R"sql(
ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN ended REAL;
ALTER TABLE runs ADD COLUMN epochs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN steps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN best_accuracy REAL;
ALTER TABLE runs ADD COLUMN seconds REAL NOT NULL DEFAULT 0;
UPDATE runs SET status = 'interrupted' WHERE status = 'running';
CREATE INDEX runs_created ON runs(created);
PRAGMA user_version = 2;
)sql";

// A stage report as the pipeline makes it: two layers, histograms, Huffman rows.
compress::StageResult sampleStage(int step)
{
    compress::StageResult r;
    r.step = step;
    r.kind = step ? "huffman" : "dense";
    r.text = r.kind;
    r.testAccuracy = 0.91;
    r.testLoss = 0.25;
    r.accuracyChange = -0.004;
    r.bits = {{"dense", 20000}, {"huffman", 900}};
    r.bestFormat = "huffman";
    r.ratio = 20000.0 / 900.0;
    r.seconds = 1.5;
    r.stageSeconds = 0.25;
    r.inferenceMs = 3.5;
    for (const char* name : {"h1.weight", "out.weight"}) {
        compress::LayerReport l;
        l.name = name;
        l.shape = {16, 2};
        l.weights = 32;
        l.zeros = 16;
        l.sparsity = 0.5;
        l.distinctNonzero = 4;
        l.codebookBits = 3;
        l.bits = {{"dense", 1024}, {"huffman", 300}};
        l.histogram = {-1.5f, 1.5f, {1, 2, 20, 3, 6}, 16};
        l.huffmanIndices = {{1, 10, "0"}, {2, 5, "10"}, {3, 1, "11"}};
        l.huffmanGaps = {{0, 12, "1"}, {15, 4, "0"}};
        r.layers.push_back(l);
    }
    return r;
}

QByteArray fileBytes(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.readAll();
}

struct FileState {
    QByteArray bytes;
    QDateTime modified;
    bool operator==(const FileState& o) const { return bytes == o.bytes && modified == o.modified; }
};
FileState state(const QString& path) { return {fileBytes(path), QFileInfo(path).lastModified()}; }

NewRun sampleRun(const std::string& name = "run")
{
    NewRun r;
    r.name = name;
    r.spec = {{"name", "spiral-mlp"},
              {"input", {{"shape", {2}}}},
              {"layers", {{{"id", "h1"}, {"type", "dense"}, {"units", 16}, {"activation", "tanh"}}}},
              {"loss", "softmax_cross_entropy"}};
    r.hyper = {{"epochs", 10}, {"lr", 0.03}, {"optimizer", "adam"}};
    r.dataset = "spiral";
    r.datasetParams = {{"points", 500}};
    r.seed = 7;
    return r;
}

EpochMetrics epoch(int e, double valAcc)
{
    EpochMetrics m;
    m.epoch = e;
    m.steps = e * 35;
    m.trainLoss = 1.0 / e;
    m.trainAccuracy = 0.5;
    m.valLoss = 1.0;
    m.valAccuracy = valAcc;
    m.lr = 0.03f;
    m.seconds = 0.01 * e;
    return m;
}

// The error `fn` throws, or "" when it does not.
template <class F> QString errorOf(F fn)
{
    try {
        fn();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class StoreTest : public QObject {
    Q_OBJECT
private slots:
    void newFileHasSchemaAndPragmas();
    void writesAndReadsARun();
    void migratesAVersion1File();
    void migratesAVersion2File();
    void compressionStagesRoundTrip();
    void failedMigrationChangesNothing();
    void refusesForeignFiles();
    void refusesANewerFile();
    void refusesADamagedFile();
    void writesAreTransactions();
    void branchesLinkToTheirParent();
    void deadWritersRunsAreInterrupted();
    void readOnlyReportsInterruptedWithoutWriting();
    void snapshotsRoundTripAndRejectDamage();
    void hyperparametersKeepEveryDigit();
    void csvExportIgnoresTheLocale();
    void textIsAlwaysStoredAndReadAsUtf8();
    void unwritableHistoryOpensReadOnly();
};

void StoreTest::newFileHasSchemaAndPragmas()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/sub/folder/runs.sqlite").toStdString();  // folders created
    {
        RunStore s(path);
        QCOMPARE(s.foundVersion(), 0);
        QCOMPARE(s.runCount(), int64_t(0));
        QCOMPARE(QString::fromStdString(s.integrityCheck()), QString("ok"));
    }
    sql::Db db(path, 0x00000002 /* SQLITE_OPEN_READWRITE */);
    QCOMPARE(db.scalar("PRAGMA user_version"), int64_t(kSchemaVersion));
    QCOMPARE(db.scalar("PRAGMA application_id"), int64_t(kApplicationId));
    sql::Stmt j(db, "PRAGMA journal_mode");
    QVERIFY(j.step());
    QCOMPARE(QString::fromStdString(j.text(0)), QString("wal"));
    // Reopening an up-to-date file migrates nothing.
    RunStore again(path);
    QCOMPARE(again.foundVersion(), kSchemaVersion);
}

void StoreTest::writesAndReadsARun()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/runs.sqlite").toStdString();
    RunStore s(path);
    const int64_t id = s.createRun(sampleRun("first"));
    std::vector<StepMetrics> steps;
    for (int i = 1; i <= 100; ++i) steps.push_back({i, (i - 1) / 35, 1.0 / i, 0.03f});
    s.addMetrics(id, steps, {epoch(1, 0.6), epoch(2, 0.8), epoch(3, 0.7)});
    s.addTimings(id, {{"train", 1.5, 100, 0, 0}});
    s.finishRun(id, "completed", "", 1.5);
    s.setNotes(id, "lr too high?");

    const RunInfo r = s.run(id);
    QCOMPARE(QString::fromStdString(r.name), QString("first"));
    QCOMPARE(QString::fromStdString(r.status), QString("completed"));
    QCOMPARE(QString::fromStdString(r.modelName), QString("spiral-mlp"));
    QCOMPARE(QString::fromStdString(r.notes), QString("lr too high?"));
    QCOMPARE(r.seed, uint64_t(7));
    QCOMPARE(r.epochs, 3);
    QCOMPARE(r.steps, int64_t(105));
    QCOMPARE(r.bestAccuracy, 0.8);
    QCOMPARE(r.seconds, 1.5);
    QVERIFY(r.ended >= r.created && r.created > 1.6e9);
    QCOMPARE(r.hyper["lr"].get<double>(), 0.03);
    QCOMPARE(r.spec["layers"][0]["id"].get<std::string>(), std::string("h1"));
    QCOMPARE(s.steps(id).size(), size_t(100));
    QCOMPARE(s.steps(id)[41].loss, 1.0 / 42);
    const auto e = s.epochs(id);
    QCOMPARE(e.size(), size_t(3));
    QCOMPARE(e[1].valAccuracy, 0.8);
    QCOMPARE(e[2].steps, int64_t(105));
    QCOMPARE(s.timings(id).size(), size_t(1));
    QCOMPARE(s.resolve("first"), id);
    QCOMPARE(s.resolve(std::to_string(id)), id);
    QVERIFY(errorOf([&] { s.resolve("nope"); }).contains("no run 'nope'"));
    s.createRun(sampleRun("first"));
    QVERIFY(errorOf([&] { s.resolve("first"); }).contains("several runs"));
    QVERIFY(errorOf([&] { s.finishRun(id, "exploded", "", 0); }).contains("not a final run status"));
    QCOMPARE(s.list().size(), size_t(2));
    QCOMPARE(s.list().front().id, id + 1);  // newest first
    // NaN (no validation set) is stored as NULL and read back as NaN.
    EpochMetrics noVal = epoch(4, std::nan(""));
    s.addMetrics(id, {}, {noVal});
    QVERIFY(std::isnan(s.epochs(id).back().valAccuracy));
    QCOMPARE(s.run(id).bestAccuracy, 0.8);
}

void StoreTest::migratesAVersion1File()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/v1.sqlite").toStdString();
    {
        sql::Db db(path, 0x00000002 | 0x00000004);  // READWRITE | CREATE
        db.exec(kV1);
    }
    RunStore s(path);
    QCOMPARE(s.foundVersion(), 1);
    {
        sql::Db db(path, 0x00000001);  // READONLY
        QCOMPARE(db.scalar("PRAGMA user_version"), int64_t(kSchemaVersion));
    }
    const RunInfo old = s.run(1);
    QCOMPARE(QString::fromStdString(old.name), QString("old run"));
    QCOMPARE(old.epochs, 3);               // summary columns backfilled from the metrics
    QCOMPARE(old.steps, int64_t(110));
    QCOMPARE(old.bestAccuracy, 0.85);
    QCOMPARE(old.seconds, 0.3);
    QCOMPARE(QString::fromStdString(old.notes), QString());
    QCOMPARE(s.epochs(1).size(), size_t(3));
    QCOMPARE(s.steps(1).size(), size_t(2));
    // v1 could not tell a live writer from a dead one: its running run is interrupted.
    QCOMPARE(QString::fromStdString(s.run(2).status), QString("interrupted"));
    // The new columns work, and new runs go on from the old ids.
    s.setNotes(1, "from the old days");
    QCOMPARE(QString::fromStdString(s.run(1).notes), QString("from the old days"));
    QCOMPARE(s.createRun(sampleRun()), int64_t(3));
    QCOMPARE(QString::fromStdString(s.integrityCheck()), QString("ok"));
}

void StoreTest::migratesAVersion2File()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/v2.sqlite").toStdString();
    {
        sql::Db db(path, 0x00000002 | 0x00000004);
        db.exec(kV1);
        db.exec(kV1toV2);
        QCOMPARE(db.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'compress_stages'"), int64_t(0));
    }
    RunStore s(path);
    QCOMPARE(s.foundVersion(), 2);
    {
        sql::Db db(path, 0x00000001);
        QCOMPARE(db.scalar("PRAGMA user_version"), int64_t(3));
        QCOMPARE(db.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'compress_stages'"), int64_t(1));
    }
    QCOMPARE(QString::fromStdString(s.run(1).name), QString("old run"));
    QCOMPARE(s.epochs(1).size(), size_t(3));
    QVERIFY(s.stages(1).empty());
    s.addStage(1, compress::toJson(sampleStage(0)));  // an old run can take stages
    QCOMPARE(s.stages(1).size(), size_t(1));
    QCOMPARE(QString::fromStdString(s.integrityCheck()), QString("ok"));
}

void StoreTest::compressionStagesRoundTrip()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/stages.sqlite").toStdString();
    int64_t id = 0;
    const nlohmann::json dense = compress::toJson(sampleStage(0)), huffman = compress::toJson(sampleStage(1));
    {
        RunStore s(path);
        id = s.createRun(sampleRun("compress"));
        s.addStage(id, huffman);  // out of order: read back by step
        s.addStage(id, dense);
        nlohmann::json bad = dense;
        bad.erase("ratio");
        QVERIFY(errorOf([&] { s.addStage(id, bad); }).contains("\"ratio\""));
        bad = dense;
        bad["best_format"] = "codebook";
        QVERIFY(errorOf([&] { s.addStage(id, bad); }).contains("codebook"));
    }
    RunStore s(path, OpenMode::ReadOnly);
    const auto stages = s.stages(id);
    QCOMPARE(stages.size(), size_t(2));
    QCOMPARE(stages[0].step, 0);
    QCOMPARE(stages[1].step, 1);
    QCOMPARE(QString::fromStdString(stages[1].kind), QString("huffman"));
    QCOMPARE(stages[1].testAccuracy, 0.91);
    QCOMPARE(stages[1].ratio, 20000.0 / 900.0);
    QCOMPARE(stages[1].bits, int64_t(900));
    // The whole report comes back: stageFromJson(record) writes the same JSON.
    QCOMPARE(QString::fromStdString(compress::toJson(compress::stageFromJson(stages[1].record)).dump()),
             QString::fromStdString(huffman.dump()));
    const compress::StageResult back = compress::stageFromJson(stages[1].record);
    QCOMPARE(back.layers[1].huffmanIndices[1].code, std::string("10"));
    QCOMPARE(back.layers[0].histogram.counts[2], uint32_t(20));
    QCOMPARE(back.inferenceMs, 3.5);
    {
        RunStore w(path);
        nlohmann::json again = huffman;
        again["test_accuracy"] = 0.5;
        w.addStage(id, again);  // the same step replaces
        QCOMPARE(w.stages(id).size(), size_t(2));
        QCOMPARE(w.stages(id)[1].testAccuracy, 0.5);
        w.deleteRun(id);  // the stages go with their run
        sql::Db db(path, 0x00000001);
        QCOMPARE(db.scalar("SELECT COUNT(*) FROM compress_stages"), int64_t(0));
    }
}

void StoreTest::failedMigrationChangesNothing()
{
    // A v1 file someone edited by hand so that the migration cannot apply: the
    // migration is one transaction, so the file stays a consistent v1 file.
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/v1.sqlite").toStdString();
    {
        sql::Db db(path, 0x00000002 | 0x00000004);
        db.exec(kV1);
        db.exec("CREATE TABLE runs_created_clash(x); CREATE INDEX runs_created ON runs_created_clash(x);");
    }
    const QString err = errorOf([&] { RunStore s(path); });
    QVERIFY2(err.contains("runs_created"), qPrintable(err));
    sql::Db db(path, 0x00000001);
    QCOMPARE(db.scalar("PRAGMA user_version"), int64_t(1));
    QCOMPARE(db.scalar("SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name = 'notes'"), int64_t(0));
    QCOMPARE(db.scalar("SELECT COUNT(*) FROM runs WHERE status = 'running'"), int64_t(1));
}

void StoreTest::refusesForeignFiles()
{
    QTemporaryDir dir;
    // Not SQLite at all.
    const QString text = dir.path() + "/notes.txt";
    {
        QFile f(text);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray("these are my lecture notes, not a database\n").repeated(40));
    }
    // Another program's SQLite database.
    const QString other = dir.path() + "/other.sqlite";
    {
        sql::Db db(other.toStdString(), 0x00000002 | 0x00000004);
        db.exec("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'Ada');");
    }
    for (const QString& path : {text, other}) {
        const FileState before = state(path);
        QTest::qWait(20);  // an mtime change would show
        const QString err = errorOf([&] { RunStore s(path.toStdString()); });
        QVERIFY2(err.contains("is not an NN Studio run history"), qPrintable(err));
        QVERIFY2(err.contains(path), qPrintable(err));
        QVERIFY2(err.contains("left untouched") && err.contains("another file"), qPrintable(err));
        QVERIFY(state(path) == before);
        QVERIFY(!QFile::exists(path + "-wal"));
        // Read-only opening refuses it the same way.
        QVERIFY(errorOf([&] { RunStore s(path.toStdString(), OpenMode::ReadOnly); }).contains("not an NN Studio"));
        QVERIFY(state(path) == before);
    }
    QVERIFY(errorOf([&] { RunStore s(other.toStdString()); }).contains("tables customers"));
    // A folder, and a missing file read-only.
    QVERIFY(errorOf([&] { RunStore s(dir.path().toStdString()); }).contains("is a folder"));
    const QString missing = dir.path() + "/missing.sqlite";
    QVERIFY(errorOf([&] { RunStore s(missing.toStdString(), OpenMode::ReadOnly); }).contains("no run history at"));
    QVERIFY(!QFile::exists(missing));
}

void StoreTest::refusesANewerFile()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/future.sqlite").toStdString();
    {
        RunStore s(path);
        s.createRun(sampleRun());
    }
    {
        sql::Db db(path, 0x00000002);
        db.exec("PRAGMA user_version = 7");
        db.exec("PRAGMA journal_mode = DELETE");  // leave one self-contained file
    }
    const QString qpath = QString::fromStdString(path);
    const FileState before = state(qpath);
    QTest::qWait(20);
    const QString err = errorOf([&] { RunStore s(path); });
    QVERIFY2(err.contains(QString("schema version 7, newer than this build understands (%1)").arg(kSchemaVersion)), qPrintable(err));
    QVERIFY2(err.contains(qpath) && err.contains("newer NN Studio"), qPrintable(err));
    QVERIFY(state(qpath) == before);
}

void StoreTest::refusesADamagedFile()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/damaged.sqlite").toStdString();
    {
        RunStore s(path);
        const int64_t id = s.createRun(sampleRun());
        std::vector<StepMetrics> steps;
        for (int i = 1; i <= 5000; ++i) steps.push_back({i, 0, 1.0, 0.1f});
        s.addMetrics(id, steps, {});
    }
    {
        sql::Db db(path, 0x00000002);
        db.exec("PRAGMA journal_mode = DELETE");
    }
    const QString qpath = QString::fromStdString(path);
    // Scribble over the schema page's b-tree (after the 100-byte file header).
    {
        QFile f(qpath);
        QVERIFY(f.open(QIODevice::ReadWrite));
        f.seek(100);
        f.write(QByteArray(400, '\x5a'));
    }
    const FileState before = state(qpath);
    QTest::qWait(20);
    const QString err = errorOf([&] { RunStore s(path); });
    QVERIFY2(err.contains("is damaged") && err.contains(qpath) && err.contains(".recover"), qPrintable(err));
    QVERIFY(state(qpath) == before);
    // A file cut short.
    const QString cut = dir.path() + "/cut.sqlite";
    {
        QFile f(cut);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(fileBytes(qpath).left(200));
    }
    QVERIFY(errorOf([&] { RunStore s(cut.toStdString()); }).contains("is damaged"));
}

void StoreTest::writesAreTransactions()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/tx.sqlite").toStdString();
    RunStore s(path);
    const int64_t id = s.createRun(sampleRun());
    // A batch whose last row is refused (a trigger stands in for a full disk) leaves
    // none of its rows behind, and the run's summary untouched.
    {
        sql::Db db(path, 0x00000002);
        db.exec("CREATE TRIGGER refuse_13 BEFORE INSERT ON epoch_metrics WHEN NEW.epoch = 13 "
                "BEGIN SELECT RAISE(ABORT, 'epoch 13 refused'); END");
    }
    std::vector<StepMetrics> steps;
    for (int i = 1; i <= 50; ++i) steps.push_back({i, 0, 1.0, 0.1f});
    const QString err = errorOf([&] { s.addMetrics(id, steps, {epoch(12, 0.5), epoch(13, 0.6)}); });
    QVERIFY2(err.contains("epoch 13 refused"), qPrintable(err));
    QCOMPARE(s.steps(id).size(), size_t(0));
    QCOMPARE(s.epochs(id).size(), size_t(0));
    QCOMPARE(s.run(id).epochs, 0);
    QVERIFY(!errorOf([&] { s.addMetrics(id + 100, steps, {}); }).isEmpty());  // no such run: foreign key
    // A branch of a run that does not exist is refused and creates nothing.
    NewRun orphan = sampleRun();
    orphan.parentId = 999;
    orphan.parentStep = 0;
    QVERIFY(errorOf([&] { s.createRun(orphan); }).contains("no run 999"));
    QCOMPARE(s.runCount(), int64_t(1));
    // A second connection never sees half a batch: readers see before or after.
    RunStore reader(path, OpenMode::ReadOnly);
    s.addMetrics(id, steps, {epoch(1, 0.5)});
    QCOMPARE(reader.steps(id).size(), size_t(50));
    QCOMPARE(reader.epochs(id).size(), size_t(1));
    QCOMPARE(reader.run(id).epochs, 1);
}

void StoreTest::branchesLinkToTheirParent()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/tree.sqlite").toStdString();
    RunStore s(path);
    const int64_t parent = s.createRun(sampleRun("parent"));
    NewRun b = sampleRun("child");
    b.parentId = parent;
    b.parentStep = 70;
    const int64_t child = s.createRun(b);
    b.name = "grandchild";
    b.parentId = child;
    b.parentStep = 105;
    const int64_t grandchild = s.createRun(b);
    QCOMPARE(s.children(parent), std::vector<int64_t>({child}));
    QCOMPARE(s.children(child), std::vector<int64_t>({grandchild}));
    QCOMPARE(s.run(child).parentId, parent);
    QCOMPARE(s.run(child).parentStep, int64_t(70));
    QCOMPARE(s.run(parent).parentId, int64_t(0));
    // Deleting a run deletes its metrics (foreign keys are on) and unlinks its children.
    s.addMetrics(parent, {{1, 0, 1.0, 0.1f}}, {epoch(1, 0.5)});
    s.deleteRun(parent);
    QVERIFY(!s.find(parent));
    QCOMPARE(s.epochs(parent).size(), size_t(0));
    QCOMPARE(s.run(child).parentId, int64_t(0));
    QCOMPARE(s.run(grandchild).parentId, child);
}

void StoreTest::deadWritersRunsAreInterrupted()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/crash.sqlite").toStdString();
    int64_t mine = 0;
    {
        RunStore s(path);
        mine = s.createRun(sampleRun("alive"));  // this process: alive
    }
    // Another process starts a run, commits some metrics and dies without finishing.
    const pid_t pid = fork();
    if (pid == 0) {
        try {
            RunStore s(path);
            const int64_t id = s.createRun(sampleRun("dies"));
            s.addMetrics(id, {{1, 0, 0.9, 0.1f}, {2, 0, 0.8, 0.1f}}, {epoch(1, 0.5)});
        } catch (...) {
            _exit(1);
        }
        _exit(0);  // no finishRun: as if killed
    }
    int status = 0;
    QCOMPARE(waitpid(pid, &status, 0), pid);
    QCOMPARE(WEXITSTATUS(status), 0);

    RunStore s(path);
    const int64_t dead = s.resolve("dies");
    QCOMPARE(s.interruptedOnOpen(), std::vector<int64_t>({dead}));
    const RunInfo r = s.run(dead);
    QCOMPARE(QString::fromStdString(r.status), QString("interrupted"));
    QVERIFY(QString::fromStdString(r.message).contains("killed or crashed"));
    QVERIFY(r.ended > 0);
    QCOMPARE(s.steps(dead).size(), size_t(2));  // what it committed is kept
    QCOMPARE(s.epochs(dead).size(), size_t(1));
    // A run whose writer still lives (this process) stays running.
    QCOMPARE(QString::fromStdString(s.run(mine).status), QString("running"));
    QVERIFY(RunStore::processAlive(RunStore::processToken()));
    QVERIFY(!RunStore::processAlive(""));
}

void StoreTest::readOnlyReportsInterruptedWithoutWriting()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/ro.sqlite").toStdString();
    int64_t id = 0;
    {
        RunStore s(path);
        id = s.createRun(sampleRun());
    }
    {
        sql::Db db(path, 0x00000002);
        // A writer on this host whose process is gone (pid 0 never names a user process).
        db.exec("UPDATE runs SET owner = (SELECT substr(owner, 1, instr(owner, ':')) || '0:1' FROM runs LIMIT 1)");
        db.exec("PRAGMA journal_mode = DELETE");
    }
    const QString qpath = QString::fromStdString(path);
    const FileState before = state(qpath);
    RunStore ro(path, OpenMode::ReadOnly);
    QCOMPARE(QString::fromStdString(ro.run(id).status), QString("interrupted"));
    QCOMPARE(QString::fromStdString(ro.list().front().status), QString("interrupted"));
    QVERIFY(state(qpath) == before);
    RunStore rw(path);
    QCOMPARE(QString::fromStdString(rw.run(id).status), QString("interrupted"));
}

void StoreTest::snapshotsRoundTripAndRejectDamage()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/snap.sqlite").toStdString();
    RunStore s(path);
    const int64_t id = s.createRun(sampleRun());
    TrainerCheckpoint c;
    c.epochs = 2;
    c.steps = 70;
    c.params = {Tensor::fromVector(Shape {2, 3}, {1, 2, 3, 4, 5, 6}), Tensor::fromVector(Shape {3}, {-1, 0.5f, 1e-30f})};
    c.buffers = {Tensor::fromVector(Shape {1}, {42})};
    c.optimizer = {Tensor::full(Shape {2, 3}, 0.25f), Tensor::scalar(70)};
    s.addSnapshot(id, c);
    const auto info = s.snapshots(id);
    QCOMPARE(info.size(), size_t(1));
    QCOMPARE(info[0].step, int64_t(70));
    QCOMPARE(info[0].epoch, 2);
    QVERIFY(info[0].hasOptimizer);
    const TrainerCheckpoint back = s.loadSnapshot(id, 70);
    QCOMPARE(back.epochs, 2);
    QCOMPARE(back.steps, int64_t(70));
    QCOMPARE(back.params.size(), size_t(2));
    QCOMPARE(back.params[0].shape(), (Shape {2, 3}));
    QCOMPARE(back.params[0].toVector(), c.params[0].toVector());
    QCOMPARE(back.params[1].toVector(), c.params[1].toVector());
    QCOMPARE(back.buffers[0].item(), 42.0f);
    QCOMPARE(back.optimizer[1].item(), 70.0f);
    QVERIFY(errorOf([&] { s.loadSnapshot(id, 71); }).contains("has snapshots at steps 70"));
    auto bytes = encodeCheckpoint(c);
    bytes.resize(bytes.size() - 3);
    QVERIFY(errorOf([&] { decodeCheckpoint(bytes, "snap"); }).contains("snap is damaged"));
    QVERIFY(errorOf([&] { decodeCheckpoint({'x', 'y', 'z', 'w', 0, 0}, "snap"); }).contains("not a weight snapshot"));
}

// %.7g stored --lr 0.123456789 as 0.1234568, another float: a branch trained at
// a different rate. The shortest round-trip form reads back as the same float.
void StoreTest::hyperparametersKeepEveryDigit()
{
    for (const float lr : {0.123456789f, 0.03f, 1e-7f, 0.1234568f, 3.4028235e38f, 1.17549435e-38f}) {
        TrainConfig c;
        c.lr = lr;
        c.optimizer.momentum = 0.987654321f;
        const nlohmann::json j = hyperparametersJson(c);
        QCOMPARE(float(j["lr"].get<double>()), lr);
        QCOMPARE(float(j["momentum"].get<double>()), 0.987654321f);
        // Through the store's text and back.
        const nlohmann::json back = nlohmann::json::parse(j.dump());
        QCOMPARE(float(back["lr"].get<double>()), lr);
    }
    TrainConfig c;
    c.lr = 0.03f;
    QCOMPARE(hyperparametersJson(c)["lr"].dump(), std::string("0.03"));  // as typed, not 0.029999999329447746
}

// The GUI runs under the user's locale; printf wrote "1,22,0,6931" in German.
void StoreTest::csvExportIgnoresTheLocale()
{
    if (!std::setlocale(LC_ALL, "de_DE.UTF-8"))
        QFAIL("the de_DE.UTF-8 locale is not installed: run packaging/setup.sh (it generates it)");
    EpochMetrics m;
    m.epoch = 1;
    m.steps = 22;
    m.trainLoss = 0.6931471805599453;  // every digit of a double survives
    m.trainAccuracy = 0.5;
    m.valLoss = m.valAccuracy = std::nan("");  // no validation set: empty cells
    m.lr = 0.03f;
    m.seconds = 1.25;
    const std::string csv = epochsCsv({m});
    const std::string steps = stepsCsv({{7, 1, 0.125, 0.001f}});
    std::setlocale(LC_ALL, "C");
    QCOMPARE(QString::fromStdString(csv),
             QString("epoch,step,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds\n"
                     "1,22,0.6931471805599453,0.5,,,0.03,1.25\n"));
    QCOMPARE(QString::fromStdString(steps), QString("step,epoch,loss,lr\n7,1,0.125,0.001\n"));
}

// A Latin-1 run name made every later `runs list --json` fail: text is stored as
// UTF-8, and a file written before that is read back as UTF-8 too.
void StoreTest::textIsAlwaysStoredAndReadAsUtf8()
{
    QTemporaryDir dir;
    const std::string path = (dir.path() + "/runs.sqlite").toStdString();
    RunStore s(path);
    NewRun r = sampleRun("caf\xe9");
    r.notes = "na\xefve";
    const int64_t id = s.createRun(r);
    QCOMPARE(s.run(id).name, std::string("caf\xc3\xa9"));
    QCOMPARE(s.run(id).notes, std::string("na\xc3\xafve"));
    s.rename(id, "\xff\xfe");
    QCOMPARE(s.run(id).name, std::string("\xc3\xbf\xc3\xbe"));
    // An old file that already holds invalid bytes.
    {
        sql::Db raw(path, 0x00000002 /* SQLITE_OPEN_READWRITE */);
        sql::Stmt(raw, "UPDATE runs SET name = ?2, message = ?3 WHERE id = ?1").bind(1, id).bind(2, "old\xe9").bind(3, "m\x80").run();
        sql::Stmt(raw, "INSERT INTO compress_stages(run_id, step, kind, text, test_accuracy, ratio, bits, record) "
                       "VALUES(?1, 0, 'prune', ?2, 0.5, 1, 0, ?3)")
            .bind(1, id).bind(2, "p\xe9").bind(3, "{\"text\": \"p\xe9\"}").run();
    }
    const auto stages = s.stages(id);  // was: "not valid JSON"
    QCOMPARE(stages.size(), size_t(1));
    QCOMPARE(stages[0].text, std::string("p\xc3\xa9"));
    QCOMPARE(stages[0].record["text"].get<std::string>(), std::string("p\xc3\xa9"));
    for (const RunInfo& info : s.list()) {
        QVERIFY(utf8::valid(info.name) && utf8::valid(info.message));
        QCOMPARE(info.name, std::string("old\xc3\xa9"));
        const nlohmann::json j {{"name", info.name}, {"message", info.message}};
        QVERIFY(!j.dump().empty());  // type_error.316 before
    }
}

// A valid history on a read-only folder or mount was reported as "damaged":
// SQLite cannot create the -shm file a WAL database needs. It opens read-only
// now, runs can be read, and writing says why it cannot. File modes do not stop
// root, so as root the check runs in a child process that drops to "nobody".
void StoreTest::unwritableHistoryOpensReadOnly()
{
    QTemporaryDir dir;
    const QString folder = dir.path() + "/ro";
    QVERIFY(QDir().mkpath(folder));
    const std::string path = (folder + "/runs.sqlite").toStdString();
    int64_t id = 0;
    {
        RunStore s(path);
        id = s.createRun(sampleRun("kept"));
        s.addMetrics(id, {}, {epoch(1, 0.5), epoch(2, 0.75)});
        s.finishRun(id, "completed", "", 1.0);
    }
    QVERIFY(!QFileInfo::exists(QString::fromStdString(path) + "-shm"));  // closed cleanly: nothing beside it
    QVERIFY(::chmod(dir.path().toLocal8Bit().constData(), 0755) == 0);
    QVERIFY(::chmod(path.c_str(), 0444) == 0);
    QVERIFY(::chmod(folder.toLocal8Bit().constData(), 0555) == 0);

    // Returns "" when every expectation holds, else what failed.
    const auto check = [path, id]() -> std::string {
        try {
            RunStore s(path);  // ReadWrite asked for
            if (!s.readOnly()) return "opened read-write";
            if (s.readOnlyReason().find("not writable") == std::string::npos) return "reason: " + s.readOnlyReason();
            const auto runs = s.list();
            if (runs.size() != 1 || runs[0].name != "kept") return "runs not listed";
            if (s.epochs(id).size() != 2) return "metrics not read";
            try {
                s.createRun(sampleRun("new"));
                return "createRun did not throw";
            } catch (const Error& e) {
                const std::string m = e.what();
                if (m.find("read-only") == std::string::npos || m.find("viewed, not recorded") == std::string::npos)
                    return "createRun: " + m;
            }
            RunStore ro(path, OpenMode::ReadOnly);
            if (ro.list().size() != 1) return "read-only open lists no runs";
        } catch (const std::exception& e) {
            return std::string("threw: ") + e.what();
        }
        return {};
    };
    std::string failure;
    if (::geteuid() != 0) {
        failure = check();
    } else {
        int fds[2];
        QVERIFY(::pipe(fds) == 0);
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            ::close(fds[0]);
            std::string msg = (::setgid(65534) == 0 && ::setuid(65534) == 0) ? check() : "cannot drop to nobody";
            if (msg.empty() && ::access(path.c_str(), W_OK) == 0) msg = "nobody can still write the file";
            const ssize_t written = ::write(fds[1], msg.data(), msg.size());
            ::_exit(written == ssize_t(msg.size()) && msg.empty() ? 0 : 1);
        }
        ::close(fds[1]);
        char buf[512];
        ssize_t n = 0;
        while ((n = ::read(fds[0], buf, sizeof buf)) > 0) failure.append(buf, size_t(n));
        ::close(fds[0]);
        int status = 0;
        ::waitpid(child, &status, 0);
        if (failure.empty() && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) failure = "the child failed";
    }
    ::chmod(folder.toLocal8Bit().constData(), 0755);
    ::chmod(path.c_str(), 0644);
    QVERIFY2(failure.empty(), failure.c_str());
}

QTEST_GUILESS_MAIN(StoreTest)
#include "tst_store.moc"
