// End to end: `train --out`, `predict`, `eval` and `export` on the model files they
// share, as a user runs them; every bad input gives exit 1 and one stderr line
// naming the file and the problem.
#include <QtTest/QtTest>

#include "cli_process.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include "engine/io/model_file.h"

namespace {

using nntest::jsonLines;
using nntest::cli;
using nntest::sourceDir;
using nntest::spiralSpec;
using Result = nntest::ProcessResult;

Result run(const QStringList& args, int timeoutMs = 30000) { return nntest::runProcess(cli(), args, timeoutMs); }

bool writeFile(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
    return f.write(bytes) == bytes.size();
}

#define EXPECT_OK(r) QVERIFY2(!(r).crashed && (r).exitCode == 0, qPrintable(QString("exit %1: %2").arg((r).exitCode).arg((r).err)))

// Exit 1 with exactly one stderr line that contains every fragment.
#define EXPECT_REFUSED(r, ...)                                                                                    \
    do {                                                                                                          \
        QVERIFY2(!(r).crashed && (r).exitCode == 1, qPrintable(QString("exit %1: %2").arg((r).exitCode).arg((r).err))); \
        QCOMPARE((r).err.trimmed().count('\n'), 0);                                                               \
        for (const char* frag : {__VA_ARGS__})                                                                    \
            QVERIFY2((r).err.contains(QString::fromUtf8(frag)), qPrintable("expected '" + QString(frag) + "' in: " + (r).err)); \
    } while (0)

} // namespace

class CliPredict : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString model_, inputs_;
    QJsonObject trainFinal_;
    QString path(const QString& name) const { return dir_.path() + "/" + name; }

