// Drives the real NN Studio main window under Xvfb (GL panels need a real X
// server): loads the spiral, trains, and asserts on what the views hold.
#include <QtTest/QtTest>

#include <QChart>
#include <QChartView>
#include <QDockWidget>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QOpenGLWidget>
#include <QProgressBar>
#include <QStatusBar>
#include <QValueAxis>
#include <QSvgRenderer>
#include <QTemporaryDir>

#include "app/gui/main_window.h"
#include "engine/io/model_file.h"
#include "engine/train/trainer.h"
#include "views/charts/curves_chart.h"
#include "views/dashboard/boundary_view.h"
#include "views/dashboard/confusion_view.h"
#include "views/dashboard/histogram_panel.h"
#include "views/dashboard/loss_hint.h"
#include "views/dashboard/setup_panel.h"
#include "views/training/training_session.h"

using views::TrainingSession;

class GuiDashboard : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<MainWindow> window;
    QTemporaryDir tmp;

    TrainingSession* session() { return window->session(); }
    void waitReady()
    {
        QTRY_VERIFY_WITH_TIMEOUT(!session()->busyLoading() && session()->state() == TrainingSession::State::Ready, 10000);
    }
    QAction* action(const QKeySequence& key)
    {
        for (QAction* a : window->findChildren<QAction*>())
            if (a->shortcut() == key) return a;
        return nullptr;
    }
    QProgressBar* progressBar() { return window->statusBar()->findChild<QProgressBar*>(); }
    static std::vector<std::vector<float>> values(const std::vector<nn::Tensor>& ts)
    {
        std::vector<std::vector<float>> out;
        for (const auto& t : ts) out.push_back(t.toVector());
        return out;
    }
    static std::vector<std::vector<float>> values(const nn::Model& m)
    {
        std::vector<std::vector<float>> out;
        for (const auto& p : m.parameters()) out.push_back(p.value.toVector());
        return out;
    }
    // Every panel names the weights the session's snapshot holds (once the
    // background work has caught up): the boundary, the confusion matrix, the
    // histograms' shown entry and the status bar.
    QString panelsDisagree()
    {
        const auto& s = session()->snapshot();
        QStringList out;
        auto* b = window->boundary();
        b->boundaryImage();  // computes when due
        if (b->shownEpoch() != s.epoch || b->shownStep() != s.step)
            out << QString("boundary %1/%2").arg(b->shownEpoch()).arg(b->shownStep());
        auto* c = window->confusion();
        if (c->isComputing() || c->matrixEpoch() != s.epoch || c->matrixStep() != s.step)
            out << QString("confusion %1/%2").arg(c->matrixEpoch()).arg(c->matrixStep());
        auto* h = window->histograms();
        if (h->frameEpoch(h->sliderPosition()) != s.epoch || h->frameStep(h->sliderPosition()) != s.step)
            out << QString("histograms %1/%2").arg(h->frameEpoch(h->sliderPosition())).arg(h->frameStep(h->sliderPosition()));
        if (out.isEmpty()) return {};
        return QString("snapshot %1/%2 but %3").arg(s.epoch).arg(s.step).arg(out.join(", "));
    }

