#pragma once
// The view onto the builder's scene: wheel zooms around the cursor, the middle
// button (or Space + drag) pans, a left drag on empty canvas selects with a
// rubber band. fitAll() shows the whole network.
#include <QElapsedTimer>
#include <QGraphicsView>

namespace views::builder {

class BuilderCanvas : public QGraphicsView {
    Q_OBJECT
public:
    explicit BuilderCanvas(QGraphicsScene* scene, QWidget* parent = nullptr);
    void zoomBy(double factor);
    void fitAll();
    // Fits now if shown, else once it is shown at its real size.
    void requestFit();
    // Projector mode: everything at `scale` × (2: twice as large).
    void setUiScale(double scale);
    double zoom() const { return transform().m11(); }

signals:
    void viewChanged();  // zoomed or scrolled (the minimap follows)

protected:
    void wheelEvent(QWheelEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void keyReleaseEvent(QKeyEvent* e) override;
    void scrollContentsBy(int dx, int dy) override;
    void resizeEvent(QResizeEvent* e) override;
    void showEvent(QShowEvent* e) override;

private:
    bool panning_ = false;
    bool fitPending_ = false;
    QElapsedTimer fitRequested_;
    double uiScale_ = 1.0;  // 2 in projector mode: fits and 100 % double
};

} // namespace views::builder
