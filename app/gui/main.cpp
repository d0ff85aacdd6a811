// nnstudio: the NN Studio desktop app.
//   nnstudio [--model SPEC] [--data NAME] [--projector]
//   nnstudio --screenshot FILE.png [--model SPEC] [--data NAME] [--train-epochs N] [--projector]
//            [--page dashboard|stepper|builder|compress] [--pipeline STAGES] [--compress-model FILE.nnm] [--sweeps]
//            [--formula EXPR --values "x=2, y=3"]  (stepper page)
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QSurfaceFormat>
#include <QTimer>
#include <cstdio>

#include "app/gui/compress_screenshot.h"
#include "app/gui/main_window.h"
#include "app/gui/screenshot.h"
#include "views/builder/builder_view.h"
#include "views/common/paths.h"
#include "views/compress/compress_page.h"
#include "views/dashboard/setup_panel.h"
#include "views/stepper/stepper_view.h"
#include "views/training/training_session.h"

int main(int argc, char** argv)
{
    QApplication::setApplicationName("NN Studio");
    QApplication::setOrganizationName("NN Studio");
    QApplication::setApplicationVersion("0.1.0");
    QSurfaceFormat format;
    format.setVersion(3, 3);
    format.setProfile(QSurfaceFormat::CoreProfile);
    QSurfaceFormat::setDefaultFormat(format);
    QApplication app(argc, argv);

    QCommandLineParser cli;
    cli.setApplicationDescription("NN Studio: build, train, step through and compress real neural networks.");
    cli.addHelpOption();
    cli.addVersionOption();
    QCommandLineOption screenshot("screenshot", "Render the window to FILE (PNG) and exit.", "FILE");
    QCommandLineOption model("model", "Model spec to open.", "SPEC");
    QCommandLineOption data("data", "Data set: spiral, circles, xor, gaussians, fashion-mnist or a .csv file.", "NAME");
    QCommandLineOption trainEpochs("train-epochs", "Train this many epochs before the screenshot.", "N");
    QCommandLineOption projector("projector", "Start in projector mode (2x fonts, lines and markers).");
    QCommandLineOption size("size", "Window size for screenshots, WxH (default 1600x1000).", "WxH", "1600x1000");
    QCommandLineOption page("page", "Page to show: dashboard, stepper, builder (with --model: opened in the builder) or compress.", "PAGE", "dashboard");
    QCommandLineOption pipeline("pipeline", "Compress page: the pipeline (run before a screenshot).", "STAGES");
    QCommandLineOption compressModel("compress-model", "Compress page: compress this trained model (.nnm) instead of the dashboard's.", "FILE");
    QCommandLineOption sweeps("sweeps", "Compress page: after the pipeline, run the sensitivity sweeps and show their curves.");
    QCommandLineOption formula("formula", "Stepper page: the formula to step (with --values).", "EXPR");
    QCommandLineOption values("values", "Stepper page: the formula's values, e.g. \"x=2, y=3\".", "NAME=V,...");
    cli.addOptions({screenshot, model, data, trainEpochs, projector, size, page, pipeline, compressModel, sweeps, formula, values});
    cli.process(app);

    if (cli.isSet(screenshot)) qputenv("NNSTUDIO_NO_DIALOGS", "1");
    MainWindow window;
    const QStringList wh = cli.value(size).split('x');
    if (cli.isSet(screenshot) && wh.size() == 2) window.resize(wh[0].toInt(), wh[1].toInt());
    // A screenshot shows what its flags ask for, not the projector setting left by
    // the last session.
    if (cli.isSet(projector) || cli.isSet(screenshot)) window.setProjectorMode(cli.isSet(projector));
    if (cli.isSet(screenshot)) window.resetDockSizes();  // not the last session's dock sizes
    if (cli.value(page) == "stepper") {
        window.showPage(1);
        if (cli.isSet(formula)) window.stepper()->setFormula(cli.value(formula), cli.value(values));
        if (cli.isSet(screenshot) && window.stepper()->graph()) {  // fully stepped; the lecture example's 1/x explained
            window.stepper()->runBackward();
            for (int i = 0; i < window.stepper()->graph()->size(); ++i)
                if (window.stepper()->graph()->node(i).op == nn::OpKind::Reciprocal) window.stepper()->selectNode(i);
        }
    } else if (cli.value(page) == "compress") {
        window.showPage(window.compressPageIndex());
        if (cli.isSet(pipeline)) window.compressPage()->setPipeline(cli.value(pipeline));
        if (!window.compressPage()->pipelineError().isEmpty()) {
            std::fprintf(stderr, "nnstudio: --pipeline: %s\n", qPrintable(window.compressPage()->pipelineError()));
            return 1;
        }
        if (cli.isSet(compressModel)) {
            const QString error = window.compressPage()->openModelFile(cli.value(compressModel));
            if (!error.isEmpty()) {
                std::fprintf(stderr, "nnstudio: --compress-model: %s\n", qPrintable(error));
                return 1;
            }
        }
    } else if (cli.value(page) == "builder") {
        window.showBuilder();
        if (cli.isSet(model)) {  // the builder opens the spec too (laid out, checked)
            window.builder()->setData(cli.isSet(data) ? cli.value(data) : "spiral");
            if (const QString err = window.builder()->openFile(cli.value(model)); !err.isEmpty()) {
                std::fprintf(stderr, "nnstudio: %s\n", qPrintable(err));
                return 1;
            }
        }
    } else if (cli.value(page) != "dashboard") {
        std::fprintf(stderr, "nnstudio: --page must be dashboard, stepper, builder or compress, got '%s'\n", qPrintable(cli.value(page)));
        return 1;
    }
    window.show();

    // On the builder page --model is the builder's; the dashboard gets a spec that
    // fits any data ("auto" input and units), so a spec with errors can be shown.
    const QString modelPath = cli.value(page) == "builder" ? views::sampleModelsDirFile("lenet-300-100.json")
                              : cli.isSet(model)            ? cli.value(model)
                                                            : views::sampleModelsDirFile("spiral-mlp.json");
    if (!QFileInfo::exists(modelPath)) {
        std::fprintf(stderr, "nnstudio: %s: no such model spec file\n", qPrintable(modelPath));
        return 1;
    }
    const QString dataName = cli.isSet(data) ? cli.value(data) : "spiral";
    int epochs = 0;
    if (cli.isSet(trainEpochs)) {
        bool ok = false;
        epochs = cli.value(trainEpochs).toInt(&ok);
        if (!ok || epochs < 0) {
            std::fprintf(stderr, "nnstudio: --train-epochs needs a whole number >= 0, got '%s'\n", qPrintable(cli.value(trainEpochs)));
            return 1;
        }
    }
    if (cli.isSet(screenshot)) {
        // Started first, so an error while opening the model or data fails the run.
        auto* shooter = new ScreenshotDriver(&window, cli.value(screenshot), epochs, &app);
        if (cli.value(page) == "compress")  // the pipeline (and the sweeps) run on the trained model, then the capture
            shooter->beforeCapture = compressBeforeCapture(window.compressPage(), cli.isSet(sweeps));
        shooter->start();
    }
    // The start-up state is where undo stops; the model given on the command line
    // goes into Recent, the default one does not.
    if (!window.openAtStart(modelPath, dataName, cli.isSet(model) && cli.value(page) != "builder")) {
        std::fprintf(stderr, "nnstudio: unknown data set '%s' (use spiral, circles, xor, gaussians, fashion-mnist or a .csv file)\n",
                     qPrintable(dataName));
        return 1;
    }
    return app.exec();
}
