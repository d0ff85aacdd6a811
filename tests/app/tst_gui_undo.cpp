// Edit → Undo / Redo in the real window: set-up changes are commands named
// after their control; undo restores the value (and what it triggers), redo
// re-applies it; quick repeated changes to one control merge into one step.
// The start-up state is not a change; a data set's defaults come with it as one
// change; keys typed into fields (real key events) leave the app's shortcuts working.
#include <QtTest/QtTest>

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QUndoStack>

#include "app/gui/main_window.h"
#include "views/common/file_dialog.h"
#include "views/history/history_dock.h"
#include "views/dashboard/setup_panel.h"
#include "views/dashboard/training_defaults.h"
#include "views/training/training_session.h"

using views::TrainingSession;

namespace {
QString sampleModel(const QString& name) { return QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/" + name; }
} // namespace

class GuiUndo : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<MainWindow> window;
    QTemporaryDir tmp;

    TrainingSession* session() { return window->session(); }
    void waitReady()
    {
        QTRY_VERIFY_WITH_TIMEOUT(!session()->busyLoading() && session()->state() == TrainingSession::State::Ready, 20000);
    }
    // Picks item `text` of a set-up combo box as a user does (the index, then activated).
    void pick(QComboBox* box, const QString& text)
    {
        const int i = box->findText(text);
        QVERIFY2(i >= 0, qPrintable(text));
        box->setCurrentIndex(i);
        emit box->activated(i);
    }
    void selectAll(QWidget* field) { QTest::keyClick(field, Qt::Key_A, Qt::ControlModifier); }

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
        QSettings().remove("fileDialogs");
        QSettings().remove("view/projector");
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

    // Item 20: every start path (no arguments, --model, --data, a CSV, settings
    // restored from the last session) leaves nothing to undo; the first change the
    // user makes is the first entry. Before, the start gave "Spec lenet-300-100 →
    // spiral-mlp", whose undo loaded LeNet onto the spiral data.
    void startUpLeavesNothingToUndo()
    {
        const QString csv = tmp.filePath("start.csv");
        {
            QFile f(csv);
            QVERIFY(f.open(QIODevice::WriteOnly));
            for (int i = 0; i < 60; ++i) f.write(QString("%1,%2,%3\n").arg(i % 7).arg(i % 5).arg(i % 2).toUtf8());
        }
        struct Start {
            QString model, data;
            bool remember, projector;
        };
        const QList<Start> starts {{sampleModel("spiral-mlp.json"), "spiral", false, false},   // no arguments
                                   {sampleModel("tiny-2-8-8-2.json"), "spiral", true, false},  // --model
                                   {sampleModel("spiral-mlp.json"), "xor", false, false},      // --data
                                   {sampleModel("mlp-32.json"), csv, true, false},             // a CSV
                                   {sampleModel("lenet-300-100.json"), "fashion-mnist", true, false},
                                   {sampleModel("spiral-mlp.json"), "circles", false, true}};  // restored settings
        for (const Start& st : starts) {
            QSettings().setValue("view/projector", st.projector);
            MainWindow w;
            w.show();
            QVERIFY(w.openAtStart(st.model, st.data, st.remember));
            QCOMPARE(w.setupPanel()->modelPath(), QFileInfo(st.model).absoluteFilePath());
            QCOMPARE(w.undoStack()->count(), 0);
            QVERIFY(w.undoStack()->isClean());
            QVERIFY(!w.findChild<QAction*>("undoAction")->isEnabled());
            if (st.data != "fashion-mnist") {  // and nothing comes once the data are in
                QTRY_VERIFY_WITH_TIMEOUT(!w.session()->busyLoading() && w.session()->state() == TrainingSession::State::Ready, 20000);
                QCOMPARE(w.undoStack()->count(), 0);
            }
            // The first change is the first entry, and undoing it goes back to the start.
            w.setupPanel()->setEpochs(7);
            QCOMPARE(w.undoStack()->count(), 1);
            w.undoStack()->undo();
            QCOMPARE(w.setupPanel()->modelPath(), QFileInfo(st.model).absoluteFilePath());
            QVERIFY(!w.undoStack()->canUndo());
        }
        QSettings().setValue("view/projector", false);
    }