private slots:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        QVERIFY2(QFileInfo(cli()).isExecutable(), qPrintable("NN_CLI is not an executable: " + cli()));
        model_ = path("spiral.nnm");
        const Result r = run({"train", "--model", spiralSpec(), "--data", "spiral", "--epochs", "40", "--batch", "10",
                              "--lr", "0.03", "--seed", "3", "--json", "--out", model_});
        EXPECT_OK(r);
        const auto lines = jsonLines(r.out);
        QVERIFY(!lines.isEmpty());
        trainFinal_ = lines.last();
        QCOMPARE(trainFinal_.value("model_file").toString(), model_);
        QVERIFY(QFileInfo(model_).size() > 24);
        // The optimizer's state travels with the weights (Adam: m and v per parameter, and t).
        const nn::io::LoadedModel saved = nn::io::loadModelFile(model_.toStdString());
        QCOMPARE(QString::fromStdString(saved.extras.optimizerKind), QString("adam"));
        QCOMPARE(saved.extras.optimizerState.size(), 2 * saved.model.parameters().size() + 1);
        inputs_ = path("points.csv");
        QVERIFY(writeFile(inputs_, "x,y\n0.5,0.25\n-0.75,0.125\n0,0\n1.5,-1\n"));
    }

    void predictJsonGivesOneLinePerRow()
    {
        const Result r = run({"predict", "--model", model_, "--input", inputs_, "--json"});
        EXPECT_OK(r);
        const auto lines = jsonLines(r.out);
        QCOMPARE(lines.size(), 5);
        for (int i = 0; i < 4; ++i) {
            const QJsonObject& o = lines[i];
            QCOMPARE(o.value("row").toInt(), i + 1);
            const QJsonArray out = o.value("output").toArray();
            QCOMPARE(out.size(), 2);
            QVERIFY(out[0].isDouble() && out[1].isDouble());
            QCOMPARE(o.value("class").toInt(), out[1].toDouble() > out[0].toDouble() ? 1 : 0);
            QVERIFY(!o.contains("final"));
        }
        QVERIFY(lines[0].value("output") != lines[1].value("output"));
        const QJsonObject last = lines.last();
        QCOMPARE(last.value("final").toBool(), true);
        QCOMPARE(last.value("rows").toInt(), 4);
        QCOMPARE(last.value("outputs").toInt(), 2);
        QCOMPARE(last.value("output_kind").toString(), QString("logits"));
        // The same file gives the same numbers every time.
        QCOMPARE(run({"predict", "--model", model_, "--input", inputs_, "--json"}).out, r.out);
    }

    void predictTextAndDroppedLabelColumn()
    {
        const Result text = run({"predict", "--model", model_, "--input", inputs_});
        EXPECT_OK(text);
        QCOMPARE(text.out.trimmed().split('\n').size(), 4);
        QVERIFY(text.out.startsWith("1: class "));
        // A data file with its label column: --label drops it, the outputs are the same.
        const QString labelled = path("labelled.csv");
        QVERIFY(writeFile(labelled, "x,label,y\n0.5,a,0.25\n-0.75,b,0.125\n0,a,0\n1.5,b,-1\n"));
        const Result a = run({"predict", "--model", model_, "--input", inputs_, "--json"});
        const Result b = run({"predict", "--model", model_, "--input", labelled, "--label", "label", "--json"});
        EXPECT_OK(b);
        QCOMPARE(b.out, a.out);
    }

    void evalReproducesTrainsTestFigures()
    {
        // eval takes the seed from the model file, so the test split is the one train held out.
        const Result r = run({"eval", "--model", model_, "--data", "spiral", "--json"});
        EXPECT_OK(r);
        const auto lines = jsonLines(r.out);
        QCOMPARE(lines.size(), 1);
        const QJsonObject o = lines[0];
        QCOMPARE(o.value("final").toBool(), true);
        QCOMPARE(o.value("split").toString(), QString("test"));
        QCOMPARE(o.value("samples").toInt(), 75);
        QVERIFY(qAbs(o.value("accuracy").toDouble() - trainFinal_.value("test_accuracy").toDouble()) < 1e-12);
        QVERIFY(qAbs(o.value("loss").toDouble() - trainFinal_.value("test_loss").toDouble()) < 1e-6);

        const Result all = run({"eval", "--model", model_, "--data", "spiral", "--split", "all", "--json"});
        EXPECT_OK(all);
        QCOMPARE(jsonLines(all.out).value(0).value("samples").toInt(), 500);
    }

    void evalOnACsvFile()
    {
        const QString data = path("data.csv");
        QVERIFY(writeFile(data, "x,y,label\n0.5,0.25,0\n-0.75,0.125,1\n0,0,0\n1.5,-1,1\n0.1,0.2,1\n"));
        const Result r = run({"eval", "--model", model_, "--data", data, "--json"});
        EXPECT_OK(r);
        const QJsonObject o = jsonLines(r.out).value(0);
        QCOMPARE(o.value("samples").toInt(), 5);
        QCOMPARE(o.value("split").toString(), QString("all"));
        const double acc = o.value("accuracy").toDouble();
        QVERIFY(acc >= 0 && acc <= 1);
        QVERIFY(o.value("loss").toDouble() > 0);
    }

    void exportWritesACheckedOnnxFile()
    {
        const QString onnx = path("spiral.onnx");
        const Result r = run({"export", "--model", model_, "--onnx", onnx, "--json"});
        EXPECT_OK(r);
        const QJsonObject o = jsonLines(r.out).value(0);
        QCOMPARE(o.value("checked").toBool(), true);
        QCOMPARE(o.value("opset").toInt(), 13);
        QCOMPARE(qint64(o.value("bytes").toDouble()), QFileInfo(onnx).size());
        QVERIFY(QFileInfo(onnx).size() > 500);
    }

    void badInputsAreRefusedWithOneLine()
    {
        // Wrong number of values on a row: names the file and the line.
        const QString wide = path("wide.csv");
        QVERIFY(writeFile(wide, "0.1,0.2\n0.3,0.4,1\n"));
        EXPECT_REFUSED(run({"predict", "--model", model_, "--input", wide}), "wide.csv: line 2: expected 2 values",
                       "--label");
        const QString word = path("word.csv");
        QVERIFY(writeFile(word, "0.1,0.2\n0.3,abc\n"));
        EXPECT_REFUSED(run({"predict", "--model", model_, "--input", word}), "word.csv: line 2, column 2",
                       "not a number");
        EXPECT_REFUSED(run({"predict", "--model", model_, "--input", path("none.csv")}), "none.csv", "cannot open");
        // A model spec where a trained model file belongs.
        EXPECT_REFUSED(run({"predict", "--model", spiralSpec(), "--input", inputs_}), "spiral-mlp.json",
                       "not a trained NN Studio model file", "--out");
        // A truncated and a corrupted model file: predict, eval and export all refuse them.
        QFile f(model_);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        const QString cut = path("cut.nnm"), bad = path("bad.nnm");
        QVERIFY(writeFile(cut, bytes.left(bytes.size() - 100)));
        QByteArray flipped = bytes;
        flipped[bytes.size() / 2] = char(flipped[bytes.size() / 2] ^ 1);
        QVERIFY(writeFile(bad, flipped));
        EXPECT_REFUSED(run({"predict", "--model", cut, "--input", inputs_}), "cut.nnm: ", "truncated");
        EXPECT_REFUSED(run({"eval", "--model", bad, "--data", "spiral"}), "bad.nnm: ", "checksum mismatch");
        EXPECT_REFUSED(run({"export", "--model", bad, "--onnx", path("x.onnx")}), "bad.nnm: ", "checksum mismatch");
        QVERIFY(!QFileInfo::exists(path("x.onnx")));
        // Data that does not fit the model.
        const QString three = path("three.csv");
        QVERIFY(writeFile(three, "a,b,c,label\n1,2,3,0\n4,5,6,1\n"));
        EXPECT_REFUSED(run({"eval", "--model", model_, "--data", three}), "3 features per sample", "[2]");
        const QString classes = path("classes.csv");
        QVERIFY(writeFile(classes, "a,b,label\n1,2,0\n4,5,1\n0,0,2\n"));
        EXPECT_REFUSED(run({"eval", "--model", model_, "--data", classes}), "label 2", "knows 2 classes");
        EXPECT_REFUSED(run({"export", "--model", model_}), "--onnx");
        EXPECT_REFUSED(run({"eval", "--model", model_, "--data", "spiral", "--split", "half"}), "--split");
    }
};

QTEST_GUILESS_MAIN(CliPredict)
#include "tst_cli_predict.moc"
