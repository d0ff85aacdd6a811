// End to end: `nnstudio-cli distill`: a teacher for the circles set trained by `train --out`,
// a small student distilled from it with one JSON line per epoch and a final line,
// the saved student read back, and bad input rejected with one line and exit 1.
#include <QtTest/QtTest>

#include "cli_process.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <cmath>

#include "engine/io/model_file.h"

namespace {

using nntest::jsonLines;
using nntest::cli;
using nntest::spiralSpec;
using Result = nntest::ProcessResult;

Result run(const QStringList& args, int timeoutMs = 30000) { return nntest::runProcess(cli(), args, timeoutMs); }

void writeFile(const QString& path, const QByteArray& text)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

const QByteArray kStudent = R"({"name": "small-student", "input": {"shape": [2]},
  "layers": [{"id": "h1", "type": "dense", "units": 8, "activation": "tanh"},
             {"id": "out", "type": "dense", "units": "auto"}],
  "loss": "softmax_cross_entropy"})";

} // namespace

class CliDistillTest : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString teacher_, student_;

private slots:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        teacher_ = dir_.filePath("teacher.nnm");
        student_ = dir_.filePath("student.json");
        writeFile(student_, kStudent);
        const Result r = run({"train", "--model", spiralSpec(), "--data", "circles", "--epochs", "30", "--batch", "10",
                              "--lr", "0.03", "--seed", "2", "--out", teacher_, "--json"});
        QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
    }

    void distillsWithJsonLines()
    {
        const QString out = dir_.filePath("student.nnm");
        const Result r = run({"distill", "--teacher", teacher_, "--student", student_, "--data", "circles",
                              "--temperature", "3", "--alpha", "0.7", "--epochs", "12", "--batch", "10", "--lr",
                              "0.03", "--out", out, "--json"});
        QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
        QString error;
        const QList<QJsonObject> lines = jsonLines(r.out, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(lines.size(), 1 + 12 + 1);  // start, one per epoch, final
        QCOMPARE(lines.first().value("event").toString(), QString("start"));
        QCOMPARE(lines.first().value("student_parameters").toInt(), 2 * 8 + 8 + 8 * 2 + 2);
        QCOMPARE(lines.first().value("teacher_parameters").toInt(), 2 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2);
        for (int e = 1; e <= 12; ++e) {
            QCOMPARE(lines[e].value("event").toString(), QString("epoch"));
            QCOMPARE(lines[e].value("epoch").toInt(), e);
            QVERIFY(std::isfinite(lines[e].value("train_loss").toDouble()));
        }
        const QJsonObject final = lines.last();
        QVERIFY(final.value("final").toBool());
        QCOMPARE(final.value("status").toString(), QString("completed"));
        QCOMPARE(final.value("temperature").toDouble(), 3.0);
        QVERIFY(std::fabs(final.value("alpha").toDouble() - 0.7) < 1e-6);
        QVERIFY(final.value("teacher_test_accuracy").toDouble() > 0.8);
        QVERIFY2(final.value("test_accuracy").toDouble() > 0.85,
                 qPrintable(QString::number(final.value("test_accuracy").toDouble())));
        QCOMPARE(final.value("model_file").toString(), out);

        const nn::io::LoadedModel saved = nn::io::loadModelFile(out.toStdString());
        QCOMPARE(saved.model.spec().name, std::string("small-student"));
        QCOMPARE(saved.extras.metadata.value("temperature", 0.0), 3.0);
        // The saved student scores the test set as the final line says.
        const Result e = run({"eval", "--model", out, "--data", "circles", "--json"});
        QVERIFY2(e.exitCode == 0, qPrintable(e.err));
        const QJsonObject ev = QJsonDocument::fromJson(e.out.trimmed().toUtf8()).object();
        QCOMPARE(ev.value("accuracy").toDouble(), final.value("test_accuracy").toDouble());
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("alpha out of range") << QStringList {"--alpha", "2"} << "--alpha";
        QTest::newRow("temperature zero") << QStringList {"--temperature", "0"} << "--temperature";
        QTest::newRow("unknown option") << QStringList {"--temprature", "2"} << "--temprature";
        QTest::newRow("other data") << QStringList {"--data", "fashion-mnist", "--limit", "50"} << "input.shape";
    }

    void badInput()
    {
        QFETCH(QStringList, extra);
        QFETCH(QString, mentions);
        QStringList args {"distill", "--teacher", teacher_, "--student", student_, "--epochs", "1"};
        if (!extra.contains("--data")) args << "--data" << "circles";
        args << extra;
        const Result r = run(args);
        QVERIFY(!r.crashed);
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.err.trimmed().count('\n'), 0);  // one line
        QVERIFY2(r.err.contains(mentions), qPrintable(r.err));
    }

    void missingTeacherAndWrongLoss()
    {
        Result r = run({"distill", "--teacher", dir_.filePath("none.nnm"), "--student", student_, "--data", "circles"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("none.nnm"), qPrintable(r.err));
        const QString mse = dir_.filePath("mse.json");
        writeFile(mse, QByteArray(kStudent).replace("softmax_cross_entropy", "mse"));
        r = run({"distill", "--teacher", teacher_, "--student", mse, "--data", "circles", "--epochs", "1"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("softmax_cross_entropy"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(CliDistillTest)
#include "tst_cli_distill.moc"
