// File → Save trained model and File → Export ONNX in the real window: the files
// hold the weights the dashboard shows, and an unusable state is refused with a
// message instead of a crash.
#include <QtTest/QtTest>

#include <QAction>
#include <QFile>
#include <QFileDialog>
#include <QSettings>
#include <QTemporaryDir>

#include "app/gui/main_window.h"
#include "engine/io/model_file.h"
#include "engine/io/onnx_export.h"
#include "views/charts/curves_chart.h"
#include "views/common/file_dialog.h"
#include "views/dashboard/setup_panel.h"
#include "views/training/training_session.h"

using views::TrainingSession;

class GuiExport : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<MainWindow> window;
    QTemporaryDir tmp;

private slots:
    void initTestCase()
    {
        qputenv("NNSTUDIO_NO_DIALOGS", "1");
        QCoreApplication::setOrganizationName("NN Studio Tests");
        window = std::make_unique<MainWindow>();
        window->resize(1400, 900);
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    }

    void nothingToSaveIsAMessage()
    {
        window->session()->setModelSpec(nn::ModelSpec::fromFile(std::string(qgetenv("NN_SOURCE_DIR").constData()) + "/assets/models/spiral-mlp.json"));
        if (window->session()->data()) QSKIP("a data set is already loaded");
        QVERIFY(!window->saveTrainedModel(tmp.filePath("none.nnm")).isEmpty());
        QVERIFY(!QFile::exists(tmp.filePath("none.nnm")));
    }

    void trainedModelAndOnnxHoldTheShownWeights()
    {
        window->openModel(QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/spiral-mlp.json");
        QVERIFY(window->setupPanel()->selectData("spiral"));
        QTRY_VERIFY_WITH_TIMEOUT(window->session()->state() == TrainingSession::State::Ready, 10000);
        window->setupPanel()->setEpochs(25);
        window->session()->setConfig(window->setupPanel()->trainConfig());
        window->session()->train();
        QTRY_VERIFY_WITH_TIMEOUT(window->session()->state() == TrainingSession::State::Finished, 20000);

        const QString nnm = tmp.filePath("spiral.nnm"), onnx = tmp.filePath("spiral.onnx");
        QCOMPARE(window->saveTrainedModel(nnm), QString());
        const nn::io::LoadedModel saved = nn::io::loadModelFile(nnm.toStdString());
        const auto& shown = window->session()->snapshot().params;
        QCOMPARE(saved.model.parameters().size(), shown.size());
        for (size_t p = 0; p < shown.size(); ++p)
            for (int64_t i = 0; i < shown[p].numel(); ++i) QCOMPARE(saved.model.parameters()[p].value[i], shown[p][i]);
        QCOMPARE(QString::fromStdString(saved.extras.optimizerKind), QString("adam"));
        QCOMPARE(saved.extras.optimizerState.size(), 2 * shown.size() + 1);

        QCOMPARE(window->exportOnnx(onnx), QString());
        QFile f(onnx);
        QVERIFY(f.open(QIODevice::ReadOnly));
        // The same weights exported by the engine directly: byte for byte the same file.
        QCOMPARE(f.readAll(), QByteArray::fromStdString(nn::io::exportOnnxBytes(saved.model)));
        QVERIFY(!window->exportOnnx(tmp.filePath("no/such/folder/x.onnx")).isEmpty());  // a message, not a crash
    }

    // Issue 22 item 31: a chart's export dialog starts in the folder last used for
    // charts (QSettings "fileDialogs/chart"), not in the working directory, and
    // the folder of the file written becomes the next start.
    void chartExportStartsInTheLastChartFolder()
    {
        QDir(tmp.path()).mkpath("slides");
        const QString slides = QFileInfo(tmp.filePath("slides")).absoluteFilePath();
        QSettings().setValue("fileDialogs/chart", slides);
        QString startedIn;
        const QString target = tmp.filePath("slides/curves.png");
        views::fileDialogHook = [&](QFileDialog& d) {
            startedIn = d.directory().absolutePath();
            return target;
        };
        QAction* png = nullptr;
        for (QAction* a : window->curves()->findChildren<QAction*>())
            if (a->text().startsWith("Export PNG")) png = a;
        if (!png)  // the actions sit on the chart's view
            for (QAction* a : window->findChildren<QAction*>())
                if (a->text().startsWith("Export PNG")) png = a;
        QVERIFY(png);
        png->trigger();
        views::fileDialogHook = nullptr;
        QCOMPARE(startedIn, slides);
        QVERIFY(QFile::exists(target));
        QCOMPARE(views::lastFolder("chart"), slides);
    }

    void cleanupTestCase() { window.reset(); }
};

QTEST_MAIN(GuiExport)
#include "tst_gui_export.moc"
