// The app under the user's locale. Qt sets the process locale from LANG/LC_ALL
// (setlocale(LC_ALL, "")), and under de_DE.UTF-8 std::stod, strtod and printf
// use a decimal comma: the stepper threw std::invalid_argument out of a Qt slot
// on "0.5*x", the Compress page refused its own default pipeline, and History's
// CSV export wrote "1,22,0,6931". CTest runs every GUI suite a second time as
// NAME_de with LANG=de_DE.UTF-8 and NN_EXPECT_LOCALE=de_DE; this suite checks that
// the locale really took (so the _de entries are not silently run in "C") and
// drives the paths that broke.
#include <QtTest/QtTest>

#include <QFile>
#include <QLocale>
#include <QTemporaryDir>

#include <clocale>
#include <cmath>

#include "app/gui/main_window.h"
#include "engine/core/numbers.h"
#include "engine/store/run_store.h"
#include "views/compress/compress_page.h"
#include "views/history/history_dock.h"
#include "views/stepper/stepper_view.h"

class GuiLocale : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<MainWindow> window;
    QTemporaryDir tmp;

private slots:
    void initTestCase()
    {
        qputenv("NNSTUDIO_NO_DIALOGS", "1");
        qputenv("NNSTUDIO_HISTORY", tmp.filePath("history.sqlite").toLocal8Bit());
        QCoreApplication::setOrganizationName("NN Studio Tests");
        window = std::make_unique<MainWindow>();
        window->resize(1600, 1000);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    }

    // The _de entries must run under German, not fall back to "C" because the
    // locale was never generated.
    void processLocaleIsTheExpectedOne()
    {
        const QByteArray expect = qgetenv("NN_EXPECT_LOCALE");
        const char* numeric = std::setlocale(LC_NUMERIC, nullptr);
        qInfo("LANG=%s, process LC_NUMERIC=%s, QLocale=%s, decimal point '%s'", qgetenv("LANG").constData(), numeric,
              qPrintable(QLocale().name()), std::localeconv()->decimal_point);
        if (expect.isEmpty()) QSKIP("NN_EXPECT_LOCALE is not set: this entry runs under the environment's locale");
        QVERIFY2(QByteArray(numeric).startsWith(expect),
                 qPrintable(QString("the process runs under LC_NUMERIC '%1', not %2: generate the locale with "
                                    "packaging/setup.sh (locale-gen de_DE.UTF-8)")
                                .arg(numeric, QString(expect))));
        QCOMPARE(QLocale().name(), QString(expect));
        QCOMPARE(QByteArray(std::localeconv()->decimal_point), QByteArray(","));
    }

    void stepperReadsDecimalPoints()
    {
        auto* stepper = window->stepper();
        QVERIFY2(stepper->setFormula("0.5*x + 1.25", "x=2"), qPrintable(stepper->errorText()));
        QVERIFY(stepper->setFormula("x*1e-3", "x=0.5"));
    }

    void compressPageAcceptsItsPipelines()
    {
        auto* page = window->compressPage();
        QVERIFY2(page->pipelineError().isEmpty(), qPrintable(page->pipelineError()));  // the default
        page->setPipeline("prune:0.9,retrain:1,share:5,huffman");
        QVERIFY2(page->pipelineError().isEmpty(), qPrintable(page->pipelineError()));
    }

    void historyCsvExportWritesDecimalPoints()
    {
        const qint64 id = [&] {
            nn::store::RunStore store(window->history()->storePath().toStdString());
            nn::store::NewRun run;
            run.name = "locale";
            const int64_t runId = store.createRun(run);
            nn::EpochMetrics m;
            m.epoch = 1;
            m.steps = 22;
            m.trainLoss = 0.6931;
            m.trainAccuracy = 0.5;
            m.valLoss = m.valAccuracy = std::nan("");  // no validation set: empty cells
            m.lr = 0.03f;
            m.seconds = 1.25;
            store.addMetrics(runId, {}, {m});
            store.finishRun(runId, "completed", "", 1.25);
            return qint64(runId);
        }();
        const QString path = tmp.filePath("epochs.csv");
        QCOMPARE(window->history()->exportCsv(id, path), QString());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString csv = QString::fromUtf8(f.readAll());
        QVERIFY2(csv.contains("\n1,22,0.6931,0.5,,,0.03,1.25\n"), qPrintable(csv));
    }

    // Every helper format in the GUI process' locale.
    void numbersIgnoreTheProcessLocale()
    {
        QCOMPARE(QString::fromStdString(nn::num::fixed(1.5, 2)), QString("1.50"));
        QCOMPARE(QString::fromStdString(nn::num::general(0.25, 6)), QString("0.25"));
        QCOMPARE(nn::num::parseDouble("0.5").value_or(-1), 0.5);
        QVERIFY(!nn::num::parseDouble("0,5"));
    }

    void cleanupTestCase() { window.reset(); }
};

QTEST_MAIN(GuiLocale)
#include "tst_gui_locale.moc"
