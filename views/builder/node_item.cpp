#include "views/builder/node_item.h"

#include <QGraphicsSceneHoverEvent>
#include <QPainter>
#include <algorithm>
#include <QStyleOptionGraphicsItem>

#include "views/builder/builder_layout.h"

namespace views::builder {

namespace {
constexpr double kPortRadius = 6;
constexpr double kPortReach = 14;  // generous: ports are small targets for a mouse
constexpr double kHeader = 24;
QString q(const std::string& s) { return QString::fromStdString(s); }
} // namespace

QColor kindColor(const std::string& kind)
{
    if (kind == kInputKind) return QColor(0x4c, 0x8b, 0xd6);
    if (kind == kLossKind) return QColor(0xb0, 0x5c, 0xc8);
    if (kind == "dense") return QColor(0x3a, 0xa0, 0x7a);
    if (kind == "conv2d") return QColor(0xe0, 0x8a, 0x2c);
    if (kind == "maxpool2d" || kind == "avgpool2d" || kind == "global_avgpool") return QColor(0xc9, 0xa2, 0x27);
    if (kind == "add" || kind == "concat") return QColor(0x6d, 0x6d, 0xc4);
    if (kind == "batchnorm" || kind == "dropout" || kind == "flatten") return QColor(0x7c, 0x8a, 0x99);
    return QColor(0x2f, 0x9c, 0xb0);  // activations
}

NodeItem::NodeItem(int uid) : uid_(uid)
{
    setFlags(ItemIsMovable | ItemIsSelectable | ItemSendsGeometryChanges);
    setAcceptHoverEvents(true);
    setZValue(1);
}

void NodeItem::setContent(const Node& node, int inputPorts, const NodeReport& report)
{
    prepareGeometryChange();
    node_ = node;
    report_ = report;
    inputPorts_ = inputPorts;
    QString tip = "<b>" + q(displayName(node.kind)) + " " + q(node.id) + "</b><br>" + shapeLine();
    if (!costLine().isEmpty()) tip += "<br>" + costLine();
    for (const auto& e : report.errors) tip += "<br><span style='color:#c0392b'>⚠ " + q(e).toHtmlEscaped() + "</span>";
    for (const auto& w : report.warnings) tip += "<br><span style='color:#b36b00'>⚠ " + q(w).toHtmlEscaped() + "</span>";
    setToolTip(tip);
    update();
}

QRectF NodeItem::boundingRect() const
{
    return QRectF(-kPortRadius, -kPortRadius, kNodeWidth + 2 * kPortRadius, kNodeHeight + 2 * kPortRadius);
}

QString NodeItem::shapeLine() const
{
    if (node_.kind == kLossKind)
        return report_.resolved ? QString("%1 → scalar").arg(q(node_.props.value("loss", std::string()))) : q(node_.props.value("loss", std::string()));
    return QString("out %1").arg(report_.resolved ? q(shapeText(report_.shape)) : QString("?"));
}

QString NodeItem::costLine() const
{
    if (!report_.resolved || node_.kind == kInputKind || node_.kind == kLossKind) return {};
    return QString("%1 params · %2 FLOPs").arg(q(countText(double(report_.params))), q(countText(report_.flops)));
}

QPointF NodeItem::inputPort(int port) const
{
    const double step = kNodeWidth / (inputPorts_ + 1);
    return {step * (port + 1), 0};
}

QPointF NodeItem::outputPort() const { return {kNodeWidth / 2, kNodeHeight}; }

int NodeItem::inputPortAt(const QPointF& p) const
{
    for (int i = 0; i < inputPorts_; ++i)
        if (QLineF(p, inputPort(i)).length() <= kPortReach) return i;
    return -1;
}

bool NodeItem::outputPortAt(const QPointF& p) const { return hasOutput() && QLineF(p, outputPort()).length() <= kPortReach; }

void NodeItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*)
{
    p->setRenderHint(QPainter::Antialiasing);
    const QRectF r(0, 0, kNodeWidth, kNodeHeight);
    const QColor band = kindColor(node_.kind);
    const bool bad = hasError();
    // Card, header band, selection and error outline.
    p->setPen(Qt::NoPen);
    p->setBrush(QColor(0, 0, 0, 30));
    p->drawRoundedRect(r.translated(2, 3), 8, 8);
    p->setBrush(bad ? QColor(0xfd, 0xed, 0xec) : QColor(0xfb, 0xfb, 0xfc));
    QPen outline(bad ? QColor(0xc0, 0x39, 0x2b) : isSelected() ? QColor(0x1e, 0x6f, 0xd9) : QColor(0x9a, 0xa3, 0xad));
    outline.setWidthF(bad || isSelected() ? 2.5 : 1.2);
    p->setPen(outline);
    p->drawRoundedRect(r, 8, 8);
    QPainterPath header;
    header.setFillRule(Qt::WindingFill);  // the two parts overlap: fill both
    header.addRoundedRect(QRectF(1, 1, kNodeWidth - 2, kHeader), 7, 7);
    header.addRect(QRectF(1, kHeader / 2, kNodeWidth - 2, kHeader / 2));
    p->fillPath(header.simplified(), band);

    QFont f = p->font();
    f.setPixelSize(13);
    f.setBold(true);
    p->setFont(f);
    p->setPen(Qt::white);
    const QString title = q(displayName(node_.kind)) + (node_.kind == kInputKind || node_.kind == kLossKind ? QString() : "  " + q(node_.id));
    p->drawText(QRectF(10, 1, kNodeWidth - 40, kHeader), Qt::AlignVCenter | Qt::AlignLeft,
                p->fontMetrics().elidedText(title, Qt::ElideRight, int(kNodeWidth - 40)));

    f.setBold(false);
    f.setPixelSize(12);
    p->setFont(f);
    p->setPen(QColor(0x22, 0x2b, 0x33));
    p->drawText(QRectF(10, kHeader + 3, kNodeWidth - 20, 18), Qt::AlignLeft | Qt::AlignVCenter, shapeLine());
    p->setPen(QColor(0x55, 0x60, 0x6b));
    p->drawText(QRectF(10, kHeader + 20, kNodeWidth - 20, 18), Qt::AlignLeft | Qt::AlignVCenter, costLine());
    if (bad) {
        // The first error in up to two lines under the shape (three when no cost line).
        p->setPen(QColor(0xc0, 0x39, 0x2b));
        const double top = costLine().isEmpty() ? kHeader + 21 : kHeader + 38;
        const QRectF box(10, top, kNodeWidth - 20, kNodeHeight - top - 3);
        const QFontMetrics fm = p->fontMetrics();
        QString text = q(report_.errors.front());
        const int lines = std::max(1, int(box.height()) / fm.lineSpacing());
        QString shown;
        for (int i = 0; i < lines && !text.isEmpty(); ++i) {
            int n = text.size();
            while (n > 1 && fm.horizontalAdvance(text.left(n)) > box.width()) {
                const int space = text.lastIndexOf(' ', n - 1);
                n = space > 0 ? space : n - 1;
            }
            const bool last = i == lines - 1;
            shown += (i ? "\n" : "") + (last ? fm.elidedText(text, Qt::ElideRight, int(box.width())) : text.left(n));
            text = text.mid(n).trimmed();
        }
        p->drawText(box, Qt::AlignLeft | Qt::AlignTop, shown);
        // The badge: a red disc with "!" on the header's right end.
        const QRectF badge(kNodeWidth - 28, 3, 20, 20);
        p->setPen(QPen(Qt::white, 1.5));
        p->setBrush(QColor(0xd6, 0x30, 0x31));
        p->drawEllipse(badge);
        f.setBold(true);
        p->setFont(f);
        p->setPen(Qt::white);
        p->drawText(badge, Qt::AlignCenter, report_.errors.size() > 1 ? QString::number(report_.errors.size()) : "!");
    }
    // Ports: hollow inputs on top, a filled output at the bottom.
    p->setPen(QPen(QColor(0x33, 0x3d, 0x47), 1.5));
    p->setBrush(Qt::white);
    for (int i = 0; i < inputPorts_; ++i) p->drawEllipse(inputPort(i), kPortRadius, kPortRadius);
    if (hasOutput()) {
        p->setBrush(band);
        p->drawEllipse(outputPort(), kPortRadius, kPortRadius);
    }
}

void NodeItem::hoverMoveEvent(QGraphicsSceneHoverEvent* e)
{
    const bool port = outputPortAt(e->pos()) || inputPortAt(e->pos()) >= 0;
    setCursor(port ? Qt::CrossCursor : Qt::ArrowCursor);
    QGraphicsObject::hoverMoveEvent(e);
}

QVariant NodeItem::itemChange(GraphicsItemChange change, const QVariant& value)
{
    if (change == ItemPositionHasChanged) emit moved(uid_);
    return QGraphicsObject::itemChange(change, value);
}

} // namespace views::builder
