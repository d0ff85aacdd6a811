// CSV import: records (from csv_reader) -> a Dataset. Decides whether the first
// row is a header, finds the label column, parses features and maps labels to
// classes, and names the line, column and fix in every error.
#include "engine/data/csv_reader.h"
#include "engine/data/dataset.h"

#include "engine/core/error.h"
#include "engine/core/numbers.h"
#include "engine/core/utf8.h"

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

std::optional<double> parseNumber(const std::string& s) { return num::parseDouble(s); }

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

// Whether the first row, whose features all read as numbers, is still a header
// (`2020,2021,label`): its label cannot be a label of the rest. Returns why, for
// the notice, or empty when it is data.
std::string headerByLabel(const std::vector<csv::Record>& rows, size_t label, const CsvOptions& options)
{
    std::vector<const std::string*> rest;
    for (size_t r = 1; r < rows.size(); ++r)
        if (rows[r].fields.size() > label) rest.push_back(&rows[r].fields[label]);
    if (rest.empty()) return {};
    const std::string& first = rows[0].fields[label];
    const std::string quoted = "'" + first + "'";
    // A model's class names: a first label it does not know above rows it does.
    if (!options.classes.empty()) {
        const bool numericNames = std::any_of(options.classes.begin(), options.classes.end(), isNumber);
        const auto known = [&](const std::string& t) {  // by name, or a class index when names are text
            return std::find(options.classes.begin(), options.classes.end(), t) != options.classes.end()
                   || (!numericNames && isNumber(t));
        };
        if (known(first)) return {};  // a class the model knows: data
        if (known(*rest[0]))
            return "its label " + quoted + " is not one of the model's classes, and the next row's is";
    }
    // Text above numbers: a column name over class indices.
    if (!isNumber(first) && isNumber(*rest[0])) return "its label " + quoted + " is text above numeric labels";
    // A label that never recurs above labels that do: a name, not a class. (A
    // real class of one sample that happens to come first is the rare case; the
    // notice says what was done.)
    std::map<std::string, int> count;
    for (const std::string* t : rest) ++count[*t];
    const bool restRepeats = count.size() < rest.size();
    if (count.count(first) || !restRepeats) return {};
    if (!isNumber(first)) return "its label " + quoted + " appears in no other row, while every other label repeats";
    // Numbers: a one-off value outside the class indices of the rest (a year, 2.5).
    bool restAreIndices = true;
    double maxRest = 0;
    for (const std::string* t : rest) {
        const std::optional<double> v = parseNumber(*t);
        restAreIndices = restAreIndices && v && *v >= 0 && *v == std::floor(*v);
        if (v) maxRest = std::max(maxRest, *v);
    }
    const double v = *parseNumber(first);
    if (restAreIndices && (v < 0 || v != std::floor(v) || v > maxRest + 1))
        return "its label " + quoted + " appears in no other row and is not a class index like the others";
    return {};
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
    std::vector<std::string> notices;
    std::string text = readText(path);
    if (!utf8::valid(text)) {
        // Old spreadsheets save Latin-1; JSON (model files, --json, the run
        // history) holds only UTF-8, so labels must be converted here, once.
        text = utf8::fromLatin1(text);
        notices.push_back(utf8::decode(path) + ": the file is not UTF-8; it was read as Latin-1 (ISO 8859-1) and "
                          "its text converted (save it as UTF-8 to keep other characters)");
    }
    const std::vector<csv::Record> rows = csv::parse(text, options.delimiter, path);
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
    // The first row is a header when a feature field is not a number, when it
    // holds the label column's name (--label NAME), or when its label cannot be a
    // label of the rest (numeric-looking names such as `2020,2021,label`).
    bool header = false;
    for (size_t c = 0; c < columns; ++c)
        if (c != label && !isNumber(rows[0].fields[c])) header = true;
    if (!header && byName)
        header = std::find(rows[0].fields.begin(), rows[0].fields.end(), want) != rows[0].fields.end();
    if (!header) {
        const std::string why = headerByLabel(rows, label, options);
        if (!why.empty()) {
            header = true;
            notices.push_back(utf8::decode(path) + ": line " + std::to_string(rows[0].line) +
                              " was read as the header, although its columns look numeric: " + why);
        }
    }
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
    d.name = utf8::decode(std::filesystem::path(path).stem().string());
    d.notices = notices;
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

    // --- labels: a model's classes by name; else numbers are class indices and
    // text maps in order of appearance ---
    d.labels.reserve(labelText.size());
    if (!options.classes.empty()) {
        const int32_t n = int32_t(options.classes.size());
        std::map<std::string, int32_t> classOf;
        bool numericNames = false;  // a model trained on numeric labels names its classes "0", "1", ...
        for (int32_t c = 0; c < n; ++c) {
            classOf.emplace(options.classes[size_t(c)], c);
            numericNames = numericNames || isNumber(options.classes[size_t(c)]);
        }
        for (size_t k = 0; k < labelText.size(); ++k) {
            const std::string& t = *labelText[k];
            const std::string where = path + " line " + std::to_string(labelLine[k]) + ": label '" + t + "' in " + describe(label);
            auto it = classOf.find(t);
            int32_t cls = it == classOf.end() ? -1 : it->second;
            const std::optional<double> v = parseNumber(t);
            if (cls < 0 && v && *v == std::floor(*v) && std::abs(*v) < 1e15) {
                if (numericNames) {  // "1.0" for the class the model calls "1"
                    it = classOf.find(num::shortest(*v));
                    if (it != classOf.end()) cls = it->second;
                } else if (*v >= 0 && *v < n) {  // a class index, as when training on it
                    cls = int32_t(*v);
                } else {
                    throw Error(where + " is class index " + num::shortest(*v) + ", but the model knows " +
                                std::to_string(n) + " classes (indices 0.." + std::to_string(n - 1) + ": " +
                                joinColumns(options.classes) + ")");
                }
            }
            if (cls < 0)
                throw Error(where + " is not one of the model's " + std::to_string(n) + " classes (" +
                            joinColumns(options.classes) +
                            "): the model can only be scored on the classes it was trained on");
            d.labels.push_back(cls);
        }
        d.numClasses = int(options.classes.size());
        d.classNames = options.classes;
    } else if (allNumeric) {
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
