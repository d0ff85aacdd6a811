#pragma once
// Helpers for the CLI's output: one JSON object per line with --json.
#include <cmath>
#include <iostream>

#include <nlohmann/json.hpp>

namespace cli {

// NaN/inf are not JSON; they become null.
inline nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

inline void emit(const nlohmann::json& j)
{
    std::cout << j.dump() << '\n' << std::flush;
}

} // namespace cli
