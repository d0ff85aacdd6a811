#include "engine/store/run_diff.h"

#include <algorithm>
#include <map>

namespace nn::store {

using nlohmann::json;

namespace {

void addRow(std::vector<SettingRow>& rows, const std::string& key, size_t n)
{
    for (const auto& r : rows)
        if (r.key == key) return;
    rows.push_back({key, std::vector<json>(n, nullptr), false});
}

} // namespace

std::vector<SettingRow> compareSettings(const std::vector<RunInfo>& runs)
{
    static const std::vector<std::string> kOrder = {"epochs", "batch", "lr", "optimizer", "momentum", "weight_decay",
                                                     "schedule", "patience"};
    const size_t n = runs.size();
    std::vector<SettingRow> rows;
    for (const auto& k : kOrder) addRow(rows, k, n);
    for (const auto& r : runs)
        if (r.hyper.is_object())
            for (auto it = r.hyper.begin(); it != r.hyper.end(); ++it) addRow(rows, it.key(), n);
    addRow(rows, "data", n);
    for (const auto& r : runs)
        if (r.datasetParams.is_object())
            for (auto it = r.datasetParams.begin(); it != r.datasetParams.end(); ++it) addRow(rows, "data." + it.key(), n);
    for (const char* k : {"seed", "device", "model", "parent"}) addRow(rows, k, n);
    for (auto& row : rows) {
        for (size_t i = 0; i < n; ++i) {
            const RunInfo& r = runs[i];
            json v;
            if (row.key == "data")
                v = r.dataset;
            else if (row.key.rfind("data.", 0) == 0)
                v = r.datasetParams.is_object() ? r.datasetParams.value(row.key.substr(5), json()) : json();
            else if (row.key == "seed")
                v = r.seed;
            else if (row.key == "device")
                v = r.device;
            else if (row.key == "model")
                v = r.modelName;
            else if (row.key == "parent")
                v = r.parentId ? json(std::to_string(r.parentId) + ":" + std::to_string(r.parentStep)) : json();
            else
                v = r.hyper.is_object() ? r.hyper.value(row.key, json()) : json();
            row.values[i] = v;
        }
        for (size_t i = 1; i < n; ++i) row.differs |= row.values[i] != row.values[0];
    }
    // Drop rows no run has.
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [](const SettingRow& r) {
                                  return std::all_of(r.values.begin(), r.values.end(),
                                                     [](const json& v) { return v.is_null(); });
                              }),
               rows.end());
    return rows;
}

const char* kindName(LayerChange::Kind k)
{
    switch (k) {
    case LayerChange::Kind::Same: return "same";
    case LayerChange::Kind::Changed: return "changed";
    case LayerChange::Kind::Added: return "added";
    case LayerChange::Kind::Removed: return "removed";
    }
    return "?";
}

std::string describeLayer(const json& l)
{
    if (l.is_string()) return l.get<std::string>();
    if (!l.is_object()) return l.dump();
    if (!l.contains("type")) return l.dump();  // the spec's input
    std::string s = l.value("type", std::string("?"));
    auto field = [&](const char* k) {
        if (!l.contains(k)) return std::string();
        const json& v = l[k];
        return v.is_string() ? v.get<std::string>() : v.dump();
    };
    if (s == "dense") s += " " + field("units") + (l.contains("activation") ? " " + field("activation") : "");
    if (s == "conv2d")
        s += " " + field("filters") + " " + field("kernel") + "x" + field("kernel")
             + (l.contains("activation") ? " " + field("activation") : "");
    if (s == "maxpool2d" || s == "avgpool2d") s += " " + field("size");
    if (s == "dropout") s += " " + field("rate");
    if (l.contains("inputs")) s += " <- " + field("inputs");
    return s;
}

std::vector<LayerChange> diffSpecs(const json& a, const json& b)
{
    std::vector<LayerChange> out;
    auto layers = [](const json& spec) {
        std::vector<json> v;
        if (spec.is_object() && spec.contains("layers") && spec["layers"].is_array())
            for (const auto& l : spec["layers"]) v.push_back(l);
        return v;
    };
    auto idOf = [](const json& l) { return l.is_object() ? l.value("id", std::string()) : std::string(); };
    auto compare = [](const std::string& id, const json& x, const json& y) {
        LayerChange c;
        c.id = id;
        c.a = x;
        c.b = y;
        if (x.is_object() && y.is_object()) {
            std::map<std::string, bool> keys;
            for (auto it = x.begin(); it != x.end(); ++it) keys[it.key()] = true;
            for (auto it = y.begin(); it != y.end(); ++it) keys[it.key()] = true;
            for (const auto& [k, _] : keys)
                if (x.value(k, json()) != y.value(k, json())) c.fields.push_back(k);
        } else if (x != y) {
            c.fields.push_back(id);
        }
        c.kind = c.fields.empty() ? LayerChange::Kind::Same : LayerChange::Kind::Changed;
        return c;
    };
    const json inA = a.is_object() ? a.value("input", json()) : json();
    const json inB = b.is_object() ? b.value("input", json()) : json();
    out.push_back(compare("input", inA, inB));
    const auto la = layers(a), lb = layers(b);
    std::map<std::string, const json*> inB_;
    for (const auto& l : lb) inB_[idOf(l)] = &l;
    std::map<std::string, const json*> inA_;
    for (const auto& l : la) inA_[idOf(l)] = &l;
    for (const auto& l : la) {
        const std::string id = idOf(l);
        auto it = inB_.find(id);
        if (it == inB_.end()) {
            LayerChange c;
            c.kind = LayerChange::Kind::Removed;
            c.id = id;
            c.a = l;
            out.push_back(c);
        } else {
            out.push_back(compare(id, l, *it->second));
        }
    }
    // New layers go after the layer that precedes them in b (or after "input").
    std::string previous = "input";
    for (const auto& l : lb) {
        const std::string id = idOf(l);
        if (!inA_.count(id)) {
            LayerChange c;
            c.kind = LayerChange::Kind::Added;
            c.id = id;
            c.b = l;
            auto pos = std::find_if(out.begin(), out.end(), [&](const LayerChange& x) { return x.id == previous; });
            out.insert(pos == out.end() ? out.end() : pos + 1, c);
        }
        previous = id;
    }
    const json lossA = a.is_object() ? a.value("loss", json()) : json();
    const json lossB = b.is_object() ? b.value("loss", json()) : json();
    out.push_back(compare("loss", lossA, lossB));
    return out;
}

} // namespace nn::store
