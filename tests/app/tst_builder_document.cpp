// The builder's document, commands and analysis, without the scene:
//   - every sample spec round-trips through the document exactly (and with its
//     editor section, positions included);
//   - undo and redo of every command type give back the exact document;
//   - each error a student can make is found and reported on the right node, in
//     words that say the fix;
//   - a valid network's totals agree with the engine's Model.
#include <QtTest/QtTest>

#include <QElapsedTimer>
#include <QFile>
#include <QUndoStack>

#include "engine/core/error.h"
#include "engine/nn/model.h"
#include "views/builder/builder_analysis.h"
#include "views/builder/builder_commands.h"
#include "views/builder/builder_document.h"

using namespace views::builder;
using nlohmann::json;

namespace {

json sample(const QString& file)
{
    QFile f(qEnvironmentVariable("NN_SOURCE_DIR") + "/assets/models/" + file);
    if (!f.open(QIODevice::ReadOnly)) qFatal("cannot read %s", qPrintable(f.fileName()));
    return json::parse(f.readAll().toStdString());
}

const DataContext kFashion {"fashion-mnist", {1, 28, 28}, 10};
const DataContext kSpiral {"spiral", {2}, 2};

int uidOf(const Document& d, const std::string& id)
{
    const Node* n = d.nodeById(id);
    if (!n) qFatal("no node %s", id.c_str());
    return n->uid;
}

// Errors reported on node `id`, joined.
QString errorsOn(const Analysis& a, const Document& d, const std::string& id)
{
    QStringList out;
    for (const auto& e : a.nodes.at(uidOf(d, id)).errors) out << QString::fromStdString(e);
    return out.join(" | ");
}

// The nodes that have errors, by id.
QStringList nodesWithErrors(const Analysis& a, const Document& d)
{
    QStringList out;
    for (const auto& n : d.nodes())
        if (!a.nodes.at(n.uid).errors.empty()) out << QString::fromStdString(n.id);
    return out;
}

} // namespace

class TestBuilderDocument : public QObject {
    Q_OBJECT
private slots:
    void everySampleRoundTripsExactly_data()
    {
        QTest::addColumn<QString>("file");
        for (const char* f : {"spiral-mlp.json", "tiny-2-8-8-2.json", "lenet-300-100.json", "lenet5.json", "resnet-small.json"})
            QTest::newRow(f) << f;
    }
    void everySampleRoundTripsExactly()
    {
        QFETCH(QString, file);
        const json original = sample(file);
        Document d;
        d.loadSpecJson(original);
        QCOMPARE(QString::fromStdString(d.toSpecJson(false).dump()), QString::fromStdString(original.dump()));
        // With positions: a second document reads them back, and writes the same.
        const json saved = d.toSpecJson(true);
        QVERIFY(saved.contains("editor"));
        Document again;
        again.loadSpecJson(saved);
        QCOMPARE(QString::fromStdString(again.toSpecJson(true).dump()), QString::fromStdString(saved.dump()));
        // The engine ignores the editor section.
        QCOMPARE(nn::ModelSpec::fromJson(saved).toJson(), nn::ModelSpec::fromJson(original).toJson());
        // Laid out readably: no two nodes overlap, the Input on top, the Loss at the bottom.
        for (const auto& a : d.nodes())
            for (const auto& b : d.nodes())
                if (a.uid != b.uid) QVERIFY2(std::abs(a.x - b.x) >= 200 || std::abs(a.y - b.y) >= 80, (a.id + " overlaps " + b.id).c_str());
        for (const auto& n : d.nodes()) {
            QVERIFY(d.nodeById("input")->y <= n.y);
            QVERIFY(d.nodeById("loss")->y >= n.y);
        }
    }

