// CSV tokenizer: text -> records of fields, one pass, a small state machine.
#include "engine/data/csv_reader.h"

#include "engine/core/error.h"

namespace nn::data::csv {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t'; }

std::string trimmed(const std::string& s)
{
    size_t b = 0, e = s.size();
    while (b < e && isSpace(s[b])) ++b;
    while (e > b && isSpace(s[e - 1])) --e;
    return s.substr(b, e - b);
}

std::string printable(char c)
{
    if (c >= 32 && c < 127) return std::string("'") + c + "'";
    return "byte " + std::to_string(int(static_cast<unsigned char>(c)));
}

} // namespace

std::vector<Record> parse(const std::string& text, char delimiter, const std::string& source)
{
    std::vector<Record> records;
    size_t i = 0;
    if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // UTF-8 BOM (spreadsheet exports)

    int line = 1;
    Record rec;
    rec.line = 1;
    std::string field;
    bool quoted = false;      // the current field was quoted: keep its spaces
    bool fieldStarted = false;  // any non-space seen in the current field

    auto endField = [&] {
        rec.fields.push_back(quoted ? field : trimmed(field));
        field.clear();
        quoted = false;
        fieldStarted = false;
    };
    auto endRecord = [&] {
        const bool wasQuoted = quoted;
        endField();
        // A blank (or all-space) line is one empty unquoted field: skip it.
        const bool blank = rec.fields.size() == 1 && rec.fields[0].empty() && !wasQuoted;
        if (!blank) records.push_back(std::move(rec));
        rec = Record {};
        rec.line = line;
    };

    const size_t n = text.size();
    while (i < n) {
        const char c = text[i];
        if (c == '"' && !fieldStarted && !quoted) {
            // Quoted field: read to the closing quote; "" is a literal quote.
            const int openLine = line;
            field.clear();
            ++i;
            for (;;) {
                if (i >= n)
                    throw Error(source + " line " + std::to_string(openLine) +
                                ": a quoted field is never closed (add the missing '\"')");
                if (text[i] == '"') {
                    if (i + 1 < n && text[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                if (text[i] == '\n') ++line;
                field += text[i++];
            }
            quoted = true;
            fieldStarted = true;
            // Only spaces may follow the closing quote before the delimiter.
            while (i < n && isSpace(text[i]) && text[i] != delimiter) ++i;
            if (i < n && text[i] != delimiter && text[i] != '\n' && text[i] != '\r')
                throw Error(source + " line " + std::to_string(line) + ": unexpected " + printable(text[i]) +
                            " after the closing quote of field " + std::to_string(rec.fields.size() + 1) +
                            " (quote the whole field, and write a literal quote as \"\")");
            continue;
        }
        if (c == delimiter) {
            endField();
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
            ++line;
            endRecord();
        } else {
            if (!isSpace(c)) fieldStarted = true;
            field += c;
        }
        ++i;
    }
    if (!field.empty() || quoted || !rec.fields.empty()) endRecord();
    return records;
}

} // namespace nn::data::csv
