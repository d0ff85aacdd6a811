// bench_ui_latency: how responsive the NN Studio window stays while it trains.
//
//   xvfb-run -a -s "-screen 0 1600x1000x24" build/gui/bin/bench_ui_latency [--seconds 10]
//       [--model assets/models/lenet-300-100.json] [--data fashion-mnist] [--projector]
//
// Opens the real MainWindow (1600x1000), loads the model and data, starts training
// and, for --seconds, measures the UI event loop's latency: a 1 ms precise timer is
// re-armed after every shot, and each shot's lateness (time since the previous one,
// minus 1 ms) is one sample. Everything the UI thread does between two shots (the
// 30 ms poll of the training channel, the curves, histograms, decision boundary and
// confusion matrix, painting) shows up as lateness. Prints p50/p95/p99/max in ms;
// exits 0 when p99 <= 16 ms (one frame at 60 Hz), 1 when above, 2 on a setup error.
#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTimer>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "app/gui/main_window.h"
#include "views/dashboard/boundary_view.h"
#include "views/dashboard/confusion_view.h"
#include "views/dashboard/histogram_panel.h"
#include "views/dashboard/setup_panel.h"
#include "views/imgui/imgui_host.h"
#include "views/training/training_session.h"

using views::TrainingSession;

namespace {

double percentile(std::vector<double> v, double p)
{
    if (v.empty()) return 0;
    const size_t k = std::min(v.size() - 1, size_t(std::ceil(p / 100.0 * double(v.size())) - 1));
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
    return v[k];
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName("NN Studio UI latency bench");
    QApplication::setOrganizationName("NN Studio Bench");  // never touch the user's settings
    qputenv("NNSTUDIO_NO_DIALOGS", "1");

    QCommandLineParser cli;
    cli.setApplicationDescription("Measures the NN Studio UI event loop's latency while training.");
    cli.addHelpOption();
    QCommandLineOption seconds("seconds", "How long to measure while training.", "S", "10");
    QCommandLineOption model("model", "Model spec.", "SPEC", QStringLiteral(NN_SOURCE_DIR "/assets/models/lenet-300-100.json"));
    QCommandLineOption data("data", "Data set.", "NAME", "fashion-mnist");
    QCommandLineOption budget("budget", "Pass when p99 is at most this many ms.", "MS", "16");
    QCommandLineOption projector("projector", "Measure in projector mode.");
    cli.addOptions({seconds, model, data, budget, projector});
    cli.process(app);
    const double measureS = cli.value(seconds).toDouble();
    const double budgetMs = cli.value(budget).toDouble();

    MainWindow window;
    window.resize(1600, 1000);
    window.setProjectorMode(cli.isSet(projector));
    window.show();
    TrainingSession* session = window.session();
    int exitCode = 2;
    QObject::connect(session, &TrainingSession::errorOccurred, &app, [&](const QString& m) {
        std::fprintf(stderr, "bench_ui_latency: %s\n", qPrintable(m));
        app.exit(2);
    });
    window.openModel(cli.value(model));
    if (!window.setupPanel()->selectData(cli.value(data))) {
        std::fprintf(stderr, "bench_ui_latency: unknown data set '%s'\n", qPrintable(cli.value(data)));
        return 2;
    }

    std::vector<double> lateMs;
    lateMs.reserve(size_t(measureS * 1000) + 100);
    QElapsedTimer clock, total;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setSingleShot(true);
    tick.setInterval(1);
    QObject::connect(&tick, &QTimer::timeout, &app, [&] {
        const double since = double(clock.nsecsElapsed()) / 1e6;
        clock.restart();
        lateMs.push_back(std::max(0.0, since - 1.0));
        if (double(total.elapsed()) / 1000.0 >= measureS) {
            const auto& h = session->history();
            const double p50 = percentile(lateMs, 50), p95 = percentile(lateMs, 95), p99 = percentile(lateMs, 99);
            const double mx = *std::max_element(lateMs.begin(), lateMs.end());
            std::printf("model %s, data %s, %.1f s while training: %zu epochs done, %lld steps\n",
                        qPrintable(QFileInfo(cli.value(model)).fileName()), qPrintable(cli.value(data)), measureS, h.size(),
                        static_cast<long long>(session->stepsDone()));
            std::printf("histogram snapshots %d, confusion matrix last %.1f ms (pool thread), histogram frames drawn %d\n",
                        window.histograms()->recordedFrames(), window.confusion()->lastComputeMs(), window.histograms()->frameCount());
            std::printf("UI event-loop latency over %zu samples (1 ms timer lateness): p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms\n",
                        lateMs.size(), p50, p95, p99, mx);
            const bool pass = p99 <= budgetMs;
            std::printf("%s: p99 %.2f ms %s %.0f ms\n", pass ? "PASS" : "FAIL", p99, pass ? "<=" : ">", budgetMs);
            exitCode = pass ? 0 : 1;
            session->stop();
            app.exit(exitCode);
            return;
        }
        tick.start();
    });

    // Start training once model and data are in, then measure.
    bool started = false;
    auto startWhenReady = [&] {
        if (started || session->busyLoading() || session->state() != TrainingSession::State::Ready) return;
        started = true;
        window.setupPanel()->setEpochs(1000);  // far more than fit in the measurement
        session->setConfig(window.setupPanel()->trainConfig());
        session->train();
        // Skip the first half second (first paints, GL and font set-up).
        QTimer::singleShot(500, &app, [&] {
            total.start();
            clock.start();
            tick.start();
        });
    };
    QObject::connect(session, &TrainingSession::stateChanged, &app, startWhenReady);
    QTimer::singleShot(0, &app, startWhenReady);
    QTimer::singleShot(int(measureS * 1000) + 120000, &app, [&] {
        std::fprintf(stderr, "bench_ui_latency: timed out (data never loaded?)\n");
        app.exit(2);
    });
    app.exec();
    return exitCode;
}
