#include "app/gui/status_tips.h"

#include <QApplication>
#include <QChildEvent>
#include <QHelpEvent>
#include <QScreen>
#include <QStatusBar>
#include <QToolTip>
#include <algorithm>

StatusTips::StatusTips(QStatusBar* bar) : QObject(bar), bar_(bar)
{
    watch(bar);
}

void StatusTips::watch(QObject* o)
{
    if (!o->isWidgetType()) return;
    o->installEventFilter(this);
    for (QObject* child : o->children()) watch(child);
}

QWidget* StatusTips::visibleTip()
{
    for (QWidget* w : QApplication::topLevelWidgets())
        if (w->inherits("QTipLabel") && w->isVisible()) return w;
    return nullptr;
}

bool StatusTips::eventFilter(QObject* watched, QEvent* e)
{
    if (e->type() == QEvent::ChildAdded) {
        watch(static_cast<QChildEvent*>(e)->child());
        return false;
    }
    if (e->type() != QEvent::ToolTip || !bar_) return false;
    auto* w = qobject_cast<QWidget*>(watched);
    if (!w || w->toolTip().isEmpty()) return false;  // nothing of its own: Qt asks the parent
    const auto* help = static_cast<QHelpEvent*>(e);
    QToolTip::showText(help->globalPos(), w->toolTip(), w);
    QWidget* tip = visibleTip();
    if (!tip) return true;
    // Bottom edge a few pixels above the bar; kept on the screen horizontally.
    const QPoint barTop = bar_->mapToGlobal(QPoint(0, 0));
    const int gap = std::max(2, bar_->fontMetrics().height() / 4);
    QPoint p(help->globalPos().x() + 2, barTop.y() - gap - tip->height());
    if (const QScreen* screen = bar_->screen()) {
        const QRect s = screen->geometry();
        p.setX(std::clamp(p.x(), s.left(), std::max(s.left(), s.right() + 1 - tip->width())));
        p.setY(std::max(p.y(), s.top()));
    }
    tip->move(p);
    return true;
}
