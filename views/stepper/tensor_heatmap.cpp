#include "views/stepper/tensor_heatmap.h"

#include <QMouseEvent>
#include <QPainter>
#include <cmath>

namespace views {

namespace {
const QColor kPositive(0x1f, 0x77, 0xb4);
const QColor kNegative(0xff, 0x7f, 0x0e);

QColor blend(const QColor& to, double t)
{
    t = std::clamp(t, 0.0, 1.0);
    return QColor::fromRgbF(1 - t * (1 - to.redF()), 1 - t * (1 - to.greenF()), 1 - t * (1 - to.blueF()));
}
} // namespace

TensorHeatmap::TensorHeatmap(const QString& title, QWidget* parent) : QWidget(parent), title_(title)
{
    setMinimumSize(120, 70);
    setCursor(Qt::PointingHandCursor);
    setToolTip(tr("Each cell is one element: blue positive, orange negative, white zero. "
                  "Click a cell to see its chain rule in numbers."));
}

void TensorHeatmap::setTensor(const nn::Tensor& t, const QString& emptyText)
{
    tensor_ = t.defined() ? t.clone() : nn::Tensor();
    emptyText_ = emptyText;
    if (selected_ >= elements()) selected_ = -1;
    update();
}

void TensorHeatmap::setSelected(int64_t element)
{
    selected_ = element;
    update();
}

void TensorHeatmap::setUiScale(double scale)
{
    scale_ = scale;
    setMinimumSize(int(120 * scale), int(70 * scale));
    updateGeometry();
    update();
}

QSize TensorHeatmap::sizeHint() const { return QSize(int(180 * scale_), int(120 * scale_)); }

int TensorHeatmap::cols() const
{
    if (!tensor_.defined() || tensor_.shape().rank() == 0) return 1;
    return int(tensor_.shape()[tensor_.shape().rank() - 1]);
}

int TensorHeatmap::rows() const { return tensor_.defined() ? int(std::max<int64_t>(1, tensor_.numel() / std::max(1, cols()))) : 0; }

QRectF TensorHeatmap::gridRect() const
{
    const double titleH = fontMetrics().height() + 4;
    QRectF area = QRectF(rect()).adjusted(2, titleH, -2, -2);
    if (rows() == 0) return area;
    // Square cells, as large as fit.
    const double cell = std::max(1.0, std::min(area.width() / cols(), area.height() / rows()));
    return QRectF(area.left(), area.top(), cell * cols(), cell * rows());
}

int64_t TensorHeatmap::elementAt(const QPointF& pos) const
{
    const QRectF g = gridRect();
    if (!tensor_.defined() || !g.contains(pos)) return -1;
    const int c = std::min(cols() - 1, int((pos.x() - g.left()) / (g.width() / cols())));
    const int r = std::min(rows() - 1, int((pos.y() - g.top()) / (g.height() / rows())));
    return int64_t(r) * cols() + c;
}

void TensorHeatmap::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    QString title = title_;
    if (tensor_.defined()) title += QString("  [%1]").arg(QString::fromStdString(tensor_.shape().str()));
    p.drawText(QRectF(2, 0, width() - 4, fontMetrics().height() + 2), Qt::AlignLeft | Qt::AlignVCenter, title);
    p.setFont(font());
    if (!tensor_.defined()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect().adjusted(2, fontMetrics().height() + 4, -2, -2), Qt::AlignCenter | Qt::TextWordWrap, emptyText_);
        return;
    }
    double maxAbs = 0;
    for (int64_t i = 0; i < tensor_.numel(); ++i)
        if (std::isfinite(tensor_[i])) maxAbs = std::max(maxAbs, double(std::fabs(tensor_[i])));
    const QRectF g = gridRect();
    const double cw = g.width() / cols(), ch = g.height() / rows();
    for (int64_t i = 0; i < tensor_.numel(); ++i) {
        const double v = tensor_[i];
        const QRectF cell(g.left() + double(i % cols()) * cw, g.top() + double(i / cols()) * ch, cw, ch);
        QColor c = !std::isfinite(v) ? QColor(0xd6, 0x27, 0x28) : blend(v >= 0 ? kPositive : kNegative, maxAbs > 0 ? std::fabs(v) / maxAbs : 0);
        p.fillRect(cell, c);
    }
    if (cw >= 4 && ch >= 4) {  // grid lines only where cells are big enough to see them
        p.setPen(QPen(QColor(0, 0, 0, 40), 1));
        for (int c = 0; c <= cols(); ++c) p.drawLine(QPointF(g.left() + c * cw, g.top()), QPointF(g.left() + c * cw, g.bottom()));
        for (int r = 0; r <= rows(); ++r) p.drawLine(QPointF(g.left(), g.top() + r * ch), QPointF(g.right(), g.top() + r * ch));
    }
    if (selected_ >= 0 && selected_ < tensor_.numel()) {
        const QRectF cell(g.left() + double(selected_ % cols()) * cw, g.top() + double(selected_ / cols()) * ch, cw, ch);
        p.setPen(QPen(Qt::black, 2 * scale_));
        p.setBrush(Qt::NoBrush);
        p.drawRect(cell.adjusted(-1, -1, 1, 1));
    }
}

void TensorHeatmap::mousePressEvent(QMouseEvent* e)
{
    const int64_t i = elementAt(e->position());
    if (i < 0) return;
    setSelected(i);
    emit elementClicked(i);
}

} // namespace views
