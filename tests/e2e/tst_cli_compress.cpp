// End to end: `nnstudio-cli compress` on the spiral net: a spec pretrained, then
// prune → retrain → share → (retrain →) huffman, one JSON line per stage, the
// saved model read back, and bad pipelines rejected with one line and exit 1.
#include <QtTest/QtTest>

#include "cli_process.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <cmath>
#include <set>

#include "engine/io/model_file.h"

namespace {

using nntest::jsonLines;
using nntest::cli;
using nntest::spiralSpec;
using Result = nntest::ProcessResult;

Result run(const QStringList& args, int timeoutMs = 20000) { return nntest::runProcess(cli(), args, timeoutMs); }

QStringList compressArgs(const QString& pipeline)
{
    return {"compress", "--model", spiralSpec(), "--data", "spiral", "--epochs-pretrain", "200", "--batch", "10",
            "--lr", "0.03", "--seed", "1", "--pipeline", pipeline, "--json"};
}

QList<QJsonObject> runPipeline(const QStringList& args, QString* error)
{
    const Result r = run(args);
    if (r.crashed || r.exitCode != 0) {
        *error = QString("exit %1: %2").arg(r.exitCode).arg(r.err);
        return {};
    }
    return jsonLines(r.out, error);
}

QJsonArray layersOf(const QJsonObject& o) { return o.value("layers").toArray(); }

} // namespace