private slots:
    void initTestCase()
    {
        qputenv("NNSTUDIO_NO_DIALOGS", "1");
        QCoreApplication::setOrganizationName("NN Studio Tests");  // keep the user's settings untouched
        window = std::make_unique<MainWindow>();
        window->resize(1600, 1000);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        window->openModel(QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/spiral-mlp.json");
        QVERIFY(window->setupPanel()->selectData("spiral"));
        waitReady();
        QCOMPARE(session()->data()->train.sampleShape.size(), size_t(1));
    }

    void trainingFillsEveryView()
    {
        const QImage before = window->boundary()->boundaryImage();
        QVERIFY(!before.isNull());
        window->setupPanel()->setEpochs(300);
        session()->setConfig(window->setupPanel()->trainConfig());
        session()->train();
        QTRY_VERIFY_WITH_TIMEOUT(session()->state() == TrainingSession::State::Finished, 20000);
        QCOMPARE(window->curves()->pointCount(), 300);
        QCOMPARE(int(session()->history().size()), 300);
        QVERIFY(window->boundary()->boundaryImage() != before);
        QVERIFY(window->boundary()->neuronCount() >= 16);
        QVERIFY(window->boundary()->neuronFormula(0).contains("tanh"));
        // One entry per epoch (and the initial weights), however fast the net trains.
        QTRY_VERIFY(window->histograms()->recordedFrames() >= 300);
        QTRY_VERIFY(window->confusion()->accuracy() > 0.5);
        int total = 0;
        for (const auto& row : window->confusion()->matrix())
            for (int c : row) total += c;
        QVERIFY(total > 0);
        QVERIFY(session()->result().testAccuracy > 0.9);  // the CLI reaches 1.0 with these settings
    }

    void exportsParse()
    {
        const QString png = tmp.filePath("curves.png"), svg = tmp.filePath("curves.svg"), csv = tmp.filePath("curves.csv");
        QCOMPARE(views::exportChart(*window->curves(), png), QString());
        QCOMPARE(views::exportChart(*window->curves(), svg), QString());
        QCOMPARE(views::exportChart(*window->curves(), csv), QString());
        QVERIFY(!QImage(png).isNull());
        QVERIFY(QSvgRenderer(svg).isValid());
        QFile f(csv);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).trimmed().split('\n');
        QCOMPARE(lines.size(), 301);  // header + 300 epochs
        QVERIFY(lines[0].startsWith("epoch,"));
        bool ok = false;
        lines[300].split(',')[2].toDouble(&ok);
        QVERIFY(ok);
        QVERIFY(views::exportChart(*window->curves(), tmp.filePath("x.bmp")).contains("unknown format"));
        QCOMPARE(views::exportChart(*window->boundary(), tmp.filePath("b.png")), QString());
        QCOMPARE(views::exportChart(*window->confusion(), tmp.filePath("c.csv")), QString());
    }

    void statusBarReadsOnce()
    {
        // After the 300-epoch run: "Finished · 300 epochs · test acc 1.000", no word twice.
        const QString status = window->statusText();
        QVERIFY2(status.startsWith("Finished"), qPrintable(status));
        QVERIFY2(status.count("inished") == 1 && !status.contains("completed"), qPrintable(status));
        auto* bar = window->statusBar()->findChild<QProgressBar*>();  // the status bar's, not a page's
        QVERIFY(bar);
        QCOMPARE(bar->text(), QString("epoch 300 of 300"));
        QVERIFY(bar->width() >= bar->fontMetrics().horizontalAdvance(bar->text()) + 8);
    }

    void histogramBarsAreVisible()
    {
        auto* h = window->histograms();
        QVERIFY(h->parameterCount() >= 6);
        // The bars fill their plots: plenty of the value histograms' blue.
        h->setSliderPosition(h->recordedFrames() - 1);
        QTRY_VERIFY(h->frameCount() > 0);
        const QImage img = h->grabFramebuffer();
        QVERIFY(!img.isNull());
        int blue = 0;
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                const QColor c = img.pixelColor(x, y);
                if (std::abs(c.red() - 84) < 20 && std::abs(c.green() - 158) < 20 && std::abs(c.blue() - 230) < 20) ++blue;
            }
        QVERIFY2(blue > 3000, qPrintable(QString::number(blue)));
        // h1.weight: the bulk is binned; nonempty bins beyond a single spike.
        QVERIFY(h->nonEmptyBins(0, h->recordedFrames() - 1) >= 4);
    }

    // One QOpenGLWidget makes Qt composite the whole window with OpenGL: under
    // software GL every label change then recomposed 1600x1000 pixels (tens of ms
    // per frame, a resize sweep took 45 s instead of 2). The ImGui panel renders
    // offscreen and paints an image instead, and still draws (above).
    void windowIsNotGlComposited()
    {
        QVERIFY(window->findChildren<QOpenGLWidget*>().isEmpty());
        auto* h = window->histograms();
        QVERIFY(h->glAvailable());
        const int before = h->frameCount();
        const QImage shot = h->grab().toImage();
        QVERIFY(h->frameCount() > before);  // grab() paints the panel: a real frame, not a stale copy
        QCOMPARE(shot.size(), h->size() * h->devicePixelRatioF());
    }

    // Item 15: a fast net ends hundreds of epochs per poll. The boundary and the
    // curves redraw on a time budget, not once per poll, and the status bar's
    // progress never paints synchronously inside the poll.
    void fastRunRedrawsOnATimeBudget()
    {
        session()->reset();
        waitReady();
        window->setupPanel()->setEpochs(100000);
        session()->setConfig(window->setupPanel()->trainConfig());
        auto* boundary = window->boundary();
        auto* curves = window->curves();
        session()->train();
        QTRY_VERIFY_WITH_TIMEOUT(session()->history().size() > 5, 10000);
        QTest::qWait(300);  // past the first frames
        const int computes = boundary->computeCount(), redraws = curves->redrawCount();
        const int frames = window->histograms()->frameCount();
        const int epochs0 = int(session()->history().size());
        QElapsedTimer t;
        t.start();
        QTest::qWait(2000);
        const double seconds = double(t.elapsed()) / 1000;
        const double boundaryRate = (boundary->computeCount() - computes) / seconds;
        const double curvesRate = (curves->redrawCount() - redraws) / seconds;
        const double histogramRate = (window->histograms()->frameCount() - frames) / seconds;
        session()->stop();
        QTRY_VERIFY_WITH_TIMEOUT(session()->state() != TrainingSession::State::Running, 5000);
        QVERIFY(int(session()->history().size()) > epochs0);  // it really trained meanwhile
        const QString rates = QString("boundary %1/s, curves %2/s, histograms %3/s").arg(boundaryRate).arg(curvesRate).arg(histogramRate);
        // At most ~5 a second each (once per poll, as before, was 10-30).
        QVERIFY2(boundaryRate <= 6.0, qPrintable(rates));
        QVERIFY2(curvesRate <= 5.0, qPrintable(rates));
        QVERIFY2(histogramRate <= 5.0, qPrintable(rates));
        QVERIFY2(boundaryRate >= 1 && curvesRate >= 1 && histogramRate >= 1, qPrintable(rates));  // still moving pictures
        // The newest epochs are drawn at the latest one gap later.
        QTRY_COMPARE_WITH_TIMEOUT(curves->pointCount(), int(session()->history().size()), 1000);
    }

    void progressNeverPaintsInsideThePoll()
    {
        struct PaintCount : QObject {
            int paints = 0;
            bool eventFilter(QObject*, QEvent* e) override
            {
                if (e->type() == QEvent::Paint) ++paints;
                return false;
            }
        } count;
        QProgressBar* bar = progressBar();
        QTest::qWait(50);
        bar->installEventFilter(&count);
        emit session()->progress(17, 4321);  // what a poll emits
        QCOMPARE(count.paints, 0);          // no synchronous repaint
        QCOMPARE(bar->text(), QString("epoch 17 of 4321"));
        QTRY_VERIFY(count.paints > 0);      // painted with the next frame
        bar->removeEventFilter(&count);
        session()->reset();
        waitReady();
    }

    void histogramRecordsEveryEpoch()
    {
        session()->reset();
        waitReady();
        QCOMPARE(window->histograms()->recordedFrames(), 1);  // the initial weights
        window->setupPanel()->setEpochs(50);
        session()->setConfig(window->setupPanel()->trainConfig());
        session()->train();
        QTRY_VERIFY_WITH_TIMEOUT(session()->state() == TrainingSession::State::Finished, 20000);
        QCOMPARE(window->histograms()->recordedFrames(), 51);
        for (int f = 0; f <= 50; ++f) QCOMPARE(window->histograms()->frameEpoch(f), f);
    }

    void projectorModeScales()
    {
        const double before = window->font().pointSizeF();
        const double base = QApplication::font().pointSizeF();
        const QSize size = window->size();
        auto* histDock = window->findChild<QDockWidget*>("histogramDock");
        auto* confDock = window->findChild<QDockWidget*>("confusionDock");
        QVERIFY(histDock && confDock);
        QVERIFY(!window->tabifiedDockWidgets(histDock).contains(confDock));
        window->setProjectorMode(true);
        QVERIFY(window->projectorMode());
        QVERIFY(window->font().pointSizeF() >= 2 * before - 0.01);
        QVERIFY(window->histograms()->uiScale() >= 2.0f);
        QTest::qWait(200);
        // The window keeps the size it was given: nothing's minimum pushes it out.
        QCOMPARE(window->size(), size);
        QVERIFY(window->minimumSizeHint().width() <= 1600 && window->minimumSizeHint().height() <= 1000);
        // The painted views scale once (2x), not twice (their font stays the base).
        QCOMPARE(window->boundary()->font().pointSizeF(), base);
        QCOMPARE(window->confusion()->font().pointSizeF(), base);
        // Chart labels 2x, and no more ticks than their labels have room for.
        const auto views = window->curves()->findChildren<QChartView*>();
        QCOMPARE(views.size(), 2);
        for (QChartView* v : views) {
            for (QAbstractAxis* a : v->chart()->axes()) QVERIFY(a->labelsFont().pointSizeF() >= 2 * base - 0.01);
            for (QAbstractAxis* a : v->chart()->axes(Qt::Horizontal)) {
                auto* axis = qobject_cast<QValueAxis*>(a);
                QVERIFY(axis && axis->tickType() == QValueAxis::TicksDynamic);
                const double ticks = (axis->max() - axis->min()) / axis->tickInterval() + 1;
                const double label = QFontMetricsF(axis->labelsFont()).horizontalAdvance(QString::number(int(axis->max())));
                QVERIFY2(ticks * label <= v->chart()->plotArea().width(), qPrintable(QString("%1 ticks").arg(ticks)));
            }
        }
        // The two bottom panels share one place as tabs.
        QVERIFY(window->tabifiedDockWidgets(histDock).contains(confDock));
        QVERIFY(!window->grab().isNull());
        window->setProjectorMode(false);
        QCOMPARE(window->font().pointSizeF(), before);
        QVERIFY(!window->tabifiedDockWidgets(histDock).contains(confDock));
        QTest::qWait(100);
        QCOMPARE(window->size(), size);
    }

    void pauseReallyPauses()
    {
        session()->reset();
        waitReady();
        window->setupPanel()->setEpochs(100000);
        session()->setConfig(window->setupPanel()->trainConfig());
        session()->train();
        QTRY_VERIFY_WITH_TIMEOUT(session()->stepsDone() > 50, 5000);
        session()->pause();
        QTest::qWait(150);  // let the last events drain
        const qint64 paused = session()->stepsDone();
        QTest::qWait(300);
        QCOMPARE(session()->stepsDone(), paused);
        QCOMPARE(session()->state(), TrainingSession::State::Paused);
        session()->step();
        QTRY_COMPARE(session()->stepsDone(), paused + 1);
        session()->stop();
        QCOMPARE(session()->state(), TrainingSession::State::Finished);
        QCOMPARE(session()->result().status, nn::TrainStatus::Cancelled);
    }

    void badModelFileIsReportedNotFatal()
    {
        window->openModel(tmp.filePath("missing.json"));
        QVERIFY(window->statusText().size() >= 0);
        QFile bad(tmp.filePath("bad.json"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("{ not json");
        bad.close();
        QSignalSpy errors(session(), &TrainingSession::errorOccurred);
        window->openModel(bad.fileName());
        QCOMPARE(errors.count(), 1);
        QVERIFY(errors.at(0).at(0).toString().contains("bad.json"));
    }

    // Item 21: a loss that rises over several epochs, or diverges, gives a hint
    // with a lower learning rate; noise near convergence does not; a validation
    // loss that rises while the training loss falls is called overfitting.
    void lossHintRules()
    {
        auto run = [](std::initializer_list<std::pair<double, double>> losses) {
            std::vector<nn::EpochMetrics> h;
            for (const auto& [train, val] : losses) {
                nn::EpochMetrics m;
                m.epoch = int(h.size()) + 1;
                m.trainLoss = train;
                m.valLoss = val;
                h.push_back(m);
            }
            return h;
        };
        const auto rising = views::lossHint(run({{0.60, 0.61}, {0.55, 0.57}, {0.62, 0.63}, {0.70, 0.72}, {0.81, 0.85}}), 0.03);
        QVERIFY2(rising.text.contains("learning rate"), qPrintable(rising.text));
        QVERIFY(qAbs(rising.suggestedLr - 0.003) < 1e-9);
        QVERIFY(views::lossHint(run({{0.60, 0.6}, {0.30, 0.3}, {0.10, 0.1}, {0.011, 0.02}, {0.010, 0.02}, {0.014, 0.02},
                                     {0.013, 0.02}, {0.015, 0.02}}),
                                0.03)
                    .text.isEmpty());  // +50% of a tiny loss is noise
        QVERIFY(views::lossHint(run({{0.6, 0.6}, {0.5, 0.5}}), 0.03).text.isEmpty());
        const auto overfit = views::lossHint(run({{0.6, 0.6}, {0.4, 0.45}, {0.3, 0.40}, {0.25, 0.42}, {0.2, 0.45}, {0.15, 0.48},
                                                  {0.12, 0.50}, {0.10, 0.55}, {0.08, 0.60}}),
                                             0.03);
        QVERIFY2(overfit.text.contains("overfitting") && overfit.suggestedLr == 0, qPrintable(overfit.text));
        const auto diverged = views::lossHint(run({{0.6, 0.6}, {NAN, NAN}}), 0.5);
        QVERIFY(diverged.text.contains("diverged") && qAbs(diverged.suggestedLr - 0.05) < 1e-9);
    }

    // ... and the set-up panel shows it for a real run whose loss rises.
    void risingLossShowsAHint()
    {
        session()->reset();
        waitReady();
        QCOMPARE(window->setupPanel()->trainingHint(), QString());
        window->setupPanel()->setLearningRate(3.0);
        window->setupPanel()->setEpochs(30);
        session()->setConfig(window->setupPanel()->trainConfig());
        session()->train();
        QTRY_VERIFY_WITH_TIMEOUT(session()->state() == TrainingSession::State::Finished, 20000);
        const QString hint = window->setupPanel()->trainingHint();
        QVERIFY2(hint.contains("learning rate") && hint.contains("Use 0.3"), qPrintable(hint));
        QLabel* label = window->setupPanel()->findChild<QLabel*>("trainingHint");
        QVERIFY(label && label->isVisible());
        emit label->linkActivated("lr");  // "Use 0.3"
        QCOMPARE(window->setupPanel()->trainConfig().lr, 0.3f);
        session()->reset();
        waitReady();
        QCOMPARE(window->setupPanel()->trainingHint(), QString());  // a new run has nothing to say yet
        window->setupPanel()->setLearningRate(0.03);
    }

    // Issue 22 item 25: paused mid-run, every panel shows the same epoch and step,
    // and the status bar names them the same way.
    void pausedPanelsShowOneSnapshot()
    {
        session()->reset();
        waitReady();
        window->setupPanel()->setEpochs(100000);
        session()->setConfig(window->setupPanel()->trainConfig());
        session()->train();
        QTRY_VERIFY_WITH_TIMEOUT(session()->history().size() > 20, 10000);
        QSignalSpy reported(session(), &TrainingSession::stepped);
        session()->pause();
        // The worker reports where it stopped once the step in flight is done; the
        // panels may agree on the snapshot before it for a moment (seen under load).
        QTRY_VERIFY_WITH_TIMEOUT(reported.count() > 0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(session()->snapshot().step, session()->stepsDone(), 5000);
        QTRY_VERIFY2_WITH_TIMEOUT(panelsDisagree().isEmpty(), qPrintable(panelsDisagree()), 5000);
        const int epoch = session()->snapshot().epoch;
        const qint64 step = session()->snapshot().step;
        QCOMPARE(step, session()->stepsDone());
        QVERIFY(epoch > 20);
        QVERIFY2(window->statusText().contains(views::weightsLabel(epoch, step)), qPrintable(window->statusText()));
        QCOMPARE(progressBar()->value(), epoch);
        // One more step: all of them move to it.
        session()->step();
        QTRY_COMPARE(session()->snapshot().step, step + 1);
        QTRY_VERIFY2_WITH_TIMEOUT(panelsDisagree().isEmpty(), qPrintable(panelsDisagree()), 5000);
        const auto& now = session()->snapshot();
        QVERIFY2(window->statusText().contains(views::weightsLabel(now.epoch, now.step)), qPrintable(window->statusText()));
        session()->stop();
        QTRY_VERIFY2_WITH_TIMEOUT(panelsDisagree().isEmpty(), qPrintable(panelsDisagree()), 5000);
    }

    // Issue 22 item 17 in the window: Step pressed five times, then Resume and
    // Pause: once paused, nothing more runs; the next Step is one step, counted on
    // from where the run is (not from step 1).
    void stepPressesDoNotSurviveResume()
    {
        session()->reset();
        waitReady();
        window->setupPanel()->setEpochs(100000);
        QAction* step = action(QKeySequence(Qt::Key_F10));
        QVERIFY(step);
        for (int i = 0; i < 5; ++i) step->trigger();
        QCOMPARE(session()->state(), TrainingSession::State::Paused);
        QTRY_COMPARE(session()->stepsDone(), qint64(5));
        session()->train();
        QCOMPARE(session()->state(), TrainingSession::State::Running);
        QTRY_VERIFY_WITH_TIMEOUT(session()->stepsDone() > 100, 5000);
        session()->pause();
        QTest::qWait(200);
        const qint64 paused = session()->stepsDone();
        QTest::qWait(300);
        QCOMPARE(session()->stepsDone(), paused);
        step->trigger();
        QTRY_COMPARE(session()->stepsDone(), paused + 1);
        QTest::qWait(200);
        QCOMPARE(session()->stepsDone(), paused + 1);
        QCOMPARE(session()->snapshot().step, paused + 1);
        session()->stop();
    }

    // Issue 22 item 2: after early stopping, the model saved (and exported, and
    // compressed: all use currentModel()) is the restored best epoch's, and every
    // panel and the status bar say which epoch that is.
    void earlyStopKeepsTheRestoredWeights()
    {
        session()->reset();
        waitReady();
        window->setupPanel()->setEpochs(300);
        nn::TrainConfig c = window->setupPanel()->trainConfig();
        c.patience = 2;
        session()->setConfig(c);
        session()->train();
        QTRY_VERIFY_WITH_TIMEOUT(session()->state() == TrainingSession::State::Finished, 20000);
        const nn::TrainResult r = session()->result();
        QCOMPARE(r.status, nn::TrainStatus::EarlyStopped);
        QCOMPARE(r.epochs, r.bestEpoch + 2);
        const auto& best = session()->history()[size_t(r.bestEpoch - 1)];
        const auto& s = session()->snapshot();
        QVERIFY(s.restored);
        QCOMPARE(s.epoch, r.bestEpoch);
        QCOMPARE(s.step, best.steps);

        // The saved model holds the best epoch's weights: its validation loss is that epoch's.
        const QString path = tmp.filePath("early.nnm");
        QCOMPARE(window->saveTrainedModel(path), QString());
        auto loaded = nn::io::loadModelFile(path.toStdString());
        QCOMPARE(values(loaded.model), values(s.params));
        QCOMPARE(values(*session()->currentModel()), values(s.params));
        QCOMPARE(loaded.extras.metadata.value("epochs", -1), r.bestEpoch);
        nn::Model check = std::move(loaded.model);
        const auto weights = values(check);
        nn::Trainer t(check, *session()->data(), c);  // (re-initialises the weights: put them back)
        for (size_t i = 0; i < weights.size(); ++i)
            std::copy(weights[i].begin(), weights[i].end(), check.parameters()[i].value.data());
        QVERIFY2(std::abs(t.evaluate(session()->data()->validation).loss - best.valLoss) <= 1e-6 * std::max(1.0, best.valLoss),
                 qPrintable(QString("%1 vs %2").arg(t.evaluate(session()->data()->validation).loss).arg(best.valLoss)));

        QVERIFY2(window->statusText().contains(QString("weights of epoch %1").arg(r.bestEpoch)), qPrintable(window->statusText()));
        QTRY_VERIFY2_WITH_TIMEOUT(panelsDisagree().isEmpty(), qPrintable(panelsDisagree()), 5000);
    }

    // Issue 22 item 16: Step (F10) on a finished run leaves the trained weights
    // alone and says why and what to do.
    void stepOnAFinishedRunDoesNothing()
    {
        QCOMPARE(session()->state(), TrainingSession::State::Finished);
        const auto before = values(session()->snapshot().params);
        const qint64 steps = session()->stepsDone();
        QAction* step = action(QKeySequence(Qt::Key_F10));
        QVERIFY(step);
        step->trigger();
        QTest::qWait(200);
        QCOMPARE(session()->state(), TrainingSession::State::Finished);
        QCOMPARE(session()->stepsDone(), steps);
        QCOMPARE(values(session()->snapshot().params), before);
        QCOMPARE(values(*session()->currentModel()), before);
        const QString msg = window->statusBar()->currentMessage();
        QVERIFY2(msg.contains("finished") && msg.contains("Reset"), qPrintable(msg));
    }

    // Issue 22 item 25: a spec that does not fit the data is refused; the trained
    // model, the form and every view stay.
    void specThatDoesNotFitIsRefused()
    {
        QCOMPARE(session()->state(), TrainingSession::State::Finished);
        const QString modelBefore = window->setupPanel()->modelPath();
        const auto weights = values(session()->snapshot().params);
        const QString status = window->statusText();
        const int points = window->curves()->pointCount();
        QFile f(tmp.filePath("mnist-only.json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"name": "mnist-only", "input": {"shape": [784]},
                    "layers": [{"id": "out", "type": "dense", "units": 10}], "loss": "softmax_cross_entropy"})");
        f.close();
        QSignalSpy errors(session(), &TrainingSession::errorOccurred);
        QSignalSpy models(session(), &TrainingSession::modelChanged);
        window->openModel(f.fileName());
        QCOMPARE(errors.count(), 1);
        const QString msg = errors.at(0).at(0).toString();
        QVERIFY2(msg.contains("mnist-only") && msg.contains("does not fit") && msg.contains("kept"), qPrintable(msg));
        QCOMPARE(models.count(), 0);
        QCOMPARE(session()->state(), TrainingSession::State::Finished);
        QCOMPARE(QString::fromStdString(session()->spec()->name), QString("spiral-mlp"));
        QCOMPARE(values(*session()->currentModel()), weights);
        QCOMPARE(window->setupPanel()->modelPath(), modelBefore);
        QCOMPARE(window->statusText(), status);
        QCOMPARE(window->curves()->pointCount(), points);
        QVERIFY(!window->boundary()->boundaryImage().isNull());
    }

    // Issue 22 item 25: the status bar's "epoch 0 of N" follows the Epochs field,
    // and a finished run's figures go when the data changes.
    void statusBarFollowsTheSetUp()
    {
        session()->reset();
        waitReady();
        window->setupPanel()->setEpochs(300);
        QCOMPARE(progressBar()->text(), QString("epoch 0 of 300"));
        window->setupPanel()->setEpochs(3);
        QCOMPARE(progressBar()->text(), QString("epoch 0 of 3"));
        session()->train();
        QTRY_VERIFY_WITH_TIMEOUT(session()->state() == TrainingSession::State::Finished, 10000);
        QCOMPARE(progressBar()->text(), QString("epoch 3 of 3"));
        QVERIFY2(window->statusText().contains("test acc"), qPrintable(window->statusText()));
        QVERIFY(window->setupPanel()->selectData("circles"));
        waitReady();
        QVERIFY2(!window->statusText().contains("test acc") && !window->statusText().contains("3 epochs"),
                 qPrintable(window->statusText()));
        QCOMPARE(progressBar()->text(), QString("epoch 0 of 3"));
        QCOMPARE(window->curves()->pointCount(), 0);
        QVERIFY(window->setupPanel()->selectData("spiral"));
        waitReady();
    }

    // Issue 22 item 9: a final training batch of one sample is left out when the
    // model has batch norm, and the window says so when the run starts.
    void batchNormDroppedBatchIsSaid()
    {
        session()->reset();
        waitReady();
        QFile f(tmp.filePath("spiral-bn.json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"name": "spiral-bn", "input": {"shape": [2]},
                    "layers": [{"id": "h1", "type": "dense", "units": 8}, {"id": "bn1", "type": "batchnorm"},
                               {"id": "act1", "type": "tanh"}, {"id": "out", "type": "dense", "units": "auto"}],
                    "loss": "softmax_cross_entropy"})");
        f.close();
        window->openModel(f.fileName());
        waitReady();
        QCOMPARE(QString::fromStdString(session()->spec()->name), QString("spiral-bn"));
        const int n = int(session()->data()->train.size());
        QVERIFY(n > 3);
        nn::TrainConfig c = window->setupPanel()->trainConfig();
        c.batch = n - 1;  // n = 1 * (n - 1) + 1: the last batch holds one sample
        c.epochs = 1;
        c.patience = 0;
        session()->setConfig(c);
        QSignalSpy notices(session(), &TrainingSession::notice);
        session()->train();
        QTRY_VERIFY_WITH_TIMEOUT(session()->state() == TrainingSession::State::Finished, 20000);
        QCOMPARE(session()->result().status, nn::TrainStatus::Completed);
        QStringList said;
        for (const auto& args : notices) said << args.at(0).toString();
        QVERIFY2(said.join('|').contains("'bn1'"), qPrintable(said.join('|')));
        QCOMPARE(session()->result().steps, int64_t(1));  // one batch of n - 1, never one of 1
        window->openModel(QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/spiral-mlp.json");
        waitReady();
    }

    void cleanupTestCase() { window.reset(); }
};

QTEST_MAIN(GuiDashboard)
#include "tst_gui_dashboard.moc"
