// Drives the real NN Studio main window under Xvfb (GL panels need a real X
// server): loads the spiral, trains, and asserts on what the views hold.
#include <QtTest/QtTest>

#include <QFile>
#include <QImage>
#include <QSvgRenderer>
#include <QTemporaryDir>

#include "app/gui/main_window.h"
#include "views/charts/curves_chart.h"
#include "views/dashboard/boundary_view.h"
#include "views/dashboard/confusion_view.h"
#include "views/dashboard/histogram_panel.h"
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
        QTRY_VERIFY(window->histograms()->recordedFrames() >= 2);
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

    void projectorModeScales()
    {
        const double before = window->font().pointSizeF();
        window->setProjectorMode(true);
        QVERIFY(window->projectorMode());
        QVERIFY(window->font().pointSizeF() >= 2 * before - 0.01);
        QVERIFY(window->histograms()->uiScale() >= 2.0f);
        QVERIFY(!window->grab().isNull());
        window->setProjectorMode(false);
        QCOMPARE(window->font().pointSizeF(), before);
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

    void cleanupTestCase() { window.reset(); }
};

QTEST_MAIN(GuiDashboard)
#include "tst_gui_dashboard.moc"
