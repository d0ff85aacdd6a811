#pragma once
// Comparing runs: their settings side by side (hyperparameters, data, seed,
// device) and an architecture diff of their model specs, layer by layer.
// Shared by `nnstudio-cli runs compare` and the History dock.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/store/run_store.h"

namespace nn::store {

struct SettingRow {
    std::string key;  // "lr", "optimizer", "data.points", "seed", ...
    std::vector<nlohmann::json> values;  // one per run (null where a run lacks it)
    bool differs = false;
};
// The union of the runs' settings, in a stable order (training settings first,
// then data, then seed and device).
std::vector<SettingRow> compareSettings(const std::vector<RunInfo>& runs);

struct LayerChange {
    enum class Kind { Same, Changed, Added, Removed };
    Kind kind = Kind::Same;
    std::string id;                  // layer id; "input" and "loss" for the spec's own fields
    nlohmann::json a, b;             // the layer in each spec (null where absent)
    std::vector<std::string> fields; // Changed: the fields that differ
};
const char* kindName(LayerChange::Kind k);
// Layers matched by id, in the order of `a` with `b`'s new layers placed after
// the layer they follow in `b`.
std::vector<LayerChange> diffSpecs(const nlohmann::json& a, const nlohmann::json& b);
// "dense 16 tanh", "conv2d 8 3x3", "dropout 0.5": one line for a layer.
std::string describeLayer(const nlohmann::json& layer);

} // namespace nn::store
