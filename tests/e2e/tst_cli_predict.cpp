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

    // eval on a CSV used the file's own order of first appearance for text labels:
    // a model trained with "cat" first scored 0.0 on a file whose first rows were
    // "dog", and 1.0 on the same rows the other way round.
    void evalMapsCsvLabelsThroughTheModelsClassNames()
    {
        QByteArray catsFirst = "x,y,animal\n", dogsFirst = "x,y,animal\n", cats, dogs;
        for (int i = 0; i < 40; ++i) {
            const double y = (i % 10) / 10.0 - 0.45;
            cats += QByteArray::number(0.3 + 0.01 * i) + "," + QByteArray::number(y) + ",cat\n";
            dogs += QByteArray::number(-0.3 - 0.01 * i) + "," + QByteArray::number(y) + ",dog\n";
        }
        catsFirst += cats + dogs;
        dogsFirst += dogs + cats;
        const QString trainCsv = path("cats-first.csv"), evalCsv = path("dogs-first.csv"), model = path("animals.nnm");
        QVERIFY(writeFile(trainCsv, catsFirst));
        QVERIFY(writeFile(evalCsv, dogsFirst));
        EXPECT_OK(run({"train", "--model", spiralSpec(), "--data", trainCsv, "--epochs", "30", "--batch", "10", "--lr",
                       "0.03", "--out", model, "--json"}));
        const Result a = run({"eval", "--model", model, "--data", trainCsv, "--json"});
        const Result b = run({"eval", "--model", model, "--data", evalCsv, "--json"});
        EXPECT_OK(a);
        EXPECT_OK(b);
        const double accA = jsonLines(a.out).value(0).value("accuracy").toDouble();
        const double accB = jsonLines(b.out).value(0).value("accuracy").toDouble();
        QVERIFY2(accA > 0.9, qPrintable(a.out));
        QCOMPARE(accB, accA);
        // A label the model never saw: refused, naming it, the file and the classes.
        const QString bird = path("bird.csv");
        QVERIFY(writeFile(bird, "x,y,animal\n0.5,0.1,cat\n-0.5,0.2,bird\n"));
        EXPECT_REFUSED(run({"eval", "--model", model, "--data", bird}), "bird.csv line 3", "label 'bird'",
                       "'cat', 'dog'");
    }

    // A Latin-1 label trained, then --out failed with json's type_error.316 and no
    // model was written. The file is read as Latin-1 now, with a note.
    void latin1LabelsTrainAndSave()
    {
        QByteArray text = "x,y,label\n";
        for (int i = 0; i < 20; ++i)
            text += QByteArray::number(i % 2 ? 0.5 : -0.5) + "," + QByteArray::number(i / 20.0) + (i % 2 ? ",caf\xe9\n" : ",th\xe9\n");
        const QString csv = path("latin1.csv"), model = path("latin1.nnm");
        QVERIFY(writeFile(csv, text));
        const Result r = run({"train", "--model", spiralSpec(), "--data", csv, "--epochs", "2", "--out", model, "--json"});
        EXPECT_OK(r);
        QVERIFY2(r.err.contains("not UTF-8") && r.err.contains("Latin-1"), qPrintable(r.err));
        QVERIFY(!jsonLines(r.out).isEmpty());
        const nn::io::LoadedModel saved = nn::io::loadModelFile(model.toStdString());
        QCOMPARE(saved.extras.classNames, std::vector<std::string>({"th\xc3\xa9", "caf\xc3\xa9"}));
        const Result p = run({"predict", "--model", model, "--input", inputs_, "--json"});
        EXPECT_OK(p);
        QVERIFY(!jsonLines(p.out).isEmpty());
    }

    // --out is checked before training, not after an hour of it.
    void unwritableOutIsRefusedBeforeTraining()
    {
        const Result r = run({"train", "--model", spiralSpec(), "--data", "spiral", "--epochs", "100000", "--json",
                              "--out", path("no-such-dir/model.nnm")},
                             10000);
        EXPECT_REFUSED(r, "no-such-dir/model.nnm", "does not exist");
        QVERIFY2(!r.out.contains("\"epoch\""), qPrintable(r.out));
    }

    // 3 rows: the default fractions keep no validation or test sample.
    void tinyCsvIsRefusedSayingWhatTheSplitGives()
    {
        const QString tiny = path("tiny.csv");
        QVERIFY(writeFile(tiny, "x,y,label\n1,2,0\n3,4,1\n5,6,0\n"));
        EXPECT_REFUSED(run({"train", "--model", spiralSpec(), "--data", tiny, "--patience", "3"}), "only 3 samples",
                       "keeps none of them for validation", "--val-fraction 0");
        EXPECT_REFUSED(run({"train", "--model", spiralSpec(), "--data", tiny, "--val-fraction", "0", "--test-fraction",
                            "0", "--patience", "3"}),
                       "--patience 3", "validation set is empty");
        EXPECT_OK(run({"train", "--model", spiralSpec(), "--data", tiny, "--val-fraction", "0", "--test-fraction", "0",
                       "--epochs", "1"}));
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
        EXPECT_REFUSED(run({"eval", "--model", model_, "--data", classes}), "classes.csv line 4: label '2'", "knows 2 classes", "'class 0', 'class 1'");
        EXPECT_REFUSED(run({"export", "--model", model_}), "--onnx");
        EXPECT_REFUSED(run({"eval", "--model", model_, "--data", "spiral", "--split", "half"}), "--split");
    }
};

QTEST_GUILESS_MAIN(CliPredict)
#include "tst_cli_predict.moc"
