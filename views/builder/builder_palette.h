#pragma once
// The palette: every layer the engine has, grouped, each with a tooltip that says
// what it does and what it needs. Drag an entry onto the canvas (the scene reads
// kLayerMime) or double-click it to add it below the selected node.
#include <QTreeWidget>

namespace views::builder {

class Palette : public QTreeWidget {
    Q_OBJECT
public:
    explicit Palette(QWidget* parent = nullptr);
    // The entry for a node kind ("dense"), for tests and tours.
    QTreeWidgetItem* entry(const QString& kind) const;
    // What dragging the entry for `kind` carries (the scene accepts it on drop).
    static QMimeData* mimeFor(const QString& kind);

signals:
    void addRequested(const QString& kind);

protected:
    QMimeData* mimeData(const QList<QTreeWidgetItem*>& items) const override;
    QStringList mimeTypes() const override;
};

} // namespace views::builder
