// BoundaryView, part 3: layout (adaptive to the room and projector mode) and painting.
#include "views/dashboard/boundary_view.h"

#include <QFontMetricsF>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>
#include <algorithm>
#include <cmath>
#include <map>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "views/training/training_session.h"

#include "views/dashboard/boundary_style.h"

namespace views {

using namespace boundary;

// ---- layout ------------------------------------------------------------------------------

QFont BoundaryView::scaledFont(double factor, bool bold) const
{
    QFont f = font();
    const double base = f.pointSizeF() > 0 ? f.pointSizeF() : 10.0;
    f.setPointSizeF(base * factor * scale_);
    f.setBold(bold);
    return f;
}

void BoundaryView::doLayout()
{
    layout_ = Layout();
    layout_.valid = true;
    const double s = scale_;
    const double m = 10 * s;
    const QRectF r = QRectF(rect()).adjusted(m, m, -m, -m);
    const QFontMetricsF titleFm(scaledFont(1.3, true));
    const QFontMetricsF fm(scaledFont(1.0));
    const double titleH = titleFm.height();
    layout_.title = QRectF(r.left(), r.top(), r.width(), titleH);
    // "epoch 200 · step 4000 · spiral" beside the title when both fit, else on a line of its own.
    const double infoW = fm.horizontalAdvance(tr("%1 · %2").arg(weightsLabel(88888, 8888888), session_->dataName()));
    layout_.infoBelow = titleFm.horizontalAdvance(tr("Decision boundary")) + 16 * s + infoW > r.width();
    layout_.info = layout_.infoBelow ? QRectF(r.left(), layout_.title.bottom(), r.width(), fm.height()) : layout_.title;
    double y = (layout_.infoBelow ? layout_.info.bottom() : layout_.title.bottom()) + 4 * s;
    const auto flow = legendFlow(r.width());
    const int legendLines = flow.empty() ? 1 : flow.back().line + 1;
    layout_.legend = QRectF(r.left(), y, r.width(), legendLines * (fm.height() + 2 * s));
    y = layout_.legend.bottom() + 8 * s;
    layout_.footerText = footerTexts();
    const QFontMetricsF footerFm(scaledFont(1.15));
    auto wrapped = [&](const QFont& f, const QString& t) {
        return QFontMetricsF(f).boundingRect(QRectF(0, 0, r.width(), 1e6), Qt::TextWordWrap, t).height();
    };
    double footerH = 0;
    if (!neurons_.empty()) {
        const QFont first = selected_ >= 0 ? scaledFont(1.15, true) : scaledFont(1.0);
        const double h1 = selected_ >= 0 ? footerFm.height() : wrapped(first, layout_.footerText.first);
        const double h2 = wrapped(scaledFont(1.0), layout_.footerText.second);
        footerH = h1 + 4 * s + h2;
        // The explanation is the first thing to go when the plot would get too small.
        if (footerH > (r.bottom() - y) * 0.25) {
            layout_.footerText.second.clear();
            footerH = h1;
        }
        if (footerH > (r.bottom() - y) * 0.25) footerH = 0;
    }
    layout_.footer = QRectF(r.left(), r.bottom() - footerH, r.width(), footerH);
    const QRectF body(r.left(), y, r.width(), std::max(10.0, layout_.footer.top() - y - (footerH > 0 ? 8 * s : 0)));

    const QFontMetricsF tickFm(scaledFont(0.9));
    const double axL = tickFm.horizontalAdvance(QStringLiteral("−0.0")) + tickFm.height() + 12 * s;
    const double axB = tickFm.height() * 2 + 10 * s;
    const double gap = 14 * s;
    const double headerH = fm.height() + 4 * s;
    const double thumbGap = 5 * s;

    // Largest thumbnail edge (between tmin and tmax) that fits all groups in w × h.
    // The smallest still shows a neuron's pattern; it need not grow with the text.
    const double tmin = std::max(30.0, 18 * s), tmax = 64 * s;
    auto fit = [&](double w, double h) -> double {
        if (w < tmin || h < tmin) return 0;
        for (double t = tmax; t >= tmin; t -= 1) {
            const int cols = int((w + thumbGap) / (t + thumbGap));
            if (cols < 1) continue;
            double need = 0;
            for (const auto& g : groups_) need += headerH + std::ceil(double(g.count) / cols) * (t + thumbGap);
            if (need <= h) return t;
        }
        return 0;
    };

    double plotSide = 0, thumb = 0;
    bool side = false;
    const double maxP = std::min(body.width() - axL, body.height() - axB);
    // Without thumbnails there is no footer about them: the plot takes its room too.
    const double maxAlone = std::min(body.width() - axL, layout_.footer.bottom() - body.top() - axB);
    if (groups_.empty()) {
        plotSide = std::max(20.0, maxAlone);
    } else {
        double bestSide = 0, bestSideT = 0, bestBelow = 0, bestBelowT = 0;
        // The plot may shrink a little to make space for the thumbnails, not more:
        // it is what the room looks at.
        const double minP = std::max(60 * s, maxAlone * 0.7);
        for (double p = maxP; p >= minP; p -= 2) {
            const double t = fit(body.width() - (p + axL) - gap, body.height());
            if (t > 0) {
                bestSide = p, bestSideT = t;
                break;
            }
        }
        for (double p = maxP; p >= minP; p -= 2) {
            const double t = fit(body.width(), body.height() - (p + axB) - gap);
            if (t > 0) {
                bestBelow = p, bestBelowT = t;
                break;
            }
        }
        if (bestSide == 0 && bestBelow == 0) {
            // Too small for both: the plot alone.
            plotSide = std::max(20.0, maxAlone);
        } else if (bestSide >= bestBelow) {
            side = true, plotSide = bestSide, thumb = bestSideT;
        } else {
            plotSide = bestBelow, thumb = bestBelowT;
        }
    }
    const double blockW = plotSide + axL, blockH = plotSide + axB;
    // Beside the thumbnails the plot sits at the left; alone or above them, centred.
    const double left = thumb > 0 && side ? body.left() : body.left() + (body.width() - blockW) / 2;
    layout_.plot = QRectF(left + axL, body.top(), plotSide, plotSide);
    if (thumb > 0) {
        layout_.thumbs = side ? QRectF(left + blockW + gap, body.top(), body.right() - (left + blockW + gap), body.height())
                              : QRectF(body.left(), body.top() + blockH + gap, body.width(), body.bottom() - (body.top() + blockH + gap));
        const QRectF& a = layout_.thumbs;
        const int cols = std::max(1, int((a.width() + thumbGap) / (thumb + thumbGap)));
        double gy = a.top();
        layout_.thumbRects.assign(neurons_.size(), QRectF());
        for (const auto& g : groups_) {
            layout_.groupHeaders.push_back(QRectF(a.left(), gy, a.width(), headerH));
            gy += headerH;
            for (int k = 0; k < g.count; ++k) {
                const int row = k / cols, col = k % cols;
                layout_.thumbRects[size_t(g.first + k)] =
                    QRectF(a.left() + col * (thumb + thumbGap), gy + row * (thumb + thumbGap), thumb, thumb);
            }
            gy += std::ceil(double(g.count) / cols) * (thumb + thumbGap);
        }
    } else {
        // No thumbnails shown: a footer about them would point at nothing.
        layout_.footer = QRectF();
    }
}

std::vector<BoundaryView::LegendItem> BoundaryView::legendFlow(double width) const
{
    std::vector<LegendItem> items;
    const auto* data = session_->data();
    if (!data) return items;
    const double s = scale_;
    const QFontMetricsF fm(scaledFont(1.0));
    const double rad = 5 * s;
    for (int k = 0; k < data->train.numClasses; ++k) {
        const QString name = k < int(data->train.classNames.size()) ? QString::fromStdString(data->train.classNames[size_t(k)])
                                                                    : QString::number(k);
        items.push_back({k, name});
    }
    items.push_back({-1, tr("training")});
    items.push_back({-2, tr("test")});
    double x = 0;
    int line = 0;
    for (auto& it : items) {
        const double w = 2 * rad + 5 * s + fm.horizontalAdvance(it.text);
        if (x > 0 && x + w > width) {
            x = 0;
            ++line;
        }
        it.x = x;
        it.line = line;
        x += w + (it.kind == data->train.numClasses - 1 ? 24 * s : 14 * s);
    }
    return items;
}

QPair<QString, QString> BoundaryView::footerTexts() const
{
    if (selected_ < 0 || selected_ >= int(neurons_.size()))
        return {tr("Click a neuron thumbnail to see its formula with the current weights."),
                tr("Each thumbnail is one hidden neuron's output over the plane: blue positive, orange negative.")};
    const Neuron& n = neurons_[size_t(selected_)];
    const QString inputs = n.inputPrefix == "x" ? tr("x1 and x2") : tr("the outputs of %1").arg(n.inputPrefix.chopped(1));
    const QString act = n.activation == "none" ? tr("with no activation") : tr("through %1").arg(n.activation);
    return {neuronFormula(selected_), tr("Neuron %1 of layer %2: a weighted sum of %3 plus a bias, %4.").arg(n.unit).arg(n.layer, inputs, act)};
}

void BoundaryView::resizeEvent(QResizeEvent* e)
{
    QWidget::resizeEvent(e);
    layout_.valid = false;
}

void BoundaryView::changeEvent(QEvent* e)
{
    QWidget::changeEvent(e);
    if (e->type() == QEvent::PaletteChange) {
        colorize();
        update();
    } else if (e->type() == QEvent::FontChange) {
        layout_.valid = false;
        update();
    }
}

QPointF BoundaryView::toPixel(double x, double y) const
{
    const QRectF& r = layout_.plot;
    return QPointF(r.left() + (x - x0_) / (x1_ - x0_) * r.width(), r.top() + (y1_ - y) / (y1_ - y0_) * r.height());
}

QPointF BoundaryView::toData(const QPointF& p) const
{
    const QRectF& r = layout_.plot;
    return QPointF(x0_ + (p.x() - r.left()) / r.width() * (x1_ - x0_), y1_ - (p.y() - r.top()) / r.height() * (y1_ - y0_));
}

QRectF BoundaryView::plotRect()
{
    if (!layout_.valid) doLayout();
    return layout_.plot;
}

int BoundaryView::thumbnailsShown()
{
    if (!layout_.valid) doLayout();
    return int(std::count_if(layout_.thumbRects.begin(), layout_.thumbRects.end(), [](const QRectF& r) { return !r.isEmpty(); }));
}

int BoundaryView::thumbAt(const QPointF& p) const
{
    for (size_t i = 0; i < layout_.thumbRects.size(); ++i)
        if (layout_.thumbRects[i].adjusted(-2, -2, 2, 2).contains(p)) return int(i);
    return -1;
}

// ---- painting ------------------------------------------------------------------------------

void BoundaryView::paintMessage(QPainter& p, const QRectF& r, const QString& text)
{
    p.setFont(scaledFont(1.1));
    QColor c = palette().color(QPalette::WindowText);
    c.setAlphaF(0.75f);
    p.setPen(c);
    const QRectF box = r.adjusted(r.width() * 0.1, 0, -r.width() * 0.1, 0);
    p.drawText(box, Qt::AlignCenter | Qt::TextWordWrap, text);
}

void BoundaryView::paintEvent(QPaintEvent*)
{
    if (dirty_ && image_.isNull()) recompute();
    if (!layout_.valid) doLayout();
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), palette().window());
    const double s = scale_;

    // Title, with the epoch and data set on the right.
    p.setFont(scaledFont(1.3, true));
    p.setPen(palette().color(QPalette::WindowText));
    p.drawText(layout_.title, Qt::AlignLeft | Qt::AlignVCenter,
               QFontMetricsF(p.font()).elidedText(tr("Decision boundary"), Qt::ElideRight, layout_.title.width()));
    const auto* data = session_->data();
    if (data) {
        p.setFont(scaledFont(1.0));
        QColor muted = palette().color(QPalette::WindowText);
        muted.setAlphaF(0.7f);
        p.setPen(muted);
        QString info = session_->dataName();
        if (session_->viewModel()) info = tr("%1 · %2").arg(weightsLabel(epoch_, step_), info);  // as every panel names them
        p.drawText(layout_.info, (layout_.infoBelow ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter,
                   QFontMetricsF(p.font()).elidedText(info, Qt::ElideRight, layout_.info.width()));
    }

    const QRectF body = QRectF(rect()).adjusted(10 * s, layout_.legend.top(), -10 * s, -10 * s);
    if (!data) {
        paintMessage(p, body,
                     session_->busyLoading() ? tr("Loading data…")
                                             : tr("Load a 2-D data set (spiral, circles, xor, gaussians) and a model to see "
                                                  "how the network divides the plane."));
        return;
    }
    if (data->train.featureCount() != 2) {
        const QString name = session_->dataName().isEmpty() ? QString::fromStdString(data->train.name) : session_->dataName();
        paintMessage(p, body,
                     tr("Decision boundary needs 2-D data; %1 has %2 features — see the confusion matrix.")
                         .arg(name)
                         .arg(data->train.featureCount()));
        return;
    }
    paintLegend(p);
    paintPlot(p);
    paintThumbs(p);
    paintFooter(p);
}

