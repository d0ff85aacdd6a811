#pragma once
// Numbers to and from text, the same in every locale. The GUI runs under the
// user's locale (Qt calls setlocale(LC_ALL, "")), where std::stod, strtod and
// printf's %f/%g read and write a decimal comma in German: "0.5" stops parsing at
// the '.', and a CSV export writes "0,6931". Everything that parses or formats a
// number for a file, a formula, a flag or JSON goes through here, built on
// std::from_chars / std::to_chars, which never look at the locale.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nn::num {

// The whole of `s` as a decimal number: "0.5", "-3", "+2", "1e-4", ".5", "5.".
// No spaces, no hex, no thousands separators; "inf"/"nan" only with allowSpecial.
// nullopt when it is not exactly one number or lies outside double's range.
std::optional<double> parseDouble(std::string_view s, bool allowSpecial = false);
// The whole of `s` as a whole number in base 10 ("12", "-3", "+4").
std::optional<int64_t> parseInt(std::string_view s);

// The longest number at the start of `s` (a tokenizer's view): the characters it
// took (0 when `s` does not start with a number) and its value. `outOfRange` is
// set when the digits are a number too large (or too small) for a double.
struct Prefix {
    size_t used = 0;
    double value = 0;
    bool outOfRange = false;
};
Prefix parsePrefix(std::string_view s);

// The shortest text that reads back as exactly `v` ("0.1", "0.123456789",
// "1e-05"); inf, -inf and nan as those words. For files and JSON: a value written
// and read back is the same value.
std::string shortest(double v);
// The same for a float: 0.03f gives "0.03", not double's "0.029999999329447746".
std::string shortest(float v);
// The double whose shortest text is the float's: what a float hyperparameter is
// stored as in JSON (0.03, not 0.029999999329447746), and reads back as the same float.
double asTyped(float v);

// printf's %.Nf and %.Ng, in the "C" locale whatever the process's locale is.
std::string fixed(double v, int decimals);
std::string general(double v, int significant);

} // namespace nn::num
