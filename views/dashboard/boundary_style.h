#pragma once
// What the decision-boundary view's files share (boundary_view.cpp: API and
// interaction; boundary_compute.cpp: the network over the plane; boundary_paint.cpp:
// layout and painting): colours, number formatting, small helpers. Private to it.
#include <QColor>
#include <QString>
#include <cmath>
#include <string>

namespace views::boundary {

// TensorFlow Playground's orange and blue first, then a qualitative palette.
inline const QColor kClassColors[] = {QColor(245, 147, 34), QColor(8, 119, 189),  QColor(44, 160, 44),
                                      QColor(148, 103, 189), QColor(214, 39, 40), QColor(23, 190, 207),
                                      QColor(140, 86, 75),   QColor(227, 119, 194), QColor(188, 189, 34),
                                      QColor(127, 127, 127)};
inline constexpr int kMaxThumbsPerLayer = 32;
inline const QChar kMinus(0x2212);
inline const QChar kDot(0x00B7);

inline QRgb mixRgb(QRgb a, QRgb b, double t)
{
    auto ch = [t](int x, int y) { return int(std::lround(x + (y - x) * t)); };
    return qRgb(ch(qRed(a), qRed(b)), ch(qGreen(a), qGreen(b)), ch(qBlue(a), qBlue(b)));
}

// A "nice" tick step (1, 2 or 5 × 10^k) giving about `count` ticks over `span`.
inline double niceStep(double span, int count)
{
    if (!(span > 0)) return 1;
    const double raw = span / count;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double n = raw / mag;
    return (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
}

inline QString signedNumber(double v, int decimals)
{
    QString s = QString::number(std::abs(v), 'f', decimals);
    if (v < 0 && s.toDouble() != 0) s.prepend(kMinus);
    return s;
}

inline bool isActivationType(const std::string& t)
{
    return t == "sigmoid" || t == "tanh" || t == "relu" || t == "leaky_relu" || t == "elu";
}

} // namespace views::boundary