void BoundaryView::paintLegend(QPainter& p)
{
    const auto* data = session_->data();
    if (!data) return;
    const double s = scale_;
    const QRectF r = layout_.legend;
    p.setFont(scaledFont(1.0));
    const QFontMetricsF fm(p.font());
    const double rad = 5 * s;
    const double lineH = fm.height() + 2 * s;
    const QColor text = palette().color(QPalette::WindowText);
    QColor muted = text;
    muted.setAlphaF(0.8f);
    for (const LegendItem& it : legendFlow(r.width())) {
        const double x = r.left() + it.x;
        const double cy = r.top() + (it.line + 0.5) * lineH;
        if (it.kind >= 0) {  // a class
            p.setPen(QPen(Qt::white, 1.2 * s));
            p.setBrush(classColor(it.kind));
            p.drawEllipse(QPointF(x + rad, cy), rad, rad);
        } else if (it.kind == -1) {  // filled = training point
            p.setPen(QPen(muted, 1.2 * s));
            p.setBrush(muted);
            p.drawEllipse(QPointF(x + rad, cy), rad * 0.9, rad * 0.9);
        } else {  // ring = test point
            p.setBrush(Qt::NoBrush);
            p.setPen(QPen(muted, 2 * s));
            p.drawEllipse(QPointF(x + rad, cy), rad * 0.85, rad * 0.85);
        }
        p.setPen(text);
        p.drawText(QPointF(x + 2 * rad + 5 * s, cy + fm.ascent() / 2 - fm.descent() / 2), it.text);
    }
}

