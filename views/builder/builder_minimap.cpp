#include "views/builder/builder_minimap.h"

#include <QMouseEvent>
#include <QScrollBar>

#include "views/builder/builder_canvas.h"
#include "views/builder/builder_scene.h"

namespace views::builder {

Minimap::Minimap(BuilderCanvas* canvas) : QGraphicsView(canvas->scene(), canvas), canvas_(canvas)
{
    setObjectName("builderMinimap");
    setInteractive(false);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setRenderHints(QPainter::Antialiasing);
    setFrameShape(QFrame::Box);
    setStyleSheet("background: rgba(255, 255, 255, 220); border: 1px solid #9aa3ad");
    setToolTip(tr("Overview: click or drag to move the canvas there"));
    setFixedSize(180, 220);
    connect(canvas, &BuilderCanvas::viewChanged, this, &Minimap::follow);
}

void Minimap::follow()
{
    auto* s = qobject_cast<BuilderScene*>(scene());
    if (!s) return;
    const QRectF content = s->contentRect();
    const QRectF visible = canvas_->mapToScene(canvas_->viewport()->rect()).boundingRect();
    const bool needed = !visible.contains(content) && s->items().size() > 0;
    setVisible(needed);
    if (!needed) return;
    move(canvas_->viewport()->width() - width() - 8, canvas_->viewport()->height() - height() - 8);
    fitInView(content, Qt::KeepAspectRatio);
    viewport()->update();
}

void Minimap::drawForeground(QPainter* p, const QRectF&)
{
    const QRectF visible = canvas_->mapToScene(canvas_->viewport()->rect()).boundingRect();
    p->setPen(QPen(QColor(0x1e, 0x6f, 0xd9), 0));
    p->setBrush(QColor(0x1e, 0x6f, 0xd9, 40));
    p->drawRect(visible);
}

void Minimap::mousePressEvent(QMouseEvent* e) { canvas_->centerOn(mapToScene(e->position().toPoint())); }

void Minimap::mouseMoveEvent(QMouseEvent* e)
{
    if (e->buttons() & Qt::LeftButton) canvas_->centerOn(mapToScene(e->position().toPoint()));
}

void Minimap::wheelEvent(QWheelEvent* e) { e->ignore(); }

} // namespace views::builder
