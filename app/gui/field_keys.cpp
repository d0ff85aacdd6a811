#include "app/gui/field_keys.h"

#include <QAbstractSpinBox>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QDockWidget>
#include <QKeyEvent>
#include <QLineEdit>

namespace {

bool plain(const QKeyEvent* k) { return (k->modifiers() & ~Qt::KeypadModifier) == Qt::NoModifier; }

bool isLeaveKey(const QKeyEvent* k)
{
    return plain(k) && (k->key() == Qt::Key_Escape || k->key() == Qt::Key_Return || k->key() == Qt::Key_Enter);
}

bool isSpace(const QKeyEvent* k) { return plain(k) && k->key() == Qt::Key_Space; }

bool isShortcutOf(const QAction* a, const QKeyEvent* k)
{
    return a && a->shortcuts().contains(QKeySequence(k->keyCombination()));
}

// Typing the spin box has not turned into its value yet: text that is no number
// (blank, "0.", "-"), or, in a box that commits only on Enter, any typing.
bool uncommitted(QAbstractSpinBox* spin)
{
    if (!spin->hasAcceptableInput()) return true;
    const auto* edit = spin->findChild<QLineEdit*>();
    return !spin->keyboardTracking() && edit && edit->isModified();
}

} // namespace

FieldKeys::FieldKeys(QWidget* window, Actions actions, std::function<QWidget*()> mainView)
    : QObject(window), window_(window), actions_(actions), mainView_(std::move(mainView))
{
    qApp->installEventFilter(this);
}

FieldKeys::~FieldKeys() { qApp->removeEventFilter(this); }

bool FieldKeys::inWindow(QWidget* w) const
{
    // The main window and its docks (floating ones too), not its dialogs.
    if (qobject_cast<QDialog*>(w->window())) return false;
    if (w->window() != window_ && !qobject_cast<QDockWidget*>(w->window())) return false;
    for (QWidget* p = w; p; p = p->parentWidget())
        if (p == window_) return true;
    return false;
}

void FieldKeys::leave(QWidget* field)
{
    QWidget* view = mainView_ ? mainView_() : nullptr;
    if (view && view->isVisible()) view->setFocus(Qt::OtherFocusReason);
    if (field->hasFocus()) field->clearFocus();
}

bool FieldKeys::eventFilter(QObject* watched, QEvent* event)
{
    const bool override = event->type() == QEvent::ShortcutOverride;
    if (!override && event->type() != QEvent::KeyPress) return false;
    auto* w = qobject_cast<QWidget*>(watched);
    if (!w || !inWindow(w)) return false;
    auto* k = static_cast<QKeyEvent*>(event);
    const bool undo = isShortcutOf(actions_.undo, k), redo = isShortcutOf(actions_.redo, k);

    // An event that is filtered out and left unaccepted as a shortcut override is
    // the app's shortcut to take (the action fires); accepted, the field gets the key.
    auto toApp = [event] {
        event->ignore();
        return true;
    };
    if (auto* spin = qobject_cast<QAbstractSpinBox*>(w)) {
        if (override) {
            if (isSpace(k)) {
                spin->interpretText();  // Train uses the value shown
                return toApp();
            }
            if (undo && uncommitted(spin)) {
                event->accept();  // the key press below sets the field back
                return true;
            }
            if (undo || redo) return toApp();
            return false;
        }
        if (isLeaveKey(k)) {
            spin->interpretText();
            leave(spin);
            return true;
        }
        if (undo && uncommitted(spin)) {
            spin->interpretText();  // back to the field's value (the last one it had)
            return true;
        }
        // Never typed: a number has no spaces, and the field's own undo is the app's
        // (these arrive here only when the app's action is disabled).
        return isSpace(k) || undo || redo;
    }
    if (auto* combo = qobject_cast<QComboBox*>(w); combo && !combo->isEditable()) {
        if (!override && isLeaveKey(k)) {
            leave(combo);
            return true;
        }
        return false;
    }
    if (auto* line = qobject_cast<QLineEdit*>(w); line && override) {
        if (undo && !line->isUndoAvailable()) {
            routedFrom_ = line;
            routedText_ = line->text();
            return toApp();
        }
        const bool afterAppUndo = routedFrom_ == line && routedText_ == line->text() && actions_.redo && actions_.redo->isEnabled();
        if (redo && (afterAppUndo || !line->isRedoAvailable())) return toApp();
    }
    return false;
}
