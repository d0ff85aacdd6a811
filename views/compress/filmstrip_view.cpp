#include "views/compress/filmstrip_view.h"

#include <QHelpEvent>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "views/compress/storage_formats.h"

namespace views::compress {

namespace {
const QColor kBarColor(0x1f, 0x77, 0xb4);   // the weights
const QColor kZeroColor(0xd6, 0x27, 0x28);  // exact zeros: the pruned weights
constexpr double kMinFrameWidth = 150;      // at scale 1
constexpr double kGap = 10;

// The bin holding the value 0 (clamped: a layer whose weights all share one sign
// still puts its pruned zeros in an edge bin), or -1 without bins.
int zeroBin(const nn::compress::Histogram& h)
{
    const int bins = int(h.counts.size());
    if (bins == 0) return -1;
    if (!(h.hi > h.lo)) return 0;
    return std::clamp(int(std::floor((0.0 - h.lo) / (h.hi - h.lo) * bins)), 0, bins - 1);
}

// Weights in bin i that are not exact zeros.
double nonzeroCount(const nn::compress::Histogram& h, int i)
{
    const double c = h.counts[size_t(i)];
    return i == zeroBin(h) ? std::max(0.0, c - double(h.zeros)) : c;
}

QString valueText(double v) { return QString::number(v, 'g', 2).replace('-', QChar(0x2212)); }
} // namespace

struct FilmstripView::Geometry {
    QRectF frame, title, plot, axis, caption;
};

FilmstripView::FilmstripView(QWidget* parent) : QWidget(parent)
{
    setFocusPolicy(Qt::StrongFocus);  // ← / → step through the stages
    setAttribute(Qt::WA_OpaquePaintEvent);
    setToolTip(tr("One histogram of the layer's weights per stage, on the same axes. Red: weights that are "
                  "exactly zero (pruned). Click a frame to show that stage in the tables below."));
}

void FilmstripView::clear()
{
    stages_.clear();
    selected_ = -1;
    updateScale();
    updateGeometry();
    update();
}

void FilmstripView::addStage(const nn::compress::StageResult& stage)
{
    stages_.push_back(stage);
    updateScale();
    updateGeometry();
    update();
}

void FilmstripView::setLayer(int layer)
{
    layer_ = std::max(0, layer);
    updateScale();
    update();
}

void FilmstripView::setLogScale(bool on)
{
    log_ = on;
    updateScale();
    update();
}

void FilmstripView::setSelectedStage(int index)
{
    selected_ = index;
    update();
}

void FilmstripView::setUiScale(double scale)
{
    scale_ = scale;
    updateGeometry();
    update();
}

void FilmstripView::updateScale()
{
    yMax_ = 1;
    for (const auto& s : stages_) {
        if (layer_ >= int(s.layers.size())) continue;
        const auto& h = s.layers[size_t(layer_)].histogram;
        for (int i = 0; i < int(h.counts.size()); ++i)
            yMax_ = std::max(yMax_, log_ ? double(h.counts[size_t(i)]) : nonzeroCount(h, i));
    }
}

double FilmstripView::barHeight(double count, double plotHeight) const
{
    if (count <= 0) return 0;
    const double f = log_ ? std::log1p(count) / std::log1p(yMax_) : count / yMax_;
    return std::min(1.0, f) * plotHeight;
}

double FilmstripView::frameWidth() const
{
    const int n = std::max(1, frameCount());
    const double margin = kGap * scale_;
    return std::max(kMinFrameWidth * scale_, (width() - 2 * margin - (n - 1) * margin) / n);
}

FilmstripView::Geometry FilmstripView::geometry(int index) const
{
    const QFontMetricsF fm(font());
    const double margin = kGap * scale_, line = fm.lineSpacing();
    Geometry g;
    const double w = frameWidth();
    g.frame = QRectF(margin + index * (w + margin), margin / 2, w, height() - margin);
    g.title = QRectF(g.frame.left(), g.frame.top() + 2 * scale_, w, line * 1.2);
    g.caption = QRectF(g.frame.left(), g.frame.bottom() - 3 * line - 4 * scale_, w, 3 * line);
    g.axis = QRectF(g.frame.left(), g.caption.top() - line - 2 * scale_, w, line);
    const double pad = 6 * scale_;
    g.plot = QRectF(g.frame.left() + pad, g.title.bottom() + pad, w - 2 * pad, g.axis.top() - g.title.bottom() - 2 * pad);
    return g;
}

QRect FilmstripView::frameRect(int index) const { return geometry(index).frame.toAlignedRect(); }

int FilmstripView::frameAt(const QPoint& p) const
{
    for (int i = 0; i < frameCount(); ++i)
        if (geometry(i).frame.contains(p)) return i;
    return -1;
}

QSize FilmstripView::sizeHint() const
{
    const int n = std::max(4, frameCount());
    return QSize(int(n * 190 * scale_), int(300 * scale_));
}

QSize FilmstripView::minimumSizeHint() const
{
    const int n = std::max(1, frameCount());
    const QFontMetricsF fm(font());
    return QSize(int(n * (kMinFrameWidth + kGap) * scale_ + kGap * scale_), int(5 * fm.lineSpacing() + 60 * scale_));
}

void FilmstripView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setRenderHint(QPainter::Antialiasing);
    if (stages_.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap,
                   tr("Run a pipeline: one weight histogram per stage appears here, dense model first."));
        return;
    }
    for (int i = 0; i < frameCount(); ++i) paintFrame(p, i);
}

