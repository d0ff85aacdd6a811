// End to end: the run history through nnstudio-cli. `train --store` records runs,
// `runs list|show|compare|export-csv` read them back, `train --branch-from` rewinds
// and branches, bad input gets one line and exit 1 — and a training process
// killed with SIGKILL leaves a file that opens, passes integrity_check, keeps its
// committed metrics and shows the run as interrupted.
#include <QtTest/QtTest>

#include "cli_process.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include "engine/core/error.h"
#include "engine/store/run_store.h"

namespace {

using nntest::cli;
using nntest::sourceDir;
using nntest::spiralSpec;

struct Result {
    int exitCode = -1;
    QString out, err;
    QList<QJsonObject> lines;  // stdout as JSON objects (when it is JSON lines)
    QJsonObject final() const { return lines.isEmpty() ? QJsonObject() : lines.last(); }
};

Result run(const QStringList& args, int timeoutMs = 8000)
{
    QProcess p;
    p.start(cli(), args);
    Result r;
    if (!p.waitForStarted(5000) || !p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(1000);
        r.err = "did not start or finish: " + args.join(' ');
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    for (const QString& line : r.out.split('\n', Qt::SkipEmptyParts)) {
        const QJsonDocument doc = QJsonDocument::fromJson(line.toUtf8());
        if (doc.isObject()) r.lines << doc.object();
    }
    return r;
}

QStringList train(const QString& store, const QString& name, const QString& lr, int epochs = 6)
{
    return {"train", "--model", spiralSpec(), "--data", "spiral", "--epochs", QString::number(epochs), "--batch", "10",
            "--lr", lr, "--seed", "1", "--store", store, "--run-name", name, "--snapshot-every", "2", "--json"};
}

QList<QJsonObject> withEvent(const QList<QJsonObject>& lines, const QString& event)
{
    QList<QJsonObject> out;
    for (const auto& l : lines)
        if (l["event"].toString() == event) out << l;
    return out;
}

QByteArray digest(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

} // namespace

class CliRuns : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void listShowCompareExport();
    void branchRewindsAndLinks();
    void branchKeepsEarlyStopping();
    void architectureDiff();
    void badInputIsOneLineAndExit1();
    void killedRunIsInterruptedAndKeepsItsMetrics();
    void latin1RunNameAndEveryDigitOfTheLr();
};

void CliRuns::initTestCase()
{
    QVERIFY2(QFile::exists(cli()), qPrintable("NN_CLI does not name the CLI: " + cli()));
}

void CliRuns::listShowCompareExport()
{
    QTemporaryDir dir;
    const QString store = dir.path() + "/runs.sqlite";
    const Result a = run(train(store, "alpha", "0.03"));
    QCOMPARE(a.exitCode, 0);
    QVERIFY2(a.final()["final"].toBool(), qPrintable(a.out));
    QCOMPARE(a.final()["run_id"].toInt(), 1);
    QCOMPARE(withEvent(a.lines, "run").size(), 1);
    QCOMPARE(run(train(store, "beta", "0.01")).exitCode, 0);

    const Result list = run({"runs", "list", "--store", store, "--json"});
    QCOMPARE(list.exitCode, 0);
    QCOMPARE(list.lines.size(), 3);
    QCOMPARE(list.final()["final"].toBool(), true);
    QCOMPARE(list.final()["runs"].toInt(), 2);
    QCOMPARE(list.lines[0]["name"].toString(), QString("beta"));  // newest first
    QCOMPARE(list.lines[1]["status"].toString(), QString("completed"));
    QCOMPARE(list.lines[1]["epochs"].toInt(), 6);
    QCOMPARE(list.lines[1]["model"].toString(), QString("spiral-mlp"));
    QVERIFY(list.lines[1]["best_accuracy"].toDouble() > 0.4);
    const Result text = run({"runs", "list", "--store", store});
    QCOMPARE(text.exitCode, 0);
    QVERIFY(text.out.contains("alpha") && text.out.contains("beta") && text.out.contains("2 runs"));

    const Result show = run({"runs", "show", "alpha", "--store", store, "--json"});
    QCOMPARE(show.exitCode, 0);
    QCOMPARE(withEvent(show.lines, "epoch").size(), 6);
    const QJsonObject r = show.final()["run"].toObject();
    QCOMPARE(r["id"].toInt(), 1);
    QCOMPARE(r["hyperparameters"].toObject()["lr"].toDouble(), 0.03);
    QCOMPARE(r["spec"].toObject()["name"].toString(), QString("spiral-mlp"));
    QCOMPARE(r["dataset"].toString(), QString("spiral"));
    QStringList steps;
    for (const auto& s : r["snapshots"].toArray()) steps << QString::number(s.toObject()["epoch"].toInt());
    QCOMPARE(steps.join(','), QString("0,2,4,6"));
    QVERIFY(r["snapshots"].toArray()[1].toObject()["optimizer"].toBool());
    QCOMPARE(withEvent(show.lines, "epoch").last()["train_loss"].toDouble(), a.final()["train_loss"].toDouble());

    const Result cmp = run({"runs", "compare", "alpha", "beta", "--store", store, "--json"});
    QCOMPARE(cmp.exitCode, 0);
    bool lrDiffers = false, seedSame = false;
    for (const auto& s : withEvent(cmp.lines, "setting")) {
        if (s["key"].toString() == "lr") lrDiffers = s["differs"].toBool() && s["b"].toDouble() == 0.01;
        if (s["key"].toString() == "seed") seedSame = !s["differs"].toBool();
    }
    QVERIFY(lrDiffers && seedSame);
    QCOMPARE(cmp.final()["settings_differing"].toInt(), 1);
    QCOMPARE(cmp.final()["layers_changed"].toInt(), 0);
    const Result cmpText = run({"runs", "compare", "1", "2", "--store", store});
    QVERIFY2(cmpText.out.contains("* lr") && cmpText.out.contains("identical"), qPrintable(cmpText.out));

    const QString csv = dir.path() + "/alpha.csv";
    const Result ex = run({"runs", "export-csv", "alpha", "--out", csv, "--store", store, "--json"});
    QCOMPARE(ex.exitCode, 0);
    QCOMPARE(ex.final()["rows"].toInt(), 6);
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList rows = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(rows.size(), 7);
    QCOMPARE(rows[0], QString("epoch,step,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds"));
    QVERIFY(rows[6].startsWith("6,"));
    const Result stepsCsv = run({"runs", "export-csv", "1", "--steps", "--store", store});
    QCOMPARE(stepsCsv.exitCode, 0);
    QCOMPARE(stepsCsv.out.count('\n'), 1 + a.final()["steps"].toInt());  // every step was logged
}

// A branch with nothing changed reproduces an early-stopped parent: it stops at the
// parent's epoch with the parent's restored figures (it used to run on past it).
void CliRuns::branchKeepsEarlyStopping()
{
    QTemporaryDir dir;
    const QString store = dir.path() + "/runs.sqlite";
    QStringList args = train(store, "patient", "0.03", 300);
    args.replace(args.indexOf("--snapshot-every") + 1, "1");
    args << "--patience" << "2";
    const Result parent = run(args, 30000);
    QCOMPARE(parent.exitCode, 0);
    QCOMPARE(parent.final()["status"].toString(), QString("early_stopped"));
    const int stopped = parent.final()["epochs"].toInt(), best = parent.final()["best_epoch"].toInt();
    QCOMPARE(stopped, best + 2);
    // The final line's figures are the restored best epoch's, not the last epoch's.
    const QJsonObject bestLine = withEvent(parent.lines, "epoch").value(best - 1);
    QCOMPARE(bestLine["epoch"].toInt(), best);
    QCOMPARE(parent.final()["val_loss"].toDouble(), bestLine["val_loss"].toDouble());
    QCOMPARE(parent.final()["train_loss"].toDouble(), bestLine["train_loss"].toDouble());

    const Result show = run({"runs", "show", "patient", "--store", store, "--json"});
    QString stepBefore;  // the snapshot after epoch stopped - 1
    for (const auto& sn : show.final()["run"].toObject()["snapshots"].toArray())
        if (sn.toObject()["epoch"].toInt() == stopped - 1) stepBefore = QString::number(sn.toObject()["step"].toInt());
    QVERIFY(!stepBefore.isEmpty());
    const Result same = run({"train", "--store", store, "--branch-from", "patient:" + stepBefore, "--json"}, 30000);
    QCOMPARE(same.exitCode, 0);
    QCOMPARE(same.final()["status"].toString(), QString("early_stopped"));
    QCOMPARE(withEvent(same.lines, "epoch").size(), 1);  // just the parent's last epoch
    for (const char* key : {"epochs", "best_epoch"}) QCOMPARE(same.final()[key].toInt(), parent.final()[key].toInt());
    for (const char* key : {"train_loss", "val_loss", "val_accuracy", "test_accuracy"})
        QCOMPARE(same.final()[key].toDouble(), parent.final()[key].toDouble());
    QCOMPARE(same.final()["message"].toString(), parent.final()["message"].toString());
}

void CliRuns::branchRewindsAndLinks()
{
    QTemporaryDir dir;
    const QString store = dir.path() + "/runs.sqlite";
    const Result parent = run(train(store, "parent", "0.03"));
    QCOMPARE(parent.exitCode, 0);
    const Result show = run({"runs", "show", "parent", "--store", store, "--json"});
    const QJsonArray snaps = show.final()["run"].toObject()["snapshots"].toArray();
    const QString step2 = QString::number(snaps[1].toObject()["step"].toInt());  // after epoch 2

    // Nothing changed: the branch replays the parent's last epochs exactly.
    const Result same = run({"train", "--store", store, "--branch-from", "parent:" + step2, "--json"});
    QCOMPARE(same.exitCode, 0);
    const QJsonObject runLine = withEvent(same.lines, "run").value(0);
    QCOMPARE(runLine["parent_id"].toInt(), 1);
    QCOMPARE(runLine["start_epoch"].toInt(), 2);
    QCOMPARE(withEvent(same.lines, "epoch").first()["epoch"].toInt(), 3);
    QCOMPARE(same.final()["train_loss"].toDouble(), parent.final()["train_loss"].toDouble());
    QCOMPARE(same.final()["val_accuracy"].toDouble(), parent.final()["val_accuracy"].toDouble());

    // A changed learning rate trains on differently, linked to its parent.
    const Result lower = run({"train", "--store", store, "--branch-from", "1:" + step2, "--lr", "0.005", "--epochs", "8",
                              "--run-name", "lower lr", "--json"});
    QCOMPARE(lower.exitCode, 0);
    QCOMPARE(lower.final()["epochs"].toInt(), 8);
    QVERIFY(lower.final()["train_loss"].toDouble() != parent.final()["train_loss"].toDouble());
    const Result child = run({"runs", "show", "lower lr", "--store", store, "--json"});
    const QJsonObject c = child.final()["run"].toObject();
    QCOMPARE(c["parent_id"].toInt(), 1);
    QCOMPARE(c["parent_step"].toInt(), step2.toInt());
    QCOMPARE(c["hyperparameters"].toObject()["lr"].toDouble(), 0.005);
    QCOMPARE(c["seed"].toInt(), 1);
    QCOMPARE(withEvent(child.lines, "epoch").size(), 6);  // epochs 3..8
    const Result p = run({"runs", "show", "1", "--store", store, "--json"});
    QCOMPARE(p.final()["run"].toObject()["children"].toArray().size(), 2);
    // Branches of branches: from the child's own initial snapshot.
    const Result grand = run({"train", "--store", store, "--branch-from", "3:" + step2, "--optimizer", "sgd", "--json"});
    QCOMPARE(grand.exitCode, 0);
    QCOMPARE(withEvent(grand.lines, "run").value(0)["optimizer_state"].toString(), QString("fresh (optimizer changed)"));
}

void CliRuns::architectureDiff()
{
    QTemporaryDir dir;
    const QString store = dir.path() + "/runs.sqlite";
    const QString wide = dir.path() + "/wide.json";
    {
        QFile f(wide);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"name": "spiral-wide", "input": {"shape": [2]},
          "layers": [{"id": "h1", "type": "dense", "units": 16, "activation": "tanh"},
                     {"id": "h2", "type": "dense", "units": 32, "activation": "relu"},
                     {"id": "h3", "type": "dense", "units": 8, "activation": "tanh"},
                     {"id": "out", "type": "dense", "units": 2}],
          "loss": "softmax_cross_entropy"})");
    }
    QCOMPARE(run(train(store, "narrow", "0.03", 2)).exitCode, 0);
    QStringList args = train(store, "wide", "0.03", 2);
    args[2] = wide;
    QCOMPARE(run(args).exitCode, 0);
    const Result cmp = run({"runs", "compare", "narrow", "wide", "--store", store, "--json"});
    QCOMPARE(cmp.exitCode, 0);
    QMap<QString, QString> change;
    QMap<QString, QString> fields;
    for (const auto& l : withEvent(cmp.lines, "layer")) {
        change[l["id"].toString()] = l["change"].toString();
        QStringList fs;
        for (const auto& f : l["fields"].toArray()) fs << f.toString();
        fields[l["id"].toString()] = fs.join(',');
    }
    QCOMPARE(change["h1"], QString("same"));
    QCOMPARE(change["h2"], QString("changed"));
    QCOMPARE(fields["h2"], QString("activation,units"));
    QCOMPARE(change["h3"], QString("added"));
    QCOMPARE(change["out"], QString("same"));
    QCOMPARE(cmp.final()["layers_changed"].toInt(), 2);
    const Result text = run({"runs", "compare", "narrow", "wide", "--store", store});
    QVERIFY2(text.out.contains("+ h3") && text.out.contains("~ h2") && text.out.contains("units 16 -> 32"),
             qPrintable(text.out));
    const Result back = run({"runs", "compare", "wide", "narrow", "--store", store});
    QVERIFY2(back.out.contains("- h3"), qPrintable(back.out));
}

