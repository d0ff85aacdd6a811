// The backprop stepper in the real window: step the lecture's sigmoid neuron to
// the end and read the numbers drawn on the graph; typed formulas and errors.
#include <QtTest/QtTest>

#include "app/gui/main_window.h"
#include "views/stepper/graph_canvas.h"
#include "views/stepper/stepper_view.h"
#include "views/stepper/tensor_heatmap.h"
#include "views/dashboard/setup_panel.h"
#include "views/training/training_session.h"

class GuiStepper : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<MainWindow> window;
    views::StepperView* stepper() { return window->stepper(); }
    int nodeOf(nn::OpKind op)
    {
        for (int i = 0; i < stepper()->graph()->size(); ++i)
            if (stepper()->graph()->node(i).op == op) return i;
        return -1;
    }

private slots:
    void initTestCase()
    {
        qputenv("NNSTUDIO_NO_DIALOGS", "1");
        QCoreApplication::setOrganizationName("NN Studio Tests");
        window = std::make_unique<MainWindow>();
        window->resize(1600, 1000);
        window->showPage(1);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    }

    void seedExampleStepByStep()
    {
        stepper()->loadPreset(0);
        QVERIFY(!stepper()->forwardComplete());
        int forwardSteps = 0;
        while (stepper()->stepForward()) ++forwardSteps;
        QCOMPARE(forwardSteps, 8);  // 2 mul, 2 add, neg, exp, +1, 1/x: the eight gates of the slide
        QVERIFY(stepper()->forwardComplete());
        const int recip = nodeOf(nn::OpKind::Reciprocal);
        QCOMPARE(stepper()->canvas()->valueLabel(recip), QString("0.73"));
        QVERIFY(stepper()->canvas()->gradientLabel(recip).isEmpty());  // not known before backward
        while (stepper()->stepBackward()) {
        }
        QVERIFY(stepper()->backwardComplete());
        QCOMPARE(stepper()->canvas()->gradientLabel(recip), QString("1.00"));
        QCOMPARE(stepper()->canvas()->gradientLabel(stepper()->findNode("w0")), QString("-0.20"));
        QCOMPARE(stepper()->canvas()->gradientLabel(stepper()->findNode("x0")), QString("0.39"));
        QCOMPARE(stepper()->canvas()->gradientLabel(stepper()->findNode("x1")), QString("-0.59"));
        QCOMPARE(stepper()->canvas()->valueLabel(nodeOf(nn::OpKind::Exp)), QString("0.37"));
        // Every leaf passes the numeric check.
        QCOMPARE(stepper()->checks().size(), 5);
        for (const auto& c : stepper()->checks()) QVERIFY2(c.pass, qPrintable(c.name));
        // The explanation of 1/x, in words and numbers.
        stepper()->selectNode(recip);
        const QString text = stepper()->explanation();
        QVERIFY2(text.contains("-1/x^2") && text.contains("1.37") && text.contains("-0.53"), qPrintable(text));
        QVERIFY(!window->grab().isNull());
    }

    void backOneStepAndReset()
    {
        stepper()->loadPreset(0);
        stepper()->runBackward();
        const int all = stepper()->stepsTaken();
        stepper()->backOneStep();
        QCOMPARE(stepper()->stepsTaken(), all - 1);
        QVERIFY(!stepper()->backwardComplete());
        stepper()->reset();
        QCOMPARE(stepper()->stepsTaken(), 0);
        QVERIFY(stepper()->canvas()->gradientLabel(stepper()->findNode("w0")).isEmpty());
    }

    void collapseSigmoid()
    {
        stepper()->loadPreset(0);
        const int expanded = stepper()->graph()->size();
        stepper()->setCollapsed(true);
        QCOMPARE(stepper()->graph()->size(), expanded - 3);
        QVERIFY(nodeOf(nn::OpKind::Sigmoid) >= 0);
        stepper()->runBackward();
        QCOMPARE(stepper()->canvas()->gradientLabel(stepper()->findNode("w0")), QString("-0.20"));
        stepper()->setCollapsed(false);
        QCOMPARE(stepper()->graph()->size(), expanded);
    }

    void typedFormulasAndErrors()
    {
        QVERIFY(stepper()->setFormula("x*y + max(x, 2)", "x=3, y=-1"));
        stepper()->runBackward();
        QCOMPARE(stepper()->canvas()->valueLabel(stepper()->root()), QString("0.00"));
        QVERIFY(!stepper()->setFormula("1/(1+exp(-x)", "x=1"));
        QVERIFY(stepper()->errorText().contains("column"));
        QVERIFY(stepper()->setFormula("log(x-1)", "x=1"));
        stepper()->runForward();
        const int bad = stepper()->graph()->firstNonFinite();
        QCOMPARE(bad, nodeOf(nn::OpKind::Log));
        stepper()->selectNode(bad);
        QVERIFY(stepper()->explanation().contains("NaN"));
        QVERIFY2(stepper()->explanation().contains("log(0) = -inf"), qPrintable(stepper()->explanation()));
    }

    void tensorAndModelPresets()
    {
        stepper()->loadPreset(1);
        stepper()->runBackward();
        QVERIFY(stepper()->backwardComplete());
        // c = sum(x*y + z): the product node is a 3×4 tensor with heat maps;
        // element 5's chain rule: d(x*y)/dx = y there, times the upstream 1.
        const int mul = nodeOf(nn::OpKind::Mul);
        stepper()->selectNode(mul);
        QVERIFY(stepper()->valueMap()->isVisible());
        QCOMPARE(stepper()->valueMap()->elements(), qint64(12));
        QCOMPARE(stepper()->gradientMap()->elements(), qint64(12));
        stepper()->selectElement(5);
        const nn::Node& y = stepper()->graph()->node(stepper()->findNode("y"));
        const QString text = stepper()->explanation();
        QVERIFY2(text.contains("Element 5 of 12") && text.contains(QString::number(y.value[5], 'f', 4)), qPrintable(text));
        // Clicking the cell does the same.
        QPoint bottomLeft(-1, -1);  // a point over the first cell of the bottom row
        for (int y = stepper()->valueMap()->height() - 1; y >= 0 && bottomLeft.x() < 0; --y)
            if (stepper()->valueMap()->elementAt(QPointF(6, y)) == 8) bottomLeft = QPoint(6, y);
        QVERIFY(bottomLeft.x() >= 0);
        QTest::mouseClick(stepper()->valueMap(), Qt::LeftButton, {}, bottomLeft);
        QCOMPARE(stepper()->valueMap()->selected(), qint64(8));
        QCOMPARE(stepper()->gradientMap()->selected(), qint64(8));
        QVERIFY(stepper()->explanation().contains("Element 8 of 12"));
        stepper()->selectNode(nodeOf(nn::OpKind::Sum));
        QVERIFY(!stepper()->valueMap()->isVisible());  // a scalar: no heat map
        for (const auto& c : stepper()->checks()) QVERIFY2(c.pass, qPrintable(c.name));
        stepper()->loadPreset(2);
        QVERIFY(stepper()->errorText().isEmpty());
        stepper()->runBackward();
        QVERIFY(stepper()->backwardComplete());
        QVERIFY(stepper()->checks().size() >= 4);
        for (const auto& c : stepper()->checks()) QVERIFY2(c.pass, qPrintable(c.name));
    }

    // The dashboard's model on a chosen training sample: the input node holds
    // that sample, and backward runs to every parameter.
    void loadedModelOnAChosenSample()
    {
        window->openModel(QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/spiral-mlp.json");
        QVERIFY(window->setupPanel()->selectData("spiral"));
        QTRY_VERIFY_WITH_TIMEOUT(window->session()->state() == views::TrainingSession::State::Ready, 10000);
        stepper()->loadPreset(3);
        QVERIFY2(stepper()->errorText().isEmpty(), qPrintable(stepper()->errorText()));
        stepper()->setSampleIndex(7);
        QCOMPARE(stepper()->sampleIndex(), 7);
        const auto& train = window->session()->data()->train;
        const nn::Node& input = stepper()->graph()->node(nodeOf(nn::OpKind::Input));
        QCOMPARE(input.value[0], train.sample(7)[0]);
        QCOMPARE(input.value[1], train.sample(7)[1]);
        stepper()->runBackward();
        QVERIFY(stepper()->backwardComplete());
        QVERIFY(!stepper()->checks().isEmpty());
        for (const auto& c : stepper()->checks())
            QVERIFY2(c.pass, qPrintable(QString("%1: backprop %2, numeric %3, relative error %4").arg(c.name).arg(c.analytic).arg(c.numeric).arg(c.relativeError)));
    }

    void cleanupTestCase() { window.reset(); }
};

QTEST_MAIN(GuiStepper)
#include "tst_gui_stepper.moc"
