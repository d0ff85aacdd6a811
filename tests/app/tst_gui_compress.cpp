// The Compress page in the real window: a small trained model goes through a
// pipeline run from the page on its worker thread; the filmstrip, the tables and
// the storage chart fill stage by stage, exports write files, a cancel stops a
// long run and leaves the page usable, and the dashboard's model is never touched.
// Every run is kept in the run history (a temporary store) with its stages, a
// cancelled one as cancelled, and the History dock lists it; a history file that
// is not a store costs the recording, never the run.
#include <QtTest/QtTest>

#include <QFile>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>

#include "app/gui/main_window.h"
#include "engine/store/run_store.h"
#include "views/charts/exportable.h"
#include "views/compress/compress_page.h"
#include "views/compress/filmstrip_view.h"
#include "views/compress/huffman_table.h"
#include "views/compress/layer_table.h"
#include "views/compress/sensitivity_chart.h"
#include "views/compress/storage_chart.h"
#include "views/compress/sweep_runner.h"
#include "views/dashboard/setup_panel.h"
#include "views/history/history_dock.h"
#include "views/training/training_session.h"

using views::TrainingSession;
using views::compress::CompressPage;

class GuiCompress : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<MainWindow> window;
    CompressPage* page = nullptr;
    QTemporaryDir tmp;

    std::vector<std::vector<float>> dashboardWeights() const
    {
        std::vector<std::vector<float>> w;
        for (const auto& t : window->session()->snapshot().params) w.emplace_back(t.data(), t.data() + t.numel());
        return w;
    }

    bool runToEnd(const QString& pipeline, int timeoutMs = 20000)
    {
        page->setPipeline(pipeline);
        if (!page->run().isEmpty()) return false;
        QSignalSpy done(page, &CompressPage::runFinished);
        return done.wait(timeoutMs) && !page->running();
    }

    // The page's last run as the run store holds it (opened read-only, as a reader
    // beside the app would), checked against what the page showed.
    void checkRecorded(const QString& status)
    {
        const qint64 id = page->recordedRun();
        QVERIFY2(id > 0, qPrintable(page->recordError()));
        QCOMPARE(page->recordError(), QString());
        nn::store::RunStore store(tmp.filePath("history.sqlite").toStdString(), nn::store::OpenMode::ReadOnly);
        const auto run = store.find(id);
        QVERIFY(run);
        QCOMPARE(QString::fromStdString(run->status), status);
        QCOMPARE(QString::fromStdString(run->hyper.value("command", "")), QString("compress"));
        QCOMPARE(QString::fromStdString(run->hyper.value("pipeline", "")), page->pipeline());
        QCOMPARE(QString::fromStdString(run->dataset), QString("spiral"));
        const auto records = store.stages(id);
        QCOMPARE(records.size(), page->stages().size());
        for (size_t i = 0; i < records.size(); ++i) {
            QCOMPARE(records[i].step, page->stages()[i].step);
            QCOMPARE(records[i].text, page->stages()[i].text);
            QCOMPARE(records[i].testAccuracy, double(page->stages()[i].testAccuracy));
        }
        // The History dock re-read its list when the run ended: the run is a row.
        auto* history = window->history();
        bool listed = false;
        for (int r = 0; r < history->table()->model()->rowCount(); ++r)
            listed = listed || history->table()->model()->index(r, 0).data(Qt::UserRole + 1).toLongLong() == id;
        QVERIFY2(listed, "the History dock does not list the compression run");
        // Selecting it shows its stages in words below its settings.
        history->selectRuns({id});
        auto* settings = history->settingsTable();
        const int last = int(records.size()) - 1;
        int row = -1;
        for (int r = 0; r < settings->rowCount(); ++r)
            if (settings->verticalHeaderItem(r)->text() == QString("stage %1").arg(last)) row = r;
        QVERIFY(row >= 0);
        QVERIFY2(settings->item(row, 0)->text().startsWith(QString::fromStdString(records.back().text) + " · test acc. " +
                                                           QString::number(100.0 * records.back().testAccuracy, 'f', 1)),
                 qPrintable(settings->item(row, 0)->text()));
    }

