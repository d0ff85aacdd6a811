#pragma once
// Helpers for the CLI's output: one JSON object per line with --json.
#include <cmath>
#include <iostream>

#include <nlohmann/json.hpp>

namespace cli {

// NaN/inf are not JSON; they become null.
inline nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// Never invalid UTF-8: a byte that is not (a path, an old store's text) becomes
// U+FFFD instead of aborting the output with json's type_error.316.
inline std::string dumpJson(const nlohmann::json& j)
{
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline void emit(const nlohmann::json& j)
{
    std::cout << dumpJson(j) << '\n' << std::flush;
}

} // namespace cli
