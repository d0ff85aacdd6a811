// The main window's geometry and dock layout: the first-start size, projector
// mode (2x text, bottom panels as tabs) and the dock sizes both start from.
// Kept apart from main_window.cpp, which wires the session, actions and menus.
#include <QApplication>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QEvent>
#include <QProgressBar>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QTimer>
#include <functional>

#include "app/gui/main_window.h"
#include "views/charts/curves_chart.h"
#include "views/compress/compress_page.h"
#include "views/dashboard/boundary_view.h"
#include "views/dashboard/confusion_view.h"
#include "views/dashboard/histogram_panel.h"
#include "views/dashboard/setup_panel.h"
#include "views/stepper/stepper_view.h"
#include "views/training/training_session.h"

namespace {
// Runs `f` once, just after the watched widget is first shown (its real size known).
class OnFirstShow : public QObject {
public:
    OnFirstShow(QWidget* w, std::function<void()> f) : QObject(w), f_(std::move(f)) { w->installEventFilter(this); }
    bool eventFilter(QObject*, QEvent* e) override
    {
        if (e->type() == QEvent::Show) {
            QTimer::singleShot(0, parent(), f_);
            deleteLater();
        }
        return false;
    }

private:
    std::function<void()> f_;
};

// Times each frame of the window (an UpdateRequest paints and flushes every
// dirty widget: with software GL a 1600x1000 flush costs tens of ms) and tells
// the training session, which spaces its redraws accordingly.
class FrameCostWatch : public QObject {
public:
    FrameCostWatch(QWidget* w, views::TrainingSession* s) : QObject(w), session_(s) { w->installEventFilter(this); }
    bool eventFilter(QObject* watched, QEvent* e) override
    {
        if (e->type() != QEvent::UpdateRequest || busy_) return false;
        busy_ = true;
        QElapsedTimer t;
        t.start();
        watched->event(e);  // the frame itself, handled here so it can be timed
        session_->setFrameCost(double(t.nsecsElapsed()) / 1e6);
        busy_ = false;
        return true;
    }

private:
    views::TrainingSession* session_;
    bool busy_ = false;
};
} // namespace

void MainWindow::watchFrameCost() { new FrameCostWatch(this, session_); }

void MainWindow::applyFirstStartGeometry()
{
    // No saved geometry: most of the screen, centred (1440×900 on 1600×1000),
    // not Qt's default of two thirds. The docks then get the sizes projector
    // mode's toggle used to be needed for: the plots two thirds of the height.
    const QScreen* screen = QGuiApplication::primaryScreen();
    if (screen) {
        const QRect avail = screen->availableGeometry();
        const QSize size(int(avail.width() * 0.9), int(avail.height() * 0.9));
        resize(size);
        move(avail.center() - QPoint(size.width() / 2, size.height() / 2));
    }
    new OnFirstShow(this, [this] { resetDockSizes(); });
}

void MainWindow::setProjectorMode(bool on)
{
    const bool changed = on != projector_;
    projector_ = on;
    projectorAct_->setChecked(on);
    const double scale = on ? 2.0 : 1.0;
    QFont f = QApplication::font();
    static const double basePoint = f.pointSizeF();
    f.setPointSizeF(basePoint * scale);
    setFont(f);
    // The painted views scale their own text by uiScale() relative to their font:
    // keep them on the base font, or projector mode would scale them twice.
    for (QWidget* w : std::initializer_list<QWidget*> {curves_, boundary_, confusion_}) w->setFont(QApplication::font());
    fitProgressBar();
    curves_->setUiScale(scale);
    boundary_->setUiScale(scale);
    histograms_->setUiScale(float(scale));
    confusion_->setUiScale(scale);
    setup_->setUiScale(scale);
    stepper_->setUiScale(scale);
    compress_->setUiScale(scale);
    setupScroll_->setMinimumWidth(setup_->minimumSizeHint().width() + setupScroll_->verticalScrollBar()->sizeHint().width());
    histograms_->setMinimumHeight(on ? 160 : 220);  // 1000 px high at 2x text has no room to spare
    // The history shares the bottom's tabs in projector mode: its table and chart
    // at 2x would otherwise set that place's height (a third of the window).
    history_->setMinimumHeight(on ? 160 : 0);
    if (changed) arrangeDocks();
    QSettings().setValue("view/projector", on);
}

void MainWindow::fitProgressBar()
{
    // Room for the longest text it shows ("epoch 1000 of 1000") at the current font.
    const QFontMetrics fm(progress_->font());
    progress_->setMinimumWidth(fm.horizontalAdvance(tr("epoch %1 of %1").arg(88888)) + fm.height());
}

void MainWindow::arrangeDocks()
{
    // Projector mode: 2x text leaves no room for bottom panels side by side, so
    // all three share the bottom's whole width as tabs (the confusion matrix in
    // front: ten classes need every pixel). Normal mode puts the histograms back
    // beside the confusion matrix, with the history as the matrix's tab.
    auto* historyDock = findChild<QDockWidget*>("historyDock");
    for (QDockWidget* d : {histogramDock_, confusionDock_, historyDock})
        if (!d || d->isFloating() || dockWidgetArea(d) != Qt::BottomDockWidgetArea) return;
    if (projector_) {
        tabifyDockWidget(histogramDock_, confusionDock_);
        tabifyDockWidget(confusionDock_, historyDock);
        confusionDock_->raise();
    } else if (tabifiedDockWidgets(histogramDock_).contains(confusionDock_)) {
        addDockWidget(Qt::BottomDockWidgetArea, histogramDock_);
        splitDockWidget(histogramDock_, confusionDock_, Qt::Horizontal);
        tabifyDockWidget(confusionDock_, historyDock);
        confusionDock_->raise();
    }
    resetDockSizes();
}

void MainWindow::resetDockSizes()
{
    // The dashboard's plots get about two thirds of the height, the bottom panels the rest.
    if (auto* setupDock = findChild<QDockWidget*>("setupDock"))
        resizeDocks({setupDock}, {setupScroll_->minimumWidth() + (projector_ ? 0 : 40)}, Qt::Horizontal);
    // In projector mode the bottom gets a little more when the data has many
    // classes: a ten-class confusion matrix then has readable cells at 2x text.
    const double bottom = !projector_ ? 0.36 : confusion_->classNames().size() > 4 ? 0.45 : 0.3;
    resizeDocks({confusionDock_}, {int(height() * bottom)}, Qt::Vertical);
    if (!projector_) resizeDocks({histogramDock_, confusionDock_}, {width() / 2, width() / 2}, Qt::Horizontal);
}
