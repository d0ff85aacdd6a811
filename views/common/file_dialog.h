#pragma once
// The app's file dialogs: each kind of file ("model", "csv", "history", "trained",
// "onnx", ...) starts in the folder last used for that kind, kept in QSettings
// ("fileDialogs/<kind>"), not in the working directory.
//
// Tests: under NNSTUDIO_NO_DIALOGS no dialog is shown; `fileDialogHook`, when set,
// gets the dialog as configured (mode, folder, button text) and returns the
// answer ("" cancels); without it every dialog is cancelled.
#include <QString>
#include <functional>

class QFileDialog;
class QWidget;

namespace views {

// A file to open (it must exist).
QString openFileName(QWidget* parent, const QString& kind, const QString& title, const QString& filter,
                     const QString& fallbackFolder = {});
// A file to open that may also be a new one: the button says "Open", the name
// typed may not exist yet (the History's "Open history…" creates an empty history).
QString openOrNewFileName(QWidget* parent, const QString& kind, const QString& title, const QString& filter,
                          const QString& fallbackFolder = {});
// A file to write; `suggestedName` is put in the kind's last folder.
QString saveFileName(QWidget* parent, const QString& kind, const QString& title, const QString& suggestedName,
                     const QString& filter);
// A folder (e.g. to export into).
QString existingFolder(QWidget* parent, const QString& kind, const QString& title);

// The folder a dialog of `kind` starts in: the last one used, else `fallback`,
// else the home folder.
QString lastFolder(const QString& kind, const QString& fallback = {});

inline std::function<QString(QFileDialog&)> fileDialogHook;

} // namespace views
