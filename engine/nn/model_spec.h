#pragma once
// The model spec of DESIGN.md: a JSON DAG of layers. Parsing validates every
// field; errors name the layer id and the field ("layer 'h2': field 'units' must
// be a positive integer or \"auto\", got -3").
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace nn {

struct LayerSpec {
    std::string id;
    std::string type;                 // dense, dropout, flatten, add, or an activation name
    std::string activation = "none";  // dense only
    int64_t units = 0;                // dense only; 0 with unitsAuto = number of classes
    bool unitsAuto = false;
    std::vector<std::string> inputs;  // empty in the file = the previous layer
    float rate = 0.5f;                // dropout
    float slope = 0.1f;               // leaky_relu (the seed's 0.1)
    float alpha = 1.0f;               // elu
    int pieces = 2;                   // maxout
};

struct ModelSpec {
    std::string name;
    std::vector<int64_t> inputShape;  // per sample; empty with inputAuto
    bool inputAuto = false;
    std::vector<LayerSpec> layers;    // as written in the file (order kept)
    std::string loss = "softmax_cross_entropy";

    // `source` names the file (or "spec") in error messages.
    static ModelSpec fromJson(const nlohmann::json& j, const std::string& source = "spec");
    static ModelSpec fromString(const std::string& text, const std::string& source = "spec");
    static ModelSpec fromFile(const std::string& path);
    nlohmann::json toJson() const;
};

// Names the spec accepts, for error messages and the builder's palette.
const std::vector<std::string>& knownLayerTypes();
const std::vector<std::string>& knownActivations();
const std::vector<std::string>& knownLosses();

} // namespace nn
