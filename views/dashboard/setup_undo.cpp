#include "views/dashboard/setup_undo.h"

#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QPointer>
#include <QSpinBox>
#include <QUndoCommand>
#include <QUndoStack>

#include <vector>

namespace views {

namespace {

// Changes closer together than this on one control merge into one command.
constexpr qint64 kMergeMs = 1500;
const char* kWatcherName = "formUndoWatcher";

QVariant valueOf(QWidget* w)
{
    if (auto* s = qobject_cast<QSpinBox*>(w)) return s->value();
    if (auto* d = qobject_cast<QDoubleSpinBox*>(w)) return d->value();
    if (auto* c = qobject_cast<QComboBox*>(w)) return c->currentIndex();
    return {};
}

QString textOf(QWidget* w, const QVariant& v)
{
    if (auto* s = qobject_cast<QSpinBox*>(w)) {
        const bool special = v.toInt() == s->minimum() && !s->specialValueText().isEmpty();
        return special ? s->specialValueText() : s->prefix() + QString::number(v.toInt()) + s->suffix();
    }
    if (qobject_cast<QDoubleSpinBox*>(w)) return QString::number(v.toDouble(), 'g', 6);
    if (auto* c = qobject_cast<QComboBox*>(w)) return c->itemText(v.toInt());
    return v.toString();
}

// The control's name for the Edit menu: its buddy label, else its tooltip.
QString nameOf(QWidget* form, QWidget* w)
{
    for (QLabel* l : form->findChildren<QLabel*>())
        if (l->buddy() == w) return l->text().remove('&');
    return w->toolTip().isEmpty() ? w->objectName() : w->toolTip().section('.', 0, 0);
}

// One control going from one value to another.
struct Change {
    QPointer<QWidget> widget;
    QVariant before, after;
};

// One form's controls and the values they had after the last recorded change.
struct Watcher : QObject {
    QWidget* form;
    QUndoStack* stack;
    QHash<QWidget*, QVariant> last;
    bool applying = false;                  // an undo/redo is setting a control: not a user change
    int quiet = 0;                          // inside withoutFormUndo: not recorded
    std::vector<Change>* gather = nullptr;  // inside addToLastFormChange: collected here
    const QUndoCommand* lastTop = nullptr;  // the command the last recorded change went into
    Watcher(QWidget* f, QUndoStack* s) : QObject(f), form(f), stack(s) { setObjectName(kWatcherName); }
    void changed(QWidget* w);
    void apply(QWidget* w, const QVariant& v)
    {
        if (!w) return;
        applying = true;
        if (auto* s = qobject_cast<QSpinBox*>(w)) s->setValue(v.toInt());
        if (auto* d = qobject_cast<QDoubleSpinBox*>(w)) d->setValue(v.toDouble());
        if (auto* c = qobject_cast<QComboBox*>(w)) {
            c->setCurrentIndex(v.toInt());
            emit c->activated(v.toInt());  // forms act on the user's pick, and an undo is one
        }
        last[w] = v;
        applying = false;
    }
    QString describe(const Change& c) const
    {
        return c.widget ? QObject::tr("%1 %2 → %3").arg(nameOf(form, c.widget), textOf(c.widget, c.before), textOf(c.widget, c.after))
                        : QString();
    }
};

Watcher* watcherOf(const QWidget* form)
{
    return form ? static_cast<Watcher*>(form->findChild<QObject*>(kWatcherName, Qt::FindDirectChildrenOnly)) : nullptr;
}

// A change of one control, with the changes it brought along (a data set's
// defaults): undone last-first, the control's own change last.
class SetValue : public QUndoCommand {
public:
    SetValue(Watcher* watcher, Change own) : watcher_(watcher), own_(std::move(own)), when_(QDateTime::currentMSecsSinceEpoch())
    {
        updateText();
    }
    // Only changes that came along with the last one (addToLastFormChange).
    SetValue(Watcher* watcher, QWidget* trigger, std::vector<Change> along)
        : watcher_(watcher), trigger_(trigger), along_(std::move(along)), when_(QDateTime::currentMSecsSinceEpoch()), joinsLast_(true)
    {
        updateText();
    }
    int id() const override { return 0x5e7; }
    bool mergeWith(const QUndoCommand* other) override
    {
        auto* o = static_cast<const SetValue*>(other);
        if (o->watcher_ != watcher_) return false;
        if (o->joinsLast_) {  // the changes brought along by this command's change
            if (watcher_->lastTop != this || o->trigger_ != own_.widget) return false;  // not the change they came with
            along_.insert(along_.end(), o->along_.begin(), o->along_.end());
            updateText();
            return true;
        }
        if (!along_.empty() || joinsLast_ || o->own_.widget != own_.widget || o->when_ - when_ > kMergeMs) return false;
        own_.after = o->own_.after;
        when_ = o->when_;
        updateText();
        setObsolete(own_.before == own_.after);  // back where it started (a refused pick put back): nothing to undo
        return true;
    }
    void undo() override
    {
        for (auto it = along_.rbegin(); it != along_.rend(); ++it) watcher_->apply(it->widget, it->before);
        if (own_.widget) watcher_->apply(own_.widget, own_.before);
    }
    void redo() override
    {
        if (first_) {  // the controls already show the new values
            first_ = false;
            return;
        }
        if (own_.widget) watcher_->apply(own_.widget, own_.after);
        for (const Change& c : along_) watcher_->apply(c.widget, c.after);
    }

private:
    void updateText()
    {
        QStringList along;
        for (const Change& c : along_) along << watcher_->describe(c);
        if (joinsLast_) {
            setText(along.join(", "));
            return;
        }
        const QString own = watcher_->describe(own_);
        setText(along.isEmpty() ? own : QObject::tr("%1 (and %2)").arg(own, along.join(", ")));
    }

