// Model specs: parsing the shipped assets, building Models from them, every
// rejection naming the layer and the field, the JSON round trip, model-level
// finite-difference gradient checks and seeded initialisation.
#include <QtTest/QtTest>

#include <QElapsedTimer>
#include <QThread>
#include <cmath>

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"
#include "engine/core/random.h"
#include "engine/nn/model.h"
#include "engine/nn/model_spec.h"
#include "gradcheck.h"

using namespace nn;
using nlohmann::json;

namespace {

std::string assetPath(const char* file)
{
    const QByteArray root = qgetenv("NN_SOURCE_DIR");
    return (root.isEmpty() ? std::string(".") : root.toStdString()) + "/assets/models/" + file;
}

// The message of the nn::Error `f` throws; empty when it throws nothing.
QString errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

// Parses `text` and builds a Model for 2-feature samples and `classes` classes.
void parseAndBuild(const std::string& text, std::vector<int64_t> sample = {2}, int classes = 2)
{
    Model m(ModelSpec::fromString(text, "test.json"), sample, classes);
}

// A spec with the given layers (JSON array text) and loss, input shape [2].
std::string specWith(const std::string& layers, const std::string& loss = "softmax_cross_entropy",
                     const std::string& input = "[2]")
{
    return R"({"name": "t", "input": {"shape": )" + input + R"(}, "layers": )" + layers + R"(, "loss": ")" + loss
           + R"("})";
}

std::vector<std::vector<float>> paramValues(const Model& m)
{
    std::vector<std::vector<float>> out;
    for (const auto& p : m.parameters()) out.push_back(p.value.toVector());
    return out;
}

// Fills a built graph's input with uniform values and labels with valid classes.
void fillBatch(BuiltGraph& b, int classes, uint64_t seed)
{
    Rng rng(seed);
    Tensor& x = b.graph.node(b.input).value;
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = float(rng.uniform(-1.0, 1.0));
    Tensor& y = b.graph.node(b.labels).value;
    for (int64_t i = 0; i < y.numel(); ++i) y[i] = float((i * 3 + 1) % classes);
}

std::string layerId(int k)
{
    std::string id = "l";  // (appended, not "l" + ...: GCC 12 misreports that as -Wrestrict)
    return id.append(std::to_string(k));
}

} // namespace

class ModelSpecTest : public QObject {
    Q_OBJECT
private slots:
    void spiralMlpAsset()
    {
        const ModelSpec spec = ModelSpec::fromFile(assetPath("spiral-mlp.json"));
        QCOMPARE(QString::fromStdString(spec.name), QString("spiral-mlp"));
        QCOMPARE(spec.layers.size(), size_t(3));
        QCOMPARE(spec.inputShape, std::vector<int64_t>({2}));
        const Model m(spec, {2}, 2);
        QCOMPARE(m.parameterCount(), int64_t(2 * 16 + 16 + 16 * 16 + 16 + 16 * 2 + 2));
        QCOMPARE(m.outputs(), 2);
        QCOMPARE(m.parameters().size(), size_t(6));
        QCOMPARE(QString::fromStdString(m.parameters()[0].name), QString("h1.weight"));
        QCOMPARE(m.layerShape("h2"), std::vector<int64_t>({16}));
        const BuiltGraph b = m.build(8, true);
        QCOMPARE(b.graph.node(b.input).value.shape(), Shape({8, 2}));
        QCOMPARE(b.graph.node(b.output).value.shape(), Shape({8, 2}));
        QCOMPARE(b.graph.node(b.loss).value.shape().rank(), 0);
        QCOMPARE(b.params.size(), size_t(6));
        // Graph variables share the model's parameter storage.
        for (size_t i = 0; i < b.params.size(); ++i)
            QVERIFY(b.graph.node(b.params[i]).value.sharesStorageWith(m.parameters()[i].value));
    }

