#pragma once
// Undo and redo for every control of a form (the set-up panel's spin boxes and
// combo boxes): each change the user makes becomes a QUndoCommand named after
// the control's label ("Learning rate 0.03 → 0.1"); quick repeated changes to
// one control (arrow keys, the wheel) merge into one command. Undoing sets the
// control back, so whatever the form does on a change (reload data, new config)
// happens again, as if the user had done it.
#include <functional>

class QUndoStack;
class QWidget;

namespace views {

// A combo box item with this data role set to true is an action ("CSV file…",
// "Open spec…": it opens a dialog), not a value: picking it is not recorded; the
// form goes back to the previous item and records what the dialog brings.
inline constexpr int kFormActionRole = 0x0100 + 77;  // Qt::UserRole + 77

// Watches every QSpinBox, QDoubleSpinBox and QComboBox under `form`.
void installFormUndo(QWidget* form, QUndoStack* stack);

// Runs `change` without recording it: what the controls show afterwards is where
// undo stops (the start-up state from the command line, settings and defaults is
// not a change the user can take back). Just runs `change` on a form without undo.
void withoutFormUndo(QWidget* form, const std::function<void()>& change);

// Runs `change`, and the control changes it makes become part of the last
// recorded change of `trigger` (a control of `form`), so one Ctrl+Z takes back
// both (a data set and the defaults it brings). When that change is not the last
// thing on the stack (another change since, or `trigger` did not change), they
// are recorded together as one new change.
void addToLastFormChange(QWidget* form, QWidget* trigger, const std::function<void()>& change);

// True while an undo or redo is setting the form's controls back: a form acting
// on a change (e.g. applying a data set's defaults) must not act again then, as
// the command restores everything that changed with it.
bool formUndoReplaying(const QWidget* form);

} // namespace views