    Watcher* watcher_;
    QPointer<QWidget> trigger_;  // a joining command: the control whose change brought it
    Change own_;
    std::vector<Change> along_;
    qint64 when_;
    bool joinsLast_ = false;
    bool first_ = true;
};

void Watcher::changed(QWidget* w)
{
    const QVariant now = valueOf(w);
    if (auto* c = qobject_cast<QComboBox*>(w); c && c->itemData(now.toInt(), kFormActionRole).toBool())
        return;  // an action item: the form goes back to the previous value
    const QVariant before = last.value(w);
    last[w] = now;
    if (applying || quiet > 0 || before == now) return;
    // A control changed by code while disabled (e.g. a data set's fixed size) is not a user edit.
    if (!w->isEnabled()) return;
    if (gather) {
        gather->push_back({w, before, now});
        return;
    }
    stack->push(new SetValue(this, Change {w, before, now}));
    lastTop = stack->index() > 0 ? stack->command(stack->index() - 1) : nullptr;
}

} // namespace

void installFormUndo(QWidget* form, QUndoStack* stack)
{
    auto* watcher = new Watcher(form, stack);
    for (QWidget* w : form->findChildren<QWidget*>()) {
        if (!qobject_cast<QSpinBox*>(w) && !qobject_cast<QDoubleSpinBox*>(w) && !qobject_cast<QComboBox*>(w)) continue;
        watcher->last[w] = valueOf(w);
        if (auto* s = qobject_cast<QSpinBox*>(w))
            QObject::connect(s, &QSpinBox::valueChanged, watcher, [watcher, w] { watcher->changed(w); });
        if (auto* d = qobject_cast<QDoubleSpinBox*>(w))
            QObject::connect(d, &QDoubleSpinBox::valueChanged, watcher, [watcher, w] { watcher->changed(w); });
        if (auto* c = qobject_cast<QComboBox*>(w))
            QObject::connect(c, &QComboBox::currentIndexChanged, watcher, [watcher, w] { watcher->changed(w); });
    }
}

void withoutFormUndo(QWidget* form, const std::function<void()>& change)
{
    Watcher* watcher = watcherOf(form);
    if (watcher) ++watcher->quiet;
    change();
    if (watcher) --watcher->quiet;
}

void addToLastFormChange(QWidget* form, QWidget* trigger, const std::function<void()>& change)
{
    Watcher* watcher = watcherOf(form);
    if (!watcher || watcher->gather || watcher->quiet > 0 || watcher->applying) {
        change();
        return;
    }
    std::vector<Change> along;
    watcher->gather = &along;
    change();
    watcher->gather = nullptr;
    // Merges into the form's change on top of the stack; else stands alone.
    if (!along.empty()) watcher->stack->push(new SetValue(watcher, trigger, std::move(along)));
}

bool formUndoReplaying(const QWidget* form)
{
    const Watcher* watcher = watcherOf(form);
    return watcher && watcher->applying;
}

} // namespace views
