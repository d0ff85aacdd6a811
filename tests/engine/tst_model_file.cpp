// The native model file: a model saved and loaded comes back bit for bit (spec,
// resolved shapes, parameters, batch norm running statistics, optimizer state,
// class names, metadata) and predicts the same; every damaged or foreign file is
// refused with a message that names the file and the problem. Also: the ONNX
// exporter covers every layer type the spec accepts, names a layer it cannot
// export, and gives graphs that pass the ONNX checker.
#include <QtTest/QtTest>

#include <QElapsedTimer>
#include <QTemporaryDir>

#include <cstring>
#include <functional>
#include <fstream>
#include <iterator>

#include <zlib.h>

#include "engine/core/error.h"
#include "engine/core/random.h"
#include "engine/io/inference.h"
#include "engine/io/model_file.h"
#include "engine/io/onnx_export.h"
#include "engine/nn/model_spec.h"
#include "engine/train/optimizer.h"

using namespace nn;

namespace {

std::string readAll(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void writeAll(const std::string& path, const std::string& bytes)
{
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
}

// A small CNN with every kind of state: conv, batch norm (buffers), pooling,
// residual add, concat, dropout, dense with maxout and leaky ReLU.
const char* kAllLayers = R"({
  "name": "all-layers",
  "input": {"shape": [2, 8, 8]},
  "layers": [
    {"id": "c1", "type": "conv2d", "filters": 4, "kernel": 3, "padding": "same", "activation": "elu", "alpha": 0.7},
    {"id": "bn1", "type": "batchnorm"},
    {"id": "r1", "type": "relu"},
    {"id": "c2", "type": "conv2d", "filters": 4, "kernel": 3, "padding": 1, "dilation": 1},
    {"id": "sum", "type": "add", "inputs": ["c2", "r1"]},
    {"id": "cat", "type": "concat", "inputs": ["sum", "bn1"]},
    {"id": "mp", "type": "maxpool2d", "size": 2},
    {"id": "ap", "type": "avgpool2d", "size": 3, "stride": 1, "padding": 1},
    {"id": "c3", "type": "conv2d", "filters": 3, "kernel": 2, "stride": 2, "activation": "tanh"},
    {"id": "flat", "type": "flatten"},
    {"id": "drop", "type": "dropout", "rate": 0.3},
    {"id": "d1", "type": "dense", "units": 6, "activation": "maxout", "pieces": 3},
    {"id": "bn2", "type": "batchnorm"},
    {"id": "lr", "type": "leaky_relu", "slope": 0.2},
    {"id": "d2", "type": "dense", "units": 5, "activation": "sigmoid"},
    {"id": "sm", "type": "softmax"},
    {"id": "out", "type": "dense", "units": "auto"}
  ],
  "loss": "softmax_cross_entropy"
})";

// Non-trivial running statistics, as training would leave them.
void randomizeBuffers(Model& m, uint64_t seed)
{
    Rng rng(seed);
    for (auto& b : m.buffers())
        for (int64_t i = 0; i < b.value.numel(); ++i)
            b.value[i] = b.name.ends_with(".running_var") ? float(rng.uniform(0.5, 2.0)) : float(rng.uniform(-0.5, 0.5));
    for (auto& p : m.parameters())
        if (p.name.ends_with(".gamma") || p.name.ends_with(".beta"))
            for (int64_t i = 0; i < p.value.numel(); ++i) p.value[i] += float(rng.uniform(-0.3, 0.3));
}

std::string sampleModel(const std::string& name)
{
    const QByteArray root = qgetenv("NN_SOURCE_DIR");
    return (root.isEmpty() ? std::string(".") : root.toStdString()) + "/assets/models/" + name + ".json";
}

Model allLayersModel()
{
    Model m(ModelSpec::fromString(kAllLayers, "all-layers"), {}, 7);
    m.initialize(42);
    randomizeBuffers(m, 7);
    return m;
}

} // namespace

class TestModelFile : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string path(const char* name) const { return (dir_.path() + "/" + name).toStdString(); }

    // Expects loadModelFile(file) to throw an nn::Error whose message names the file
    // and contains `problem`.
    void expectRefused(const std::string& file, const QString& problem)
    {
        try {
            io::loadModelFile(file);
            QFAIL(qPrintable("loaded " + QString::fromStdString(file) + ", expected: " + problem));
        } catch (const Error& e) {
            const QString msg = QString::fromStdString(e.what());
            QVERIFY2(msg.startsWith(QString::fromStdString(file) + ": "), qPrintable("does not name the file: " + msg));
            QVERIFY2(msg.contains(problem, Qt::CaseInsensitive), qPrintable("expected '" + problem + "' in: " + msg));
        }
    }

