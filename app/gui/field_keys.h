#pragma once
// Keys in the main window's form fields, so that the app's shortcuts are not lost
// to whichever field has the focus (a spin box's text takes Space, Ctrl+Z and
// Ctrl+Shift+Z for itself):
// - Esc or Enter leaves a spin box or combo box: the typed value is committed (or,
//   when it is not a valid number, set back to the last one) and the focus goes
//   back to the main view, where Space, Ctrl+Z and the rest work;
// - Space in a spin box is Train/Pause: a number has no spaces, and typing one
//   used to blank the field;
// - Ctrl+Z in a spin box takes back the field's unfinished typing (text that is
//   not a value yet), else it is the app's Undo; Ctrl+Shift+Z / Ctrl+Y are the
//   app's Redo. In a text field (a line edit) Ctrl+Z undoes the field's own typing
//   while it has some, and is the app's Undo after that; Space types a space.
// Dialogs keep Qt's own behaviour.
#include <QObject>
#include <QPointer>
#include <functional>

class QAction;
class QLineEdit;
class QWidget;

class FieldKeys : public QObject {
public:
    struct Actions {
        QAction* trainPause = nullptr;
        QAction* undo = nullptr;
        QAction* redo = nullptr;
    };
    // Watches key events for the widgets of `window` (installed on the application);
    // `mainView` is where the focus goes when a field is left.
    FieldKeys(QWidget* window, Actions actions, std::function<QWidget*()> mainView);
    ~FieldKeys() override;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    bool inWindow(QWidget* w) const;
    void leave(QWidget* field);

    QWidget* window_;
    Actions actions_;
    // The text field whose Ctrl+Z last went to the app, and its text then: its
    // Ctrl+Shift+Z goes to the app too while that text is unchanged (the redo
    // the user means is of what they just undid, not of the field's old typing).
    QPointer<QLineEdit> routedFrom_;
    QString routedText_;
    std::function<QWidget*()> mainView_;
};
