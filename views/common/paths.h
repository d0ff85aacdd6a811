#pragma once
// Where the app finds its bundled files (sample models, lessons), whether it
// runs from the build tree, an installed .deb, or with NNSTUDIO_ASSETS set.
#include <QString>

namespace views {

// The assets/ folder: $NNSTUDIO_ASSETS, else next to the executable's
// ../share/nnstudio/assets, else the source tree this binary was built from.
QString assetsDir();
QString sampleModelsDir();
// A file in the sample models folder.
inline QString sampleModelsDirFile(const QString& name) { return sampleModelsDir() + "/" + name; }

} // namespace views