void FilmstripView::paintFrame(QPainter& p, int index) const
{
    const auto& s = stages_[size_t(index)];
    const Geometry g = geometry(index);
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::Text);
    const QColor faint = pal.color(QPalette::PlaceholderText);

    if (index == selected_) {
        QColor hl = pal.color(QPalette::Highlight);
        hl.setAlpha(40);
        p.fillRect(g.frame, hl);
        p.setPen(QPen(pal.color(QPalette::Highlight), 2 * scale_));
        p.drawRect(g.frame.adjusted(scale_, scale_, -scale_, -scale_));
    }

    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(text);
    const QString title = index == 0 ? tr("dense") : QString("%1 · %2").arg(index).arg(QString::fromStdString(s.text));
    p.drawText(g.title, Qt::AlignCenter, QFontMetricsF(bold).elidedText(title, Qt::ElideRight, g.title.width()));
    p.setFont(font());

    // Plot frame and the zero line.
    p.setPen(QPen(faint, scale_));
    p.drawLine(g.plot.bottomLeft(), g.plot.bottomRight());
    if (layer_ >= int(s.layers.size())) return;
    const auto& layer = s.layers[size_t(layer_)];
    const auto& h = layer.histogram;
    const int bins = int(h.counts.size());
    if (bins > 0 && h.hi > h.lo) {
        const double bw = g.plot.width() / bins;
        const int z = zeroBin(h);
        p.setPen(Qt::NoPen);
        for (int i = 0; i < bins; ++i) {
            const double nz = nonzeroCount(h, i);
            const double hNz = barHeight(nz, g.plot.height());
            const QRectF bar(g.plot.left() + i * bw, g.plot.bottom() - hNz, std::max(bw - 0.5, 0.8), hNz);
            p.fillRect(bar, kBarColor);
            if (i != z || h.zeros == 0) continue;
            // The exact zeros, stacked on the bin's other weights; cut at the top when taller.
            const double total = double(h.counts[size_t(i)]);
            const double hAll = barHeight(total, g.plot.height());
            const QRectF zeros(bar.left() - bw * 0.25, g.plot.bottom() - hAll, bar.width() + bw * 0.5, hAll - hNz);
            p.fillRect(zeros, kZeroColor);
            const bool cut = !log_ && total > yMax_;
            if (cut) {  // a break mark: this bar goes on past the top
                p.setPen(QPen(pal.color(QPalette::Base), 2 * scale_));
                const double y = g.plot.top() + 8 * scale_;
                p.drawLine(QPointF(zeros.left() - 2 * scale_, y + 3 * scale_), QPointF(zeros.right() + 2 * scale_, y - 3 * scale_));
                p.setPen(Qt::NoPen);
            }
            const double share = layer.weights ? 100.0 * double(h.zeros) / double(layer.weights) : 0.0;
            const QString label = tr("zeros %1%").arg(share, 0, 'f', share < 10 ? 1 : 0);
            const QFontMetricsF fm(font());
            const double lw = fm.horizontalAdvance(label);
            double lx = zeros.right() + 3 * scale_;
            if (lx + lw > g.plot.right()) lx = zeros.left() - 3 * scale_ - lw;
            p.setPen(kZeroColor);
            p.drawText(QPointF(lx, std::max(g.plot.top() + fm.ascent(), zeros.top() + fm.ascent())), label);
            p.setPen(Qt::NoPen);
        }
        // The value 0 as a dashed line, so the gap pruning cuts shows against it.
        const double x0 = g.plot.left() + (0.0 - h.lo) / (h.hi - h.lo) * g.plot.width();
        if (x0 >= g.plot.left() && x0 <= g.plot.right()) {
            p.setPen(QPen(faint, scale_, Qt::DashLine));
            p.drawLine(QPointF(x0, g.plot.top()), QPointF(x0, g.plot.bottom()));
        }
        p.setPen(faint);
        p.drawText(g.axis, Qt::AlignLeft | Qt::AlignVCenter, valueText(h.lo));
        p.drawText(g.axis, Qt::AlignRight | Qt::AlignVCenter, valueText(h.hi));
        if (index == 0) {  // the count axis, once: the tallest full bar
            const QString y = log_ ? tr("log, max %1").arg(yMax_, 0, 'f', 0) : tr("max %1").arg(yMax_, 0, 'f', 0);
            QFont small = font();
            small.setPointSizeF(font().pointSizeF() * 0.8);
            p.setFont(small);
            p.drawText(g.plot.adjusted(2 * scale_, 0, 0, 0), Qt::AlignLeft | Qt::AlignTop, y);
            p.setFont(font());
        }
    }

    // Caption: accuracy, size and format.
    const QFontMetricsF fm(font());
    const double line = fm.lineSpacing();
    const double change = 100.0 * s.accuracyChange;
    QString acc = tr("acc %1%").arg(100.0 * s.testAccuracy, 0, 'f', 1);
    if (index > 0) acc += QString(" (%1%2)").arg(change >= 0 ? "+" : QString(QChar(0x2212))).arg(std::abs(change), 0, 'f', 1);
    const auto best = s.bits.find(s.bestFormat);
    const QString size = best == s.bits.end()
                             ? QString()
                             : tr("%1× · %2").arg(s.ratio, 0, 'f', s.ratio < 10 ? 2 : 1).arg(sizeText(double(best->second)));
    p.setPen(text);
    p.drawText(QRectF(g.caption.left(), g.caption.top(), g.caption.width(), line), Qt::AlignCenter, acc);
    p.setFont(bold);
    p.drawText(QRectF(g.caption.left(), g.caption.top() + line, g.caption.width(), line), Qt::AlignCenter, size);
    p.setFont(font());
    p.setPen(faint);
    p.drawText(QRectF(g.caption.left(), g.caption.top() + 2 * line, g.caption.width(), line), Qt::AlignCenter,
               formatName(s.bestFormat));
}

