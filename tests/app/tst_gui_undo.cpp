// Edit → Undo / Redo in the real window: set-up changes are commands named
// after their control; undo restores the value (and what it triggers), redo
// re-applies it; quick repeated changes to one control merge into one step.
#include <QtTest/QtTest>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QSpinBox>
#include <QUndoStack>

#include "app/gui/main_window.h"
#include "views/dashboard/setup_panel.h"
#include "views/training/training_session.h"

class GuiUndo : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<MainWindow> window;

    // The set-up control whose buddy label reads `label` (without the & mnemonic).
    template <class W>
    W* control(const QString& label)
    {
        for (QLabel* l : window->setupPanel()->findChildren<QLabel*>())
            if (l->text().remove('&') == label) return qobject_cast<W*>(l->buddy());
        return nullptr;
    }

private slots:
    void initTestCase()
    {
        qputenv("NNSTUDIO_NO_DIALOGS", "1");
        QCoreApplication::setOrganizationName("NN Studio Tests");
        window = std::make_unique<MainWindow>();
        window->resize(1400, 900);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        window->openModel(QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/spiral-mlp.json");
        QVERIFY(window->setupPanel()->selectData("spiral"));
        QTRY_VERIFY_WITH_TIMEOUT(window->session()->state() == views::TrainingSession::State::Ready, 10000);
        window->undoStack()->clear();
    }

    void learningRateUndoRedo()
    {
        auto* lr = control<QDoubleSpinBox>("Learning rate");
        QVERIFY(lr);
        const double before = lr->value();
        window->setupPanel()->setLearningRate(0.1);
        QCOMPARE(window->undoStack()->count(), 1);
        QVERIFY2(window->undoStack()->undoText().startsWith("Learning rate"), qPrintable(window->undoStack()->undoText()));
        QVERIFY(qAbs(window->session()->config().lr - 0.1f) < 1e-6f);
        window->undoStack()->undo();
        QCOMPARE(lr->value(), before);
        QVERIFY(qAbs(window->session()->config().lr - float(before)) < 1e-6f);  // the config follows
        window->undoStack()->redo();
        QCOMPARE(lr->value(), 0.1);
    }

    void quickChangesMerge()
    {
        auto* epochs = control<QSpinBox>("Epochs");
        QVERIFY(epochs);
        const int count = window->undoStack()->count();
        const int before = epochs->value();
        for (int i = 1; i <= 5; ++i) epochs->setValue(before + i);  // five arrow presses
        QCOMPARE(window->undoStack()->count(), count + 1);
        window->undoStack()->undo();
        QCOMPARE(epochs->value(), before);
    }

    void dataSetChangeIsUndoable()
    {
        auto* set = control<QComboBox>("Set");
        QVERIFY(set);
        QVERIFY(window->setupPanel()->selectData("circles"));
        QTRY_COMPARE(window->session()->dataName(), QString("circles"));
        window->undoStack()->undo();
        QCOMPARE(window->setupPanel()->dataName(), QString("spiral"));
        QTRY_COMPARE(window->session()->dataName(), QString("spiral"));  // the data set reloads
        QTRY_VERIFY_WITH_TIMEOUT(window->session()->state() == views::TrainingSession::State::Ready, 10000);
    }

    void cleanupTestCase() { window.reset(); }
};

QTEST_MAIN(GuiUndo)
#include "tst_gui_undo.moc"
