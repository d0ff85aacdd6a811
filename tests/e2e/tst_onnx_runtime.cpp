// ONNX export checked by another runtime: every sample model in assets/models
// (and a spec that uses every layer type) is trained briefly, saved, exported with
// `nnstudio-cli export --onnx`, and run in onnxruntime (npm onnxruntime-node, CPU,
// through tests/onnx/run_onnx.js) on random inputs; its outputs must match
// `nnstudio-cli predict` on the same inputs within 1e-5 (max absolute difference).
// A control compares two different models to show the comparison does catch a
// difference. Needs node and tests/onnx/node_modules (packaging/setup.sh installs
// both); without them the suite fails, it does not skip.
#include <QtTest/QtTest>

#include "cli_process.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <cmath>

#include "engine/io/model_file.h"

namespace {

constexpr double kTolerance = 1e-5;

using nntest::cli;
using nntest::sourceDir;
QString runner() { return sourceDir() + "/tests/onnx/run_onnx.js"; }

using Result = nntest::ProcessResult;

Result run(const QString& program, const QStringList& args, int timeoutMs = 120000)
{
    return nntest::runProcess(program, args, timeoutMs);
}

#define EXPECT_OK(r, what)                                                                                        \
    QVERIFY2(!(r).crashed && (r).exitCode == 0,                                                                   \
             qPrintable(QString("%1: exit %2: %3").arg(what).arg((r).exitCode).arg((r).err)))

// The "output" arrays of the row lines of `predict --json` / run_onnx.js, in order.
QList<QVector<double>> outputs(const QString& out, QString* error)
{
    QList<QVector<double>> rows;
    bool final = false;
    for (const QString& line : out.split('\n', Qt::SkipEmptyParts)) {
        const QJsonObject o = QJsonDocument::fromJson(line.toUtf8()).object();
        if (o.value("final").toBool()) {
            final = true;
            continue;
        }
        if (!o.contains("output") || o.value("row").toInt() != rows.size() + 1) {
            *error = "unexpected line: " + line;
            return {};
        }
        QVector<double> v;
        for (const auto& x : o.value("output").toArray()) v << x.toDouble(std::nan(""));
        rows << v;
    }
    if (!final) *error = "no final line";
    return rows;
}

// Max |a - b| over every value; +inf when the shapes differ or a value is not finite.
double maxAbsDiff(const QList<QVector<double>>& a, const QList<QVector<double>>& b)
{
    if (a.size() != b.size() || a.isEmpty()) return INFINITY;
    double worst = 0;
    for (int i = 0; i < a.size(); ++i) {
        if (a[i].size() != b[i].size() || a[i].isEmpty()) return INFINITY;
        for (int k = 0; k < a[i].size(); ++k) {
            const double d = std::abs(a[i][k] - b[i][k]);
            if (!std::isfinite(d)) return INFINITY;
            worst = std::max(worst, d);
        }
    }
    return worst;
}

// Random inputs as multiples of 1/4096, exact in float and double alike, so both
// runtimes read the very same numbers.
QByteArray randomCsv(int rows, int features, double lo, double hi, quint32 seed)
{
    QRandomGenerator rng(seed);
    QByteArray csv;
    for (int r = 0; r < rows; ++r) {
        for (int f = 0; f < features; ++f) {
            const double v = lo + (hi - lo) * rng.generateDouble();
            csv += QByteArray::number(std::round(v * 4096.0) / 4096.0, 'g', 17);
            csv += f + 1 < features ? ',' : '\n';
        }
    }
    return csv;
}

// Uses every layer type the spec language has (global_avgpool comes with resnet-small).
const char* kAllLayers = R"({
  "name": "all-layers",
  "input": {"shape": [1, 28, 28]},
  "layers": [
    {"id": "c1", "type": "conv2d", "filters": 4, "kernel": 3, "padding": "same", "activation": "elu", "alpha": 0.7},
    {"id": "bn1", "type": "batchnorm"},
    {"id": "r1", "type": "relu"},
    {"id": "c2", "type": "conv2d", "filters": 4, "kernel": 3, "padding": 2, "dilation": 2},
    {"id": "sum", "type": "add", "inputs": ["c2", "r1"]},
    {"id": "cat", "type": "concat", "inputs": ["sum", "bn1"]},
    {"id": "mp", "type": "maxpool2d", "size": 2},
    {"id": "ap", "type": "avgpool2d", "size": 3, "stride": 1, "padding": 1},
    {"id": "c3", "type": "conv2d", "filters": 3, "kernel": 2, "stride": 2, "activation": "tanh"},
    {"id": "flat", "type": "flatten"},
    {"id": "drop", "type": "dropout", "rate": 0.3},
    {"id": "d1", "type": "dense", "units": 12, "activation": "maxout", "pieces": 3},
    {"id": "bn2", "type": "batchnorm"},
    {"id": "lr", "type": "leaky_relu", "slope": 0.2},
    {"id": "d2", "type": "dense", "units": 12, "activation": "sigmoid"},
    {"id": "sm", "type": "softmax"},
    {"id": "d3", "type": "dense", "units": 10, "activation": "leaky_relu"},
    {"id": "el", "type": "elu", "alpha": 0.5},
    {"id": "th", "type": "tanh"},
    {"id": "sg", "type": "sigmoid"},
    {"id": "out", "type": "dense", "units": "auto"}
  ],
  "loss": "softmax_cross_entropy"
})";

} // namespace