void BoundaryView::paintPlot(QPainter& p)
{
    const auto* data = session_->data();
    const double s = scale_;
    const QRectF plot = layout_.plot;
    const QColor text = palette().color(QPalette::WindowText);

    p.save();
    p.setClipRect(plot);
    if (!image_.isNull()) {
        p.setRenderHint(QPainter::SmoothPixmapTransform);
        p.drawImage(plot, image_);
    } else {
        p.fillRect(plot, palette().base());
    }
    // The boundary itself.
    if (!contour_.isEmpty()) {
        QColor line = text;
        line.setAlphaF(0.55f);
        p.setPen(QPen(line, 1.6 * s, Qt::SolidLine, Qt::RoundCap));
        const double sx = plot.width() / grid_, sy = plot.height() / grid_;
        QVector<QLineF> lines;
        lines.reserve(contour_.size());
        for (const QLineF& l : contour_)
            lines << QLineF(plot.left() + l.x1() * sx, plot.top() + l.y1() * sy, plot.left() + l.x2() * sx, plot.top() + l.y2() * sy);
        p.drawLines(lines);
    }
    // Points: training filled with a white edge, test as rings.
    const double rad = 3.6 * s;
    auto drawSet = [&](const nn::data::Dataset& d, bool filled) {
        for (size_t i = 0; i < d.size(); ++i) {
            const float* v = d.sample(i);
            const QPointF c = toPixel(v[0], v[1]);
            const QColor col = classColor(d.labels[i]);
            if (filled) {
                p.setPen(QPen(Qt::white, 1.1 * s));
                p.setBrush(col);
                p.drawEllipse(c, rad, rad);
            } else {
                p.setBrush(Qt::NoBrush);
                p.setPen(QPen(Qt::white, 3.6 * s));
                p.drawEllipse(c, rad + 0.6 * s, rad + 0.6 * s);
                p.setPen(QPen(col, 2.0 * s));
                p.drawEllipse(c, rad + 0.6 * s, rad + 0.6 * s);
            }
        }
    };
    drawSet(data->train, true);
    drawSet(data->test, false);
    p.restore();

    // Frame, ticks and axis names.
    QColor frame = text;
    frame.setAlphaF(0.45f);
    p.setPen(QPen(frame, 1.0 * s));
    p.setBrush(Qt::NoBrush);
    p.drawRect(plot);
    p.setFont(scaledFont(0.9));
    const QFontMetricsF fm(p.font());
    const double step = niceStep(x1_ - x0_, std::max(3, int(plot.width() / (70 * s))));
    const int decimals = std::max(0, int(-std::floor(std::log10(step) + 1e-9)));
    const double tick = 5 * s;
    QColor label = text;
    label.setAlphaF(0.85f);
    for (double v = std::ceil(x0_ / step) * step; v <= x1_ + 1e-9; v += step) {
        const double px = toPixel(v, 0).x();
        p.setPen(QPen(frame, 1.0 * s));
        p.drawLine(QPointF(px, plot.bottom()), QPointF(px, plot.bottom() + tick));
        p.setPen(label);
        const QString t = signedNumber(v, decimals);
        p.drawText(QRectF(px - 40 * s, plot.bottom() + tick + 1 * s, 80 * s, fm.height()), Qt::AlignHCenter | Qt::AlignTop, t);
    }
    for (double v = std::ceil(y0_ / step) * step; v <= y1_ + 1e-9; v += step) {
        const double py = toPixel(0, v).y();
        p.setPen(QPen(frame, 1.0 * s));
        p.drawLine(QPointF(plot.left() - tick, py), QPointF(plot.left(), py));
        p.setPen(label);
        const QString t = signedNumber(v, decimals);
        p.drawText(QRectF(plot.left() - tick - 3 * s - 80 * s, py - fm.height() / 2, 80 * s, fm.height()),
                   Qt::AlignRight | Qt::AlignVCenter, t);
    }
    p.setFont(scaledFont(1.0, true));
    const QFontMetricsF afm(p.font());
    p.setPen(text);
    p.drawText(QRectF(plot.left(), plot.bottom() + tick + fm.height() + 2 * s, plot.width(), afm.height()),
               Qt::AlignHCenter | Qt::AlignTop, QStringLiteral("x1"));
    p.save();
    p.translate(layout_.plot.left() - tick - 6 * s - fm.horizontalAdvance(QStringLiteral("−0.0")) - afm.height() / 2 - 2 * s,
                plot.center().y());
    p.rotate(-90);
    p.drawText(QRectF(-plot.height() / 2, -afm.height() / 2, plot.height(), afm.height()), Qt::AlignCenter, QStringLiteral("x2"));
    p.restore();

    if (!session_->viewModel()) {
        paintMessage(p, plot, tr("No model yet: choose one to see its prediction over the plane."));
    }
}