void CliRuns::badInputIsOneLineAndExit1()
{
    QTemporaryDir dir;
    const QString store = dir.path() + "/runs.sqlite";
    QCOMPARE(run(train(store, "only", "0.03", 2)).exitCode, 0);
    const QString notes = dir.path() + "/notes.txt";
    {
        QFile f(notes);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray("not a database\n").repeated(100));
    }
    const QByteArray notesBefore = digest(notes);
    const QString missing = dir.path() + "/missing.sqlite";
    struct Case {
        QStringList args;
        QString says;
    };
    const QList<Case> cases = {
        {{"runs", "list", "--store", missing}, "no run history at '" + missing + "'"},
        {{"runs", "list", "--store", notes}, "is not an NN Studio run history"},
        {{"runs", "show", "99", "--store", store}, "has no run '99'"},
        {{"runs", "show", "--store", store}, "takes one RUN"},
        {{"runs", "compare", "1", "--store", store}, "takes two RUNs"},
        {{"runs", "frobnicate", "--store", store}, "unknown subcommand 'frobnicate'"},
        {{"runs", "list", "--store", store, "--bogus", "1"}, "unknown option --bogus"},
        {{"runs", "export-csv", "1", "--json", "--store", store}, "needs --out FILE"},
        {{"train", "--store", notes, "--model", spiralSpec(), "--data", "spiral"}, "is not an NN Studio run history"},
        {{"train", "--branch-from", "1:0"}, "needs --store FILE"},
        {{"train", "--store", store, "--branch-from", "1"}, "needs RUN:STEP"},
        {{"train", "--store", store, "--branch-from", "1:3"}, "no snapshot at step 3"},
        {{"train", "--store", store, "--branch-from", "only:0", "--data", "xor"}, "drop --data"},
        {{"train", "--store", store, "--branch-from", "only:0", "--seed", "3"}, "drop --seed"},
        {{"train", "--model", spiralSpec(), "--data", "spiral", "--snapshot-every", "2"}, "needs --store FILE"},
    };
    for (const auto& c : cases) {
        const Result r = run(c.args);
        QVERIFY2(r.exitCode == 1, qPrintable(c.args.join(' ') + " -> exit " + QString::number(r.exitCode) + ": " + r.err));
        QVERIFY2(r.err.trimmed().count('\n') == 0, qPrintable("more than one line: " + r.err));
        QVERIFY2(r.err.contains(c.says), qPrintable(c.args.join(' ') + " -> " + r.err));
    }
    QVERIFY(!QFile::exists(missing));
    QCOMPARE(digest(notes), notesBefore);
    QCOMPARE(run({"runs", "list", "--store", store, "--json"}).final()["runs"].toInt(), 1);  // nothing half-made
}

