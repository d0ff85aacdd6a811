#include "views/dashboard/setup_undo.h"

#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QPointer>
#include <QSpinBox>
#include <QUndoCommand>
#include <QUndoStack>

namespace views {

namespace {

// Changes closer together than this on one control merge into one command.
constexpr qint64 kMergeMs = 1500;

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

// One form's controls and the values they had after the last recorded change.
struct Watcher : QObject {
    QWidget* form;
    QUndoStack* stack;
    QHash<QWidget*, QVariant> last;
    bool applying = false;  // an undo/redo is setting a control: not a user change
    Watcher(QWidget* f, QUndoStack* s) : QObject(f), form(f), stack(s) {}
    void changed(QWidget* w);
};

class SetValue : public QUndoCommand {
public:
    SetValue(Watcher* watcher, QWidget* w, QVariant before, QVariant after)
        : watcher_(watcher), widget_(w), before_(std::move(before)), after_(std::move(after)),
          when_(QDateTime::currentMSecsSinceEpoch())
    {
        updateText();
    }
    int id() const override { return 0x5e7; }
    bool mergeWith(const QUndoCommand* other) override
    {
        auto* o = static_cast<const SetValue*>(other);
        if (o->widget_ != widget_ || o->when_ - when_ > kMergeMs) return false;
        after_ = o->after_;
        when_ = o->when_;
        updateText();
        return true;
    }
    void undo() override { apply(before_); }
    void redo() override
    {
        if (first_) {  // the control already shows the new value
            first_ = false;
            return;
        }
        apply(after_);
    }

private:
    void updateText()
    {
        if (widget_)
            setText(QObject::tr("%1 %2 → %3")
                        .arg(nameOf(watcher_->form, widget_), textOf(widget_, before_), textOf(widget_, after_)));
    }
    void apply(const QVariant& v)
    {
        if (!widget_) return;
        watcher_->applying = true;
        if (auto* s = qobject_cast<QSpinBox*>(widget_.data())) s->setValue(v.toInt());
        if (auto* d = qobject_cast<QDoubleSpinBox*>(widget_.data())) d->setValue(v.toDouble());
        if (auto* c = qobject_cast<QComboBox*>(widget_.data())) {
            c->setCurrentIndex(v.toInt());
            emit c->activated(v.toInt());  // forms act on the user's pick, and an undo is one
        }
        watcher_->last[widget_] = v;
        watcher_->applying = false;
    }

    Watcher* watcher_;
    QPointer<QWidget> widget_;
    QVariant before_, after_;
    qint64 when_;
    bool first_ = true;
};

void Watcher::changed(QWidget* w)
{
    const QVariant now = valueOf(w);
    const QVariant before = last.value(w);
    last[w] = now;
    if (applying || before == now) return;
    // A control changed by code while disabled (e.g. a data set's fixed size) is not a user edit.
    if (!w->isEnabled()) return;
    stack->push(new SetValue(this, w, before, now));
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

} // namespace views