    // Item 21: picking a data set brings its defaults (assets/training-defaults.json)
    // as one change: one Ctrl+Z gives back the data set and every value it changed.
    void dataSetDefaultsAreOneChange()
    {
        waitReady();
        pick(control<QComboBox>("Spec"), "lenet-300-100");  // a model for any data ("auto" input)
        QTRY_VERIFY_WITH_TIMEOUT(session()->spec() && session()->spec()->name == "lenet-300-100", 10000);
        waitReady();
        window->setupPanel()->setLearningRate(0.05);  // the user's own setting
        const nn::TrainConfig before = window->setupPanel()->trainConfig();
        const int count = window->undoStack()->count();
        window->setupPanel()->setImageLimit(2000);  // a quick load
        pick(control<QComboBox>("Set"), "Fashion-MNIST");
        nn::TrainConfig c = window->setupPanel()->trainConfig();
        QCOMPARE(c.lr, 0.001f);
        QCOMPARE(c.batch, 64);
        QCOMPARE(c.epochs, 5);
        QCOMPARE(QString::fromStdString(c.optimizer.kind), QString("adam"));
        QCOMPARE(window->undoStack()->count(), count + 1);
        QVERIFY2(window->undoStack()->undoText().contains("Fashion-MNIST") && window->undoStack()->undoText().contains("Learning rate"),
                 qPrintable(window->undoStack()->undoText()));
        QTRY_COMPARE_WITH_TIMEOUT(session()->dataName(), QString("fashion-mnist"), 20000);
        waitReady();
        window->undoStack()->undo();
        c = window->setupPanel()->trainConfig();
        QCOMPARE(window->setupPanel()->dataName(), QString("spiral"));
        QCOMPARE(c.lr, before.lr);
        QCOMPARE(c.batch, before.batch);
        QCOMPARE(c.epochs, before.epochs);
        QCOMPARE(window->undoStack()->count(), count + 1);  // undone, not removed: redo brings it all back
        window->undoStack()->redo();
        QCOMPARE(window->setupPanel()->trainConfig().batch, 64);
        QCOMPARE(window->setupPanel()->dataName(), QString("fashion-mnist"));
        window->undoStack()->undo();
        QTRY_COMPARE_WITH_TIMEOUT(session()->dataName(), QString("spiral"), 20000);
        waitReady();
        QCOMPARE(window->setupPanel()->trainConfig().lr, 0.05f);
        pick(control<QComboBox>("Spec"), "spiral-mlp");  // back to the spiral net, with its defaults
        QCOMPARE(window->setupPanel()->trainConfig().lr, 0.03f);
        QTRY_VERIFY_WITH_TIMEOUT(session()->spec() && session()->spec()->name == "spiral-mlp", 10000);
        waitReady();
        // A sample model's own block refines its data set's: LeNet-5 trains 3 epochs on Fashion-MNIST.
        const auto d = views::trainingDefaults("fashion-mnist", sampleModel("lenet5.json"));
        QCOMPARE(d.error, QString());
        QCOMPARE(d.values.value("epochs", 0), 3);
        QCOMPARE(d.values.value("batch", 0), 64);
        // The whole table is well formed, for every data set and sample model.
        for (const char* data : {"spiral", "circles", "xor", "gaussians", "fashion-mnist", "my.csv"})
            for (const QFileInfo& f : QDir(sampleModel("")).entryInfoList({"*.json"})) {
                const auto t = views::trainingDefaults(data, f.absoluteFilePath());
                QVERIFY2(t.error.isEmpty(), qPrintable(t.error));
                QVERIFY(t.values.contains("lr") && t.values.contains("epochs") && t.values.contains("batch"));
            }
        QVERIFY(views::checkDefaults(nlohmann::json {{"lr", "fast"}}, "x").contains("'lr'"));
        QVERIFY(views::checkDefaults(nlohmann::json {{"epoch", 3}}, "x").contains("unknown key 'epoch'"));
    }

