#include "app/gui/screenshot.h"

#include <QApplication>
#include <QTimer>
#include <cstdio>

#include "app/gui/main_window.h"
#include "views/dashboard/setup_panel.h"
#include "views/training/training_session.h"

using views::TrainingSession;

namespace {
constexpr int kTimeoutMs = 10 * 60 * 1000;
} // namespace

ScreenshotDriver::ScreenshotDriver(MainWindow* window, QString path, int epochs, QObject* parent)
    : QObject(parent), window_(window), path_(std::move(path)), epochs_(epochs)
{
}

void ScreenshotDriver::start()
{
    TrainingSession* s = window_->session();
    connect(s, &TrainingSession::stateChanged, this, &ScreenshotDriver::whenReady);
    connect(s, &TrainingSession::errorOccurred, this, &ScreenshotDriver::fail);
    QTimer::singleShot(kTimeoutMs, this, [this] { fail("timed out waiting for the model, data or training"); });
    QTimer::singleShot(0, this, &ScreenshotDriver::whenReady);
}

void ScreenshotDriver::whenReady()
{
    TrainingSession* s = window_->session();
    if (started_ || s->busyLoading() || s->state() != TrainingSession::State::Ready) return;
    started_ = true;
    if (epochs_ <= 0) {
        finish();
        return;
    }
    window_->setupPanel()->setEpochs(epochs_);
    s->setConfig(window_->setupPanel()->trainConfig());
    connect(s, &TrainingSession::finished, this, &ScreenshotDriver::finish);
    s->train();
}

void ScreenshotDriver::finish()
{
    auto later = [this] { QTimer::singleShot(300, this, &ScreenshotDriver::capture); };
    if (beforeCapture)
        QTimer::singleShot(0, this, [this, later] { beforeCapture(later); });
    else
        later();
}

void ScreenshotDriver::capture()
{
    QApplication::processEvents();
    const QPixmap shot = window_->grab();
    if (shot.isNull() || !shot.save(path_, "PNG")) {
        fail(path_ + ": could not write the screenshot (is the folder writable?)");
        return;
    }
    std::printf("%s\n", qPrintable(path_));
    QApplication::exit(0);
}

void ScreenshotDriver::fail(const QString& message)
{
    std::fprintf(stderr, "nnstudio --screenshot: %s\n", qPrintable(message));
    QApplication::exit(1);
}
