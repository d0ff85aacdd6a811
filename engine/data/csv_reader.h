#pragma once
// Private to engine/data: splits CSV text into records of fields. Hand-written
// (no dependency) and deliberately small: RFC 4180 quoting ("a, b" and "" for a
// literal quote, newlines allowed inside quotes), CRLF or LF line ends, a UTF-8
// byte-order mark ignored, blank lines skipped, unquoted fields trimmed.
#include <string>
#include <vector>

namespace nn::data::csv {

struct Record {
    int line = 0;  // 1-based line where the record starts, for error messages
    std::vector<std::string> fields;
};

// `source` names the file in error messages (nn::Error).
std::vector<Record> parse(const std::string& text, char delimiter, const std::string& source);

} // namespace nn::data::csv