void FilmstripView::mousePressEvent(QMouseEvent* e)
{
    const int i = frameAt(e->position().toPoint());
    if (i < 0) return;
    setSelectedStage(i);
    emit stageSelected(i);
}

void FilmstripView::keyPressEvent(QKeyEvent* e)
{
    const int step = e->key() == Qt::Key_Left ? -1 : e->key() == Qt::Key_Right ? 1 : 0;
    if (step == 0 || stages_.empty()) {
        QWidget::keyPressEvent(e);
        return;
    }
    const int i = std::clamp(selected_ + step, 0, frameCount() - 1);
    setSelectedStage(i);
    emit stageSelected(i);
}

bool FilmstripView::event(QEvent* e)
{
    if (e->type() != QEvent::ToolTip) return QWidget::event(e);
    auto* help = static_cast<QHelpEvent*>(e);
    const int i = frameAt(help->pos());
    if (i < 0 || layer_ >= int(stages_[size_t(i)].layers.size())) {
        QToolTip::showText(help->globalPos(), toolTip(), this);
        return true;
    }
    const auto& s = stages_[size_t(i)];
    const auto& h = s.layers[size_t(layer_)].histogram;
    const Geometry g = geometry(i);
    const int bins = int(h.counts.size());
    QString tip;
    if (bins > 0 && g.plot.contains(help->pos()) && h.hi > h.lo) {
        const int b = std::clamp(int((help->pos().x() - g.plot.left()) / g.plot.width() * bins), 0, bins - 1);
        const double width = (h.hi - h.lo) / bins;
        tip = tr("%1: %2 weights in [%3, %4)")
                  .arg(QString::fromStdString(s.text))
                  .arg(h.counts[size_t(b)])
                  .arg(h.lo + b * width, 0, 'g', 3)
                  .arg(h.lo + (b + 1) * width, 0, 'g', 3);
        if (b == zeroBin(h) && h.zeros) tip += tr(", %1 of them exactly zero (pruned)").arg(h.zeros);
    } else {
        tip = tr("%1: test accuracy %2, %3 in %4 (%5× smaller than dense f32)")
                  .arg(QString::fromStdString(s.text))
                  .arg(s.testAccuracy, 0, 'f', 4)
                  .arg(s.bits.count(s.bestFormat) ? sizeText(double(s.bits.at(s.bestFormat))) : QString("?"))
                  .arg(formatName(s.bestFormat))
                  .arg(s.ratio, 0, 'f', 2);
    }
    QToolTip::showText(help->globalPos(), tip, this);
    return true;
}