    void lenetAsset()
    {
        const ModelSpec spec = ModelSpec::fromFile(assetPath("lenet-300-100.json"));
        QVERIFY(spec.inputAuto);
        const Model m(spec, {1, 28, 28}, 10);
        QCOMPARE(m.parameterCount(), int64_t(266610));
        QCOMPARE(m.outputs(), 10);
        QCOMPARE(m.inputShape(), std::vector<int64_t>({1, 28, 28}));
        QCOMPARE(m.layerShape("flat"), std::vector<int64_t>({784}));
        const BuiltGraph b = m.build(2, false);
        QCOMPARE(b.loss, -1);
        QCOMPARE(b.labels, -1);
        QCOMPARE(b.graph.node(b.output).value.shape(), Shape({2, 10}));
    }

    void everyAssetParses()
    {
        const QByteArray root = qgetenv("NN_SOURCE_DIR");
        QDir dir(QString::fromLocal8Bit(root.isEmpty() ? QByteArray(".") : root) + "/assets/models");
        const QStringList files = dir.entryList({"*.json"}, QDir::Files);
        QVERIFY(files.size() >= 3);
        for (const QString& f : files) {
            const QString err = errorOf([&] { ModelSpec::fromFile(dir.filePath(f).toStdString()); });
            QVERIFY2(err.isEmpty(), qPrintable(f + ": " + err));
        }
    }