void CliRuns::killedRunIsInterruptedAndKeepsItsMetrics()
{
    QTemporaryDir dir;
    const QString store = dir.path() + "/crash.sqlite";
    QProcess p;
    p.start(cli(), {"train", "--model", spiralSpec(), "--data", "spiral", "--points", "2000", "--epochs", "100000",
                    "--batch", "10", "--lr", "0.01", "--seed", "4", "--store", store, "--snapshot-every", "5", "--json"});
    QVERIFY(p.waitForStarted(5000));
    // Wait until some epochs are committed (read through a read-only connection).
    int committed = 0;
    QElapsedTimer clock;
    clock.start();
    while (committed < 12 && clock.elapsed() < 8000) {
        QTest::qWait(30);
        try {
            const nn::store::RunStore ro(store.toStdString(), nn::store::OpenMode::ReadOnly);
            const auto runs = ro.list();
            if (!runs.empty()) committed = runs.front().epochs;
        } catch (const nn::Error&) {
            // not created yet
        }
    }
    QVERIFY2(committed >= 12, qPrintable(QString("only %1 epochs committed").arg(committed)));
    QCOMPARE(p.state(), QProcess::Running);
    p.kill();  // SIGKILL: no chance to finish, flush or close
    QVERIFY(p.waitForFinished(5000));
    QCOMPARE(p.exitStatus(), QProcess::CrashExit);

    nn::store::RunStore s(store.toStdString());
    QCOMPARE(QString::fromStdString(s.integrityCheck()), QString("ok"));
    QCOMPARE(s.interruptedOnOpen(), std::vector<int64_t>({1}));
    const auto r = s.run(1);
    QCOMPARE(QString::fromStdString(r.status), QString("interrupted"));
    const auto epochs = s.epochs(1);
    QVERIFY(int(epochs.size()) >= committed);
    QCOMPARE(epochs.back().epoch, int(epochs.size()));  // no gaps
    QCOMPARE(r.epochs, int(epochs.size()));
    // Every step up to the last committed epoch is there too.
    QVERIFY(int64_t(s.steps(1).size()) >= epochs.back().steps);
    QVERIFY(s.snapshots(1).size() >= 3);  // initial, epoch 5, epoch 10

    const Result list = run({"runs", "list", "--store", store, "--json"});
    QCOMPARE(list.lines.value(0)["status"].toString(), QString("interrupted"));
    // The crashed run can be rewound and branched from its last snapshot.
    const QString step10 = QString::number(s.snapshots(1)[2].step);
    const Result branch = run({"train", "--store", store, "--branch-from", "1:" + step10, "--epochs", "12", "--json"});
    QCOMPARE(branch.exitCode, 0);
    QCOMPARE(branch.final()["status"].toString(), QString("completed"));
}

