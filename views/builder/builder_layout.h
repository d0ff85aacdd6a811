#pragma once
// Auto-layout for the builder: layers flow top to bottom, one row per depth
// (longest path from the Input), side branches beside each other in a row.
#include <map>
#include <utility>

namespace views::builder {

class Document;

inline constexpr double kNodeWidth = 210;
inline constexpr double kNodeHeight = 80;
inline constexpr double kRowGap = 26;
inline constexpr double kColumnGap = 40;

// Top-left position for every node uid. Cycles do not hang it (each depth is
// relaxed at most once per node).
std::map<int, std::pair<double, double>> autoLayout(const Document& doc);

} // namespace views::builder
