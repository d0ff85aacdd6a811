// CSV import: records (from csv_reader) -> a Dataset. Decides whether the first
// row is a header, finds the label column, parses features and maps labels to
// classes, and names the line, column and fix in every error.
#include "engine/data/csv_reader.h"
#include "engine/data/dataset.h"

#include "engine/core/error.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace nn::data {
namespace {

// More classes than this almost always means the wrong column was taken as the
// label (an ID or a measurement), and would make an absurd output layer.
constexpr size_t kMaxClasses = 1000;

std::optional<double> parseNumber(const std::string& s)
{
    if (s.empty()) return std::nullopt;
    const char* b = s.data();
    const char* e = s.data() + s.size();
    if (*b == '+') ++b;  // from_chars rejects an explicit plus sign
    double v = 0;
    const auto [ptr, ec] = std::from_chars(b, e, v);
    if (ec != std::errc() || ptr != e) return std::nullopt;
    return v;
}

bool isNumber(const std::string& s) { return parseNumber(s).has_value(); }

bool isIndex(const std::string& s)
{
    if (s.empty() || s.size() > 9) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

std::string readText(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw Error(path + ": no such file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open the file (check its permissions)");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string joinColumns(const std::vector<std::string>& names)
{
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) {
        if (i) out += ", ";
        out += "'" + names[i] + "'";
    }
    return out;
}

} // namespace

Dataset loadCsv(const std::string& path, const CsvOptions& options)
{
    const std::vector<csv::Record> rows = csv::parse(readText(path), options.delimiter, path);
    if (rows.empty()) throw Error(path + ": the file is empty (expected rows of numbers, with the label in one column)");

    const size_t columns = rows[0].fields.size();
    if (columns < 2)
        throw Error(path + " line " + std::to_string(rows[0].line) + ": only 1 column; a data set needs at least " +
                    "one feature column and a label column" +
                    (options.delimiter == ',' ? " (is the file separated by ';' or tabs? set the delimiter)" : ""));

    // --- header and label column ---
    const std::string& want = options.labelColumn;
    const bool byName = !want.empty() && !isIndex(want);
    size_t label = columns - 1;
    if (!want.empty() && !byName) {
        label = size_t(std::stoul(want));
        if (label >= columns)
            throw Error(path + ": label column " + want + " is out of range: the file has " + std::to_string(columns) +
                        " columns, numbered 0.." + std::to_string(columns - 1));
    }
    // The first row is a header when a feature field is not a number, or when
    // only its label field is text but the next row's label is a number.
    bool header = false;
    for (size_t c = 0; c < columns; ++c)
        if (c != label && !isNumber(rows[0].fields[c])) header = true;
    if (!header && !isNumber(rows[0].fields[label]) && rows.size() > 1 && rows[1].fields.size() > label &&
        isNumber(rows[1].fields[label]))
        header = true;
    if (byName) {
        if (!header)
            throw Error(path + ": label column '" + want + "' not found: the file has no header row (its first " +
                        "row holds numbers); give the label column as a 0-based index instead");
        label = columns;
        for (size_t c = 0; c < columns && label == columns; ++c)
            if (rows[0].fields[c] == want) label = c;
        if (label == columns)
            throw Error(path + ": label column '" + want + "' not found; available columns: " +
                        joinColumns(rows[0].fields));
    }
    std::vector<std::string> names;
    for (size_t c = 0; c < columns; ++c)
        names.push_back(header ? rows[0].fields[c] : "column " + std::to_string(c + 1));
    auto describe = [&](size_t c) {
        return "column " + std::to_string(c + 1) + (header ? " ('" + names[c] + "')" : "");
    };

    const size_t first = header ? 1 : 0;
    if (rows.size() <= first) throw Error(path + ": has a header row but no data rows");

    // --- features, with labels kept as text until we know their kind ---
    Dataset d;
    d.name = std::filesystem::path(path).stem().string();
    d.sampleShape = {int64_t(columns - 1)};
    d.features.reserve((rows.size() - first) * (columns - 1));
    std::vector<const std::string*> labelText;
    std::vector<int> labelLine;
    bool allNumeric = true;
    for (size_t r = first; r < rows.size(); ++r) {
        const csv::Record& row = rows[r];
        if (row.fields.size() != columns)
            throw Error(path + " line " + std::to_string(row.line) + ": " + std::to_string(row.fields.size()) +
                        (row.fields.size() == 1 ? " field" : " fields") + ", expected " + std::to_string(columns) +
                        " (like line " + std::to_string(rows[0].line) + ")");
        for (size_t c = 0; c < columns; ++c) {
            const std::string& f = row.fields[c];
            if (c == label) continue;
            const std::optional<double> v = parseNumber(f);
            if (!v)
                throw Error(path + " line " + std::to_string(row.line) + ": " + describe(c) +
                            (f.empty() ? " is empty, not a number" : " is '" + f + "', not a number"));
            if (!std::isfinite(float(*v)))
                throw Error(path + " line " + std::to_string(row.line) + ": " + describe(c) + " is '" + f +
                            "', not a finite number");
            d.features.push_back(float(*v));
        }
        if (row.fields[label].empty())
            throw Error(path + " line " + std::to_string(row.line) + ": the label in " + describe(label) +
                        " is empty: every row needs a class");
        labelText.push_back(&row.fields[label]);
        labelLine.push_back(row.line);
        if (!isNumber(row.fields[label])) allNumeric = false;
    }

    // --- labels: numbers are class indices, text maps in order of appearance ---
    d.labels.reserve(labelText.size());
    if (allNumeric) {
        int maxLabel = 0;
        for (size_t k = 0; k < labelText.size(); ++k) {
            const double v = *parseNumber(*labelText[k]);
            if (v < 0 || v != std::floor(v) || v >= double(kMaxClasses))
                throw Error(path + " line " + std::to_string(labelLine[k]) + ": label '" + *labelText[k] + "' in " +
                            describe(label) + " is not a class index: numeric labels must be whole numbers 0.." +
                            std::to_string(kMaxClasses - 1) + " (or use text labels)");
            d.labels.push_back(int32_t(v));
            maxLabel = std::max(maxLabel, int(v));
        }
        d.numClasses = maxLabel + 1;
        for (int c = 0; c < d.numClasses; ++c) d.classNames.push_back(std::to_string(c));
    } else {
        std::map<std::string, int32_t> classOf;
        for (size_t k = 0; k < labelText.size(); ++k) {
            const std::string& t = *labelText[k];
            auto it = classOf.find(t);
            if (it == classOf.end()) {
                if (classOf.size() == kMaxClasses)
                    throw Error(path + " line " + std::to_string(labelLine[k]) + ": more than " +
                                std::to_string(kMaxClasses) + " distinct labels in " + describe(label) +
                                ": is that the right label column? (set the label column by name or index)");
                it = classOf.emplace(t, int32_t(classOf.size())).first;
                d.classNames.push_back(t);
            }
            d.labels.push_back(it->second);
        }
        d.numClasses = int(d.classNames.size());
    }
    return d;
}

} // namespace nn::data
