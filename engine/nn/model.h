#pragma once
// A model: a validated spec with its shapes resolved against a data set, its
// parameters, and the graph it builds for a batch size. Parameters are tensors
// shared by every graph the model builds (training, evaluation, the stepper).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/graph/graph.h"
#include "engine/nn/model_spec.h"

namespace nn {

struct Parameter {
    std::string name;  // "h1.weight"
    std::string layer;
    Tensor value;
};

// A graph built for one batch size, with the node ids a trainer needs.
struct BuiltGraph {
    Graph graph;
    int input = -1;   // [B, ...sample shape]
    int labels = -1;  // [B] class indices (only with a loss)
    int output = -1;  // [B, outputs]
    int loss = -1;    // scalar (only with a loss)
    std::vector<int> params;  // Variable node per Parameter, same order
};

class Model {
public:
    // Resolves "auto" fields from the data (sample shape, number of classes) and
    // checks every shape; errors name the layer and the field.
    Model(ModelSpec spec, const std::vector<int64_t>& sampleShape, int numClasses);

    const ModelSpec& spec() const { return spec_; }
    const std::vector<int64_t>& inputShape() const { return inputShape_; }
    int outputs() const { return outputs_; }
    // Layer ids in evaluation order, with each layer's output shape per sample.
    const std::vector<std::string>& order() const { return order_; }
    std::vector<int64_t> layerShape(const std::string& id) const;

    std::vector<Parameter>& parameters() { return params_; }
    const std::vector<Parameter>& parameters() const { return params_; }
    int64_t parameterCount() const;
    // State that is learned but not by gradients: batch norm's running mean and
    // variance ("bn1.running_mean", "bn1.running_var"). Shared by every graph the
    // model builds: training graphs update them, evaluation graphs read them.
    std::vector<Parameter>& buffers() { return buffers_; }
    const std::vector<Parameter>& buffers() const { return buffers_; }
    // Xavier-uniform for sigmoid/tanh/linear layers, He-normal for the ReLU family
    // (fan-in of a conv filter: channels × kernel²); biases U(±1/sqrt(fan_in)) as in
    // PyTorch; batch norm γ = 1, β = 0, running mean 0 and variance 1.
    void initialize(uint64_t seed);

    BuiltGraph build(int batch, bool withLoss) const;

private:
    struct Resolved {
        const LayerSpec* spec;
        std::vector<int64_t> shape;        // output shape per sample
        std::vector<std::string> inputs;   // layer ids ("input" = the model input), defaults filled in
    };
    void resolve(const std::vector<int64_t>& sampleShape, int numClasses);
    const Resolved& resolved(const std::string& id) const;

    ModelSpec spec_;
    std::vector<int64_t> inputShape_;
    int outputs_ = 0;
    std::vector<std::string> order_;
    std::vector<Resolved> resolved_;  // parallel to order_
    std::map<std::string, size_t> index_;  // layer id -> position in order_ (lookups stay O(log n) for deep models)
    std::vector<Parameter> params_;
    std::vector<Parameter> buffers_;
};

} // namespace nn
