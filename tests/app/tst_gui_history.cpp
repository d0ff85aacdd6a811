// The History dock in the real main window (under Xvfb): runs trained in the app
// are recorded into the history and appear in the table; selecting two overlays
// their curves, highlights the settings that differ and diffs their models; the
// branch tree shows a CLI branch under its parent; a foreign file is refused.
#include <QtTest/QtTest>

#include <QChart>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QLabel>
#include <QSettings>
#include <QListWidget>
#include <QProgressBar>
#include <QStatusBar>
#include <QProcess>
#include <QSignalSpy>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTreeWidget>

#include "app/gui/main_window.h"
#include "engine/store/run_store.h"
#include "views/common/file_dialog.h"
#include "views/charts/curves_chart.h"
#include "views/dashboard/boundary_view.h"
#include "views/dashboard/confusion_view.h"
#include "views/dashboard/histogram_panel.h"
#include "views/dashboard/setup_panel.h"
#include "views/history/history_dock.h"
#include "views/history/snapshot_picker.h"
#include "views/training/training_session.h"

using views::TrainingSession;

class GuiHistory : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<MainWindow> window;
    QTemporaryDir tmp;
    QString store;

    TrainingSession* session() { return window->session(); }
    views::HistoryDock* history() { return window->history(); }

    // "" when the boundary, the confusion matrix, the histograms and the progress
    // bar all show the session snapshot's epoch (and step), else what differs.
    QString panelsDisagree()
    {
        const auto& s = session()->snapshot();
        QStringList out;
        auto* b = window->boundary();
        b->boundaryImage();
        if (b->shownEpoch() != s.epoch || b->shownStep() != s.step) out << QString("boundary %1/%2").arg(b->shownEpoch()).arg(b->shownStep());
        auto* c = window->confusion();
        if (c->isComputing() || c->matrixEpoch() != s.epoch || c->matrixStep() != s.step)
            out << QString("confusion %1/%2").arg(c->matrixEpoch()).arg(c->matrixStep());
        auto* h = window->histograms();
        const int f = h->sliderPosition();
        if (h->frameEpoch(f) != s.epoch || h->frameStep(f) != s.step) out << QString("histograms %1/%2").arg(h->frameEpoch(f)).arg(h->frameStep(f));
        auto* bar = window->statusBar()->findChild<QProgressBar*>();
        if (!bar || bar->value() != s.epoch) out << QString("progress %1").arg(bar ? bar->value() : -1);
        return out.isEmpty() ? QString() : QString("snapshot %1/%2 but %3").arg(s.epoch).arg(s.step).arg(out.join(", "));
    }

    qint64 trainOnce(int epochs, float lr)
    {
        window->setupPanel()->setEpochs(epochs);
        nn::TrainConfig c = window->setupPanel()->trainConfig();
        c.lr = lr;
        session()->setConfig(c);
        QSignalSpy recorded(history(), &views::HistoryDock::runRecorded);
        session()->train();
        if (!recorded.wait(20000)) return 0;
        return recorded.at(0).at(0).toLongLong();
    }

