// The network builder in the real window, as a student uses it: drop a Dense
// from the palette onto the canvas (the drop path a mouse drag takes), connect
// its output port to the Loss with the mouse, see the error on the node and Train
// disabled with the reason, fix it in the property panel, watch the shape update,
// undo and redo that, train it in one click in the dashboard, then open the
// trained model back in the builder; export PNG and SVG; every template is valid.
#include <QtTest/QtTest>

#include <cmath>

#include <QComboBox>
#include <QGraphicsView>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QUndoStack>

#include "app/gui/main_window.h"
#include "views/builder/builder_canvas.h"
#include "views/builder/builder_export.h"
#include "views/builder/builder_layout.h"
#include "views/builder/builder_palette.h"
#include "views/builder/builder_scene.h"
#include "views/builder/builder_templates.h"
#include "views/builder/builder_view.h"
#include "views/builder/node_item.h"
#include "views/builder/property_panel.h"
#include "views/dashboard/setup_panel.h"
#include "views/training/training_session.h"

using namespace views::builder;

class GuiBuilder : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<MainWindow> window;
    BuilderView* b = nullptr;

    QPoint viewPos(const QPointF& scenePos) const { return b->canvas()->mapFromScene(scenePos); }
    NodeItem* node(const std::string& id) const { return b->scene()->item(b->document()->nodeById(id)->uid); }

    // A drop on the canvas viewport, as QDrag delivers it at the end of a drag.
    void dropOnCanvas(const QString& kind, const QPoint& at)
    {
        QWidget* vp = b->canvas()->viewport();
        std::unique_ptr<QMimeData> mime(Palette::mimeFor(kind));
        QDragEnterEvent enter(at, Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(vp, &enter);
        QDragMoveEvent move(at, Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(vp, &move);
        QVERIFY(move.isAccepted());
        QDropEvent drop(at, Qt::CopyAction, mime.get(), Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(vp, &drop);
        QVERIFY(drop.isAccepted());
    }

    // Drops `kind` one row below the selected node (where a student would) and
    // returns the new node's id.
    std::string dropBelowSelection(const QString& kind)
    {
        const auto sel = b->scene()->selectedNodes();
        if (sel.size() != 1) qFatal("select one node first");
        const NodeItem* s = b->scene()->item(sel.front());
        const QPointF at = s->mapToScene(QPointF(kNodeWidth / 2, kNodeHeight + kRowGap + kNodeHeight / 2));
        b->canvas()->centerOn(at);
        dropOnCanvas(kind, viewPos(at));
        return b->document()->node(b->scene()->selectedNodes().front())->id;
    }

    // Types `text` into the property panel's field `key` of the selected node.
    void type(const QString& key, const QString& text)
    {
        auto* e = qobject_cast<QLineEdit*>(b->properties()->editor(key));
        if (!e) qFatal("no field %s", qPrintable(key));
        e->setFocus();
        e->selectAll();
        if (text.isEmpty()) QTest::keyClick(e, Qt::Key_Backspace);
        else QTest::keyClicks(e, text);
    }

    void shot(const char* name)
    {
        QApplication::processEvents();
        if (qEnvironmentVariableIsSet("NN_BUILDER_SHOTS")) window->grab().save(qEnvironmentVariable("NN_BUILDER_SHOTS") + "/" + name + ".png");
    }

private slots:
    void initTestCase()
    {
        qputenv("NNSTUDIO_NO_DIALOGS", "1");
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("NN Studio Tests");
        window = std::make_unique<MainWindow>();
        window->resize(1400, 900);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        window->openModel(QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/spiral-mlp.json");
        QVERIFY(window->setupPanel()->selectData("spiral"));
        QTRY_VERIFY_WITH_TIMEOUT(window->session()->state() == views::TrainingSession::State::Ready, 10000);
        window->showBuilder();
        b = window->builder();
        QVERIFY(b->isVisible());
        QVERIFY(b->setData("spiral"));
        window->undoStack()->clear();
    }

    void dropConnectFixAndTrain()
    {
        b->newNetwork();
        QCOMPARE(b->document()->nodes().size(), size_t(2));
        QVERIFY(!b->trainButton()->isEnabled());
        QCOMPARE(node("input")->shapeLine(), QString("out 2"));

        // Drop a Dense under the Input (which is selected): it is connected after it.
        const NodeItem* in = node("input");
        const QPointF below = in->mapToScene(in->outputPort()) + QPointF(0, 140);
        dropOnCanvas("dense", viewPos(below));
        QCOMPARE(b->document()->nodes().size(), size_t(3));
        const Node* dense = b->document()->nodeById("fc1");
        QVERIFY(dense);
        QCOMPARE(b->document()->inputsOf(dense->uid).size(), size_t(1));
        QCOMPARE(node("fc1")->shapeLine(), QString("out 10"));
        QCOMPARE(node("fc1")->costLine(), QString("30 params · 60 FLOPs"));  // 2×10 + 10; 2·2·10 + 10 (bias) + 10 (ReLU)
        QVERIFY(node("fc1")->hasError());  // its output goes nowhere yet
        QVERIFY(b->trainButton()->toolTip().startsWith("Fix this first: loss: Nothing feeds the loss"));

        // Drag from the Dense's output port (bottom dot) to the Loss.
        const QPoint from = viewPos(node("fc1")->mapToScene(node("fc1")->outputPort()));
        const QPoint to = viewPos(node("loss")->mapToScene(node("loss")->inputPort(0)));
        QWidget* vp = b->canvas()->viewport();
        QTest::mousePress(vp, Qt::LeftButton, Qt::NoModifier, from);
        QTest::mouseMove(vp, (from + to) / 2);
        QTest::mouseRelease(vp, Qt::LeftButton, Qt::NoModifier, to);
        QCOMPARE(b->document()->inputsOf(b->document()->nodeById("loss")->uid).size(), size_t(1));

        // The error a student makes: 10 units for 2 classes. On the node, in words.
        QVERIFY(node("fc1")->hasError());
        QCOMPARE(QString::fromStdString(node("fc1")->report().errors.front()),
                 QString("It gives 10 scores but spiral has 2 classes; set units to 2 or \"auto\"."));
        QVERIFY(!b->trainButton()->isEnabled());
        QVERIFY(b->trainButton()->toolTip().contains("set units to 2"));

        // Fix it in the property panel: a refused value first, then "auto".
        b->scene()->clearSelection();
        node("fc1")->setSelected(true);
        auto* units = qobject_cast<QLineEdit*>(b->properties()->editor("units"));
        QVERIFY(units);
        units->setFocus();
        units->selectAll();
        QTest::keyClicks(units, "-4");
        QVERIFY(b->properties()->inputError().contains("Units"));
        QCOMPARE(b->document()->nodeById("fc1")->props["units"].get<int>(), 10);  // nothing taken
        units->selectAll();
        QTest::keyClicks(units, "auto");
        QVERIFY(b->properties()->inputError().isEmpty());
        QCOMPARE(node("fc1")->shapeLine(), QString("out 2"));
        QVERIFY(!node("fc1")->hasError());
        QVERIFY(b->trainButton()->isEnabled());
        QVERIFY(b->statusText().startsWith("✓"));

        // Undo takes the fix back (one step for all the typing), redo re-applies it.
        QVERIFY(window->undoStack()->undoText().startsWith("Set units of fc1"));
        window->undoStack()->undo();
        QCOMPARE(node("fc1")->shapeLine(), QString("out 10"));
        QVERIFY(!b->trainButton()->isEnabled());
        window->undoStack()->redo();
        QCOMPARE(node("fc1")->shapeLine(), QString("out 2"));

        // One click trains it in the dashboard.
        window->setupPanel()->setEpochs(3);
        QSignalSpy finished(window->session(), &views::TrainingSession::finished);
        QTest::mouseClick(b->trainButton(), Qt::LeftButton);
        QVERIFY(!b->isVisible());  // the dashboard shows
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 60000);
        QVERIFY(window->session()->spec());
        QCOMPARE(window->session()->spec()->name, b->document()->name());
        QCOMPARE(window->session()->spec()->layers.size(), size_t(1));
        QCOMPARE(window->session()->spec()->layers[0].id, std::string("fc1"));
        QCOMPARE(int(window->session()->history().size()), 3);

        // And back: the trained model's spec opens in the builder, positions kept.
        const std::string drawn = b->document()->toSpecJson(true).dump();
        window->showBuilder();
        b->newNetwork();
        QVERIFY(b->openFile(window->setupPanel()->modelPath()).isEmpty());
        QCOMPARE(b->document()->toSpecJson(true).dump(), drawn);

        QTemporaryDir dir;
        const QString nnm = dir.filePath("trained.nnm");
        QVERIFY(window->saveTrainedModel(nnm).isEmpty());
        QVERIFY(b->openFile(nnm).isEmpty());
        QCOMPARE(b->document()->nodes().size(), size_t(3));
        QVERIFY(b->trainButton()->isEnabled());
    }


    // The test of done: LeNet-5 from the palette, with the error a student
    // makes (no Flatten) fixed by dropping a Flatten onto the connection; the
    // result is the sample LeNet-5, parameter for parameter, and Train ▶ trains it.
    void lenet5FromThePalette()
    {
        QVERIFY(b->setData("fashion-mnist"));
        b->newNetwork();
        QCOMPARE(node("input")->shapeLine(), QString("out 1×28×28"));
        const std::string c1 = dropBelowSelection("conv2d");
        type("padding", "2");
        QCOMPARE(node(c1)->shapeLine(), QString("out 6×28×28"));
        QCOMPARE(node(c1)->costLine(), QString("156 params · 244.6 k FLOPs"));
        const std::string s2 = dropBelowSelection("maxpool2d");
        QCOMPARE(node(s2)->shapeLine(), QString("out 6×14×14"));
        const std::string c3 = dropBelowSelection("conv2d");
        type("filters", "16");
        QCOMPARE(node(c3)->shapeLine(), QString("out 16×10×10"));
        const std::string s4 = dropBelowSelection("maxpool2d");
        QCOMPARE(node(s4)->shapeLine(), QString("out 16×5×5"));
        shot("builder-step-pool");
        const std::string f5 = dropBelowSelection("dense");
        QCOMPARE(QString::fromStdString(node(f5)->report().errors.front()),
                 QString("Dense expects a flat input; add Flatten after %1 (16×5×5).").arg(QString::fromStdString(s4)));
        QVERIFY(!b->trainButton()->isEnabled());
        shot("builder-step-error");
        // The fix: drop a Flatten onto the connection.
        b->scene()->clearSelection();
        const Edge e {b->document()->nodeById(s4)->uid, b->document()->nodeById(f5)->uid, 0};
        const QPointF mid = b->scene()->edgeItem(e)->path().pointAtPercent(0.5);
        b->canvas()->centerOn(mid);
        dropOnCanvas("flatten", viewPos(mid));
        QCOMPARE(node(f5)->shapeLine(), QString("out 10"));
        b->layOut();
        b->scene()->clearSelection();
        node(f5)->setSelected(true);
        type("units", "120");
        const std::string f6 = dropBelowSelection("dense");
        type("units", "84");
        const std::string out = dropBelowSelection("dense");
        type("units", "auto");
        auto* act = qobject_cast<QComboBox*>(b->properties()->editor("activation"));
        QVERIFY(act);
        act->setCurrentText("none");
        emit act->activated(act->currentIndex());
        b->layOut();
        // Wire the output layer to the Loss with the mouse.
        b->canvas()->fitAll();
        QWidget* vp = b->canvas()->viewport();
        const QPoint from = viewPos(node(out)->mapToScene(node(out)->outputPort()));
        const QPoint to = viewPos(node("loss")->mapToScene(node("loss")->inputPort(0)));
        QTest::mousePress(vp, Qt::LeftButton, Qt::NoModifier, from);
        QTest::mouseMove(vp, to);
        QTest::mouseRelease(vp, Qt::LeftButton, Qt::NoModifier, to);
        QVERIFY2(b->trainButton()->isEnabled(), qPrintable(b->statusText()));
        shot("builder-lenet5-built");
        // The same network as the sample LeNet-5.
        Document sample;
        QFile f(QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/lenet5.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        sample.loadSpecJson(nlohmann::json::parse(f.readAll().toStdString()));
        const Analysis ref = analyze(sample, b->dataContext());
        QCOMPARE(b->analysis().params, ref.params);
        QCOMPARE(b->analysis().params, int64_t(61706));
        QCOMPARE(b->analysis().flops, ref.flops);
        QCOMPARE(b->document()->layerOrder().size(), sample.layerOrder().size());

        // And it trains: Train ▶ hands this network to the dashboard, which fits it
        // to the first 600 Fashion-MNIST images (the set-up panel's Images limit).
        window->setupPanel()->setImageLimit(600);
        window->setupPanel()->setEpochs(2);
        QSignalSpy finished(window->session(), &views::TrainingSession::finished);
        QTest::mouseClick(b->trainButton(), Qt::LeftButton);
        QVERIFY(!b->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 60000);
        const views::TrainingSession* run = window->session();
        QCOMPARE(run->dataName(), QString("fashion-mnist"));
        QCOMPARE(run->data()->train.size() + run->data()->validation.size(), size_t(600));
        QCOMPARE(run->spec()->name, b->document()->name());
        QCOMPARE(run->currentModel()->parameterCount(), int64_t(61706));
        QCOMPARE(run->result().status, nn::TrainStatus::Completed);
        const auto& h = run->history();
        QCOMPARE(int(h.size()), 2);
        qInfo("LeNet-5 on 600 images: loss %.3f -> %.3f, val accuracy %.2f, %.1f s", h[0].trainLoss, h[1].trainLoss,
              h[1].valAccuracy, run->result().seconds);
        QVERIFY(std::isfinite(h[0].trainLoss) && std::isfinite(h[1].trainLoss));
        QVERIFY(h[1].trainLoss < h[0].trainLoss);
        QVERIFY(h[1].trainAccuracy > 0.2);  // chance is 0.1
        window->showBuilder();
    }

    void dropOnAConnectionSplicesTheNode()
    {
        b->loadTemplate("LeNet-5");
        QVERIFY(b->setData("fashion-mnist"));
        QVERIFY(b->trainButton()->isEnabled());
        // Take Flatten out: the Dense after the pooling now says what to do.
        b->scene()->clearSelection();
        node("flat")->setSelected(true);
        b->deleteSelection();
        b->connectNodes(b->document()->nodeById("s4")->uid, b->document()->nodeById("f5")->uid);
        QCOMPARE(QString::fromStdString(node("f5")->report().errors.front()),
                 QString("Dense expects a flat input; add Flatten after s4 (16×5×5)."));
        // Drop a Flatten onto the s4 → f5 connection: it goes in between.
        b->scene()->clearSelection();
        EdgeItem* e = b->scene()->edgeItem({b->document()->nodeById("s4")->uid, b->document()->nodeById("f5")->uid, 0});
        QVERIFY(e);
        b->canvas()->centerOn(e->path().pointAtPercent(0.5));
        dropOnCanvas("flatten", viewPos(e->path().pointAtPercent(0.5)));
        QVERIFY2(b->trainButton()->isEnabled(), qPrintable(b->statusText()));
        QCOMPARE(node("flat1")->shapeLine(), QString("out 400"));
        QCOMPARE(node("f5")->shapeLine(), QString("out 120"));
        QVERIFY(window->undoStack()->undoText().startsWith("Insert Flatten flat1 between s4 and f5"));
        window->undoStack()->undo();
        QVERIFY(!b->trainButton()->isEnabled());
        window->undoStack()->redo();
        QVERIFY(b->trainButton()->isEnabled());
    }

    // Issue 22 item 27: with another node selected (as it is after every drop),
    // a layer dropped onto a wire, or a few pixels beside it, still splices in.
    void dropOnAConnectionSplicesWhileAnotherNodeIsSelected()
    {
        QVERIFY(b->openFile(QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/spiral-mlp.json").isEmpty());
        QVERIFY(b->setData("spiral"));
        const int h1 = b->document()->nodeById("h1")->uid, h2 = b->document()->nodeById("h2")->uid;
        const int out = b->document()->nodeById("out")->uid;
        for (const double beside : {0.0, 5.0}) {
            b->scene()->clearSelection();
            node("h1")->setSelected(true);  // a node that already has an output
            EdgeItem* e = b->scene()->edgeItem({h2, out, 0});
            QVERIFY(e);
            const QPointF at = e->mapToScene(e->path().pointAtPercent(0.5)) + QPointF(beside, 0);
            b->canvas()->centerOn(at);
            dropOnCanvas("dropout", viewPos(at));
            QVERIFY2(window->undoStack()->undoText().startsWith("Insert Dropout"), qPrintable(window->undoStack()->undoText()));
            const std::string added = b->document()->node(b->scene()->selectedNodes().front())->id;
            QCOMPARE(int(b->document()->inputsOf(out).size()), 1);
            QCOMPARE(b->document()->inputsOf(out).front().from, b->document()->nodeById(added)->uid);
            QCOMPARE(b->document()->inputsOf(b->document()->nodeById(added)->uid).front().from, h2);
            window->undoStack()->undo();
            QCOMPARE(b->document()->inputsOf(out).front().from, h2);
        }
        // Selected node without outputs, dropped onto a wire: still a splice, not "add after".
        b->scene()->clearSelection();
        EdgeItem* e = b->scene()->edgeItem({h1, h2, 0});
        QVERIFY(e);
        node("out")->setSelected(true);
        const QPointF at = e->mapToScene(e->path().pointAtPercent(0.5));
        b->canvas()->centerOn(at);
        dropOnCanvas("dropout", viewPos(at));
        QVERIFY2(window->undoStack()->undoText().startsWith("Insert Dropout"), qPrintable(window->undoStack()->undoText()));
        window->undoStack()->undo();
    }

    // Issue 22 item 27: a ReLU before softmax cross-entropy is said, as a warning;
    // Train stays enabled.
    void activationBeforeTheLossWarns()
    {
        QVERIFY(b->openFile(QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/spiral-mlp.json").isEmpty());
        QVERIFY(b->setData("spiral"));
        QVERIFY(!b->statusText().contains("Warning"));
        b->scene()->clearSelection();
        node("out")->setSelected(true);
        auto* box = qobject_cast<QComboBox*>(b->properties()->editor("activation"));
        QVERIFY(box);
        box->setCurrentIndex(box->findText("relu"));
        emit box->activated(box->currentIndex());  // as a click on the item does
        QVERIFY2(b->statusText().contains("Warning") && b->statusText().contains("logits"), qPrintable(b->statusText()));
        QVERIFY(b->trainButton()->isEnabled());
        QVERIFY(node("loss")->toolTip().contains("logits"));
        window->undoStack()->undo();
        QVERIFY(!b->statusText().contains("Warning"));
    }

    void everyTemplateIsValidAndLaidOut()
    {
        for (const auto& t : templates()) {
            b->loadTemplate(t.title);
            const bool images = t.title != "Playground MLP";
            QVERIFY(b->setData(images ? "fashion-mnist" : "spiral"));
            QVERIFY2(b->analysis().ok(), qPrintable(t.title + ": " + QString::fromStdString(b->analysis().firstError(*b->document()))));
            QCOMPARE(window->undoStack()->undoText(), "Template " + t.title);
        }
    }

    void exportsPngAndSvg()
    {
        b->loadTemplate("Small ResNet block");
        QTemporaryDir dir;
        QVERIFY(exportPng(b->scene(), dir.filePath("net.png")).isEmpty());
        QVERIFY(exportSvg(b->scene(), dir.filePath("net.svg")).isEmpty());
        QImage png(dir.filePath("net.png"));
        QVERIFY(png.width() > 400 && png.height() > 1000);
        QFile svg(dir.filePath("net.svg"));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QByteArray text = svg.readAll();
        QVERIFY(text.contains("<svg"));
        QVERIFY(text.contains("Conv2D"));
        QVERIFY(exportPng(b->scene(), "/nonexistent/dir/net.png").contains("could not write"));
    }

    void copyPasteAndDeleteAreUndoable()
    {
        b->loadTemplate("LeNet-5");
        const size_t n = b->document()->nodes().size();
        b->scene()->clearSelection();
        node("c1")->setSelected(true);
        node("s2")->setSelected(true);
        b->copySelection();
        b->paste();
        QCOMPARE(b->document()->nodes().size(), n + 2);
        // The pasted pair keeps its connection and gets fresh ids.
        const Node* pool = b->document()->nodeById("pool1");
        QVERIFY(pool);
        QCOMPARE(b->document()->node(b->document()->inputsOf(pool->uid).front().from)->id, std::string("conv1"));
        window->undoStack()->undo();
        QCOMPARE(b->document()->nodes().size(), n);
        b->scene()->clearSelection();
        node("c3")->setSelected(true);
        b->deleteSelection();
        QCOMPARE(b->document()->nodes().size(), n - 1);
        window->undoStack()->undo();
        QCOMPARE(b->document()->nodes().size(), n);
        QVERIFY(b->analysis().ok());
    }
};

QTEST_MAIN(GuiBuilder)
#include "tst_gui_builder.moc"
