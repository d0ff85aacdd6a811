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
    std::string type;                 // dense, conv2d, pooling, batchnorm, dropout, flatten, add, concat, or an activation
    std::string activation = "none";  // dense and conv2d
    int64_t units = 0;                // dense only; 0 with unitsAuto = number of classes
    bool unitsAuto = false;
    std::vector<std::string> inputs;  // empty in the file = the previous layer
    float rate = 0.5f;                // dropout
    float slope = 0.1f;               // leaky_relu (the seed's 0.1)
    float alpha = 1.0f;               // elu
    int pieces = 2;                   // maxout
    // conv2d: `filters` output channels, a square `kernel`, `stride`, zero `padding`
    // ("same": half the kernel span, so stride 1 keeps the image size) and `dilation`.
    int64_t filters = 0;
    int kernel = 0;
    int stride = 1;                   // conv2d (default 1); pooling (default = size)
    int padding = 0;                  // conv2d and pooling
    bool paddingSame = false;         // conv2d: padding "same"
    int dilation = 1;
    int size = 2;                     // maxpool2d, avgpool2d: the window is size×size
    float momentum = 0.1f;            // batchnorm: running = (1-momentum)·running + momentum·batch
    float epsilon = 1e-5f;            // batchnorm
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
