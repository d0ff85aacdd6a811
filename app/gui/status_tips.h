#pragma once
// StatusTips: tooltips of the status bar's widgets open above the status bar.
// Qt places a tooltip just below the cursor, or when that leaves the screen (a
// maximized window, its status bar at the screen's bottom) just above it: either
// way on top of the status bar's own text, which in projector mode is tall enough
// to be covered. The status bar is what the room reads while a net trains.
#include <QObject>
#include <QPointer>

class QStatusBar;
class QWidget;

class StatusTips : public QObject {
public:
    // Watches `bar` and every widget added to it later; owned by `bar`.
    explicit StatusTips(QStatusBar* bar);

    // The tooltip label on screen, or null (tests).
    static QWidget* visibleTip();

protected:
    bool eventFilter(QObject* watched, QEvent* e) override;

private:
    void watch(QObject* o);
    QPointer<QStatusBar> bar_;
};
