#include "engine/core/numbers.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <system_error>

namespace nn::num {
namespace {

// to_chars into a fixed buffer: 64 characters hold any double in these formats
// but fixed notation of a huge value, which gets a bigger buffer.
template <class... A> std::string chars(double v, A... format)
{
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v, format...);
    if (r.ec == std::errc()) return std::string(buf, r.ptr);
    std::string big(400, '\0');  // 309 digits + sign + point + up to ~80 decimals
    r = std::to_chars(big.data(), big.data() + big.size(), v, format...);
    big.resize(r.ec == std::errc() ? size_t(r.ptr - big.data()) : 0);
    return big;
}

std::string special(double v)
{
    if (std::isnan(v)) return "nan";
    return v < 0 ? "-inf" : "inf";
}

} // namespace

Prefix parsePrefix(std::string_view s)
{
    Prefix p;
    const char* b = s.data();
    const char* e = s.data() + s.size();
    const char* start = b;
    if (b != e && *b == '+') {  // from_chars takes '-' but not '+'
        ++b;
        if (b != e && *b == '-') return p;
    }
    // from_chars would also read "inf" and "nan"; a number starts with a digit or a point.
    const char* digits = b != e && *b == '-' ? b + 1 : b;
    if (digits == e || !(std::isdigit(static_cast<unsigned char>(*digits)) || *digits == '.')) return p;
    double v = 0;
    const auto r = std::from_chars(b, e, v, std::chars_format::general);
    if (r.ec == std::errc::invalid_argument) return p;
    p.used = size_t(r.ptr - start);
    p.value = v;
    p.outOfRange = r.ec == std::errc::result_out_of_range;
    return p;
}

std::optional<double> parseDouble(std::string_view s, bool allowSpecial)
{
    if (s.empty()) return std::nullopt;
    if (allowSpecial) {
        std::string_view t = s;
        const bool negative = !t.empty() && t[0] == '-';
        if (!t.empty() && (t[0] == '-' || t[0] == '+')) t.remove_prefix(1);
        std::string lower(t);
        for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "inf" || lower == "infinity") return negative ? -HUGE_VAL : HUGE_VAL;
        if (lower == "nan") return std::nan("");
    }
    const Prefix p = parsePrefix(s);
    if (p.used != s.size() || p.outOfRange) return std::nullopt;
    return p.value;
}

std::optional<int64_t> parseInt(std::string_view s)
{
    const char* b = s.data();
    const char* e = s.data() + s.size();
    if (b != e && *b == '+') {
        ++b;
        if (b == e || *b == '-') return std::nullopt;
    }
    int64_t v = 0;
    const auto r = std::from_chars(b, e, v, 10);
    if (r.ec != std::errc() || r.ptr != e) return std::nullopt;
    return v;
}

std::string shortest(double v)
{
    if (!std::isfinite(v)) return special(v);
    return chars(v);
}

std::string shortest(float v)
{
    if (!std::isfinite(v)) return special(double(v));
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

double asTyped(float v)
{
    if (!std::isfinite(v)) return double(v);
    const std::string text = shortest(v);
    double d = 0;
    std::from_chars(text.data(), text.data() + text.size(), d);
    return d;
}

std::string fixed(double v, int decimals)
{
    if (!std::isfinite(v)) return special(v);
    return chars(v, std::chars_format::fixed, decimals < 0 ? 0 : decimals);
}

std::string general(double v, int significant)
{
    if (!std::isfinite(v)) return special(v);
    return chars(v, std::chars_format::general, significant < 1 ? 1 : significant);
}

} // namespace nn::num
