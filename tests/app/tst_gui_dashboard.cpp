// Drives the real NN Studio main window under Xvfb (GL panels need a real X
// server): loads the spiral, trains, and asserts on what the views hold.
#include <QtTest/QtTest>

#include <QChart>
#include <QChartView>
#include <QDockWidget>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QProgressBar>
#include <QStatusBar>
#include <QValueAxis>
#include <QSvgRenderer>
#include <QTemporaryDir>

#include "app/gui/main_window.h"
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

    void cleanupTestCase() { window.reset(); }
};

QTEST_MAIN(GuiDashboard)
#include "tst_gui_dashboard.moc"
