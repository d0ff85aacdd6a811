#include "views/builder/builder_export.h"

#include <QGraphicsItem>
#include <QImage>
#include <QPainter>
#include <QSvgGenerator>

#include "views/builder/builder_scene.h"

namespace views::builder {

namespace {
// Clears the selection for the duration of a render, then restores it.
struct NoSelection {
    explicit NoSelection(BuilderScene* s) : scene(s), selected(s->selectedItems())
    {
        for (auto* i : selected) i->setSelected(false);
    }
    ~NoSelection()
    {
        for (auto* i : selected) i->setSelected(true);
    }
    BuilderScene* scene;
    QList<QGraphicsItem*> selected;
};
} // namespace

QString exportPng(BuilderScene* scene, const QString& path, double scale)
{
    NoSelection quiet(scene);
    const QRectF r = scene->contentRect();
    QImage img((r.size() * scale).toSize(), QImage::Format_ARGB32);
    img.fill(Qt::white);
    {
        QPainter p(&img);
        p.setRenderHint(QPainter::Antialiasing);
        p.setRenderHint(QPainter::TextAntialiasing);
        const QBrush bg = scene->backgroundBrush();
        scene->setBackgroundBrush(Qt::white);
        scene->render(&p, QRectF(QPointF(0, 0), img.size()), r);
        scene->setBackgroundBrush(bg);
    }
    if (!img.save(path, "PNG")) return QObject::tr("%1: could not write the PNG (is the folder writable?)").arg(path);
    return {};
}

QString exportSvg(BuilderScene* scene, const QString& path)
{
    NoSelection quiet(scene);
    const QRectF r = scene->contentRect();
    QSvgGenerator svg;
    svg.setFileName(path);
    svg.setSize(r.size().toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), r.size()));
    svg.setTitle(QObject::tr("Network"));
    svg.setDescription(QObject::tr("Drawn by NN Studio's network builder"));
    QPainter p;
    if (!p.begin(&svg)) return QObject::tr("%1: could not write the SVG (is the folder writable?)").arg(path);
    const QBrush bg = scene->backgroundBrush();
    scene->setBackgroundBrush(Qt::white);
    scene->render(&p, QRectF(QPointF(0, 0), r.size()), r);
    scene->setBackgroundBrush(bg);
    p.end();
    return {};
}

} // namespace views::builder
