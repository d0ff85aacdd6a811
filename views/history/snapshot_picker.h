#pragma once
// The Branch button's dialog: which snapshot of a run to rewind to. Each row
// names the epoch, the step and the metrics of the epoch that ended there, and
// the dialog is wide enough for its title and its longest row (QInputDialog cut
// the title off and listed bare step numbers).
#include <QDialog>

#include "views/history/history_dock.h"

class QListWidget;

namespace views {

class SnapshotPicker : public QDialog {
    Q_OBJECT
public:
    SnapshotPicker(qint64 runId, const QList<HistoryDock::SnapshotChoice>& choices, QWidget* parent = nullptr);

    // The chosen row (the newest snapshot at first); -1 when there is none.
    int currentIndex() const;
    QListWidget* list() const { return list_; }

private:
    QListWidget* list_;
};

} // namespace views