    void rejections_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("classes");
        QTest::addColumn<QString>("input");
        QTest::addColumn<QStringList>("mustContain");
        const auto row = [](const char* name, const std::string& text, QStringList must, int classes = 2,
                            const char* input = "[2]") {
            QTest::newRow(name) << QString::fromStdString(text) << classes << QString(input) << must;
        };
        row("unknown layer type", specWith(R"([{"id": "h1", "type": "densee", "units": 4}])"),
            {"'h1'", "type", "densee"});
        row("unknown activation",
            specWith(R"([{"id": "h1", "type": "dense", "units": 4, "activation": "swish"}, {"id": "out", "type": "dense", "units": 2}])"),
            {"'h1'", "activation", "swish"});
        row("missing units", specWith(R"([{"id": "h1", "type": "dense"}])"), {"'h1'", "units"});
        row("negative units", specWith(R"([{"id": "h1", "type": "dense", "units": -3}])"), {"'h1'", "units", "-3"});
        row("zero units", specWith(R"([{"id": "h1", "type": "dense", "units": 0}])"), {"'h1'", "units"});
        row("fractional units", specWith(R"([{"id": "h1", "type": "dense", "units": 2.5}])"), {"'h1'", "units", "2.5"});
        row("text units", specWith(R"([{"id": "h1", "type": "dense", "units": "many"}])"), {"'h1'", "units"});
        row("auto units not last",
            specWith(R"([{"id": "h1", "type": "dense", "units": "auto"}, {"id": "out", "type": "dense", "units": 2}])"),
            {"'h1'", "units", "auto"});
        row("duplicate id",
            specWith(R"([{"id": "h1", "type": "dense", "units": 4}, {"id": "h1", "type": "dense", "units": 2}])"),
            {"'h1'", "id"});
        row("unknown input id",
            specWith(R"([{"id": "h1", "type": "dense", "units": 4}, {"id": "out", "type": "dense", "units": 2, "inputs": ["h9"]}])"),
            {"'out'", "inputs", "h9"});
        row("cycle",
            specWith(R"([{"id": "a", "type": "dense", "units": 2, "inputs": ["b"]}, {"id": "b", "type": "relu", "inputs": ["a"]}])"),
            {"'a'", "inputs", "cycle"});
        row("dense after non-flat input",
            specWith(R"([{"id": "fc1", "type": "dense", "units": 10}])", "softmax_cross_entropy", "[1, 28, 28]"),
            {"'fc1'", "flatten"}, 10, "[1, 28, 28]");
        row("last layer units mismatch",
            specWith(R"([{"id": "h1", "type": "dense", "units": 4}, {"id": "out", "type": "dense", "units": 3}])"),
            {"'out'", "units", "3", "2"});
        row("bad json", "{\"name\": \"t\", \"layers\": [", {"test.json", "JSON"});
        row("missing input", R"({"name": "t", "layers": [{"id": "out", "type": "dense", "units": 2}]})",
            {"test.json", "'input'"});
        row("unknown loss", specWith(R"([{"id": "out", "type": "dense", "units": 2}])", "cross_entropy"),
            {"loss", "cross_entropy", "softmax_cross_entropy"});
        row("log_loss with 2 outputs", specWith(R"([{"id": "out", "type": "dense", "units": 2}])", "log_loss"),
            {"'out'", "log_loss", "output"});
        row("missing id", specWith(R"([{"type": "dense", "units": 2}])"), {"'id'"});
        row("bad dropout rate",
            specWith(R"([{"id": "d", "type": "dropout", "rate": 1.5}, {"id": "out", "type": "dense", "units": 2}])"),
            {"'d'", "rate"});
        row("input shape mismatches data", specWith(R"([{"id": "out", "type": "dense", "units": 2}])",
                                                    "softmax_cross_entropy", "[3]"),
            {"input.shape", "[3]", "[2]"});
    }

    void rejections()
    {
        QFETCH(QString, text);
        QFETCH(int, classes);
        QFETCH(QString, input);
        QFETCH(QStringList, mustContain);
        // The data's sample shape: [1, 28, 28] for the image case, else [2].
        const std::vector<int64_t> sample = input == "[1, 28, 28]" ? std::vector<int64_t> {1, 28, 28}
                                                                    : std::vector<int64_t> {2};
        const QString err = errorOf([&] { parseAndBuild(text.toStdString(), sample, classes); });
        QVERIFY2(!err.isEmpty(), "expected an nn::Error");
        for (const QString& m : mustContain)
            QVERIFY2(err.contains(m), qPrintable("'" + m + "' missing from: " + err));
    }

    void missingFileNamesPath()
    {
        const QString err = errorOf([] { ModelSpec::fromFile("/nonexistent/dir/model.json"); });
        QVERIFY2(err.contains("/nonexistent/dir/model.json"), qPrintable(err));
    }

    void toJsonRoundTrip()
    {
        const std::string rich = specWith(R"([
            {"id": "h1", "type": "dense", "units": 6, "activation": "leaky_relu", "slope": 0.2},
            {"id": "d1", "type": "dropout", "rate": 0.3},
            {"id": "h2", "type": "dense", "units": 6, "activation": "elu", "alpha": 0.7},
            {"id": "h3", "type": "dense", "units": 6, "activation": "maxout", "pieces": 3},
            {"id": "sum", "type": "add", "inputs": ["h2", "h3"]},
            {"id": "act", "type": "tanh"},
            {"id": "out", "type": "dense", "units": "auto"}
        ])",
                                          "hinge");
        std::vector<ModelSpec> specs {ModelSpec::fromFile(assetPath("spiral-mlp.json")),
                                      ModelSpec::fromFile(assetPath("lenet-300-100.json")),
                                      ModelSpec::fromFile(assetPath("tiny-2-8-8-2.json")),
                                      ModelSpec::fromString(rich)};
        for (const ModelSpec& spec : specs) {
            const json j = spec.toJson();
            const ModelSpec again = ModelSpec::fromJson(j);
            QVERIFY2(again.toJson() == j, j.dump().c_str());
            QCOMPARE(again.layers.size(), spec.layers.size());
            for (size_t i = 0; i < spec.layers.size(); ++i) {
                const LayerSpec &a = spec.layers[i], &b = again.layers[i];
                QCOMPARE(b.id, a.id);
                QCOMPARE(b.type, a.type);
                QCOMPARE(b.activation, a.activation);
                QCOMPARE(b.units, a.units);
                QCOMPARE(b.unitsAuto, a.unitsAuto);
                QCOMPARE(b.inputs, a.inputs);
                if (a.type == "dropout") QCOMPARE(b.rate, a.rate);
                if (a.activation == "leaky_relu") QCOMPARE(b.slope, a.slope);
                if (a.activation == "elu") QCOMPARE(b.alpha, a.alpha);
                if (a.activation == "maxout") QCOMPARE(b.pieces, a.pieces);
            }
            QCOMPARE(again.loss, spec.loss);
            QCOMPARE(again.inputAuto, spec.inputAuto);
            QCOMPARE(again.inputShape, spec.inputShape);
        }
        // The rich spec also builds, and its round trip builds the same model.
        const Model a(specs[3], {2}, 3), b(ModelSpec::fromJson(specs[3].toJson()), {2}, 3);
        QCOMPARE(a.parameterCount(), b.parameterCount());
        QCOMPARE(a.outputs(), 3);
        QCOMPARE(paramValues(a), paramValues(b));
    }

    void gradCheckSpiralMlp()
    {
        const Model m(ModelSpec::fromFile(assetPath("spiral-mlp.json")), {2}, 2);
        BuiltGraph b = m.build(4, true);
        fillBatch(b, 2, 3);
        const auto r = nntest::gradCheck(b.graph, b.loss, 1e-3, 1e-2);
        QVERIFY2(r.maxRelError < 2e-2, r.worst.c_str());
    }

    void gradCheckEveryActivationAndLoss_data()
    {
        QTest::addColumn<QString>("loss");
        QTest::addColumn<int>("classes");
        QTest::newRow("softmax_cross_entropy") << "softmax_cross_entropy" << 3;
        QTest::newRow("mse") << "mse" << 3;
        QTest::newRow("hinge") << "hinge" << 3;
        QTest::newRow("log_loss") << "log_loss" << 2;
    }

    void gradCheckEveryActivationAndLoss()
    {
        QFETCH(QString, loss);
        QFETCH(int, classes);
        const std::string text = specWith(R"([
            {"id": "s", "type": "dense", "units": 5, "activation": "sigmoid"},
            {"id": "r", "type": "dense", "units": 5, "activation": "relu"},
            {"id": "l", "type": "dense", "units": 5, "activation": "leaky_relu", "slope": 0.1},
            {"id": "e", "type": "dense", "units": 5, "activation": "elu", "alpha": 1.0},
            {"id": "m", "type": "dense", "units": 4, "activation": "maxout", "pieces": 2},
            {"id": "drop", "type": "dropout", "rate": 0.5},
            {"id": "t", "type": "tanh"},
            {"id": "out", "type": "dense", "units": "auto"}
        ])",
                                          loss.toStdString(), "[3]");
        Model m(ModelSpec::fromString(text), {3}, classes);
        m.initialize(5);
        BuiltGraph b = m.build(4, true);
        b.graph.setTraining(false);  // dropout is the identity when evaluating
        fillBatch(b, classes, 4);
        QCOMPARE(b.graph.variables().size(), size_t(12));
        const auto r = nntest::gradCheck(b.graph, b.loss, 1e-3, 1e-2);
        QVERIFY2(r.maxRelError < 2e-2, (loss.toStdString() + ": " + r.worst).c_str());
    }

    void gradCheckDropoutRateZeroInTraining()
    {
        const std::string text = specWith(R"([
            {"id": "h", "type": "dense", "units": 6, "activation": "tanh"},
            {"id": "drop", "type": "dropout", "rate": 0.0},
            {"id": "out", "type": "dense", "units": 2}
        ])");
        const Model m(ModelSpec::fromString(text), {2}, 2);
        BuiltGraph b = m.build(4, true);
        QVERIFY(b.graph.training());
        fillBatch(b, 2, 8);
        const auto r = nntest::gradCheck(b.graph, b.loss, 1e-3, 1e-2);
        QVERIFY2(r.maxRelError < 2e-2, r.worst.c_str());
    }

    // A 50,000-layer chain overflowed the call stack in the recursive topological
    // sort. It builds now (iterative sort, indexed lookups: well under a second),
    // written in file order and, through 'inputs', in reverse file order; and a
    // training step runs forward and backward over it.
    void fiftyThousandLayerChainBuilds_data()
    {
        QTest::addColumn<bool>("reversed");
        QTest::newRow("file order") << false;
        QTest::newRow("reversed, through inputs") << true;
    }

    void fiftyThousandLayerChainBuilds()
    {
        QFETCH(bool, reversed);
        constexpr int kLayers = 50000;
        json layers = json::array();
        for (int i = 0; i < kLayers; ++i) {
            const int k = reversed ? kLayers - 1 - i : i;  // layer k feeds layer k + 1
            json l {{"id", layerId(k)}, {"type", k % 2 ? "tanh" : "relu"}};
            if (reversed) l["inputs"] = json::array({k == 0 ? std::string("input") : layerId(k - 1)});
            layers.push_back(l);
        }
        json out {{"id", "out"}, {"type", "dense"}, {"units", 2}};
        out["inputs"] = json::array({layerId(kLayers - 1)});
        layers.push_back(out);
        json spec {{"name", "deep"}, {"layers", layers}};
        spec["input"]["shape"] = json::array({2});
        const std::string text = spec.dump();
        // On a thread with a 1 MiB stack, as small as a GUI or worker thread may get:
        // any walk that recursed once per layer would overflow it.
        QString error;
        size_t order = 0;
        std::string first, last;
        double loss = 0;
        qint64 ms = 0;
        std::unique_ptr<QThread> thread(QThread::create([&] {
            try {
                QElapsedTimer timer;
                timer.start();
                Model m(ModelSpec::fromString(text, "deep.json"), {2}, 2);
                order = m.order().size();
                first = m.order().front();
                last = m.order().back();
                BuiltGraph b = m.build(4, true);
                fillBatch(b, 2, 1);
                b.graph.forward();
                b.graph.backward(b.loss);
                loss = b.graph.node(b.loss).value.item();
                ms = timer.elapsed();
            } catch (const std::exception& e) {
                error = e.what();
            }
        }));
        thread->setStackSize(1u << 20);
        thread->start();
        QVERIFY(thread->wait(60000));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(order, size_t(kLayers + 1));
        QCOMPARE(first, std::string("l0"));
        QCOMPARE(last, std::string("out"));
        QVERIFY(std::isfinite(loss));
        // Lookups by layer id were linear scans: building took seconds, training a 50k
        // chain one epoch 51 s (now 0.5 s).
        QVERIFY2(ms < 5000, qPrintable(QString::number(ms) + " ms"));
    }

    // Nesting is bounded before parsing: JSON a million levels deep is refused with
    // a message (dumping it for an error message recursed once per level).
    void deeplyNestedJsonIsRefused()
    {
        std::string deep = R"({"name": "t", "input": {"shape": [2]}, "layers": )";
        deep.append(1000000, '[').append(1000000, ']').append("}");
        const QString err = errorOf([&] { ModelSpec::fromString(deep, "nested.json"); });
        QVERIFY2(err.contains("nested.json") && err.contains("more than 64 levels"), qPrintable(err));
        // Brackets inside strings do not count.
        // (Plain literals here: moc misreads a raw string that ends in a quote.)
        std::string quoted = "{\"name\": \"";
        quoted.append(100, '[').append("\", \"input\": {\"shape\": [2]}, \"layers\": [{\"id\": \"out\", "
                                      "\"type\": \"dense\", \"units\": 2}]}");
        QVERIFY(errorOf([&] { ModelSpec::fromString(quoted, "q.json"); }).isEmpty());
    }

    void initialisationIsSeeded()
    {
        const ModelSpec spec = ModelSpec::fromFile(assetPath("spiral-mlp.json"));
        Model a(spec, {2}, 2), b(spec, {2}, 2);
        QCOMPARE(paramValues(a), paramValues(b));  // the constructor seeds too
        a.initialize(7);
        b.initialize(7);
        QCOMPARE(paramValues(a), paramValues(b));
        b.initialize(8);
        const auto pa = paramValues(a), pb = paramValues(b);
        for (size_t i = 0; i < pa.size(); ++i)
            QVERIFY2(pa[i] != pb[i], (a.parameters()[i].name + " did not change with the seed").c_str());
        // Re-initialising in place keeps the storage graphs share.
        const BuiltGraph g = a.build(2, false);
        a.initialize(9);
        QCOMPARE(g.graph.node(g.params[0]).value.toVector(), a.parameters()[0].value.toVector());
        // Weights are not all equal, biases within ±1/sqrt(fan_in).
        const auto& w = a.parameters()[0].value;
        QVERIFY(w[0] != w[1]);
        const auto& bias = a.parameters()[1].value;
        for (int64_t i = 0; i < bias.numel(); ++i) QVERIFY(std::fabs(bias[i]) <= 1.0f / std::sqrt(2.0f) + 1e-6f);
    }
};

QTEST_APPLESS_MAIN(ModelSpecTest)
#include "tst_model_spec.moc"
