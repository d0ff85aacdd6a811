#include "views/common/file_dialog.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QSettings>

namespace views {

namespace {

QString key(const QString& kind) { return "fileDialogs/" + kind; }

QString run(QFileDialog& dialog, const QString& kind)
{
    QString answer;
    if (fileDialogHook) {
        answer = fileDialogHook(dialog);
    } else if (qEnvironmentVariableIsSet("NNSTUDIO_NO_DIALOGS")) {
        return {};  // tests and screenshots never block on a dialog
    } else if (dialog.exec() == QDialog::Accepted && !dialog.selectedFiles().isEmpty()) {
        answer = dialog.selectedFiles().first();
    }
    if (answer.isEmpty()) return {};
    const QFileInfo picked(answer);
    QSettings().setValue(key(kind), dialog.fileMode() == QFileDialog::Directory ? picked.absoluteFilePath() : picked.absolutePath());
    return answer;
}

} // namespace

QString lastFolder(const QString& kind, const QString& fallback)
{
    const QString last = QSettings().value(key(kind)).toString();
    if (!last.isEmpty() && QFileInfo(last).isDir()) return last;
    if (!fallback.isEmpty() && QFileInfo(fallback).isDir()) return fallback;
    return QDir::homePath();
}

QString openFileName(QWidget* parent, const QString& kind, const QString& title, const QString& filter, const QString& fallbackFolder)
{
    QFileDialog dialog(parent, title, lastFolder(kind, fallbackFolder), filter);
    dialog.setAcceptMode(QFileDialog::AcceptOpen);
    dialog.setFileMode(QFileDialog::ExistingFile);
    return run(dialog, kind);
}

QString openOrNewFileName(QWidget* parent, const QString& kind, const QString& title, const QString& filter,
                          const QString& fallbackFolder)
{
    QFileDialog dialog(parent, title, lastFolder(kind, fallbackFolder), filter);
    dialog.setAcceptMode(QFileDialog::AcceptOpen);
    dialog.setFileMode(QFileDialog::AnyFile);  // a new name is allowed: the caller creates it
    dialog.setLabelText(QFileDialog::Accept, QFileDialog::tr("&Open"));
    return run(dialog, kind);
}

QString saveFileName(QWidget* parent, const QString& kind, const QString& title, const QString& suggestedName, const QString& filter)
{
    const QString name = QFileInfo(suggestedName).isAbsolute() ? suggestedName : lastFolder(kind) + "/" + suggestedName;
    QFileDialog dialog(parent, title, QString(), filter);
    dialog.setAcceptMode(QFileDialog::AcceptSave);
    dialog.setFileMode(QFileDialog::AnyFile);
    dialog.setDirectory(QFileInfo(name).absolutePath());
    dialog.selectFile(QFileInfo(name).fileName());
    return run(dialog, kind);
}

QString existingFolder(QWidget* parent, const QString& kind, const QString& title)
{
    QFileDialog dialog(parent, title, lastFolder(kind));
    dialog.setFileMode(QFileDialog::Directory);
    dialog.setOption(QFileDialog::ShowDirsOnly);
    return run(dialog, kind);
}

} // namespace views
