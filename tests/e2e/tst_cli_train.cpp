// End to end: `nnstudio-cli train` as a user runs it. JSON-lines output, seeded
// reproducibility, and one clear line on stderr (with a non-zero exit) for every
// kind of bad input.
#include <QtTest/QtTest>

#include "cli_process.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

namespace {

using nntest::jsonLines;
using nntest::cli;
using nntest::sourceDir;
using nntest::spiralSpec;
using Result = nntest::ProcessResult;

Result run(const QStringList& args, int timeoutMs = 8000) { return nntest::runProcess(cli(), args, timeoutMs); }

QStringList trainArgs()
{
    return {"train", "--model", spiralSpec(), "--data", "spiral", "--epochs", "20", "--batch", "10",
            "--optimizer", "adam", "--lr", "0.03", "--seed", "1", "--json"};
}

} // namespace

class CliTrain : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY2(!cli().isEmpty(), "NN_CLI is not set");
        QVERIFY2(QFileInfo(cli()).isExecutable(), qPrintable(cli() + " is not an executable"));
        QVERIFY2(QFileInfo::exists(spiralSpec()), qPrintable(spiralSpec() + " is missing"));
    }

    void trainsSpiralJson()
    {
        const Result r = run(trainArgs());
        QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(QString("exit %1: %2").arg(r.exitCode).arg(r.err)));
        QString error;
        const QList<QJsonObject> lines = jsonLines(r.out, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(lines.size() >= 2);

        int epochs = 0;
        for (const QJsonObject& o : lines)
            if (o.value("event").toString() == "epoch") {
                ++epochs;
                QCOMPARE(o.value("epoch").toInt(), epochs);
                QVERIFY(o.value("train_loss").isDouble());
            }
        QCOMPARE(epochs, 20);

        const QJsonObject last = lines.last();
        QCOMPARE(last.value("final").toBool(), true);
        for (const char* key : {"train_loss", "train_accuracy", "val_accuracy", "test_accuracy", "epochs", "seconds",
                                "samples_per_second"})
            QVERIFY2(last.contains(key) && last.value(key).isDouble(), key);
        QCOMPARE(last.value("epochs").toInt(), 20);
        QCOMPARE(last.value("status").toString(), QString("completed"));
        for (const char* key : {"train_accuracy", "val_accuracy", "test_accuracy"}) {
            const double a = last.value(key).toDouble();
            QVERIFY2(a >= 0.0 && a <= 1.0, key);
        }
        QVERIFY(last.value("samples_per_second").toDouble() > 0);
        // Only the last line is final.
        for (int i = 0; i + 1 < lines.size(); ++i) QVERIFY(!lines[i].contains("final"));
    }

    void sameSeedSameNumbers()
    {
        const Result a = run(trainArgs()), b = run(trainArgs());
        QCOMPARE(a.exitCode, 0);
        QCOMPARE(b.exitCode, 0);
        QString error;
        QList<QJsonObject> la = jsonLines(a.out, &error), lb = jsonLines(b.out, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(la.size(), lb.size());
        QVERIFY(!la.isEmpty());
        for (int i = 0; i < la.size(); ++i) {
            for (const char* timing : {"seconds", "samples_per_second"}) {
                QVERIFY(la[i].contains(timing) == lb[i].contains(timing));
                la[i].remove(timing);
                lb[i].remove(timing);
            }
            QVERIFY2(la[i] == lb[i], qPrintable(QString("line %1 differs:\n  %2\n  %3")
                                                    .arg(i + 1)
                                                    .arg(QString(QJsonDocument(la[i]).toJson(QJsonDocument::Compact)))
                                                    .arg(QString(QJsonDocument(lb[i]).toJson(QJsonDocument::Compact)))));
        }
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QStringList>("mentions");
        const QString spec = spiralSpec();
        QTest::newRow("missing --model") << QStringList {"train", "--data", "spiral"} << QStringList {"--model"};
        QTest::newRow("nonexistent model")
            << QStringList {"train", "--model", "/no/such/dir/model.json", "--data", "spiral"}
            << QStringList {"/no/such/dir/model.json"};
        QTest::newRow("unknown data") << QStringList {"train", "--model", spec, "--data", "moons"}
                                      << QStringList {"moons", "spiral", "circles", "xor", "gaussians"};
        QTest::newRow("epochs abc") << QStringList {"train", "--model", spec, "--data", "spiral", "--epochs", "abc"}
                                    << QStringList {"--epochs", "abc"};
        QTest::newRow("optimizer foo")
            << QStringList {"train", "--model", spec, "--data", "spiral", "--epochs", "1", "--optimizer", "foo"}
            << QStringList {"foo", "sgd", "adam"};
        QTest::newRow("unknown option") << QStringList {"train", "--model", spec, "--data", "spiral", "--epoch", "3"}
                                        << QStringList {"--epoch", "--epochs"};
        QTest::newRow("device cuda") << QStringList {"train", "--model", spec, "--data", "spiral", "--device", "cuda"}
                                     << QStringList {"--device cpu"};
    }

    void badInput()
    {
        QFETCH(QStringList, args);
        QFETCH(QStringList, mentions);
        const Result r = run(args);
        QVERIFY2(!r.crashed, qPrintable(r.err));
        QVERIFY2(r.exitCode != 0, "expected a non-zero exit code");
        const QString err = r.err.trimmed();
        QVERIFY2(!err.isEmpty(), "expected a message on stderr");
        QVERIFY2(!err.contains('\n'), qPrintable("expected one line on stderr, got:\n" + r.err));
        for (const QString& m : mentions) QVERIFY2(err.contains(m), qPrintable("'" + m + "' missing from: " + err));
    }

    void csvWithTextValue()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath("points.csv");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("x,y,label\n0.1,0.2,0\n0.3,0.4,1\n0.5,oops,0\n0.7,0.8,1\n");
        f.close();
        const Result r = run({"train", "--model", spiralSpec(), "--data", path, "--epochs", "1"});
        QVERIFY2(!r.crashed, qPrintable(r.err));
        QVERIFY(r.exitCode != 0);
        const QString err = r.err.trimmed();
        QVERIFY2(!err.isEmpty() && !err.contains('\n'), qPrintable(r.err));
        for (const QString& m : {QString("line 4"), QString("oops"), path})
            QVERIFY2(err.contains(m), qPrintable("'" + m + "' missing from: " + err));
    }
};

QTEST_APPLESS_MAIN(CliTrain)
#include "tst_cli_train.moc"
