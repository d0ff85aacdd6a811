#pragma once
// The drawn network as a picture for slides: PNG (at `scale`× for sharp text) or
// SVG (vector, via QSvgGenerator). Selection is not drawn. "" on success, else the
// message naming the file.
#include <QString>

namespace views::builder {

class BuilderScene;

QString exportPng(BuilderScene* scene, const QString& path, double scale = 2.0);
QString exportSvg(BuilderScene* scene, const QString& path);

} // namespace views::builder
