#include "views/builder/builder_palette.h"

#include <QHeaderView>
#include <QMimeData>
#include <QPainter>

#include "views/builder/builder_document.h"
#include "views/builder/builder_scene.h"
#include "views/builder/node_item.h"

namespace views::builder {

namespace {

struct Entry {
    const char* kind;
    const char* tip;
};
struct Group {
    const char* title;
    std::vector<Entry> entries;
};

const std::vector<Group>& groups()
{
    static const std::vector<Group> g {
        {"Start and end",
         {{"input", "The data going in. Shape \"auto\" follows the data set (1×28×28 for Fashion-MNIST, 2 for the 2-D sets)."},
          {"loss", "What training minimises. Connect the last layer to it; softmax cross-entropy for classes."}}},
        {"Layers",
         {{"dense", "Fully connected: every output sees every input. Needs a flat input (add Flatten after images)."},
          {"conv2d", "Convolution: filters slide over an image (channels×height×width)."},
          {"maxpool2d", "Keeps the largest value of each window: halves height and width with size 2."},
          {"avgpool2d", "Averages each window: halves height and width with size 2."},
          {"global_avgpool", "Averages each channel over the whole image: channels×H×W → channels."},
          {"flatten", "Turns an image (channels×height×width) into one long vector, for Dense layers."},
          {"batchnorm", "Normalises each channel over the batch, then scales and shifts (γ, β learned)."},
          {"dropout", "Zeroes a random fraction of values while training (rate), against overfitting."}}},
        {"Activations",
         {{"relu", "max(0, x)"},
          {"tanh", "tanh(x), in (-1, 1)"},
          {"sigmoid", "1/(1+e^-x), in (0, 1)"},
          {"leaky_relu", "x if x > 0 else slope·x"},
          {"elu", "x if x > 0 else alpha·(e^x - 1)"},
          {"softmax", "Scores to probabilities that sum to 1 (the softmax cross-entropy loss has one built in)."}}},
        {"Joins",
         {{"add", "Adds two or more equal shapes: the skip connection of a residual block."},
          {"concat", "Stacks inputs along the channels; the other sizes must match."}}}};
    return g;
}

QIcon swatch(const std::string& kind)
{
    QPixmap pm(14, 14);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setBrush(kindColor(kind));
    p.setPen(Qt::NoPen);
    p.drawRoundedRect(QRectF(1, 1, 12, 12), 3, 3);
    return QIcon(pm);
}

} // namespace

Palette::Palette(QWidget* parent) : QTreeWidget(parent)
{
    setObjectName("builderPalette");
    setHeaderHidden(true);
    setRootIsDecorated(false);
    setDragEnabled(true);
    setDragDropMode(QAbstractItemView::DragOnly);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setIndentation(8);
    setToolTip(tr("Drag a layer onto the canvas, or double-click it to add it below the selected node"));
    for (const auto& g : groups()) {
        auto* top = new QTreeWidgetItem(this, {tr(g.title)});
        top->setFlags(Qt::ItemIsEnabled);
        QFont f = top->font(0);
        f.setBold(true);
        top->setFont(0, f);
        for (const auto& e : g.entries) {
            auto* it = new QTreeWidgetItem(top, {QString::fromStdString(displayName(e.kind))});
            it->setData(0, Qt::UserRole, QString(e.kind));
            it->setToolTip(0, tr(e.tip));
            it->setStatusTip(0, tr(e.tip));
            it->setIcon(0, swatch(e.kind));
            it->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled);
        }
    }
    expandAll();
    connect(this, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* it) {
        const QString kind = it->data(0, Qt::UserRole).toString();
        if (!kind.isEmpty()) emit addRequested(kind);
    });
}

QTreeWidgetItem* Palette::entry(const QString& kind) const
{
    for (int i = 0; i < topLevelItemCount(); ++i)
        for (int j = 0; j < topLevelItem(i)->childCount(); ++j)
            if (topLevelItem(i)->child(j)->data(0, Qt::UserRole).toString() == kind) return topLevelItem(i)->child(j);
    return nullptr;
}

QStringList Palette::mimeTypes() const { return {kLayerMime}; }

QMimeData* Palette::mimeFor(const QString& kind)
{
    auto* m = new QMimeData;
    m->setData(kLayerMime, kind.toUtf8());
    return m;
}

QMimeData* Palette::mimeData(const QList<QTreeWidgetItem*>& items) const
{
    if (items.isEmpty() || items.front()->data(0, Qt::UserRole).toString().isEmpty()) return nullptr;
    return mimeFor(items.front()->data(0, Qt::UserRole).toString());
}

} // namespace views::builder