void BoundaryView::paintThumbs(QPainter& p)
{
    if (layout_.thumbRects.empty()) return;
    const double s = scale_;
    const QColor text = palette().color(QPalette::WindowText);
    p.setFont(scaledFont(0.95, true));
    QColor muted = text;
    muted.setAlphaF(0.85f);
    for (size_t g = 0; g < groups_.size() && g < layout_.groupHeaders.size(); ++g) {
        p.setPen(muted);
        // "h1 · tanh · 16 neurons", or "h1 · tanh" when the column is narrow.
        const QFontMetricsF hfm(p.font());
        const QRectF hr = layout_.groupHeaders[g];
        QString title = groups_[g].title;
        if (hfm.horizontalAdvance(title) > hr.width() && title.count(kDot) >= 2) title = title.left(title.lastIndexOf(kDot)).trimmed();
        p.drawText(hr, Qt::AlignLeft | Qt::AlignVCenter, hfm.elidedText(title, Qt::ElideRight, hr.width()));
    }
    QColor frame = text;
    frame.setAlphaF(0.35f);
    const QColor accent = palette().color(QPalette::Highlight);
    p.setFont(scaledFont(0.7));
    const QFontMetricsF fm(p.font());
    for (size_t i = 0; i < neurons_.size() && i < layout_.thumbRects.size(); ++i) {
        const QRectF r = layout_.thumbRects[i];
        if (!neurons_[i].thumb.isNull()) {
            p.setRenderHint(QPainter::SmoothPixmapTransform);
            p.drawImage(r, neurons_[i].thumb);
        } else {
            p.fillRect(r, palette().base());
        }
        // Unit number in the corner, on a translucent chip so it reads on any colour.
        if (r.width() >= 26 * s) {
            const QString num = QString::number(neurons_[i].unit);
            const QRectF chip(r.left() + 1, r.top() + 1, fm.horizontalAdvance(num) + 4 * s, fm.height());
            QColor bg = palette().color(QPalette::Base);
            bg.setAlphaF(0.7f);
            p.fillRect(chip, bg);
            p.setPen(text);
            p.drawText(chip, Qt::AlignCenter, num);
        }
        p.setBrush(Qt::NoBrush);
        if (int(i) == selected_) {
            p.setPen(QPen(accent, 3 * s));
            p.drawRect(r.adjusted(-1.5 * s, -1.5 * s, 1.5 * s, 1.5 * s));
        } else if (int(i) == hovered_) {
            p.setPen(QPen(text, 1.5 * s));
            p.drawRect(r);
        } else {
            p.setPen(QPen(frame, 1.0));
            p.drawRect(r);
        }
    }
}

void BoundaryView::paintFooter(QPainter& p)
{
    if (layout_.footer.height() <= 0) return;
    const double s = scale_;
    const QRectF r = layout_.footer;
    const QColor text = palette().color(QPalette::WindowText);
    QColor muted = text;
    muted.setAlphaF(0.75f);
    const auto& [first, second] = layout_.footerText;
    QRectF used;
    if (selected_ < 0) {
        p.setFont(scaledFont(1.0));
        p.setPen(muted);
        p.drawText(r, Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, first, &used);
    } else {
        p.setFont(scaledFont(1.15, true));
        p.setPen(text);
        const QFontMetricsF big(p.font());
        used = QRectF(r.left(), r.top(), r.width(), big.height());
        p.drawText(used, Qt::AlignLeft | Qt::AlignVCenter, big.elidedText(first, Qt::ElideRight, r.width()));
    }
    if (second.isEmpty()) return;
    p.setFont(scaledFont(1.0));
    p.setPen(muted);
    p.drawText(QRectF(r.left(), used.bottom() + 4 * s, r.width(), r.bottom() - used.bottom() - 4 * s),
               Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, second);
}

} // namespace views
