#include "app/cli/args.h"

#include <iomanip>
#include <sstream>

#include <cmath>
#include <optional>
#include <cstdlib>

#include "engine/core/error.h"
#include "engine/core/numbers.h"

namespace cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& flags)
{
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a.rfind("--", 0) != 0) throw nn::Error("unexpected argument '" + a + "' (options start with --)");
        std::string name = a.substr(2), value;
        const auto eq = name.find('=');
        if (eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        } else if (!flags.count(name)) {
            if (i + 1 >= argv.size()) throw nn::Error("option --" + name + " needs a value");
            value = argv[++i];
        } else {
            value = "1";
        }
        values_[name] = value;
    }
}

std::string Args::str(const std::string& name, const std::string& fallback) const
{
    auto it = values_.find(name);
    return it == values_.end() ? fallback : it->second;
}

std::string Args::required(const std::string& name) const
{
    if (!has(name)) throw nn::Error("option --" + name + " is required");
    return str(name);
}

namespace {
// 0, 349, 0.9, 1e-12: as a person writes them, not std::to_string's 0.000000.
std::string shortNumber(double v)
{
    return nn::num::general(v, 12);
}
} // namespace

double Args::number(const std::string& name, double fallback, double lo, double hi) const
{
    if (!has(name)) return fallback;
    const std::string s = str(name);
    const std::optional<double> parsed = nn::num::parseDouble(s);  // "0.5" in every locale
    if (!parsed || !std::isfinite(*parsed)) throw nn::Error("option --" + name + " needs a number, got '" + s + "'");
    const double v = *parsed;
    if (v < lo || v > hi)
        throw nn::Error("option --" + name + " must be between " + shortNumber(lo) + " and " + shortNumber(hi)
                        + ", got " + s);
    return v;
}

int Args::integer(const std::string& name, int fallback, int lo, int hi) const
{
    const double v = number(name, fallback, lo, hi);
    if (v != std::floor(v)) throw nn::Error("option --" + name + " needs a whole number, got '" + str(name) + "'");
    return int(v);
}

void Args::allowOnly(const std::set<std::string>& known) const
{
    for (const auto& [name, value] : values_)
        if (!known.count(name)) {
            std::string list;
            for (const auto& k : known) list += (list.empty() ? "--" : ", --") + k;
            throw nn::Error("unknown option --" + name + " (this command takes " + list + ")");
        }
}

} // namespace cli