private slots:
    void initTestCase()
    {
        qputenv("NNSTUDIO_NO_DIALOGS", "1");
        store = tmp.filePath("history.sqlite");
        qputenv("NNSTUDIO_HISTORY", store.toLocal8Bit());  // never the user's own history
        QCoreApplication::setOrganizationName("NN Studio Tests");
        QSettings().remove("fileDialogs");
        window = std::make_unique<MainWindow>();
        window->resize(1600, 1000);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        QCOMPARE(history()->storePath(), store);
        window->openModel(QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/spiral-mlp.json");
        QVERIFY(window->setupPanel()->selectData("spiral"));
        QTRY_VERIFY_WITH_TIMEOUT(!session()->busyLoading() && session()->state() == TrainingSession::State::Ready, 10000);
    }

    void trainedRunsAppearInTheTable()
    {
        const qint64 first = trainOnce(30, 0.03f);
        QVERIFY(first > 0);
        QCOMPARE(history()->visibleRuns(), 1);
        session()->reset();
        QTRY_COMPARE(session()->state(), TrainingSession::State::Ready);
        const qint64 second = trainOnce(20, 0.01f);
        QVERIFY(second > first);
        QCOMPARE(history()->visibleRuns(), 2);

        nn::store::RunStore s(store.toStdString(), nn::store::OpenMode::ReadOnly);
        const auto r = s.run(first);
        QCOMPARE(QString::fromStdString(r.status), QString("completed"));
        QCOMPARE(r.epochs, 30);
        QCOMPARE(s.epochs(first).size(), size_t(30));
        QCOMPARE(QString::fromStdString(r.modelName), QString("spiral-mlp"));
        QCOMPARE(QString::fromStdString(r.dataset), QString("spiral"));
        QVERIFY(s.snapshots(first).size() >= 1);  // the initial weights at least
        QCOMPARE(s.epochs(second).back().epoch, 20);

        // The table shows name, data, model, best accuracy, device; it filters.
        const QAbstractItemModel* m = history()->table()->model();
        QStringList names;
        for (int row = 0; row < m->rowCount(); ++row) names << m->index(row, 0).data().toString();
        QVERIFY2(names.join('|').contains("spiral-mlp on spiral"), qPrintable(names.join('|')));
        QCOMPARE(m->index(0, 2).data().toString(), QString("spiral"));
        QCOMPARE(m->index(0, 5).data().toString(), QString("cpu"));
        history()->setFilter("no such run");
        QCOMPARE(history()->visibleRuns(), 0);
        history()->setFilter("spiral");
        QCOMPARE(history()->visibleRuns(), 2);
        history()->setFilter("");
        // Sorting by best accuracy puts the better run first.
        history()->table()->sortByColumn(4, Qt::DescendingOrder);
        QVERIFY(m->index(0, 4).data().toString() >= m->index(1, 4).data().toString());
    }

    void twoRunsOverlayAndCompare()
    {
        const QList<qint64> ids = {1, 2};
        history()->selectRuns(ids);
        QCOMPARE(history()->selectedRuns(), ids);
        QCOMPARE(history()->overlaidSeries(), 2);
        QCOMPARE(history()->chart()->series().size(), 2);
        // Settings side by side: lr and epochs differ and are marked, the seed is not.
        QTableWidget* t = history()->settingsTable();
        QCOMPARE(t->columnCount(), 2);
        QMap<QString, bool> differs;
        for (int row = 0; row < t->rowCount(); ++row)
            differs[t->verticalHeaderItem(row)->text()] = t->item(row, 0)->data(Qt::UserRole).toBool();
        QVERIFY(differs.value("lr") && differs.value("epochs"));
        QVERIFY(differs.contains("seed") && !differs.value("seed"));
        // Same model: the architecture diff says so layer by layer.
        QTreeWidget* a = history()->architectureTree();
        QVERIFY(a->topLevelItemCount() >= 5);  // input, h1, h2, out, loss
        for (int i = 0; i < a->topLevelItemCount(); ++i)
            QCOMPARE(a->topLevelItem(i)->data(0, Qt::UserRole).toString(), QString("same"));
        // Export.
        const QString csv = tmp.filePath("run1.csv");
        QCOMPARE(history()->exportCsv(1, csv), QString());
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll().count('\n'), 31);
    }

    void branchesShowUnderTheirParent()
    {
        // Branch run 1 from the CLI (rewind to its initial weights, other lr).
        const QString cli = QString(qgetenv("NN_GUI")).replace("/nnstudio", "/nnstudio-cli");
        if (!QFile::exists(cli)) QSKIP("nnstudio-cli is not built next to nnstudio");
        QProcess p;
        p.start(cli, {"train", "--store", store, "--branch-from", "1:0", "--lr", "0.05", "--epochs", "5", "--json"});
        QVERIFY(p.waitForFinished(20000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        history()->refresh();
        QCOMPARE(history()->visibleRuns(), 3);
        QTreeWidget* tree = history()->branchTree();
        QTreeWidgetItem* root = nullptr;
        for (int i = 0; i < tree->topLevelItemCount(); ++i)
            if (tree->topLevelItem(i)->text(0).startsWith("#1 ")) root = tree->topLevelItem(i);
        QVERIFY(root);
        QCOMPARE(root->childCount(), 1);
        QVERIFY(root->child(0)->text(0).startsWith("#3 "));
        QCOMPARE(root->child(0)->text(1), QString("0"));
    }

    // Rewind and branch in the app: run 1's snapshot after epoch 15, trained on
    // with nothing changed, lands exactly where run 1 did; with another learning
    // rate it is a new run under its parent.
    void branchInTheApp()
    {
        const QList<qint64> steps = history()->snapshotSteps(1);
        QVERIFY2(steps.size() >= 5, qPrintable(QString::number(steps.size())));  // about every 3rd of 30 epochs
        nn::store::RunStore s(store.toStdString(), nn::store::OpenMode::ReadOnly);
        const auto parentEpochs = s.epochs(1);
        const qint64 step15 = parentEpochs[14].steps;  // the step count after epoch 15
        QVERIFY2(steps.contains(step15), qPrintable(QString::number(step15)));

        auto branch = [&](double lr) -> qint64 {
            if (!history()->branchFrom(1, step15)) return 0;
            if (session()->state() != TrainingSession::State::Ready) return 0;
            if (session()->branchOrigin().parentId != 1) return 0;
            if (session()->snapshot().epoch != 15) return 0;
            window->setupPanel()->setEpochs(30);
            window->setupPanel()->setLearningRate(lr);
            session()->setConfig(window->setupPanel()->trainConfig());
            QSignalSpy recorded(history(), &views::HistoryDock::runRecorded);
            session()->train();
            if (!recorded.wait(20000)) return 0;
            return recorded.at(0).at(0).toLongLong();
        };
        const qint64 same = branch(0.03);
        QVERIFY(same > 0);
        nn::store::RunStore after(store.toStdString(), nn::store::OpenMode::ReadOnly);
        const auto r = after.run(same);
        QCOMPARE(r.parentId, qint64(1));
        QCOMPARE(r.parentStep, step15);
        const auto e = after.epochs(same);
        QCOMPARE(e.front().epoch, 16);
        QCOMPARE(e.back().epoch, 30);
        QCOMPARE(e.back().trainLoss, parentEpochs.back().trainLoss);  // bit for bit: weights, Adam state, data order
        QCOMPARE(session()->history().front().epoch, 16);

        const qint64 other = branch(0.01);
        QVERIFY(other > same);
        nn::store::RunStore last(store.toStdString(), nn::store::OpenMode::ReadOnly);
        QCOMPARE(last.run(other).parentId, qint64(1));
        QVERIFY(last.epochs(other).back().trainLoss != parentEpochs.back().trainLoss);
        QCOMPARE(QString::fromStdString(last.run(other).hyper.value("lr", nlohmann::json()).dump()), QString("0.01"));
        history()->refresh();
        QTreeWidgetItem* root = nullptr;
        for (int i = 0; i < history()->branchTree()->topLevelItemCount(); ++i)
            if (history()->branchTree()->topLevelItem(i)->text(0).startsWith("#1 ")) root = history()->branchTree()->topLevelItem(i);
        QVERIFY(root);
        QCOMPARE(root->childCount(), 3);  // the CLI's branch and these two
    }

    // Issue 22 item 26: a branch's display. Before it trains, the curves show the
    // parent's 15 epochs and every panel names epoch 15; trained to 30, the curves
    // hold 15 + 15 epochs and every panel names epoch 30.
    void branchDisplayContinuesTheParent()
    {
        nn::store::RunStore s(store.toStdString(), nn::store::OpenMode::ReadOnly);
        const auto parent = s.epochs(1);
        const qint64 step15 = parent[14].steps;
        QVERIFY(history()->branchFrom(1, step15));
        QCOMPARE(session()->state(), TrainingSession::State::Ready);
        QCOMPARE(session()->snapshot().epoch, 15);
        QCOMPARE(session()->snapshot().step, step15);
        QCOMPARE(window->curves()->pointCount(), 15);
        QCOMPARE(int(session()->parentHistory().size()), 15);
        QCOMPARE(session()->parentHistory().back().trainLoss, parent[14].trainLoss);
        QTRY_VERIFY2_WITH_TIMEOUT(panelsDisagree().isEmpty(), qPrintable(panelsDisagree()), 5000);
        auto* bar = window->statusBar()->findChild<QProgressBar*>();
        QCOMPARE(bar->text(), QString("epoch 15 of 30"));
        QVERIFY2(window->statusText().contains("branch of run #1"), qPrintable(window->statusText()));

        QSignalSpy recorded(history(), &views::HistoryDock::runRecorded);
        session()->setConfig(window->setupPanel()->trainConfig());
        session()->train();
        QVERIFY(recorded.wait(20000));
        QCOMPARE(session()->history().front().epoch, 16);
        QCOMPARE(window->curves()->pointCount(), 30);
        QCOMPARE(session()->snapshot().epoch, 30);
        QTRY_VERIFY2_WITH_TIMEOUT(panelsDisagree().isEmpty(), qPrintable(panelsDisagree()), 5000);
        QCOMPARE(bar->text(), QString("epoch 30 of 30"));
    }

    // A branch of a branch: the road runs through both ancestors.
    void branchOfABranchShowsTheWholeRoad()
    {
        nn::store::RunStore s(store.toStdString(), nn::store::OpenMode::ReadOnly);
        const qint64 step15 = s.epochs(1)[14].steps;
        qint64 child = 0;
        for (const auto c : s.children(1))
            if (s.run(c).parentStep == step15) child = c;
        QVERIFY(child > 0);
        const auto choices = history()->snapshotChoices(child);
        QVERIFY(!choices.isEmpty());
        const auto pick = choices[choices.size() / 2];
        QVERIFY2(pick.epoch > 15, qPrintable(pick.text));
        QVERIFY(history()->branchFrom(child, pick.step));
        const auto& road = session()->parentHistory();
        QCOMPARE(int(road.size()), pick.epoch);
        for (size_t i = 0; i < road.size(); ++i) QCOMPARE(road[i].epoch, int(i) + 1);
        QCOMPARE(window->curves()->pointCount(), pick.epoch);
        QTRY_VERIFY2_WITH_TIMEOUT(panelsDisagree().isEmpty(), qPrintable(panelsDisagree()), 5000);
        session()->reset();  // nothing trained: no run recorded
        QTRY_COMPARE(session()->state(), TrainingSession::State::Ready);
        QCOMPARE(window->curves()->pointCount(), 0);
    }

    // Issue 22 item 26: the snapshot picker names epoch, step and the epoch's
    // metrics, and is wide enough for its title and every row.
    void snapshotPickerNamesEpochStepAndMetric()
    {
        nn::store::RunStore s(store.toStdString(), nn::store::OpenMode::ReadOnly);
        const auto parent = s.epochs(1);
        const auto choices = history()->snapshotChoices(1);
        QVERIFY(choices.size() >= 5);
        QVERIFY2(choices.first().text.contains("epoch 0 · step 0"), qPrintable(choices.first().text));
        bool found15 = false;
        for (const auto& c : choices) {
            QVERIFY2(c.text.contains(QString("epoch %1 · step %2").arg(c.epoch).arg(c.step)), qPrintable(c.text));
            if (c.epoch > 0) QVERIFY2(c.text.contains("val acc"), qPrintable(c.text));
            if (c.epoch == 15) {
                found15 = true;
                QCOMPARE(c.step, parent[14].steps);
                QVERIFY2(c.text.contains(QString::number(parent[14].valAccuracy, 'f', 3)), qPrintable(c.text));
            }
        }
        QVERIFY(found15);
        views::SnapshotPicker picker(1, choices, window.get());
        picker.show();
        QVERIFY(QTest::qWaitForWindowExposed(&picker));
        QCOMPARE(picker.currentIndex(), int(choices.size()) - 1);  // the newest first
        QVERIFY2(picker.windowTitle().contains("run #1"), qPrintable(picker.windowTitle()));
        QFont bold = picker.font();
        bold.setBold(true);
        const int titleW = QFontMetrics(bold).horizontalAdvance(picker.windowTitle());
        QVERIFY2(picker.width() >= titleW + 120, qPrintable(QString("%1 px for a %2 px title").arg(picker.width()).arg(titleW)));
        const QFontMetrics fm(picker.list()->font());
        for (const auto& c : choices)
            QVERIFY2(picker.list()->viewport()->width() >= fm.horizontalAdvance(c.text), qPrintable(c.text));
        const QString shots = qEnvironmentVariable("NN_TEST_SHOTS");
        if (!shots.isEmpty()) picker.grab().save(QDir(shots).filePath("snapshot-picker.png"));
        picker.reject();
    }

    void foreignFileIsRefusedAndKept()
    {
        const QString notes = tmp.filePath("notes.txt");
        {
            QFile f(notes);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray("my notes\n").repeated(100));
        }
        QVERIFY(!history()->setStorePath(notes));
        QVERIFY(history()->lastError().contains("not an NN Studio run history"));
        QCOMPARE(history()->storePath(), store);  // still the previous history
        QCOMPARE(history()->visibleRuns(), 6);  // two app runs, a CLI branch, three app branches
        QFile f(notes);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("my notes\n").repeated(100));
    }

    // Item 31: a compression run is shown as one: its final accuracy and size
    // ratio and its stages, not as a 0-epoch run with best "-".
    void compressionRunsShowTheirResult()
    {
        qint64 id = 0;
        {
            nn::store::RunStore s(store.toStdString());
            nn::store::NewRun run;
            run.name = "spiral-mlp on spiral · prune:0.5,huffman";
            run.dataset = "spiral";
            run.hyper = {{"command", "compress"}, {"pipeline", "prune:0.5,huffman"}};
            id = s.createRun(run);
            s.addStage(id, {{"step", 0}, {"stage", "dense"}, {"text", "dense"}, {"test_accuracy", 0.95}, {"ratio", 1.0},
                            {"bits", {{"dense", 4096}}}, {"best_format", "dense"}});
            s.addStage(id, {{"step", 1}, {"stage", "prune"}, {"text", "prune 50%"}, {"test_accuracy", 0.93}, {"ratio", 1.6},
                            {"bits", {{"csr", 2560}}}, {"best_format", "csr"}});
            s.addStage(id, {{"step", 2}, {"stage", "huffman"}, {"text", "huffman"}, {"test_accuracy", 0.93}, {"ratio", 5.2},
                            {"bits", {{"huffman", 780}}}, {"best_format", "huffman"}});
            s.finishRun(id, "completed", "", 1.5);
        }
        history()->refresh();
        const QAbstractItemModel* m = history()->table()->model();
        int row = -1;
        for (int r = 0; r < m->rowCount(); ++r)
            if (m->index(r, 0).data().toString().contains("prune:0.5,huffman")) row = r;
        QVERIFY(row >= 0);
        const QString best = m->index(row, 4).data().toString(), status = m->index(row, 7).data().toString();
        QVERIFY2(best.contains("0.930") && best.contains("5.2") && best.contains("×"), qPrintable(best));
        QVERIFY2(status.contains("compression") && status.contains("3 stages"), qPrintable(status));
        QVERIFY(m->index(row, 4).data(Qt::ToolTipRole).toString().contains("prune 50%"));
        // Training runs keep their best accuracy.
        for (int r = 0; r < m->rowCount(); ++r)
            if (r != row) QVERIFY(!m->index(r, 7).data().toString().contains("compression"));
    }

    // Item 31: File > Open history… is an open dialog ("Open"), starting in the
    // current history's folder; a new name starts an empty history and says so;
    // the next time it starts in the folder last used.
    void openHistoryIsAnOpenDialog()
    {
        const QString other = tmp.filePath("elsewhere/new-history.sqlite");
        QDir(tmp.path()).mkpath("elsewhere");
        QFileDialog::AcceptMode mode = QFileDialog::AcceptSave;
        QString button, startedIn;
        views::fileDialogHook = [&](QFileDialog& d) {
            mode = d.acceptMode();
            button = d.labelText(QFileDialog::Accept).remove('&');
            startedIn = d.directory().absolutePath();
            return other;
        };
        history()->chooseStore();
        QCOMPARE(mode, QFileDialog::AcceptOpen);
        QCOMPARE(button, QString("Open"));
        QCOMPARE(startedIn, QFileInfo(store).absolutePath());
        QCOMPARE(history()->storePath(), other);
        QCOMPARE(history()->visibleRuns(), 0);
        QLabel* message = nullptr;
        for (QLabel* l : history()->findChildren<QLabel*>())
            if (l->text().contains("new-history.sqlite")) message = l;
        QVERIFY(message && message->text().contains("new, empty history"));
        views::fileDialogHook = [&](QFileDialog& d) {
            startedIn = d.directory().absolutePath();
            return store;
        };
        history()->chooseStore();
        QCOMPARE(startedIn, QFileInfo(other).absolutePath());
        QCOMPARE(history()->storePath(), store);
        views::fileDialogHook = nullptr;
    }

    void cleanupTestCase() { window.reset(); }
};

QTEST_MAIN(GuiHistory)
#include "tst_gui_history.moc"
