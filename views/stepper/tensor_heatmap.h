#pragma once
// A tensor drawn as a grid of coloured cells (blue positive, orange negative,
// white zero; the scale is the largest magnitude), one cell per element: rows
// are the leading dimensions flattened, columns the last. Clicking a cell picks
// that element, so the stepper can write out its scalar chain rule.
#include <QWidget>

#include "engine/tensor/tensor.h"

namespace views {

class TensorHeatmap : public QWidget {
    Q_OBJECT
public:
    explicit TensorHeatmap(const QString& title, QWidget* parent = nullptr);

    // An undefined tensor shows `emptyText` instead (e.g. "not known yet").
    void setTensor(const nn::Tensor& t, const QString& emptyText = {});
    void setSelected(int64_t element);
    int64_t selected() const { return selected_; }
    int64_t elements() const { return tensor_.defined() ? tensor_.numel() : 0; }
    // The element under a widget position, or -1.
    int64_t elementAt(const QPointF& pos) const;
    void setUiScale(double scale);

    QSize sizeHint() const override;

signals:
    void elementClicked(qint64 element);

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;

private:
    QRectF gridRect() const;
    int rows() const;
    int cols() const;

    QString title_, emptyText_;
    nn::Tensor tensor_;  // a copy: the graph keeps changing under us
    int64_t selected_ = -1;
    double scale_ = 1.0;
};

} // namespace views