    // Item 31: cancelling the CSV dialog leaves the data set and the undo stack as
    // they were; a file picked is one change (with the CSV defaults), and the next
    // CSV dialog starts in that file's folder.
    void csvDialogCancelAndPick()
    {
        waitReady();
        auto* set = control<QComboBox>("Set");
        const int count = window->undoStack()->count();
        QString startedIn;
        views::fileDialogHook = [&](QFileDialog& d) {
            startedIn = d.directory().absolutePath();
            return QString();  // Cancel
        };
        pick(set, "CSV file…");
        QCOMPARE(set->currentText(), QString("Spiral"));
        QCOMPARE(window->setupPanel()->dataName(), QString("spiral"));
        QCOMPARE(window->undoStack()->count(), count);
        QVERIFY(startedIn != QDir::currentPath() || QDir::currentPath() == QDir::homePath());

        QDir(tmp.path()).mkpath("data");
        const QString csv = tmp.filePath("data/points.csv");
        {
            QFile f(csv);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("x,y,label\n");
            for (int i = 0; i < 80; ++i) f.write(QString("%1,%2,%3\n").arg(i % 9).arg(i % 4).arg(i % 2).toUtf8());
        }
        views::fileDialogHook = [&](QFileDialog& d) {
            startedIn = d.directory().absolutePath();
            return csv;
        };
        pick(set, "CSV file…");
        QCOMPARE(window->setupPanel()->dataName(), QFileInfo(csv).absoluteFilePath());
        QCOMPARE(set->currentText(), QString("points.csv"));
        QCOMPARE(window->undoStack()->count(), count + 1);
        QCOMPARE(window->setupPanel()->trainConfig().batch, 32);  // the CSV defaults
        pick(set, "CSV file…");
        QCOMPARE(startedIn, QFileInfo(csv).absolutePath());  // the last folder used
        views::fileDialogHook = nullptr;
        window->undoStack()->undo();
        QCOMPARE(window->setupPanel()->dataName(), QString("spiral"));
        QCOMPARE(window->setupPanel()->trainConfig().batch, 10);
        QTRY_COMPARE_WITH_TIMEOUT(session()->dataName(), QString("spiral"), 20000);
        waitReady();
    }

    // A sample spec that does not fit the data (LeNet-5 on the spiral) is refused
    // and put back: no undo entry is left for it, and its defaults do not come.
    void refusedModelPickLeavesNoUndoEntry()
    {
        waitReady();
        auto* spec = control<QComboBox>("Spec");
        window->setupPanel()->setEpochs(77);
        const int count = window->undoStack()->count();
        pick(spec, "lenet5");
        QCOMPARE(spec->currentText(), QString("spiral-mlp"));
        QCOMPARE(QString::fromStdString(session()->spec()->name), QString("spiral-mlp"));
        QCOMPARE(window->undoStack()->count(), count);
        QCOMPARE(window->setupPanel()->trainConfig().epochs, 77);
        window->undoStack()->undo();  // the epochs, not a phantom "Spec" entry
        QVERIFY(window->setupPanel()->trainConfig().epochs != 77);
        waitReady();
    }

    // Item 31: a model file that does not open is not added to Recent, and the
    // set-up keeps its model.
    void onlyOpenedFilesGoToRecent()
    {
        QSettings().remove("recentModels");
        const QString bad = tmp.filePath("broken.json");
        {
            QFile f(bad);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("{ \"name\": \"broken\", ");
        }
        const QString model = window->setupPanel()->modelPath();
        QVERIFY(!window->openModel(bad));
        QVERIFY(!window->openModel(tmp.filePath("missing.json")));
        QVERIFY(QSettings().value("recentModels").toStringList().isEmpty());
        QCOMPARE(window->setupPanel()->modelPath(), model);
        QVERIFY(window->openModel(sampleModel("spiral-mlp.json")));
        QCOMPARE(QSettings().value("recentModels").toStringList(), QStringList {QFileInfo(sampleModel("spiral-mlp.json")).absoluteFilePath()});
        waitReady();
    }

