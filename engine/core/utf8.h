#pragma once
// Text that is not UTF-8 (a CSV saved as Latin-1 by an old spreadsheet, a run
// name typed in a Latin-1 terminal) must not reach JSON, which only holds UTF-8:
// nlohmann::json refuses to dump it, and one such string made every later
// `runs list --json` fail. Input is read as UTF-8 when it is valid UTF-8 and as
// Latin-1 otherwise (converted, with a notice from the caller); nothing invalid
// is ever written.
#include <string>
#include <string_view>

namespace nn::utf8 {

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or values
// above U+10FFFF).
bool valid(std::string_view s);

// Latin-1 (ISO 8859-1) bytes as UTF-8: every byte is the code point of its value.
std::string fromLatin1(std::string_view s);

// `s` itself when valid UTF-8, else `s` read as Latin-1 and converted; sets
// *converted (when given) to whether it was converted.
std::string decode(std::string_view s, bool* converted = nullptr);

} // namespace nn::utf8