    void validSamplesAgreeWithTheEngine_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<bool>("images");
        QTest::newRow("spiral-mlp") << "spiral-mlp.json" << false;
        QTest::newRow("lenet-300-100") << "lenet-300-100.json" << true;
        QTest::newRow("lenet5") << "lenet5.json" << true;
        QTest::newRow("resnet-small") << "resnet-small.json" << true;
    }
    void validSamplesAgreeWithTheEngine()
    {
        QFETCH(QString, file);
        QFETCH(bool, images);
        Document d;
        d.loadSpecJson(sample(file));
        const DataContext& data = images ? kFashion : kSpiral;
        const Analysis a = analyze(d, data);
        QVERIFY2(a.ok(), a.firstError(d).c_str());
        nn::Model m(nn::ModelSpec::fromJson(sample(file)), data.sampleShape, data.numClasses);
        QCOMPARE(a.params, m.parameterCount());
        for (const auto& id : m.order()) QCOMPARE(a.nodes.at(uidOf(d, id)).shape, m.layerShape(id));
        QVERIFY(a.flops > 0);
        QCOMPARE(a.weightBytes(), 4.0 * double(m.parameterCount()));
    }

    void lenet5FiguresByHand()
    {
        Document d;
        d.loadSpecJson(sample("lenet5.json"));
        const Analysis a = analyze(d, kFashion);
        // c1: 6 filters of 1×5×5 plus 6 biases; f5: 400×120 + 120.
        QCOMPARE(a.nodes.at(uidOf(d, "c1")).params, int64_t(156));
        QCOMPARE(a.nodes.at(uidOf(d, "f5")).params, int64_t(48120));
        QCOMPARE(a.nodes.at(uidOf(d, "s4")).shape, (std::vector<int64_t> {16, 5, 5}));
        QCOMPARE(a.params, int64_t(156 + 2416 + 48120 + 10164 + 850));
        // Activations: 784 input + every layer's output values, 4 bytes each, per sample.
        const int64_t values = 784 + 6 * 28 * 28 + 6 * 14 * 14 + 16 * 10 * 10 + 16 * 5 * 5 + 400 + 120 + 84 + 10;
        QCOMPARE(a.activationValues, values);
        QCOMPARE(a.activationBytes(64), 4.0 * double(values) * 64);
    }

    // Every edit re-runs the analysis on the UI thread: it must stay well inside a frame.
    void analysisIsFastEnoughForEveryEdit()
    {
        Document d;
        d.loadSpecJson(sample("resnet-small.json"));
        QElapsedTimer t;
        t.start();
        constexpr int kRuns = 20;
        for (int i = 0; i < kRuns; ++i) QVERIFY(analyze(d, kFashion).ok());
        const double ms = double(t.nsecsElapsed()) / 1e6 / kRuns;
        qInfo("analysis of resnet-small (22 layers): %.2f ms", ms);
        QVERIFY2(ms < 16, qPrintable(QString("%1 ms").arg(ms)));
    }

    // ---- errors, each on the node that causes it --------------------------------------
    void missingFlattenIsOnTheDense()
    {
        json spec = sample("lenet5.json");
        spec["layers"].erase(4);  // "flat"
        Document d;
        d.loadSpecJson(spec);
        const Analysis a = analyze(d, kFashion);
        QCOMPARE(nodesWithErrors(a, d), QStringList {"f5"});
        QCOMPARE(errorsOn(a, d, "f5"), QString("Dense expects a flat input; add Flatten after s4 (16×5×5)."));
        QVERIFY(!a.nodes.at(uidOf(d, "f5")).resolved);
        QVERIFY(a.nodes.at(uidOf(d, "s4")).resolved);  // what comes before still shows its shape
        QCOMPARE(a.firstError(d), std::string("f5: Dense expects a flat input; add Flatten after s4 (16×5×5)."));
    }

    void danglingInputPortIsOnTheNode()
    {
        Document d;
        d.loadSpecJson(sample("spiral-mlp.json"));
        QUndoStack undo;
        undo.push(new DisconnectCommand(&d, d.inputsOf(uidOf(d, "h2")).front()));
        const Analysis a = analyze(d, kSpiral);
        QCOMPARE(nodesWithErrors(a, d), (QStringList {"h1", "h2"}));
        QVERIFY(errorsOn(a, d, "h2").contains("Nothing is connected to its input"));
        QVERIFY(errorsOn(a, d, "h1").contains("output goes nowhere"));
        QVERIFY(a.nodes.at(uidOf(d, "h1")).resolved);  // an open output does not hide the shape
    }

    // Saved and opened again, an unfinished graph is the same graph: an open input
    // stays open (the spec's "inputs": [] alone would read as "the previous layer"),
    // a join keeps its wire on the second port, an unfed Loss stays unfed.
    void openPortsSurviveSaveAndLoad()
    {
        Document d;
        d.loadSpecJson(sample("spiral-mlp.json"));
        QUndoStack undo;
        undo.push(new DisconnectCommand(&d, d.inputsOf(uidOf(d, "h2")).front()));
        undo.push(new DisconnectCommand(&d, d.inputsOf(uidOf(d, "loss")).front()));
        json saved = d.toSpecJson(true);
        QCOMPARE(saved["editor"]["wires"].dump(), std::string(R"({"h2":[],"loss":[]})"));
        Document again;
        again.loadSpecJson(saved);
        QVERIFY(again.inputsOf(uidOf(again, "h2")).empty());
        QVERIFY(again.inputsOf(uidOf(again, "loss")).empty());
        QCOMPARE(QString::fromStdString(again.toSpecJson(true).dump()), QString::fromStdString(saved.dump()));
        QCOMPARE(nodesWithErrors(analyze(again, kSpiral), again), nodesWithErrors(analyze(d, kSpiral), d));
        // Without the editor section the spec reads as the engine reads it.
        saved.erase("editor");
        again.loadSpecJson(saved);
        QCOMPARE(again.inputsOf(uidOf(again, "h2")).size(), size_t(1));

        d.loadSpecJson(sample("resnet-small.json"));
        const int add = uidOf(d, "b1_add");
        undo.push(new DisconnectCommand(&d, d.inputsOf(add).front()));
        saved = d.toSpecJson(true);
        QCOMPARE(saved["editor"]["wires"].dump(), std::string(R"({"b1_add":[null,"stem_relu"]})"));
        again.loadSpecJson(saved);
        const auto ins = again.inputsOf(uidOf(again, "b1_add"));
        QCOMPARE(ins.size(), size_t(1));
        QCOMPARE(ins.front().port, 1);
        QCOMPARE(QString::fromStdString(again.toSpecJson(true).dump()), QString::fromStdString(saved.dump()));

        // A wire naming no node, or a second port on a Dense, is ignored, not trusted.
        d.loadSpecJson(sample("spiral-mlp.json"));
        saved = d.toSpecJson(true);
        saved["editor"]["wires"] = {{"h2", {"nowhere"}}, {"out", {nullptr, "h1"}}, {"loss", 3}};
        again.loadSpecJson(saved);
        QCOMPARE(QString::fromStdString(again.toSpecJson(false).dump()), QString::fromStdString(d.toSpecJson(false).dump()));
    }

    void cycleIsOnEveryNodeOfIt()
    {
        Document d;
        d.loadSpecJson(sample("spiral-mlp.json"));
        QUndoStack undo;
        undo.push(new ConnectCommand(&d, {uidOf(d, "h2"), uidOf(d, "h1"), 0}));  // replaces input → h1
        const Analysis a = analyze(d, kSpiral);
        QVERIFY(errorsOn(a, d, "h1").contains("cycle (h1 → h2 → h1)") || errorsOn(a, d, "h1").contains("cycle (h2 → h1 → h2)"));
        QVERIFY(errorsOn(a, d, "h2").contains("cycle"));
        QVERIFY(!errorsOn(a, d, "out").contains("cycle"));
        QVERIFY(errorsOn(a, d, "input").contains("feeds nothing"));
    }

    void missingLossIsOnTheLastLayer()
    {
        Document d;
        d.loadSpecJson(sample("spiral-mlp.json"));
        QUndoStack undo;
        undo.push(new DeleteCommand(&d, {uidOf(d, "loss")}));
        const Analysis a = analyze(d, kSpiral);
        QCOMPARE(nodesWithErrors(a, d), QStringList {"out"});
        QVERIFY(errorsOn(a, d, "out").contains("no loss: drag Loss from the palette"));
    }

    void wrongClassCountIsOnTheOutputDense()
    {
        Document d;
        d.loadSpecJson(sample("spiral-mlp.json"));
        QUndoStack undo;
        undo.push(new SetPropertyCommand(&d, uidOf(d, "out"), "units", 5));
        const Analysis a = analyze(d, kSpiral);
        QCOMPARE(nodesWithErrors(a, d), QStringList {"out"});
        QCOMPARE(errorsOn(a, d, "out"), QString("It gives 5 scores but spiral has 2 classes; set units to 2 or \"auto\"."));
    }

    // Issue 22 item 27: a ReLU (or any activation) feeding softmax cross-entropy
    // trains, but the loss expects logits: a warning on the loss, not an error.
    void activationBeforeTheLossIsAWarning()
    {
        Document d;
        d.loadSpecJson(sample("spiral-mlp.json"));
        QVERIFY(analyze(d, kSpiral).warningCount() == 0);  // the samples end in logits
        QUndoStack undo;
        undo.push(new SetPropertyCommand(&d, uidOf(d, "out"), "activation", "relu"));
        const Analysis a = analyze(d, kSpiral);
        QVERIFY2(a.ok(), a.firstError(d).c_str());  // still trains
        QCOMPARE(a.warningCount(), 1);
        const auto& w = a.nodes.at(uidOf(d, "loss")).warnings;
        QCOMPARE(int(w.size()), 1);
        QVERIFY2(QString::fromStdString(w.front()).contains("expects logits") && QString::fromStdString(w.front()).contains("out")
                     && QString::fromStdString(w.front()).contains("relu"),
                 w.front().c_str());
        QVERIFY(QString::fromStdString(a.firstWarning(d)).startsWith("loss: "));
        // Any non-identity activation.
        undo.push(new SetPropertyCommand(&d, uidOf(d, "out"), "activation", "sigmoid"));
        QCOMPARE(analyze(d, kSpiral).warningCount(), 1);
        undo.push(new SetPropertyCommand(&d, uidOf(d, "out"), "activation", "none"));
        QCOMPARE(analyze(d, kSpiral).warningCount(), 0);
        // MSE has no logits to expect.
        undo.push(new SetPropertyCommand(&d, uidOf(d, "out"), "activation", "relu"));
        undo.push(new SetPropertyCommand(&d, uidOf(d, "loss"), "loss", "mse"));
        QCOMPARE(analyze(d, kSpiral).warningCount(), 0);
    }

    void wrongInputShapeIsOnTheInput()
    {
        Document d;
        d.loadSpecJson(sample("spiral-mlp.json"));
        const Analysis a = analyze(d, kFashion);
        QVERIFY(nodesWithErrors(a, d).contains("input"));
        QVERIFY(errorsOn(a, d, "input").contains("set it to \"auto\" or [1,28,28]"));
    }

    void badFieldIsOnTheNodeInTheEnginesWords()
    {
        Document d;
        d.loadSpecJson(sample("lenet5.json"));
        QUndoStack undo;
        undo.push(new SetPropertyCommand(&d, uidOf(d, "f6"), "units", -3));
        undo.push(new SetPropertyCommand(&d, uidOf(d, "c3"), "padding", "same"));
        undo.push(new SetPropertyCommand(&d, uidOf(d, "c3"), "kernel", 4));
        const Analysis a = analyze(d, kFashion);
        QCOMPARE(nodesWithErrors(a, d), (QStringList {"c3", "f6"}));
        QVERIFY(errorsOn(a, d, "f6").contains("field 'units' must be a positive integer", Qt::CaseInsensitive));
        QVERIFY(errorsOn(a, d, "c3").contains("\"same\" needs an odd kernel"));
    }

    void unequalAddIsOnTheAdd()
    {
        json spec = sample("resnet-small.json");
        for (auto& l : spec["layers"])
            if (l["id"] == "b2_skip") l["filters"] = 16;
        Document d;
        d.loadSpecJson(spec);
        const Analysis a = analyze(d, kFashion);
        QCOMPARE(nodesWithErrors(a, d), QStringList {"b2_add"});
        QVERIFY(errorsOn(a, d, "b2_add").contains("Add needs equal shapes: b2_bn2 gives 32×14×14 but b2_skip_bn gives 16×14×14"));
    }

    void windowTooLargeIsOnThePool()
    {
        json spec = sample("lenet5.json");
        spec["layers"][3]["size"] = 12;  // s4 on a 10×10 image
        Document d;
        d.loadSpecJson(spec);
        const Analysis a = analyze(d, kFashion);
        QCOMPARE(nodesWithErrors(a, d), QStringList {"s4"});
        QVERIFY(errorsOn(a, d, "s4").contains("12×12 window does not fit the 10×10 image from c3"));
    }

    void noInputAndDuplicateIds()
    {
        Document d;
        d.loadSpecJson(sample("spiral-mlp.json"));
        QUndoStack undo;
        undo.push(new SetPropertyCommand(&d, uidOf(d, "h2"), "id", "h1"));
        undo.push(new DeleteCommand(&d, {uidOf(d, "input")}));
        const Analysis a = analyze(d, kSpiral);
        QVERIFY(!a.graphErrors.empty());
        QVERIFY(QString::fromStdString(a.graphErrors.front()).contains("no Input node"));
        QVERIFY(QString::fromStdString(a.firstError(d)).contains("no Input node"));  // the graph-wide problem first
        int dup = 0;
        for (const auto& n : d.nodes())
            for (const auto& e : a.nodes.at(n.uid).errors) dup += QString::fromStdString(e).contains("used by another node");
        QCOMPARE(dup, 1);
    }

    // ---- undo and redo of every command type --------------------------------------------
    void everyCommandUndoesAndRedoesExactly()
    {
        Document d;
        d.loadSpecJson(sample("lenet5.json"));
        QUndoStack undo;
        auto state = [&] { return d.toSpecJson(true).dump(); };
        std::vector<std::string> states {state()};
        auto push = [&](QUndoCommand* c) {
            undo.push(c);
            states.push_back(state());
            QVERIFY(states.back() != states[states.size() - 2]);  // each command changes something
        };
        Node extra;
        extra.kind = "dropout";
        extra.id = d.freshId("dropout");
        extra.props = defaultProps("dropout");
        auto* add = new AddNodeCommand(&d, extra);
        const int dropUid = add->uid();
        push(add);
        push(new ConnectCommand(&d, {uidOf(d, "f6"), dropUid, 0}));
        push(new ConnectCommand(&d, {dropUid, uidOf(d, "out"), 0}));  // replaces f6 → out
        push(new DisconnectCommand(&d, {uidOf(d, "f6"), dropUid, 0}));
        push(new MoveCommand(&d, {{uidOf(d, "c1"), {QPointF(d.nodeById("c1")->x, d.nodeById("c1")->y), QPointF(400, 50)}}}));
        push(new SetPropertyCommand(&d, uidOf(d, "f5"), "units", 64));
        push(new SetPropertyCommand(&d, uidOf(d, "f5"), "activation", "tanh"));
        push(new SetPropertyCommand(&d, uidOf(d, "c1"), "id", "conv1"));
        push(new DeleteCommand(&d, {uidOf(d, "s2"), uidOf(d, "conv1")}));
        push(new ReplaceDocumentCommand(&d, sample("spiral-mlp.json"), "Template"));
        QCOMPARE(undo.count(), int(states.size()) - 1);
        for (int i = int(states.size()) - 2; i >= 0; --i) {
            undo.undo();
            QCOMPARE(QString::fromStdString(state()), QString::fromStdString(states[size_t(i)]));
        }
        for (size_t i = 1; i < states.size(); ++i) {
            undo.redo();
            QCOMPARE(QString::fromStdString(state()), QString::fromStdString(states[i]));
        }
        QCOMPARE(undo.text(undo.count() - 1), QString("Template"));
        QCOMPARE(undo.text(5), QString("Set units of f5 to 64"));
    }

    void typingMergesIntoOneStep()
    {
        Document d;
        d.loadSpecJson(sample("lenet5.json"));
        QUndoStack undo;
        for (int v : {1, 12, 120, 128}) undo.push(new SetPropertyCommand(&d, uidOf(d, "f5"), "units", v));
        QCOMPARE(undo.count(), 1);
        QCOMPARE(d.nodeById("f5")->props["units"].get<int>(), 128);
        undo.undo();
        QCOMPARE(d.nodeById("f5")->props["units"].get<int>(), 120);
    }

    void deleteRestoresEdgesAndOrder()
    {
        Document d;
        d.loadSpecJson(sample("resnet-small.json"));
        const std::string before = d.toSpecJson(true).dump();
        QUndoStack undo;
        undo.push(new DeleteCommand(&d, {uidOf(d, "b1_add"), uidOf(d, "stem_relu")}));
        QVERIFY(d.inputsOf(uidOf(d, "b1_out")).empty());
        undo.undo();
        QCOMPARE(QString::fromStdString(d.toSpecJson(true).dump()), QString::fromStdString(before));
    }

    void malformedEditorSectionIsLaidOutAfresh()
    {
        json spec = sample("lenet5.json");
        spec["editor"] = {{"positions", {{"c1", {"x", 2}}, {"s2", 7}}}};
        Document d;
        d.loadSpecJson(spec);  // no throw: positions are a convenience, not the spec
        QCOMPARE(d.nodes().size(), size_t(10));
        QVERIFY(d.nodeById("loss")->y > d.nodeById("input")->y);
        spec["editor"] = "nonsense";
        d.loadSpecJson(spec);
        QCOMPARE(d.nodes().size(), size_t(10));
    }

    void badSpecLeavesTheDocumentAlone()
    {
        Document d;
        d.loadSpecJson(sample("lenet5.json"));
        const std::string before = d.toSpecJson(true).dump();
        bool threw = false;
        try {
            ReplaceDocumentCommand c(&d, json {{"input", {{"shape", {2}}}}, {"layers", json::array()}}, "x");
        } catch (const nn::Error& e) {
            threw = QString(e.what()).contains("layers");
        }
        QVERIFY(threw);
        QCOMPARE(d.toSpecJson(true).dump(), before);
    }
};

QTEST_MAIN(TestBuilderDocument)
#include "tst_builder_document.moc"
