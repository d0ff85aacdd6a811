#include "views/common/paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace views {

QString assetsDir()
{
    const QString env = qEnvironmentVariable("NNSTUDIO_ASSETS");
    if (!env.isEmpty() && QFileInfo(env).isDir()) return env;
    const QString installed = QCoreApplication::applicationDirPath() + "/../share/nnstudio/assets";
    if (QFileInfo(installed).isDir()) return QDir(installed).absolutePath();
    return QStringLiteral(NN_SOURCE_DIR "/assets");
}

QString sampleModelsDir() { return assetsDir() + "/models"; }

} // namespace views
