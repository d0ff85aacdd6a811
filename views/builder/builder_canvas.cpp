#include "views/builder/builder_canvas.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>
#include <algorithm>

#include "views/builder/builder_scene.h"

namespace views::builder {

namespace {
constexpr double kMinZoom = 0.15, kMaxZoom = 4.0;
// Below this a fit would make node text unreadable: scroll instead (the minimap shows the rest).
constexpr double kReadableZoom = 0.8;
}

BuilderCanvas::BuilderCanvas(QGraphicsScene* scene, QWidget* parent) : QGraphicsView(scene, parent)
{
    setObjectName("builderCanvas");
    setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
    setDragMode(RubberBandDrag);
    setTransformationAnchor(AnchorUnderMouse);
    setViewportUpdateMode(BoundingRectViewportUpdate);
    setAcceptDrops(true);
    setToolTip(tr("Drop layers here. Drag from a node's bottom dot to another node to connect. "
                  "Wheel zooms, middle button or Space + drag pans, Delete removes the selection."));
}

void BuilderCanvas::zoomBy(double factor)
{
    const double target = std::clamp(zoom() * factor, kMinZoom, kMaxZoom);
    scale(target / zoom(), target / zoom());
    emit viewChanged();
}

void BuilderCanvas::fitAll()
{
    auto* s = qobject_cast<BuilderScene*>(scene());
    const QRectF r = s ? s->contentRect() : scene()->itemsBoundingRect();
    // Room to scroll past the network, so nodes can be dropped around it.
    setSceneRect(r.adjusted(-2000, -2000, 2000, 2000));
    fitInView(r, Qt::KeepAspectRatio);
    const double z = std::clamp(zoom(), kReadableZoom * uiScale_, uiScale_);  // never blow a small net past 100 %
    setTransform(QTransform::fromScale(z, z));
    const QRectF visible = mapToScene(viewport()->rect()).boundingRect();
    // A net taller than the view starts at its top (the Input), not its middle.
    centerOn(r.center().x(), visible.height() >= r.height() ? r.center().y() : r.top() + visible.height() / 2);
    emit viewChanged();
}

void BuilderCanvas::requestFit()
{
    // The window may still be settling (docks stepping aside): resizes in the next
    // second fit again.
    fitPending_ = true;
    fitRequested_.start();
    if (isVisible()) fitAll();
}

void BuilderCanvas::showEvent(QShowEvent* e)
{
    QGraphicsView::showEvent(e);
    if (fitPending_) {
        fitRequested_.start();
        fitAll();
    }
}

void BuilderCanvas::setUiScale(double scale)
{
    uiScale_ = scale;
    fitAll();
}

void BuilderCanvas::wheelEvent(QWheelEvent* e)
{
    fitPending_ = false;
    zoomBy(std::pow(1.0015, e->angleDelta().y()));
    e->accept();
}

void BuilderCanvas::mousePressEvent(QMouseEvent* e)
{
    if (e->button() == Qt::MiddleButton || (e->button() == Qt::LeftButton && panning_)) {
        // Qt pans with ScrollHandDrag on the left button: hand it one.
        setDragMode(ScrollHandDrag);
        QMouseEvent left(e->type(), e->position(), e->globalPosition(), Qt::LeftButton, Qt::LeftButton, e->modifiers());
        QGraphicsView::mousePressEvent(&left);
        return;
    }
    QGraphicsView::mousePressEvent(e);
}

void BuilderCanvas::mouseReleaseEvent(QMouseEvent* e)
{
    if (dragMode() == ScrollHandDrag) {
        QMouseEvent left(e->type(), e->position(), e->globalPosition(), Qt::LeftButton, Qt::NoButton, e->modifiers());
        QGraphicsView::mouseReleaseEvent(&left);
        if (!panning_) setDragMode(RubberBandDrag);
        return;
    }
    QGraphicsView::mouseReleaseEvent(e);
}

void BuilderCanvas::keyPressEvent(QKeyEvent* e)
{
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat()) {
        panning_ = true;
        setDragMode(ScrollHandDrag);
        return;
    }
    QGraphicsView::keyPressEvent(e);
}

void BuilderCanvas::keyReleaseEvent(QKeyEvent* e)
{
    if (e->key() == Qt::Key_Space && !e->isAutoRepeat()) {
        panning_ = false;
        setDragMode(RubberBandDrag);
        return;
    }
    QGraphicsView::keyReleaseEvent(e);
}

void BuilderCanvas::scrollContentsBy(int dx, int dy)
{
    QGraphicsView::scrollContentsBy(dx, dy);
    emit viewChanged();
}

void BuilderCanvas::resizeEvent(QResizeEvent* e)
{
    QGraphicsView::resizeEvent(e);
    // While the window settles (docks step aside), keep a requested fit.
    if (fitPending_ && isVisible() && fitRequested_.elapsed() < 1000) fitAll();
    emit viewChanged();
}

} // namespace views::builder
