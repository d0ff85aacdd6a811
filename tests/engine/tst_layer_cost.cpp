// nn::layerCost against a built graph: for every sample model (and a few extra
// layer kinds), the per-layer output shape, parameter count and forward FLOPs the
// builder shows must equal what Model::build makes — shapes from Model::layerShape,
// parameters from Model::parameters(), FLOPs summed over the graph's op nodes of
// that layer ("c1.conv2d", "c1.bias_add", ...) by their declarations. Also FLOPs of
// a Dense and a Conv2D worked out by hand.
#include <QtTest/QtTest>

#include <map>

#include "engine/core/error.h"
#include "engine/nn/layer_cost.h"
#include "engine/nn/model.h"
#include "engine/ops/op.h"

using namespace nn;

namespace {

std::string assetPath(const std::string& file)
{
    const QByteArray root = qgetenv("NN_SOURCE_DIR");
    return (root.isEmpty() ? std::string(".") : root.toStdString()) + "/assets/models/" + file;
}

void compareWithGraph(const ModelSpec& spec, const std::vector<int64_t>& sample, int classes)
{
    Model m(spec, sample, classes);
    BuiltGraph b = m.build(1, false);
    std::map<std::string, double> graphFlops;
    for (int i = 0; i < b.graph.size(); ++i) {
        const Node& n = b.graph.node(i);
        if (opDecl(n.op).arity == 0) continue;
        Shape in[kMaxArity];
        for (int k = 0; k < std::min(opDecl(n.op).arity, kMaxArity); ++k) in[k] = b.graph.node(n.inputs[size_t(k)]).value.shape();
        graphFlops[n.name.substr(0, n.name.find('.'))] += opDecl(n.op).flops(in, n.value.shape(), n.attrs);
    }
    std::map<std::string, int64_t> graphParams;
    for (const auto& p : m.parameters()) graphParams[p.layer] += p.value.numel();

    std::map<std::string, std::vector<int64_t>> shapes {{"input", m.inputShape()}};
    std::string previous = "input";
    std::map<std::string, std::string> prevOf;
    for (const auto& l : spec.layers) prevOf[l.id] = previous, previous = l.id;
    for (const auto& id : m.order()) {
        LayerSpec l;
        for (const auto& s : spec.layers)
            if (s.id == id) l = s;
        if (l.unitsAuto) l.units = classes;
        std::vector<std::vector<int64_t>> ins;
        for (const auto& in : l.inputs.empty() ? std::vector<std::string> {prevOf[id]} : l.inputs) ins.push_back(shapes[in]);
        const LayerCost c = layerCost(l, ins);
        shapes[id] = c.outShape;
        QCOMPARE(c.outShape, m.layerShape(id));
        QCOMPARE(c.params, graphParams[id]);
        QCOMPARE(c.flops, graphFlops[id]);
    }
}

} // namespace

class TestLayerCost : public QObject {
    Q_OBJECT
private slots:
    void sampleModelsMatchTheBuiltGraph_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("image");
        for (const char* f : {"spiral-mlp.json", "tiny-2-8-8-2.json"}) QTest::newRow(f) << f << 0;
        for (const char* f : {"lenet-300-100.json", "lenet5.json", "resnet-small.json"}) QTest::newRow(f) << f << 1;
    }
    void sampleModelsMatchTheBuiltGraph()
    {
        QFETCH(QString, file);
        QFETCH(int, image);
        const ModelSpec spec = ModelSpec::fromFile(assetPath(file.toStdString()));
        compareWithGraph(spec, image ? std::vector<int64_t> {1, 28, 28} : std::vector<int64_t> {2}, image ? 10 : 2);
    }

    void otherLayerKindsMatchTheBuiltGraph()
    {
        const ModelSpec spec = ModelSpec::fromString(R"({"name": "mix", "input": {"shape": [3, 12, 12]}, "layers": [
            {"id": "a", "type": "conv2d", "filters": 4, "kernel": 3, "padding": "same", "activation": "elu"},
            {"id": "b", "type": "conv2d", "filters": 2, "kernel": 3, "stride": 2, "dilation": 2, "inputs": ["input"]},
            {"id": "bp", "type": "avgpool2d", "size": 3, "stride": 1, "padding": 1, "inputs": ["a"]},
            {"id": "cat", "type": "concat", "inputs": ["bp", "input"]},
            {"id": "bn", "type": "batchnorm"},
            {"id": "lr", "type": "leaky_relu"},
            {"id": "flat", "type": "flatten"},
            {"id": "drop", "type": "dropout", "rate": 0.2},
            {"id": "h", "type": "dense", "units": 6, "activation": "maxout", "pieces": 3},
            {"id": "sg", "type": "sigmoid"},
            {"id": "flatb", "type": "flatten", "inputs": ["b"]},
            {"id": "hb", "type": "dense", "units": 6, "activation": "tanh"},
            {"id": "sum", "type": "add", "inputs": ["sg", "hb"]},
            {"id": "out", "type": "dense", "units": "auto"}]})");
        compareWithGraph(spec, {3, 12, 12}, 5);
    }

    void denseAndConvFlopsByHand()
    {
        LayerSpec dense;
        dense.id = "d";
        dense.type = "dense";
        dense.units = 120;
        dense.activation = "relu";
        const LayerCost d = layerCost(dense, {{400}});
        QCOMPARE(d.params, int64_t(400 * 120 + 120));
        QCOMPARE(d.flops, 2.0 * 400 * 120 + 120 + 120);  // multiply-adds, bias, ReLU
        LayerSpec conv;
        conv.id = "c";
        conv.type = "conv2d";
        conv.filters = 6;
        conv.kernel = 5;
        conv.padding = 2;
        const LayerCost c = layerCost(conv, {{1, 28, 28}});
        QCOMPARE(c.outShape, (std::vector<int64_t> {6, 28, 28}));
        QCOMPARE(c.params, int64_t(6 * 25 + 6));
        QCOMPARE(c.flops, 2.0 * 6 * 28 * 28 * 25 + 6 * 28 * 28);
    }

    void badShapesThrowNamingTheLayer()
    {
        LayerSpec dense;
        dense.id = "fc";
        dense.type = "dense";
        dense.units = 3;
        bool threw = false;
        try {
            layerCost(dense, {{16, 5, 5}});
        } catch (const Error& e) {
            threw = QString(e.what()).contains("fc");
        }
        QVERIFY(threw);
    }
};

QTEST_APPLESS_MAIN(TestLayerCost)
#include "tst_layer_cost.moc"