QString FilmstripView::exportTitle() const
{
    const QString layer = layerName();
    return layer.isEmpty() ? tr("Weight filmstrip") : tr("Weight filmstrip %1").arg(layer);
}

namespace {
QFont headingFont(const QFont& base)
{
    QFont f = base;
    f.setPointSizeF(base.pointSizeF() * 1.3);
    f.setBold(true);
    return f;
}
} // namespace

ExportSize FilmstripView::defaultExportSize()
{
    const int heading = int(std::ceil(QFontMetricsF(headingFont(font())).height() * 1.8));
    return {QSize(width(), height() + heading), 1.0};
}

void FilmstripView::renderExport(QPainter& painter, const QSize& size)
{
    const QFont f = headingFont(font());
    const double heading = std::ceil(QFontMetricsF(f).height() * 1.8);
    painter.fillRect(QRectF(0, 0, size.width(), heading), palette().base());
    painter.setFont(f);
    painter.setPen(palette().color(QPalette::Text));
    const QString text = stages_.empty() ? exportTitle() : tr("Weights of layer %1, stage by stage").arg(layerName());
    painter.drawText(QRectF(8 * scale_, 0, size.width() - 16 * scale_, heading), Qt::AlignLeft | Qt::AlignVCenter, text);
    painter.save();
    painter.translate(0, heading);
    Exportable::renderExport(painter, QSize(size.width(), std::max(1, size.height() - int(heading))));
    painter.restore();
}

QString FilmstripView::layerName() const
{
    if (stages_.empty() || layer_ >= int(stages_.front().layers.size())) return {};
    return QString::fromStdString(stages_.front().layers[size_t(layer_)].name);
}

QStringList FilmstripView::csvHeader() const
{
    return {"step", "stage", "layer", "bin_lo", "bin_hi", "count", "exact_zeros", "test_accuracy", "ratio"};
}

QVector<QStringList> FilmstripView::csvTextRows() const
{
    QVector<QStringList> rows;
    for (const auto& s : stages_) {
        if (layer_ >= int(s.layers.size())) continue;
        const auto& l = s.layers[size_t(layer_)];
        const auto& h = l.histogram;
        const int bins = int(h.counts.size());
        const double width = bins ? (h.hi - h.lo) / bins : 0.0;
        const int z = zeroBin(h);
        for (int b = 0; b < bins; ++b)
            rows.push_back({QString::number(s.step), QString::fromStdString(s.text), QString::fromStdString(l.name),
                            QString::number(h.lo + b * width, 'g', 9), QString::number(h.lo + (b + 1) * width, 'g', 9),
                            QString::number(h.counts[size_t(b)]), QString::number(b == z ? h.zeros : 0),
                            QString::number(s.testAccuracy, 'g', 9), QString::number(s.ratio, 'g', 9)});
    }
    return rows;
}

} // namespace views::compress
