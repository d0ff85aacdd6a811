#include "engine/io/inference.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "engine/core/error.h"
#include "engine/core/numbers.h"
#include "engine/data/csv_reader.h"  // the engine's one CSV tokenizer (quoting, CRLF, BOM)

namespace nn::io {

namespace {

// One graph per batch size (a full batch and the remainder), evaluation mode.
class Runner {
public:
    Runner(const Model& model, bool withLoss) : model_(model), withLoss_(withLoss) {}
    BuiltGraph& graph(int n)
    {
        auto it = graphs_.find(n);
        if (it == graphs_.end()) {
            it = graphs_.emplace(n, model_.build(n, withLoss_)).first;
            it->second.graph.setTraining(false);
        }
        return it->second;
    }

private:
    const Model& model_;
    bool withLoss_;
    std::map<int, BuiltGraph> graphs_;
};

} // namespace

InputRows readInputCsv(const std::string& path, size_t features, const std::string& dropColumn)
{
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(path + ": cannot open the input file (does it exist?)");
    std::stringstream ss;
    ss << f.rdbuf();
    const auto records = data::csv::parse(ss.str(), ',', path);
    auto parseNumber = [](const std::string& s, float& v) {
        const std::optional<double> d = num::parseDouble(s);  // not strtof: the locale's decimal point
        if (!d) return false;
        v = float(*d);
        return std::isfinite(v);
    };
    InputRows in;
    if (records.empty()) throw Error(path + ": the file has no rows");
    size_t first = 0;
    long drop = -1;
    {
        float v;
        bool numeric = true;
        for (const auto& field : records[0].fields) numeric = numeric && parseNumber(field, v);
        if (!numeric) first = 1;  // a header
        if (!dropColumn.empty()) {
            if (first == 1)
                for (size_t c = 0; c < records[0].fields.size(); ++c)
                    if (records[0].fields[c] == dropColumn) drop = long(c);
            if (drop < 0) {
                char* end = nullptr;
                const long idx = std::strtol(dropColumn.c_str(), &end, 10);
                if (*end != '\0' || idx < 0 || size_t(idx) >= records[0].fields.size())
                    throw Error(path + ": column '" + dropColumn + "' is not a header name or a column index (0 to "
                                + std::to_string(records[0].fields.size() - 1) + ")");
                drop = idx;
            }
        }
    }
    const size_t want = features + (drop >= 0 ? 1 : 0);
    in.values.reserve((records.size() - first) * features);
    for (size_t r = first; r < records.size(); ++r) {
        const auto& rec = records[r];
        if (rec.fields.size() != want)
            throw Error(path + ": line " + std::to_string(rec.line) + ": expected " + std::to_string(want)
                        + " values (the model takes " + std::to_string(features) + " features"
                        + (drop >= 0 ? " plus the dropped column" : "") + "), got " + std::to_string(rec.fields.size())
                        + (rec.fields.size() == features + 1 && drop < 0
                               ? "; if the last column is a label, pass --label with its name or index"
                               : ""));
        for (size_t c = 0; c < rec.fields.size(); ++c) {
            if (long(c) == drop) continue;
            float v;
            if (!parseNumber(rec.fields[c], v))
                throw Error(path + ": line " + std::to_string(rec.line) + ", column " + std::to_string(c + 1)
                            + ": '" + rec.fields[c] + "' is not a number");
            in.values.push_back(v);
        }
        ++in.rows;
    }
    if (!in.rows) throw Error(path + ": the file has a header but no rows");
    return in;
}

int predictedClass(const float* row, int outputs)
{
    if (outputs == 1) return row[0] > 0.0f ? 1 : 0;
    return int(std::max_element(row, row + outputs) - row);
}

std::vector<float> predictRows(const Model& model, const float* x, size_t rows, int batch)
{
    const size_t features = size_t(Shape(model.inputShape()).numel());
    const size_t outputs = size_t(model.outputs());
    std::vector<float> out(rows * outputs);
    Runner runner(model, false);
    batch = std::max(1, batch);
    for (size_t pos = 0; pos < rows;) {
        const int n = int(std::min<size_t>(size_t(batch), rows - pos));
        BuiltGraph& b = runner.graph(n);
        std::copy_n(x + pos * features, size_t(n) * features, b.graph.node(b.input).value.data());
        b.graph.forward();
        std::copy_n(b.graph.node(b.output).value.data(), size_t(n) * outputs, out.data() + pos * outputs);
        pos += size_t(n);
    }
    return out;
}

EvalResult evaluateModel(const Model& model, const data::Dataset& d, int batch)
{
    const size_t features = size_t(Shape(model.inputShape()).numel());
    if (d.size() && d.featureCount() != features)
        throw Error("data set '" + d.name + "' has " + std::to_string(d.featureCount())
                    + " features per sample but model '" + model.spec().name + "' takes "
                    + Shape(model.inputShape()).str() + " = " + std::to_string(features));
    const bool binary = model.spec().loss == "log_loss";
    const int maxClass = binary ? 2 : model.outputs();
    for (size_t i = 0; i < d.size(); ++i)
        if (d.labels[i] < 0 || d.labels[i] >= maxClass)
            throw Error("data set '" + d.name + "': sample " + std::to_string(i) + " has label "
                        + std::to_string(d.labels[i]) + " but model '" + model.spec().name + "' knows "
                        + std::to_string(maxClass) + " classes");
    EvalResult r;
    r.samples = d.size();
    if (!d.size()) {
        r.loss = r.accuracy = std::nan("");
        return r;
    }
    Runner runner(model, true);
    batch = std::max(1, batch);
    double lossSum = 0;
    size_t hits = 0;
    const int outputs = model.outputs();
    for (size_t pos = 0; pos < d.size();) {
        const int n = int(std::min<size_t>(size_t(batch), d.size() - pos));
        BuiltGraph& b = runner.graph(n);
        std::copy_n(d.sample(pos), size_t(n) * features, b.graph.node(b.input).value.data());
        float* y = b.graph.node(b.labels).value.data();
        for (int i = 0; i < n; ++i) y[i] = float(d.labels[pos + size_t(i)]);
        b.graph.forward();
        lossSum += double(b.graph.node(b.loss).value.item()) * n;
        const float* out = b.graph.node(b.output).value.data();
        for (int i = 0; i < n; ++i)
            hits += predictedClass(out + size_t(i) * size_t(outputs), outputs) == d.labels[pos + size_t(i)];
        pos += size_t(n);
    }
    r.loss = lossSum / double(d.size());
    r.accuracy = double(hits) / double(d.size());
    return r;
}

} // namespace nn::io