class CliCompress : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY2(!cli().isEmpty(), "NN_CLI is not set");
        QVERIFY2(QFileInfo(cli()).isExecutable(), qPrintable(cli() + " is not an executable"));
    }

    void pipelineOnSpiral()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString out = dir.filePath("spiral-compressed.nnm");
        QString error;
        const QList<QJsonObject> lines =
            runPipeline(compressArgs("prune:0.5,retrain:20,share:4,huffman") << "--out" << out, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(lines.size(), 6);  // dense, 4 stages, final

        const QStringList expected {"dense", "prune", "retrain", "share", "huffman", "huffman"};
        for (int i = 0; i < lines.size(); ++i) {
            QCOMPARE(lines[i].value("stage").toString(), expected[i]);
            QVERIFY(lines[i].value("test_accuracy").isDouble());
            QVERIFY(lines[i].value("ratio").isDouble());
            QCOMPARE(layersOf(lines[i]).size(), 3);  // h1, h2, out .weight
        }
        QCOMPARE(lines.last().value("final").toBool(), true);
        QVERIFY(!lines[4].contains("final"));

        // Formats appear as the stages make them possible.
        const QStringList formats {"dense", "csr", "relative_index", "codebook", "huffman"};
        const QList<int> present {1, 3, 3, 4, 5};  // formats in bits after each line
        for (int i = 0; i < 5; ++i) {
            const QJsonObject bits = lines[i].value("bits").toObject();
            for (int f = 0; f < formats.size(); ++f)
                QVERIFY2(bits.contains(formats[f]) == (f < present[i]),
                         qPrintable(QString("line %1, format %2").arg(i).arg(formats[f])));
            for (const QString& k : bits.keys()) QVERIFY(bits.value(k).toDouble() > 0);
        }
        QCOMPARE(lines[0].value("ratio").toDouble(), 1.0);

        // prune: each tensor exactly half zeros; retrain keeps exactly those zeros.
        for (int i = 0; i < 3; ++i) {
            const QJsonObject pruned = layersOf(lines[1])[i].toObject();
            const QJsonObject retrained = layersOf(lines[2])[i].toObject();
            QCOMPARE(pruned.value("sparsity").toDouble(), 0.5);
            QCOMPARE(layersOf(lines[0])[i].toObject().value("zeros").toInt(), 0);
            QCOMPARE(retrained.value("zeros").toInt(), pruned.value("zeros").toInt());
            QVERIFY(pruned.value("zeros").toInt() > 0);
        }
        // share:4: at most 16 distinct nonzero values per tensor, zeros unchanged.
        for (int l : {3, 4})
            for (int i = 0; i < 3; ++i) {
                const QJsonObject layer = layersOf(lines[l])[i].toObject();
                QVERIFY(layer.value("distinct_nonzero").toInt() <= 16);
                QCOMPARE(layer.value("zeros").toInt(), layersOf(lines[1])[i].toObject().value("zeros").toInt());
            }
        QVERIFY(layersOf(lines[1])[1].toObject().value("distinct_nonzero").toInt() > 16);  // h2: 128 before

        // The ratio grows with each compressing stage and never falls.
        QVERIFY(lines[1].value("ratio").toDouble() > lines[0].value("ratio").toDouble());
        QVERIFY(lines[3].value("ratio").toDouble() > lines[2].value("ratio").toDouble());
        for (int i = 1; i < 5; ++i)
            QVERIFY(lines[i].value("ratio").toDouble() >= lines[i - 1].value("ratio").toDouble());
        QVERIFY2(lines.last().value("test_accuracy").toDouble() > 0.8,
                 qPrintable(QString::number(lines.last().value("test_accuracy").toDouble())));

        // The saved model holds the compressed weights.
        const nn::io::LoadedModel loaded = nn::io::loadModelFile(out.toStdString());
        int tensors = 0;
        for (const auto& p : loaded.model.parameters()) {
            if (p.name.size() < 7 || p.name.compare(p.name.size() - 7, 7, ".weight") != 0) continue;
            ++tensors;
            std::set<float> distinct;
            int64_t zeros = 0;
            for (int64_t i = 0; i < p.value.numel(); ++i) {
                const float v = p.value.data()[i];
                if (v == 0.0f)
                    ++zeros;
                else
                    distinct.insert(v);
            }
            QVERIFY(distinct.size() <= 16);
            QCOMPARE(zeros, p.value.numel() / 2);
        }
        QCOMPARE(tensors, 3);
    }

    void retrainAfterShareStaysShared()
    {
        QString error;
        const QList<QJsonObject> lines = runPipeline(compressArgs("prune:0.5,share:3,retrain:5"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(lines.size(), 5);
        QCOMPARE(lines[3].value("stage").toString(), QString("retrain"));
        for (int i = 0; i < 3; ++i) {
            const QJsonObject layer = layersOf(lines[3])[i].toObject();
            QVERIFY(layer.value("distinct_nonzero").toInt() <= 8);
            QCOMPARE(layer.value("sparsity").toDouble(), 0.5);
        }
        QVERIFY(lines[3].value("bits").toObject().contains("codebook"));
    }

    void sensitivitySweep()
    {
        QStringList args = compressArgs("");
        args.removeAt(args.indexOf("--pipeline") + 1);
        args.removeAll("--pipeline");
        QString error;
        const QList<QJsonObject> lines = runPipeline(args << "--sensitivity" << "--sensitivity-retrain" << "1", &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(lines.size(), 3 * 11 * 2 + 1);  // 3 layers x 11 ratios x (plain, retrained), final
        const double dense = lines.last().value("dense_test_accuracy").toDouble();
        QCOMPARE(lines.last().value("points").toInt(), 66);
        for (int i = 0; i < 66; ++i) {
            const QJsonObject p = lines[i];
            QCOMPARE(p.value("retrained").toBool(), i % 2 == 1);
            QVERIFY(p.value("accuracy").isDouble());
            QCOMPARE(p.value("method").toString(), QString("prune"));
        }
        QCOMPARE(lines[0].value("layer").toString(), QString("h1.weight"));
        QCOMPARE(lines[0].value("ratio").toDouble(), 0.0);
        QCOMPARE(lines[0].value("accuracy").toDouble(), dense);  // ratio 0: the dense model
        QCOMPARE(lines[21].value("ratio").toDouble(), 0.95);
        QCOMPARE(lines[22].value("layer").toString(), QString("h2.weight"));
        // The weights are put back between points: every layer's ratio 0 is the dense model.
        QCOMPARE(lines[22].value("accuracy").toDouble(), dense);
        QCOMPARE(lines[44].value("accuracy").toDouble(), dense);
    }

    void bitsSweep()
    {
        QStringList args = compressArgs("");
        args.removeAt(args.indexOf("--pipeline") + 1);
        args.removeAll("--pipeline");
        QString error;
        const QList<QJsonObject> lines = runPipeline(args << "--bits-sweep" << "share", &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(lines.size(), 9);
        for (int i = 0; i < 8; ++i) {
            QCOMPARE(lines[i].value("bits").toInt(), 8 - i);
            QCOMPARE(lines[i].value("layer").toString(), QString("all"));
        }
        QVERIFY(std::abs(lines[0].value("accuracy").toDouble() - lines.last().value("dense_test_accuracy").toDouble())
                <= 0.02);
        const Result both = run(compressArgs("prune:0.5") << "--sensitivity");
        QCOMPARE(both.exitCode, 1);
        QVERIFY(both.err.contains("drop --pipeline"));
    }

    void activationStagesAndSweeps()
    {
        QString error;
        const QList<QJsonObject> lines = runPipeline(compressArgs("act:16,prune:0.5,act:2") << "--act-samples" << "300", &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(lines.size(), 5);  // dense, 3 stages, final
        QCOMPARE(lines[0].value("activation_bits").toInt(), 0);
        QVERIFY(!lines[0].contains("activations"));
        const int bits[] = {0, 16, 16, 2};
        for (int i = 1; i < 4; ++i) {
            QCOMPARE(lines[i].value("activation_bits").toInt(), bits[i]);
            QCOMPARE(lines[i].value("activation_scheme").toString(), QString("fixed"));
            const QJsonArray a = lines[i].value("activations").toArray();
            QCOMPARE(a.size(), 3);
            QCOMPARE(a[0].toObject().value("layer").toString(), QString("h1"));
            QVERIFY(a[2].toObject().value("highest").toDouble() >= a[2].toObject().value("abs_hi").toDouble());
        }
        const double dense = lines[0].value("test_accuracy").toDouble();
        QVERIFY(std::abs(lines[1].value("test_accuracy").toDouble() - dense) <= 0.01);
        QVERIFY(std::abs(lines[3].value("test_accuracy").toDouble() - dense) >= 0.05);
        QCOMPARE(lines[1].value("bits").toObject(), lines[0].value("bits").toObject());  // activations are not stored

        QStringList sweep = compressArgs("");
        sweep.removeAt(sweep.indexOf("--pipeline") + 1);
        sweep.removeAll("--pipeline");
        const QList<QJsonObject> points = runPipeline(QStringList(sweep) << "--bits-sweep" << "act", &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(points.size(), 16);  // 16 -> 2 bits, final
        QCOMPARE(points[0].value("method").toString(), QString("act"));
        QCOMPARE(points[14].value("bits").toInt(), 2);
        QVERIFY(std::abs(points[0].value("accuracy").toDouble() - points.last().value("dense_test_accuracy").toDouble())
                <= 0.01);

        const Result layerType = run(QStringList(sweep) << "--bits-sweep" << "fixed-both" << "--layer-type" << "dense");
        QCOMPARE(layerType.exitCode, 1);
        QVERIFY2(layerType.err.contains("drop --layer-type"), qPrintable(layerType.err));
        const Result stray = run(compressArgs("prune:0.5") << "--act-percentile" << "99");
        QCOMPARE(stray.exitCode, 1);
        QVERIFY2(stray.err.contains("add an act:B or act8 stage"), qPrintable(stray.err));
    }

    void storedWithItsRun()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath("history.sqlite");
        QString error;
        const QList<QJsonObject> lines =
            runPipeline(compressArgs("prune:0.5,share:3,huffman") << "--store" << db << "--run-name" << "squeezed", &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(lines.size(), 5);
        const int runId = lines.last().value("run_id").toInt();
        QVERIFY(runId > 0);

        const Result shown = run({"runs", "--store", db, "show", "squeezed", "--json"});
        QCOMPARE(shown.exitCode, 0);
        const QJsonObject r = QJsonDocument::fromJson(shown.out.trimmed().split('\n').last().toUtf8())
                                  .object().value("run").toObject();
        QCOMPARE(r.value("status").toString(), QString("completed"));
        QCOMPARE(r.value("hyperparameters").toObject().value("pipeline").toString(), QString("prune:0.5,share:3,huffman"));
        const QJsonArray stages = r.value("stages").toArray();
        QCOMPARE(stages.size(), 4);  // dense and three stages, each the line printed
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(stages[i].toObject().value("step").toInt(), i);
            QCOMPARE(stages[i].toObject().value("ratio").toDouble(), lines[i].value("ratio").toDouble());
            QCOMPARE(stages[i].toObject().value("layers").toArray().size(), 3);
        }
        QVERIFY(stages[3].toObject().value("layers").toArray()[0].toObject().contains("huffman_indices"));

        const Result text = run({"runs", "--store", db, "show", QString::number(runId)});
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.contains("compression stages") && text.out.contains("share:3"), qPrintable(text.out));
    }

    // --store and --out are checked before --epochs-pretrain trains, not after it.
    void outputPathsAreCheckedBeforePretraining()
    {
        QTemporaryDir dir;
        QElapsedTimer t;
        t.start();
        const QStringList pretrain {"compress", "--model", nntest::spiralSpec(), "--data", "spiral", "--epochs-pretrain",
                                    "100000", "--pipeline", "prune:0.5"};
        const Result store = run(QStringList(pretrain) << "--store" << dir.path());  // a folder, not a file
        QCOMPARE(store.exitCode, 1);
        QVERIFY2(store.err.contains("is a folder"), qPrintable(store.err));
        const Result out = run(QStringList(pretrain) << "--out" << dir.filePath("missing/m.nnm"));
        QCOMPARE(out.exitCode, 1);
        QVERIFY2(out.err.contains("does not exist"), qPrintable(out.err));
        QVERIFY2(t.elapsed() < 5000, qPrintable(QString("took %1 ms").arg(t.elapsed())));
    }

    void badPipelineRejected_data()
    {
        QTest::addColumn<QString>("pipeline");
        QTest::addColumn<QString>("named");
        QTest::newRow("unknown stage") << "prune:0.5,squeeze:3" << "stage 2 'squeeze:3'";
        QTest::newRow("sparsity 1.5") << "prune:1.5" << "stage 1 'prune:1.5'";
        QTest::newRow("no value") << "prune:0.5,retrain" << "stage 2 'retrain'";
        QTest::newRow("not a number") << "share:abc" << "stage 1 'share:abc'";
        QTest::newRow("huffman first") << "huffman,share:4" << "stage 1 'huffman'";
        QTest::newRow("empty stage") << "prune:0.5,,share:4" << "stage 2";
    }

    void badPipelineRejected()
    {
        QFETCH(QString, pipeline);
        QFETCH(QString, named);
        const Result r = run(compressArgs(pipeline));
        QVERIFY(!r.crashed);
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.out.isEmpty());
        const QStringList errLines = r.err.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(errLines.size(), 1);
        QVERIFY2(errLines[0].contains(named), qPrintable(errLines[0]));
    }
};

QTEST_APPLESS_MAIN(CliCompress)
#include "tst_cli_compress.moc"
