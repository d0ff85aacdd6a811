#pragma once
// Undo and redo for every control of a form (the set-up panel's spin boxes and
// combo boxes): each change the user makes becomes a QUndoCommand named after
// the control's label ("Learning rate 0.03 → 0.1"); quick repeated changes to
// one control (arrow keys, the wheel) merge into one command. Undoing sets the
// control back, so whatever the form does on a change (reload data, new config)
// happens again, as if the user had done it.
class QUndoStack;
class QWidget;

namespace views {

// Watches every QSpinBox, QDoubleSpinBox and QComboBox under `form`.
void installFormUndo(QWidget* form, QUndoStack* stack);

} // namespace views