private slots:
    void initTestCase()
    {
        qputenv("NNSTUDIO_NO_DIALOGS", "1");
        qputenv("NNSTUDIO_HISTORY", tmp.filePath("history.sqlite").toLocal8Bit());  // never the user's own history
        QCoreApplication::setOrganizationName("NN Studio Tests");
        window = std::make_unique<MainWindow>();
        window->resize(1400, 900);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        page = window->compressPage();
        QVERIFY(page);
        window->openModel(QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/spiral-mlp.json");
        QVERIFY(window->setupPanel()->selectData("spiral"));
        QTRY_VERIFY_WITH_TIMEOUT(window->session()->state() == TrainingSession::State::Ready, 10000);
        window->setupPanel()->setEpochs(40);
        window->session()->setConfig(window->setupPanel()->trainConfig());
        window->session()->train();
        QTRY_VERIFY_WITH_TIMEOUT(window->session()->state() == TrainingSession::State::Finished, 20000);
        window->showPage(window->compressPageIndex());
        QVERIFY(page->isVisible());
        QVERIFY(page->sourceReady());
    }

    void pipelineIsCheckedAsTyped()
    {
        auto* edit = page->findChild<QLineEdit*>();
        QVERIFY(edit);
        edit->setText("prune:1.5");
        QVERIFY2(page->pipelineError().contains("sparsity"), qPrintable(page->pipelineError()));
        edit->setText("prune:0.5,huffman");
        QVERIFY2(page->pipelineError().contains("share"), qPrintable(page->pipelineError()));
        QVERIFY(!page->run().isEmpty());  // refused, with the reason
        QVERIFY(!page->running());
        edit->setText("prune:0.5,retrain:1");
        QCOMPARE(page->pipelineError(), QString());

        // Every preset is a pipeline the engine accepts (a preset whose stage the
        // parser rejects would be left out: all 12 must be there).
        QPushButton* more = nullptr;
        int buttons = 0;
        for (auto* b : page->findChildren<QPushButton*>()) {
            if (b->text() == "More presets") more = b;
            else if (b->text() == "Deep Compression" || b->text() == "Iterative pruning") ++buttons;
        }
        QVERIFY(more && more->menu());
        QCOMPARE(buttons + int(more->menu()->actions().size()), 12);
        for (QAction* a : more->menu()->actions()) {
            a->trigger();
            QVERIFY2(page->pipelineError().isEmpty(), qPrintable(a->text() + ": " + page->pipelineError()));
        }
        edit->setText("prune:0.5,retrain:1");
    }

    void pipelineRunsStageByStage()
    {
        const auto before = dashboardWeights();
        QVERIFY(runToEnd("prune:0.5,retrain:2,share:2,retrain:1,huffman"));
        QVERIFY2(!page->statusText().contains("stopped"), qPrintable(page->statusText()));

        // One frame per stage after the dense one, each on the dense model's axes.
        QCOMPARE(int(page->stages().size()), 6);
        QCOMPARE(page->filmstrip()->frameCount(), 6);
        QCOMPARE(page->storageChart()->barCount(), 6);
        const auto& dense = page->stages().front();
        const auto& last = page->stages().back();
        QCOMPARE(QString::fromStdString(dense.kind), QString("dense"));
        QVERIFY(last.ratio > 1.0);
        for (size_t s = 1; s < page->stages().size(); ++s)
            for (size_t l = 0; l < dense.layers.size(); ++l) {
                QCOMPARE(page->stages()[s].layers[l].histogram.lo, dense.layers[l].histogram.lo);
                QCOMPARE(page->stages()[s].layers[l].histogram.hi, dense.layers[l].histogram.hi);
            }
        // Pruning shows as exact zeros in the histogram: half of every layer.
        const auto& pruned = page->stages()[1].layers.front();
        QVERIFY(pruned.histogram.zeros >= uint64_t(pruned.weights / 2) - 1);

        // The newest stage is selected: the layer table has one row per layer and the model.
        QCOMPARE(page->selectedStage(), 5);
        QCOMPARE(page->layerTable()->rowCount(), int(last.layers.size()) + 1);
        QVERIFY(page->huffmanTable()->indexRows() > 0);
        QVERIFY(page->huffmanTable()->indexRows() <= 4);  // share:2: at most 4 centroids
        QVERIFY(page->huffmanTable()->gapRows() > 0);
        // A stage before the huffman stage has no code tables.
        page->selectStage(1);
        QCOMPARE(page->huffmanTable()->indexRows(), 0);
        QCOMPARE(page->layerTable()->rowCount(), int(last.layers.size()) + 1);

        // Clicking a frame and the arrow keys select stages; the layer box the layer.
        QTest::mouseClick(page->filmstrip(), Qt::LeftButton, {}, page->filmstrip()->frameRect(3).center());
        QCOMPARE(page->selectedStage(), 3);
        QTest::keyClick(page->filmstrip(), Qt::Key_Right);
        QCOMPARE(page->selectedStage(), 4);
        page->selectLayer(1);
        QCOMPARE(page->filmstrip()->layer(), 1);

        // The run ends by timing the dense and the compressed weights on the same kernels.
        QTRY_VERIFY_WITH_TIMEOUT(page->stageSummary().contains("Speed"), 5000);

        // The dashboard's model is untouched: compression worked on a copy.
        QCOMPARE(dashboardWeights(), before);
        QVERIFY(page->compressedModel());

        checkRecorded("completed");
    }

    void filmstripExportNamesItsLayer()
    {
        // The exported picture says whose weights it shows (on screen the layer box does).
        auto* f = page->filmstrip();
        QVERIFY(!f->layerName().isEmpty());
        const QString svg = tmp.filePath("filmstrip.svg");
        QCOMPARE(views::exportChart(*f, svg), QString());
        QFile file(svg);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY2(QString::fromUtf8(file.readAll()).contains(f->layerName()), qPrintable(f->layerName()));
        QVERIFY(f->exportTitle().contains(f->layerName()));
    }

    void everythingExports()
    {
        page->selectStage(int(page->stages().size()) - 1);  // after the huffman stage: code tables to export
        int index = 0;
        for (views::Exportable* e : page->exportables()) {
            for (const char* ext : {"png", "svg", "csv"}) {
                const QString path = tmp.filePath(QString("view%1.%2").arg(index).arg(ext));
                QCOMPARE(views::exportChart(*e, path), QString());
                QVERIFY2(QFileInfo(path).size() > 0, qPrintable(path));
            }
            QFile csv(tmp.filePath(QString("view%1.csv").arg(index)));
            QVERIFY(csv.open(QIODevice::ReadOnly));
            if (e != page->sensitivityChart())  // no sweep yet: a header only (sweepsDrawTheSensitivityCurves)
                QVERIFY2(csv.readAll().count('\n') > 2, qPrintable(e->exportTitle()));
            ++index;
        }
        // The Huffman table's CSV holds the codes as written.
        QFile huffman(tmp.filePath("view2.csv"));
        QVERIFY(huffman.open(QIODevice::ReadOnly));
        QVERIFY(huffman.readLine().startsWith("stage,layer,table,symbol,count,code,length"));
    }

    void cancelStopsALongRunAndLeavesThePageUsable()
    {
        page->setPipeline("prune:0.5,retrain:100000,share:2");
        QCOMPARE(page->run(), QString());
        QVERIFY(page->running());
        QVERIFY(!page->run().isEmpty());  // a second run is refused while one runs
        QTRY_VERIFY_WITH_TIMEOUT(page->stages().size() >= 2, 10000);  // dense and pruned, now retraining
        QSignalSpy done(page, &CompressPage::runFinished);
        window->activateWindow();  // shortcuts go to the active window
        QVERIFY(QTest::qWaitForWindowActive(window.get()));
        page->filmstrip()->setFocus();
        QTest::keyClick(page->filmstrip(), Qt::Key_Escape);  // the page's shortcut
        QVERIFY(done.wait(5000));
        QCOMPARE(done.front().at(0).toBool(), true);  // cancelled
        QVERIFY(!page->running());
        QVERIFY(page->stages().size() < 4);
        QVERIFY2(page->statusText().contains("Cancelled"), qPrintable(page->statusText()));
        checkRecorded("cancelled");

        QVERIFY(runToEnd("prune:0.8,share:3,huffman"));
        QCOMPARE(page->filmstrip()->frameCount(), 4);
        QVERIFY(page->stages().back().ratio > 1.0);
    }

    void aHistoryThatIsNotAStoreCostsTheRecordingNotTheRun()
    {
        const QString junk = tmp.filePath("not-a-store.sqlite");
        QFile f(junk);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("these are not the runs you are looking for, and not SQLite either");
        f.close();
        const auto keep = page->historyStore;
        page->historyStore = [junk] { return junk; };
        const bool ran = runToEnd("prune:0.5,share:2");
        page->historyStore = keep;
        QVERIFY(ran);
        QCOMPARE(int(page->stages().size()), 3);  // the run's results stay on the page
        QCOMPARE(page->recordedRun(), qint64(0));
        QVERIFY(!page->recordError().isEmpty());
        QVERIFY2(page->statusText().contains("Done") && page->statusText().contains("Not kept in the history"),
                 qPrintable(page->statusText()));
    }

    void savedModelFileCompressesToo()
    {
        const QString nnm = tmp.filePath("spiral.nnm");
        QCOMPARE(window->saveTrainedModel(nnm), QString());
        QVERIFY(!page->openModelFile(tmp.filePath("missing.nnm")).isEmpty());  // a message, no crash
        QCOMPARE(page->openModelFile(nnm), QString());
        QTRY_VERIFY_WITH_TIMEOUT(page->sourceReady(), 10000);
        QVERIFY(page->sourceText().contains("spiral.nnm"));
        QVERIFY(runToEnd("prune:0.7,retrain:1"));
        QCOMPARE(page->filmstrip()->frameCount(), 3);

        const QString out = tmp.filePath("compressed.nnm");
        QCOMPARE(page->saveCompressedModel(out), QString());
        QVERIFY(QFileInfo(out).size() > 0);
        page->useDashboardModel();
        QVERIFY(page->sourceText().contains("dashboard"));
        // Issue 22 item 24: the file's results do not stay under the dashboard's header.
        QVERIFY(page->stages().empty());
        QCOMPARE(page->filmstrip()->frameCount(), 0);
        QCOMPARE(page->layerTable()->rowCount(), 0);
        QVERIFY2(page->statusText().contains("were cleared"), qPrintable(page->statusText()));
        QVERIFY(!page->compressedModel() || page->saveCompressedModel(tmp.filePath("stale.nnm")) != QString());
    }

    // Issue 22 item 24: after the dashboard's model changes, the header and the
    // results describe the same model: the old results are cleared, never shown
    // under the new model's name.
    void headerAndResultsDescribeTheSameModel()
    {
        QVERIFY(runToEnd("prune:0.5"));
        QCOMPARE(int(page->stages().size()), 2);
        QVERIFY(page->sourceText().contains("spiral-mlp"));
        window->openModel(QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/tiny-2-8-8-2.json");
        QTRY_VERIFY_WITH_TIMEOUT(window->session()->state() == TrainingSession::State::Ready, 10000);
        QVERIFY(!page->sourceText().contains("spiral-mlp"));
        QVERIFY(page->stages().empty());
        QCOMPARE(page->layerTable()->rowCount(), 0);
        QVERIFY2(page->statusText().contains("spiral-mlp"), qPrintable(page->statusText()));  // says whose were cleared
        // The new model's own results show under its own header.
        window->session()->setConfig(window->setupPanel()->trainConfig());
        window->session()->train();
        QTRY_VERIFY_WITH_TIMEOUT(window->session()->state() == TrainingSession::State::Finished, 20000);
        QVERIFY(runToEnd("prune:0.5"));
        QCOMPARE(int(page->stages().size()), 2);
        QVERIFY(page->sourceText().contains(QString::fromStdString(window->session()->spec()->name)));
    }

    void sweepsDrawTheSensitivityCurves()
    {
        QVERIFY(runToEnd("prune:0.5"));  // the dashboard's own stages (the file's were cleared)
        QCOMPARE(page->runSweeps(), QString());
        QVERIFY(page->running());
        QVERIFY(!page->run().isEmpty());  // one job at a time
        QSignalSpy done(page, &CompressPage::sweepsFinished);
        QVERIFY(done.wait(30000));
        QCOMPARE(done.front().at(0).toBool(), false);
        QCOMPARE(done.front().at(1).toString(), QString());
        const int layers = int(page->stages().front().layers.size());
        // Per layer: 11 fractions pruned without and with retraining; then sharing
        // at 8 -> 1 bits and fixed point at 16 -> 2 bits over all weights.
        QCOMPARE(page->sensitivityChart()->pruneSeriesCount(), 2 * layers);
        QCOMPARE(page->sensitivityChart()->bitsSeriesCount(), 2);
        QCOMPARE(int(page->sensitivityChart()->points().size()), layers * 11 * 2 + 8 + 15);
        // Nothing pruned is the dense model: its accuracy, retrained or not.
        const double dense = page->stages().front().testAccuracy;
        QVERIFY(std::abs(page->sensitivityChart()->points().front().accuracy - dense) < 1e-9);
        const QString csv = tmp.filePath("sensitivity.csv");
        QCOMPARE(views::exportChart(*page->sensitivityChart(), csv), QString());
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll().count('\n'), qsizetype(page->sensitivityChart()->points().size() + 1));

        // A sweep cancelled at its first point stops early and the page runs again.
        // (The whole spiral sweep takes a fraction of a second: 50 retraining epochs
        // per point keep it running for seconds, long after the first point arrives.)
        page->setSweepRetrainEpochs(50);
        auto* runner = page->findChild<views::compress::SweepRunner*>();
        QVERIFY(runner);
        auto once = connect(runner, &views::compress::SweepRunner::point, page, [this] { page->cancel(); });
        QCOMPARE(page->runSweeps(), QString());
        QVERIFY(done.wait(5000));
        disconnect(once);
        page->setSweepRetrainEpochs(1);
        QCOMPARE(done.back().at(0).toBool(), true);
        QVERIFY(int(page->sensitivityChart()->points().size()) < layers * 11 * 2 + 23);
        QVERIFY(runToEnd("prune:0.5"));
    }

    void projectorModeKeepsThePageWhole()
    {
        window->setProjectorMode(true);
        QCoreApplication::processEvents();
        QVERIFY(page->filmstrip()->height() > 0);
        QVERIFY(page->filmstrip()->frameRect(0).width() >= 150 * 2 - 1);
        window->setProjectorMode(false);
    }

    void cleanupTestCase() { window.reset(); }
};

QTEST_MAIN(GuiCompress)
#include "tst_gui_compress.moc"
