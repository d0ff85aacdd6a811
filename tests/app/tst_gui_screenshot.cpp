// Runs `nnstudio --screenshot` as a user would and checks the PNG it writes,
// and that bad arguments fail with a message instead of hanging.
#include <QtTest/QtTest>

#include <QImage>
#include <QProcess>
#include <QTemporaryDir>

class GuiScreenshot : public QObject {
    Q_OBJECT
private:
    QTemporaryDir tmp;
    QString gui() const { return QString(qgetenv("NN_GUI")); }
    QString spec() const { return QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/spiral-mlp.json"; }

private slots:
    void screenshotAfterTraining()
    {
        const QString png = tmp.filePath("shot.png");
        QProcess p;
        p.start(gui(), {"--screenshot", png, "--model", spec(), "--data", "spiral", "--train-epochs", "30"});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QImage image(png);
        QVERIFY(!image.isNull());
        QVERIFY(image.width() >= 1200 && image.height() >= 700);
        // Not a blank window: many distinct colours (heat map, charts, text).
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7)
            for (int x = 0; x < image.width(); x += 7) colours.insert(image.pixel(x, y));
        QVERIFY2(colours.size() > 200, qPrintable(QString::number(colours.size())));
    }

    void projectorScreenshot()
    {
        const QString png = tmp.filePath("projector.png");
        QProcess p;
        p.start(gui(), {"--screenshot", png, "--model", spec(), "--data", "circles", "--projector"});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        QVERIFY(!QImage(png).isNull());
    }

    void badArgumentsFailCleanly()
    {
        QProcess p;
        p.start(gui(), {"--screenshot", tmp.filePath("x.png"), "--data", "nope"});
        QVERIFY(p.waitForFinished(30000));
        QVERIFY(p.exitCode() != 0);
        QVERIFY(p.readAllStandardError().contains("nope"));

        QProcess q;
        q.start(gui(), {"--screenshot", tmp.filePath("y.png"), "--model", tmp.filePath("missing.json")});
        QVERIFY(q.waitForFinished(30000));
        QVERIFY(q.exitCode() != 0);
        QVERIFY(q.readAllStandardError().contains("missing.json"));
    }
};

QTEST_GUILESS_MAIN(GuiScreenshot)
#include "tst_gui_screenshot.moc"