class OnnxRuntime : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString node_;
    QString path(const QString& name) const { return dir_.path() + "/" + name; }

    // Trains `spec` briefly and saves it; returns the model file.
    QString train(const QString& name, const QString& spec, bool image, int seed)
    {
        const QString file = path(QString("%1-%2.nnm").arg(name).arg(seed));
        QStringList args {"train", "--model", spec, "--seed", QString::number(seed), "--json", "--out", file};
        if (image)  // a few steps on Fashion-MNIST: batch norm's running statistics move off 0 and 1
            args << "--data" << "fashion-mnist" << "--limit" << "256" << "--epochs" << "1" << "--batch" << "32"
                 << "--lr" << "0.002";
        else
            args << "--data" << "spiral" << "--epochs" << "20" << "--batch" << "10" << "--lr" << "0.03";
        const Result r = run(cli(), args);
        if (r.crashed || r.exitCode != 0) {
            qWarning().noquote() << "train" << name << "failed:" << r.err;
            return {};
        }
        return file;
    }

    // predict and onnxruntime on the same inputs.
    bool compare(const QString& modelFile, const QString& onnxFile, const QString& inputs, const QString& shape,
                 QList<QVector<double>>* ours, QList<QVector<double>>* theirs, QString* error)
    {
        const Result p = run(cli(), {"predict", "--model", modelFile, "--input", inputs, "--json"});
        if (p.crashed || p.exitCode) return *error = "predict: " + p.err, false;
        const Result o = run(node_, {runner(), onnxFile, inputs, shape});
        if (o.crashed || o.exitCode) return *error = "onnxruntime: " + o.err + o.out, false;
        *ours = outputs(p.out, error);
        if (!error->isEmpty()) return *error = "predict: " + *error, false;
        *theirs = outputs(o.out, error);
        if (!error->isEmpty()) return *error = "onnxruntime: " + *error, false;
        return true;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        QVERIFY2(QFileInfo(cli()).isExecutable(), qPrintable("NN_CLI is not an executable: " + cli()));
        node_ = QStandardPaths::findExecutable("node");
        if (node_.isEmpty()) node_ = QStandardPaths::findExecutable("nodejs");
        QVERIFY2(!node_.isEmpty(), "node is not installed; run 'bash packaging/setup.sh'");
        QVERIFY2(QFileInfo::exists(sourceDir() + "/tests/onnx/node_modules/onnxruntime-node/package.json"),
                 "onnxruntime-node is not installed in tests/onnx; run 'bash packaging/setup.sh'");
        const QString allLayers = path("all-layers.json");
        QFile f(allLayers);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kAllLayers);
    }

    void matchesOnnxRuntime_data()
    {
        QTest::addColumn<QString>("spec");
        QTest::addColumn<bool>("image");
        const QString models = sourceDir() + "/assets/models/";
        QTest::newRow("spiral-mlp") << models + "spiral-mlp.json" << false;
        QTest::newRow("tiny-2-8-8-2") << models + "tiny-2-8-8-2.json" << false;
        QTest::newRow("lenet-300-100") << models + "lenet-300-100.json" << true;
        QTest::newRow("lenet5") << models + "lenet5.json" << true;
        QTest::newRow("resnet-small") << models + "resnet-small.json" << true;
        QTest::newRow("all-layers") << path("all-layers.json") << true;
    }

    void matchesOnnxRuntime()
    {
        QFETCH(QString, spec);
        QFETCH(bool, image);
        const QString name = QTest::currentDataTag();
        const QString model = train(name, spec, image, 1);
        QVERIFY2(!model.isEmpty(), "training failed");

        if (image) {
            // Batch norm must be exported with real statistics, not the initial 0 and 1.
            const auto loaded = nn::io::loadModelFile(model.toStdString());
            for (const auto& b : loaded.model.buffers()) {
                const float init = b.name.ends_with(".running_var") ? 1.0f : 0.0f;
                bool moved = false;
                for (int64_t i = 0; i < b.value.numel(); ++i) moved = moved || std::abs(b.value[i] - init) > 1e-3f;
                QVERIFY2(moved, qPrintable(QString::fromStdString(b.name) + " still holds its initial value"));
            }
        }

        const QString onnx = path(name + ".onnx");
        const Result e = run(cli(), {"export", "--model", model, "--onnx", onnx});
        EXPECT_OK(e, "export");

        const int features = image ? 784 : 2;
        const QString shape = image ? "1,28,28" : "2";
        const QString inputs = path(name + "-inputs.csv");
        QFile f(inputs);
        QVERIFY(f.open(QIODevice::WriteOnly));
        // 2-D points around the data's range (and past it); images with pixels in [0, 1].
        f.write(randomCsv(image ? 24 : 64, features, image ? 0.0 : -1.5, image ? 1.0 : 1.5, 2024));
        f.close();

        QList<QVector<double>> ours, theirs;
        QString error;
        QVERIFY2(compare(model, onnx, inputs, shape, &ours, &theirs, &error), qPrintable(error));
        QCOMPARE(theirs.size(), ours.size());
        QCOMPARE(ours.size(), image ? 24 : 64);
        QCOMPARE(ours[0].size(), image ? 10 : 2);
        // The outputs are not degenerate: rows differ from one another.
        QVERIFY2(maxAbsDiff({ours[0]}, {ours[1]}) > 1e-4, "predict gave the same output for different inputs");
        const double diff = maxAbsDiff(ours, theirs);
        qInfo().noquote() << QString("%1: %2 samples, max |predict - onnxruntime| = %3")
                                 .arg(name)
                                 .arg(ours.size())
                                 .arg(diff, 0, 'g', 3);
        QVERIFY2(diff <= kTolerance,
                 qPrintable(QString("%1: onnxruntime differs from predict by %2 (tolerance %3)")
                                .arg(name)
                                .arg(diff)
                                .arg(kTolerance)));
    }

    // The comparison is not vacuous: the ONNX file of one model against predict of
    // another (same spec, another seed) must fail it.
    void aDifferentModelFailsTheComparison()
    {
        const QString spec = sourceDir() + "/assets/models/spiral-mlp.json";
        const QString a = train("control", spec, false, 1), b = train("control", spec, false, 2);
        QVERIFY(!a.isEmpty() && !b.isEmpty());
        const QString onnx = path("control-a.onnx");
        EXPECT_OK(run(cli(), {"export", "--model", a, "--onnx", onnx}), "export");
        const QString inputs = path("control.csv");
        QFile f(inputs);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(randomCsv(16, 2, -1.5, 1.5, 7));
        f.close();
        QList<QVector<double>> ours, theirs;
        QString error;
        QVERIFY2(compare(b, onnx, inputs, "2", &ours, &theirs, &error), qPrintable(error));
        QVERIFY2(maxAbsDiff(ours, theirs) > 1e-2, "two different models compared equal");
        QVERIFY(compare(a, onnx, inputs, "2", &ours, &theirs, &error));
        QVERIFY(maxAbsDiff(ours, theirs) <= kTolerance);
        // A missing row or a missing value is a difference too.
        QVERIFY(std::isinf(maxAbsDiff(ours, theirs.mid(1))));
        auto shorter = theirs;
        shorter[0].removeLast();
        QVERIFY(std::isinf(maxAbsDiff(ours, shorter)));
    }
};

QTEST_GUILESS_MAIN(OnnxRuntime)
#include "tst_onnx_runtime.moc"