// A run name typed in a Latin-1 terminal made every later `runs list --json` fail
// (json type_error.316); it is converted to UTF-8 now, with a note. --lr
// 0.123456789 was stored as 0.1234568 (%.7g): a branch trained at another rate.
void CliRuns::latin1RunNameAndEveryDigitOfTheLr()
{
    QTemporaryDir dir;
    const QString store = dir.path() + "/runs.sqlite";
    // QProcess passes QStrings as UTF-8: the shell's printf gives the raw byte 0xE9.
    QProcess sh;
    sh.start("/bin/sh", {"-c", "exec \"$0\" train --model \"$1\" --data spiral --epochs 2 --batch 10 --lr 0.123456789 "
                               "--seed 1 --store \"$2\" --snapshot-every 1 --json --run-name \"$(printf 'caf\\351')\"",
                         cli(), spiralSpec(), store});
    QVERIFY(sh.waitForFinished(20000));
    const QString err = QString::fromUtf8(sh.readAllStandardError());
    QVERIFY2(sh.exitCode() == 0, qPrintable(err));
    QVERIFY2(err.contains("--run-name is not UTF-8") && err.contains("Latin-1"), qPrintable(err));
    const Result list = run({"runs", "list", "--store", store, "--json"});
    QVERIFY2(list.exitCode == 0, qPrintable(list.err));
    QCOMPARE(list.lines.size(), list.out.count('\n'));  // every line is JSON
    QCOMPARE(list.lines.value(0)["name"].toString(), QString::fromUtf8("caf\xc3\xa9"));
    const Result show = run({"runs", "show", "1", "--store", store, "--json"});
    const double lr = show.final()["run"].toObject()["hyperparameters"].toObject()["lr"].toDouble();
    QCOMPARE(float(lr), 0.123456789f);
    QCOMPARE(lr, 0.12345679);  // the float's shortest form, not %.7g's 0.1234568
    // A branch with nothing changed trains at exactly the parent's rate.
    const Result same = run({"train", "--store", store, "--branch-from", "1:" + QString::number(
        show.final()["run"].toObject()["snapshots"].toArray()[1].toObject()["step"].toInt()), "--json"}, 20000);
    QVERIFY2(same.exitCode == 0, qPrintable(same.err));
    QCOMPARE(withEvent(same.lines, "epoch").value(0)["lr"].toDouble(), 0.12345679);
}

QTEST_GUILESS_MAIN(CliRuns)
#include "tst_cli_runs.moc"
