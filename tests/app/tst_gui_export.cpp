// File → Save trained model and File → Export ONNX in the real window: the files
// hold the weights the dashboard shows, and an unusable state is refused with a
// message instead of a crash.
#include <QtTest/QtTest>

#include <QFile>
#include <QTemporaryDir>

#include "app/gui/main_window.h"
#include "engine/io/model_file.h"
#include "engine/io/onnx_export.h"
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

    void cleanupTestCase() { window.reset(); }
};

QTEST_MAIN(GuiExport)
#include "tst_gui_export.moc"
