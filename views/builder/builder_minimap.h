#pragma once
// A small overview of a big network in the canvas's corner: the whole scene, with
// the part the canvas shows outlined. Click or drag in it to move the canvas
// there. It hides itself while the whole network fits the canvas.
#include <QGraphicsView>

namespace views::builder {

class BuilderCanvas;

class Minimap : public QGraphicsView {
    Q_OBJECT
public:
    explicit Minimap(BuilderCanvas* canvas);
    // Refits, places itself in the canvas's corner and shows or hides.
    void follow();

protected:
    void drawForeground(QPainter* p, const QRectF& rect) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void wheelEvent(QWheelEvent* e) override;

private:
    BuilderCanvas* canvas_;
};

} // namespace views::builder
