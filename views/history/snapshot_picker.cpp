#include "views/history/snapshot_picker.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QScrollBar>
#include <QStyle>
#include <QVBoxLayout>
#include <algorithm>

namespace views {

SnapshotPicker::SnapshotPicker(qint64 runId, const QList<HistoryDock::SnapshotChoice>& choices, QWidget* parent)
    : QDialog(parent), list_(new QListWidget)
{
    setObjectName("snapshotPicker");
    setWindowTitle(tr("Branch run #%1 from a snapshot").arg(runId));
    // The title bar belongs to the window manager, which elides a title wider than
    // the window: the heading says it in the dialog as well.
    const QString headingText = tr("Rewind run #%1 to one of its snapshots").arg(runId);
    auto* heading = new QLabel(headingText);
    QFont bold = heading->font();
    bold.setBold(true);
    heading->setFont(bold);
    auto* hint = new QLabel(tr("Training goes on from there as a new run, recorded as a branch of run #%1. "
                               "Change a setting first (the learning rate, say) to see what it changes.")
                                .arg(runId));
    hint->setWordWrap(true);
    for (const auto& c : choices) {
        auto* item = new QListWidgetItem(c.text, list_);
        item->setToolTip(c.text);
    }
    list_->setCurrentRow(int(choices.size()) - 1);
    list_->setUniformItemSizes(true);
    connect(list_, &QListWidget::itemDoubleClicked, this, &QDialog::accept);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Branch"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(heading);
    layout->addWidget(hint);
    layout->addWidget(list_, 1);
    layout->addWidget(buttons);

    // Wide enough for every row unelided and for the title with the title bar's
    // buttons beside it; tall enough for up to twelve rows.
    const QFontMetrics fm(list_->font());
    int rows = 0;
    for (const auto& c : choices) rows = std::max(rows, fm.horizontalAdvance(c.text));
    const int scroll = list_->verticalScrollBar()->sizeHint().width();
    const int frame = 2 * list_->frameWidth() + 4 * style()->pixelMetric(QStyle::PM_FocusFrameHMargin) + 16;
    const int title = QFontMetrics(bold).horizontalAdvance(windowTitle()) + 160;  // icon and close/maximise buttons
    const int heads = QFontMetrics(bold).horizontalAdvance(headingText) + 40;
    const auto m = layout->contentsMargins();
    list_->setMinimumWidth(rows + scroll + frame);
    const int rowH = std::max(fm.height() + 6, list_->sizeHintForRow(0));
    list_->setMinimumHeight(rowH * int(std::clamp<qsizetype>(choices.size(), 3, 12)) + 2 * list_->frameWidth());
    setMinimumWidth(std::max({rows + scroll + frame + m.left() + m.right(), title, heads}));
    hint->setMinimumWidth(minimumWidth() - m.left() - m.right());
    resize(minimumWidth(), sizeHint().height());
}

int SnapshotPicker::currentIndex() const { return list_->currentRow(); }

} // namespace views
