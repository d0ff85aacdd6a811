// CSV files chosen in the real window (under Xvfb): a file too small for the
// validation and test fractions is refused with the reason (it used to train with
// empty validation and test sets: NaN metrics, early stopping silently off), and a
// Latin-1 file loads with its labels converted to UTF-8.
#include <QtTest/QtTest>

#include <QFile>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>

#include "app/gui/main_window.h"
#include "engine/core/utf8.h"
#include "views/dashboard/setup_panel.h"
#include "views/training/training_session.h"

class GuiDataCsv : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<MainWindow> window;
    QTemporaryDir tmp;

    QString write(const QString& name, const QByteArray& bytes)
    {
        QFile f(tmp.filePath(name));
        if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(f.fileName()));
        f.write(bytes);
        return f.fileName();
    }

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

    void tinyFileIsRefusedWithTheReason()
    {
        auto* session = window->session();
        QTRY_VERIFY_WITH_TIMEOUT(!session->busyLoading(), 10000);
        QSignalSpy error(session, &views::TrainingSession::errorOccurred);
        QVERIFY(window->setupPanel()->selectData(write("tiny.csv", "x,y,label\n1,2,0\n3,4,1\n5,6,0\n")));
        QVERIFY(error.wait(10000));
        const QString msg = error.at(0).at(0).toString();
        for (const char* part : {"only 3 samples", "keeps none of them for validation", "early stopping is off"})
            QVERIFY2(msg.contains(part), qPrintable(msg));
    }

    void latin1FileLoadsAsUtf8()
    {
        auto* session = window->session();
        QTRY_VERIFY_WITH_TIMEOUT(!session->busyLoading(), 10000);
        QByteArray text = "x,y,label\n";
        for (int i = 0; i < 40; ++i)
            text += QByteArray::number(i % 2 ? 0.5 : -0.5) + "," + QByteArray::number(i / 40.0) + (i % 2 ? ",caf\xe9\n" : ",th\xe9\n");
        QSignalSpy loaded(session, &views::TrainingSession::dataChanged);
        QVERIFY(window->setupPanel()->selectData(write("latin1.csv", text)));
        QVERIFY(loaded.wait(10000));
        const auto data = session->sharedData();
        QVERIFY(data);
        QCOMPARE(data->train.classNames.size(), size_t(2));
        for (const std::string& name : data->train.classNames) QVERIFY(nn::utf8::valid(name));
        QVERIFY(!data->train.notices.empty());
        // ... and the window says so.
        const QString status = window->statusBar()->currentMessage();
        QVERIFY2(status.contains("not UTF-8") && status.contains("Latin-1"), qPrintable(status));
    }

    void cleanupTestCase() { window.reset(); }
};

QTEST_MAIN(GuiDataCsv)
#include "tst_gui_data_csv.moc"
