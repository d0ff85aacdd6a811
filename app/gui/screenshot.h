#pragma once
// Drives `nnstudio --screenshot`: waits until the model and data are loaded,
// optionally trains N epochs on the worker, then renders the whole window
// (GL panels included: QWidget::grab re-renders QOpenGLWidgets) to a PNG and
// quits with 0, or with 1 and a message if anything fails or times out.
#include <QObject>
#include <QString>
#include <functional>

class MainWindow;

class ScreenshotDriver : public QObject {
    Q_OBJECT
public:
    ScreenshotDriver(MainWindow* window, QString path, int epochs, QObject* parent = nullptr);
    void start();
    // Work to finish after training and before the capture (the compress page runs
    // its pipeline): called with the capture, which it calls when done.
    std::function<void(std::function<void()> capture)> beforeCapture;

private:
    void whenReady();
    void finish();
    void capture();
    void fail(const QString& message);

    MainWindow* window_;
    QString path_;
    int epochs_;
    bool started_ = false;
};