    // Item 18, with real key events: Space in a spin box trains and pauses (it
    // used to blank the field); Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y in a field are the
    // app's undo and redo once the field's typing is a value; Ctrl+Z first takes
    // back typing that is not a value yet; Esc and Enter leave the field.
    void spaceInASpinBoxTrainsAndPauses()
    {
        waitReady();
        window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(window.get()));
        window->setupPanel()->setEpochs(100000);
        auto* points = control<QSpinBox>("Points");
        QVERIFY(points);
        points->setFocus();
        selectAll(points);
        QTest::keyClicks(points, "600");
        QCOMPARE(points->value(), 600);
        QTRY_VERIFY_WITH_TIMEOUT(session()->data() && session()->data()->train.size() + session()->data()->validation.size() +
                                                         session()->data()->test.size() == 600, 20000);
        waitReady();
        QTest::keyClick(points, Qt::Key_Space);
        QCOMPARE(points->text(), QString("600"));
        QTRY_COMPARE(session()->state(), TrainingSession::State::Running);
        QTest::keyClick(points, Qt::Key_Space);
        QTRY_COMPARE(session()->state(), TrainingSession::State::Paused);
        QCOMPARE(points->value(), 600);
        QCOMPARE(points->text(), QString("600"));
        session()->stop();
        session()->reset();
        waitReady();
    }

    void ctrlZInAFieldIsTheAppsUndo()
    {
        auto* lr = control<QDoubleSpinBox>("Learning rate");
        window->setupPanel()->setLearningRate(0.03);
        QTest::qWait(1600);  // not merged with the next change
        lr->setFocus();
        selectAll(lr);
        QTest::keyClicks(lr, "0" + lr->locale().decimalPoint() + "2");  // as typed where the app runs (0,2 in German)
        QCOMPARE(lr->value(), 0.2);
        QVERIFY2(window->undoStack()->undoText().startsWith("Learning rate 0.03 → 0.2"), qPrintable(window->undoStack()->undoText()));
        QTest::keyClick(lr, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(lr->value(), 0.03);
        QTest::keyClick(lr, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(lr->value(), 0.2);
        QTest::keyClick(lr, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(lr->value(), 0.03);
        QTest::keyClick(lr, Qt::Key_Y, Qt::ControlModifier);
        QCOMPARE(lr->value(), 0.2);
        // Typing that is not a number yet: Ctrl+Z takes back that, not the app's last change.
        const int index = window->undoStack()->index();
        selectAll(lr);
        QTest::keyClick(lr, Qt::Key_Backspace);
        QVERIFY(!lr->hasAcceptableInput());
        QTest::keyClick(lr, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(lr->value(), 0.2);
        QVERIFY(lr->hasAcceptableInput());
        QCOMPARE(window->undoStack()->index(), index);
    }

    void escAndEnterLeaveTheField()
    {
        auto* batch = control<QSpinBox>("Batch");
        batch->setFocus();
        selectAll(batch);
        QTest::keyClicks(batch, "32");
        QTest::keyClick(batch, Qt::Key_Return);
        QCOMPARE(batch->value(), 32);
        QVERIFY(!batch->hasFocus());
        QCOMPARE(session()->config().batch, 32);
        // Esc: the value is kept (text that is not a number goes back to it), the focus leaves.
        batch->setFocus();
        selectAll(batch);
        QTest::keyClick(batch, Qt::Key_Backspace);
        QTest::keyClick(batch, Qt::Key_Escape);
        QVERIFY(!batch->hasFocus());
        QCOMPARE(batch->text(), QString("32"));
        // Back in the main view, Space trains and Ctrl+Z undoes.
        QWidget* focus = QApplication::focusWidget() ? QApplication::focusWidget() : window.get();
        QTest::keyClick(focus, Qt::Key_Space);
        QTRY_COMPARE(session()->state(), TrainingSession::State::Running);
        QTest::keyClick(focus, Qt::Key_Space);
        QTRY_COMPARE(session()->state(), TrainingSession::State::Paused);
        session()->stop();
        session()->reset();
        waitReady();
        QTest::keyClick(QApplication::focusWidget() ? QApplication::focusWidget() : window.get(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(batch->value(), 10);
    }

    // The same in other fields: Space in a combo box trains; in a text field
    // (the History filter) Ctrl+Z undoes its typing first, then the app's change.
    void otherFieldsKeepTheShortcuts()
    {
        waitReady();
        auto* optimizer = control<QComboBox>("Optimizer");
        optimizer->setFocus();
        QTest::keyClick(optimizer, Qt::Key_Space);
        QTRY_COMPARE(session()->state(), TrainingSession::State::Running);
        QTest::keyClick(optimizer, Qt::Key_Space);
        QTRY_COMPARE(session()->state(), TrainingSession::State::Paused);
        session()->stop();
        session()->reset();
        waitReady();
        QTest::keyClick(optimizer, Qt::Key_Escape);
        QVERIFY(!optimizer->hasFocus());

        window->setupPanel()->setEpochs(42);
        QLineEdit* filter = window->history()->findChild<QLineEdit*>();
        QVERIFY(filter);
        window->history()->setFilter("");
        filter->setFocus();
        QTest::keyClicks(filter, "ab");
        QTest::keyClick(filter, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(filter->text().size() < 2);  // the field's own typing first
        QCOMPARE(control<QSpinBox>("Epochs")->value(), 42);
        while (filter->isUndoAvailable()) QTest::keyClick(filter, Qt::Key_Z, Qt::ControlModifier);
        QTest::keyClick(filter, Qt::Key_Z, Qt::ControlModifier);  // then the app's last change
        QVERIFY(control<QSpinBox>("Epochs")->value() != 42);
        QTest::keyClick(filter, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(control<QSpinBox>("Epochs")->value(), 42);
    }

    void cleanupTestCase()
    {
        views::fileDialogHook = nullptr;
        window.reset();
    }
};

QTEST_MAIN(GuiUndo)
#include "tst_gui_undo.moc"