private slots:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void roundTripIsExact()
    {
        Model m = allLayersModel();
        OptimizerConfig oc;
        oc.kind = "adam";
        auto opt = makeOptimizer(oc);
        std::vector<Tensor> params;
        std::vector<Tensor> grads;
        std::vector<const Tensor*> gradPtrs;
        for (auto& p : m.parameters()) {
            params.push_back(p.value.clone());
            grads.push_back(Tensor::full(p.value.shape(), 0.25f));
        }
        for (auto& g : grads) gradPtrs.push_back(&g);
        opt->step(params, gradPtrs, 0.01f);  // non-zero moments

        io::ModelFileExtras extras;
        extras.optimizerKind = "adam";
        extras.optimizerState = opt->state();
        extras.classNames = {"a", "b", "c", "d", "e", "f", "g"};
        extras.metadata = {{"data", "test"}, {"seed", 42}};
        const std::string file = path("all.nnm");
        io::saveModelFile(file, m, extras);

        io::LoadedModel back = io::loadModelFile(file);
        QCOMPARE(back.model.spec().toJson().dump(), m.spec().toJson().dump());
        QCOMPARE(back.model.inputShape(), m.inputShape());
        QCOMPARE(back.model.outputs(), 7);
        QCOMPARE(back.model.parameters().size(), m.parameters().size());
        for (size_t i = 0; i < m.parameters().size(); ++i) {
            const Tensor &a = m.parameters()[i].value, &b = back.model.parameters()[i].value;
            QCOMPARE(back.model.parameters()[i].name, m.parameters()[i].name);
            QVERIFY(a.shape() == b.shape());
            QVERIFY2(std::memcmp(a.data(), b.data(), size_t(a.numel()) * 4) == 0, m.parameters()[i].name.c_str());
        }
        QCOMPARE(back.model.buffers().size(), m.buffers().size());
        QVERIFY(!m.buffers().empty());
        for (size_t i = 0; i < m.buffers().size(); ++i) {
            const Tensor &a = m.buffers()[i].value, &b = back.model.buffers()[i].value;
            QVERIFY2(std::memcmp(a.data(), b.data(), size_t(a.numel()) * 4) == 0, m.buffers()[i].name.c_str());
        }
        QCOMPARE(back.extras.optimizerKind, std::string("adam"));
        const auto state = opt->state();
        QCOMPARE(back.extras.optimizerState.size(), state.size());
        QVERIFY(!state.empty());
        for (size_t i = 0; i < state.size(); ++i) {
            QVERIFY(state[i].shape() == back.extras.optimizerState[i].shape());
            QVERIFY(std::memcmp(state[i].data(), back.extras.optimizerState[i].data(), size_t(state[i].numel()) * 4) == 0);
        }
        auto restored = makeOptimizer(oc);
        restored->setState(back.extras.optimizerState);  // fits the optimizer it came from
        QCOMPARE(back.extras.classNames, extras.classNames);
        QCOMPARE(back.extras.metadata["seed"].get<int>(), 42);

        // Same predictions, bit for bit (evaluation mode: batch norm on the saved statistics).
        Rng rng(3);
        std::vector<float> x(5 * 2 * 8 * 8);
        for (auto& v : x) v = float(rng.uniform(-1, 1));
        const auto p1 = io::predictRows(m, x.data(), 5);
        const auto p2 = io::predictRows(back.model, x.data(), 5);
        QCOMPARE(p1.size(), size_t(5 * 7));
        QVERIFY(std::memcmp(p1.data(), p2.data(), p1.size() * 4) == 0);
        // Chunking does not change the numbers.
        const auto p3 = io::predictRows(back.model, x.data(), 5, 2);
        for (size_t i = 0; i < p1.size(); ++i) QVERIFY(std::abs(p1[i] - p3[i]) <= 1e-6f);
    }

    void autoFieldsResolveFromTheFile()
    {
        // lenet-300-100 has input "auto" and units "auto": the file keeps what they became.
        Model m(ModelSpec::fromFile(sampleModel("lenet-300-100")), {1, 28, 28}, 10);
        const std::string file = path("lenet.nnm");
        io::saveModelFile(file, m);
        io::LoadedModel back = io::loadModelFile(file);
        QCOMPARE(back.model.inputShape(), (std::vector<int64_t> {1, 28, 28}));
        QCOMPARE(back.model.outputs(), 10);
        QVERIFY(back.extras.optimizerKind.empty());
    }

    void truncatedFilesAreRefused()
    {
        const std::string good = path("trunc-src.nnm");
        io::saveModelFile(good, allLayersModel());
        const std::string bytes = readAll(good);
        // Cut inside the signature, the frame, the header, the data and the checksum.
        for (size_t keep : {size_t(5), size_t(20), size_t(40), bytes.size() / 2, bytes.size() - 1}) {
            const std::string file = path("trunc.nnm");
            writeAll(file, bytes.substr(0, keep));
            expectRefused(file, "truncated");
        }
        const std::string empty = path("empty.nnm");
        writeAll(empty, "");
        expectRefused(empty, "empty");
    }

    void corruptFilesAreRefused()
    {
        const std::string good = path("corrupt-src.nnm");
        io::saveModelFile(good, allLayersModel());
        const std::string bytes = readAll(good);
        // A flipped bit in the header JSON, in the weights and in the checksum itself.
        for (size_t at : {size_t(30), bytes.size() / 2, bytes.size() - 2}) {
            std::string bad = bytes;
            bad[at] = char(bad[at] ^ 0x10);
            const std::string file = path("corrupt.nnm");
            writeAll(file, bad);
            expectRefused(file, "checksum mismatch");
        }
        std::string longer = bytes + "extra";
        const std::string file = path("longer.nnm");
        writeAll(file, longer);
        expectRefused(file, "unexpected bytes");
    }

    void foreignFilesAreRefused()
    {
        const std::string spec = path("spec.json");
        writeAll(spec, kAllLayers);
        expectRefused(spec, "JSON file (a model spec?)");
        const std::string png = path("picture.png");
        writeAll(png, std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
        expectRefused(png, "not an NN Studio model file");
        const std::string text = path("notes.txt");
        writeAll(text, "hello");
        expectRefused(text, "not an NN Studio model file");
        expectRefused(path("missing.nnm"), "cannot open");
    }

    void newerVersionIsRefused()
    {
        const std::string good = path("version-src.nnm");
        io::saveModelFile(good, allLayersModel());
        std::string bytes = readAll(good);
        const uint32_t v = io::kModelFormatVersion + 1;
        std::memcpy(bytes.data() + 8, &v, 4);
        const std::string file = path("newer.nnm");
        writeAll(file, bytes);
        expectRefused(file, "newer than this build reads");
    }

    void weightsThatDoNotFitTheSpecAreRefused()
    {
        // A well-formed file (valid checksum) whose spec says 16 hidden units while
        // the weights were saved for 8: names the tensor and both shapes.
        const char* small = R"({"name": "m", "input": {"shape": [2]},
            "layers": [{"id": "h", "type": "dense", "units": 8}, {"id": "out", "type": "dense", "units": 2}]})";
        Model m(ModelSpec::fromString(small), {}, 2);
        const std::string good = path("fit-src.nnm");
        io::saveModelFile(good, m);
        std::string bytes = readAll(good);
        uint32_t headerLen;
        std::memcpy(&headerLen, bytes.data() + 12, 4);
        auto header = nlohmann::json::parse(bytes.substr(24, headerLen));
        header["spec"]["layers"][0]["units"] = 16;
        const std::string text = header.dump();
        std::string rebuilt = bytes.substr(0, 12);
        const uint32_t newLen = uint32_t(text.size());
        rebuilt.append(reinterpret_cast<const char*>(&newLen), 4);
        rebuilt += bytes.substr(16, 8) + text + bytes.substr(24 + headerLen, bytes.size() - 24 - headerLen - 4);
        const uint32_t crc = uint32_t(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(rebuilt.data()), uInt(rebuilt.size())));
        rebuilt.append(reinterpret_cast<const char*>(&crc), 4);
        const std::string file = path("misfit.nnm");
        writeAll(file, rebuilt);
        expectRefused(file, "tensor 'h.weight' has shape [2, 8] but the model needs [2, 16]");
    }

    // A crafted header asking for 20 M hidden units over a few bytes of data was
    // built (1.5 GB, 5 s) before the tensor checks refused it; an optimizer
    // tensor count went straight to resize(). Both are refused up front now.
    void craftedSizesAreRefusedBeforeAllocating()
    {
        const char* small = R"({"name": "m", "input": {"shape": [2]},
            "layers": [{"id": "h", "type": "dense", "units": 8}, {"id": "out", "type": "dense", "units": 2}]})";
        Model m(ModelSpec::fromString(small), {}, 2);
        const std::string good = path("crafted-src.nnm");
        io::saveModelFile(good, m);
        const auto rebuild = [&](const std::function<void(nlohmann::json&)>& edit, const char* name) {
            std::string bytes = readAll(good);
            uint32_t headerLen;
            std::memcpy(&headerLen, bytes.data() + 12, 4);
            auto header = nlohmann::json::parse(bytes.substr(24, headerLen));
            edit(header);
            const std::string text = header.dump();
            std::string rebuilt = bytes.substr(0, 12);
            const uint32_t newLen = uint32_t(text.size());
            rebuilt.append(reinterpret_cast<const char*>(&newLen), 4);
            rebuilt += bytes.substr(16, 8) + text + bytes.substr(24 + headerLen, bytes.size() - 24 - headerLen - 4);
            const uint32_t crc = uint32_t(crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(rebuilt.data()), uInt(rebuilt.size())));
            rebuilt.append(reinterpret_cast<const char*>(&crc), 4);
            writeAll(path(name), rebuilt);
            return path(name);
        };
        QElapsedTimer t;
        t.start();
        expectRefused(rebuild([](nlohmann::json& h) { h["spec"]["layers"][0]["units"] = 20000000; }, "huge.nnm"),
                      "data section holds 168 bytes");
        QVERIFY2(t.elapsed() < 500, qPrintable(QString("took %1 ms").arg(t.elapsed())));
        t.restart();
        expectRefused(rebuild([](nlohmann::json& h) { h["optimizer"] = {{"kind", "adam"}, {"tensors", 4000000000u}}; },
                              "optcount.nnm"),
                      "the optimizer entry says 4000000000 tensors, the tensor table lists 0");
        expectRefused(rebuild([](nlohmann::json& h) { h["optimizer"] = {{"kind", "adam"}, {"tensors", -1}}; }, "optneg.nnm"),
                      "tensor count is not a whole number");
        QVERIFY2(t.elapsed() < 500, qPrintable(QString("took %1 ms").arg(t.elapsed())));
    }

    void checkingTheOutputPathWritesNothing()
    {
        io::checkModelFileWritable(path("ok.nnm"));
        QVERIFY(!QFile::exists(QString::fromStdString(path("ok.nnm"))));
        QVERIFY(!QFile::exists(QString::fromStdString(path("ok.nnm.tmp"))));
        for (const auto& [target, problem] : {std::pair {path("no-such-dir/x.nnm"), "does not exist"},
                                              std::pair {dir_.path().toStdString(), "is a folder"}}) {
            try {
                io::checkModelFileWritable(target);
                QFAIL(target.c_str());
            } catch (const Error& e) {
                QVERIFY2(QString(e.what()).contains(problem), e.what());
            }
        }
    }

    void savingOverAModelKeepsItUntilTheNewOneIsWritten()
    {
        const std::string file = path("keep.nnm");
        io::saveModelFile(file, allLayersModel());
        const std::string before = readAll(file);
        // A save into a folder that does not exist fails and leaves nothing behind.
        bool threw = false;
        try {
            io::saveModelFile(path("no-such-dir/x.nnm"), allLayersModel());
        } catch (const Error& e) {
            threw = QString(e.what()).contains("cannot write");
        }
        QVERIFY(threw);
        QCOMPARE(readAll(file), before);
        QVERIFY(!QFile::exists(QString::fromStdString(file + ".tmp")));
    }

    // ---- ONNX export -----------------------------------------------------------------
    void exporterCoversEveryLayerType()
    {
        for (const auto& t : knownLayerTypes()) {
            const auto& ok = io::onnxExportableLayerTypes();
            QVERIFY2(std::find(ok.begin(), ok.end(), t) != ok.end(),
                     qPrintable("layer type '" + QString::fromStdString(t) + "' has no ONNX export"));
        }
    }

    void everyLayerExportsAndPassesTheChecker()
    {
        // exportOnnxBytes runs onnx::checker::check_model and strict shape inference,
        // and compares every layer's shape with the engine's: it throws on any flaw.
        const std::string bytes = io::exportOnnxBytes(allLayersModel());
        QVERIFY(bytes.size() > 1000);
        for (const char* model : {"spiral-mlp", "tiny-2-8-8-2", "lenet-300-100", "lenet5", "resnet-small"}) {
            const std::string spec = sampleModel(model);
            const bool image = std::string(model).find("lenet") == 0 || std::string(model) == "resnet-small";
            Model m(ModelSpec::fromFile(spec), image ? std::vector<int64_t> {1, 28, 28} : std::vector<int64_t> {2},
                    image ? 10 : 2);
            QVERIFY2(io::exportOnnxBytes(m).size() > 100, model);
        }
    }

    void aLayerThatCannotBeExportedIsNamed()
    {
        ModelSpec spec = ModelSpec::fromString(R"({"name": "m", "input": {"shape": [4]},
            "layers": [{"id": "h", "type": "dense", "units": 4}, {"id": "out", "type": "dense", "units": 2}]})");
        // A layer type from the future (the spec parser would refuse it, so it is set
        // directly, as a newer engine's layer would reach the exporter).
        LayerSpec odd;
        odd.id = "warp";
        odd.type = "time_warp";
        spec.layers.insert(spec.layers.begin() + 1, odd);
        Model m(spec, {}, 2);
        try {
            io::exportOnnxBytes(m);
            QFAIL("exported a layer type the exporter does not know");
        } catch (const Error& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("layer 'warp' cannot be exported to ONNX") && msg.contains("time_warp"),
                     qPrintable(msg));
        }
    }
};

QTEST_APPLESS_MAIN(TestModelFile)
#include "tst_model_file.moc"
