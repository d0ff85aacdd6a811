#include "engine/nn/model.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "engine/core/error.h"
#include "engine/core/random.h"

namespace nn {

namespace {

std::string shapeStr(const std::vector<int64_t>& s) { return Shape(s).str(); }

[[noreturn]] void fail(const ModelSpec& spec, const std::string& layer, const std::string& msg)
{
    throw Error("model '" + spec.name + "': layer '" + layer + "': " + msg);
}

// Evaluation order by depth-first search; a back edge is a cycle. Iterative, with
// an explicit path: the recursive version overflowed the call stack on a chain of
// 50,000 layers. Visits inputs in the same order as that version did, so layer
// order (and with it parameter order) is unchanged.
std::vector<std::string> topoOrder(const ModelSpec& spec, const std::map<std::string, std::vector<std::string>>& inputs)
{
    std::vector<std::string> order;
    order.reserve(spec.layers.size());
    std::map<std::string, int> state;  // 0 new, 1 on the path, 2 done
    struct Frame {
        const std::string* id;
        const std::vector<std::string>* inputs;
        size_t next;  // the next input to visit
    };
    std::vector<Frame> path;
    for (const auto& l : spec.layers) {
        if (state[l.id] == 2) continue;
        state[l.id] = 1;
        path.push_back({&l.id, &inputs.at(l.id), 0});
        while (!path.empty()) {
            Frame& f = path.back();
            if (f.next == f.inputs->size()) {
                state[*f.id] = 2;
                order.push_back(*f.id);
                path.pop_back();
                continue;
            }
            const std::string& in = (*f.inputs)[f.next++];
            if (in == "input") continue;
            int& st = state[in];
            if (st == 2) continue;
            if (st == 1) {
                std::string cycle;
                auto it = std::find_if(path.begin(), path.end(), [&](const Frame& p) { return *p.id == in; });
                for (; it != path.end(); ++it) cycle += *it->id + " -> ";
                fail(spec, in, "field 'inputs' makes a cycle: " + cycle + in);
            }
            st = 1;
            path.push_back({&in, &inputs.at(in), 0});  // `f` is not used past this point
        }
    }
    return order;
}

} // namespace

Model::Model(ModelSpec spec, const std::vector<int64_t>& sampleShape, int numClasses) : spec_(std::move(spec))
{
    resolve(sampleShape, numClasses);
    initialize(1);
}

void Model::resolve(const std::vector<int64_t>& sampleShape, int numClasses)
{
    inputShape_ = spec_.inputAuto ? sampleShape : spec_.inputShape;
    if (!sampleShape.empty() && Shape(inputShape_).numel() != Shape(sampleShape).numel())
        throw Error("model '" + spec_.name + "': field 'input.shape' is " + shapeStr(inputShape_)
                    + " but the data has samples of shape " + shapeStr(sampleShape)
                    + "; set it to the data's shape or to \"auto\"");
    if (!sampleShape.empty()) inputShape_ = sampleShape;

    // Default inputs: the previous layer (the model input for the first).
    std::map<std::string, std::vector<std::string>> inputs;
    std::set<std::string> ids;
    for (const auto& l : spec_.layers) ids.insert(l.id);
    std::string previous = "input";
    for (const auto& l : spec_.layers) {
        auto ins = l.inputs.empty() ? std::vector<std::string> {previous} : l.inputs;
        for (const auto& in : ins)
            if (in != "input" && !ids.count(in))
                fail(spec_, l.id, "field 'inputs' names '" + in + "', which is not a layer id");
        const bool joins = l.type == "add" || l.type == "concat";
        if (joins ? ins.size() < 2 : ins.size() != 1)
            fail(spec_, l.id, "field 'inputs': a " + l.type + " layer takes "
                                  + (joins ? std::string("two or more inputs") : std::string("one input")) + ", got "
                                  + std::to_string(ins.size()));
        inputs[l.id] = ins;
        previous = l.id;
    }
    order_ = topoOrder(spec_, inputs);

    std::map<std::string, std::vector<int64_t>> shapes {{"input", inputShape_}};
    std::map<std::string, const LayerSpec*> byId;
    for (const auto& l : spec_.layers) byId[l.id] = &l;
    params_.clear();
    buffers_.clear();
    resolved_.clear();
    const bool binary = spec_.loss == "log_loss";
    for (const auto& id : order_) {
        const LayerSpec& l = *byId[id];
        const auto& ins = inputs[id];
        std::vector<int64_t> in = shapes[ins[0]];
        std::vector<int64_t> out = in;
        if (l.type == "dense") {
            if (in.size() != 1)
                fail(spec_, id, "a dense layer needs a flat input, got " + shapeStr(in) + " from '" + ins[0]
                                    + "'; add a flatten layer before it");
            int64_t units = l.unitsAuto ? (binary ? 1 : numClasses) : l.units;
            if (units <= 0)
                fail(spec_, id, "field 'units' is \"auto\" but the data set's number of classes is unknown");
            const int64_t pre = l.activation == "maxout" ? units * l.pieces : units;
            params_.push_back({id + ".weight", id, Tensor(Shape {in[0], pre})});
            params_.push_back({id + ".bias", id, Tensor(Shape {pre})});
            out = {units};
        } else if (l.type == "conv2d" || l.type == "maxpool2d" || l.type == "avgpool2d" || l.type == "global_avgpool") {
            if (in.size() != 3)
                fail(spec_, id, "a " + l.type + " layer needs an image input [channels, height, width], got "
                                    + shapeStr(in) + " from '" + ins[0] + "'"
                                    + (ins[0] == "input" ? "; set input.shape to e.g. [1, 28, 28] or \"auto\"" : ""));
            if (l.type == "global_avgpool") {
                out = {in[0]};
            } else {
                const bool conv = l.type == "conv2d";
                const int k = conv ? l.kernel : l.size, dil = conv ? l.dilation : 1;
                const int64_t oh = windowOut(in[1], k, l.stride, l.padding, dil);
                const int64_t ow = windowOut(in[2], k, l.stride, l.padding, dil);
                if (oh < 1 || ow < 1)
                    fail(spec_, id, std::string("field '") + (conv ? "kernel" : "size") + "': a " + std::to_string(k)
                                        + "×" + std::to_string(k) + " window"
                                        + (dil > 1 ? " with dilation " + std::to_string(dil) : std::string())
                                        + " does not fit the " + std::to_string(in[1]) + "×" + std::to_string(in[2])
                                        + " input from '" + ins[0] + "' (padding " + std::to_string(l.padding) + ")");
                if (conv) {
                    params_.push_back({id + ".weight", id, Tensor(Shape {l.filters, in[0], l.kernel, l.kernel})});
                    params_.push_back({id + ".bias", id, Tensor(Shape {l.filters})});
                }
                out = {conv ? l.filters : in[0], oh, ow};
            }
        } else if (l.type == "batchnorm") {
            params_.push_back({id + ".gamma", id, Tensor(Shape {in[0]})});
            params_.push_back({id + ".beta", id, Tensor(Shape {in[0]})});
            buffers_.push_back({id + ".running_mean", id, Tensor(Shape {in[0]})});
            buffers_.push_back({id + ".running_var", id, Tensor::full(Shape {in[0]}, 1.0f)});
        } else if (l.type == "concat") {
            for (size_t k = 1; k < ins.size(); ++k) {
                const std::string& other = ins[k];
                const auto& s = shapes[other];
                bool ok = s.size() == in.size();
                for (size_t d = 1; ok && d < s.size(); ++d) ok = s[d] == in[d];
                if (!ok)
                    fail(spec_, id, "concat joins along channels and needs every other dimension equal, got "
                                        + shapeStr(in) + " from '" + ins[0] + "' and " + shapeStr(s) + " from '"
                                        + other + "'");
                out[0] += s[0];
            }
        } else if (l.type == "flatten") {
            out = {Shape(in).numel()};
        } else if (l.type == "add") {
            for (const auto& other : ins)
                if (shapes[other] != in)
                    fail(spec_, id, "add needs equal shapes, got " + shapeStr(in) + " from '" + ins[0] + "' and "
                                        + shapeStr(shapes[other]) + " from '" + other + "'");
        } else if (l.type == "softmax" && in.size() != 1) {
            fail(spec_, id, "softmax needs a flat input, got " + shapeStr(in));
        }
        shapes[id] = out;
        resolved_.push_back({&l, out, {}});
    }
    index_.clear();
    for (size_t i = 0; i < order_.size(); ++i) {
        index_[order_[i]] = i;
        resolved_[i].inputs = inputs[order_[i]];
    }
    const auto& last = shapes[order_.back()];
    if (last.size() != 1)
        fail(spec_, order_.back(), "the last layer must give one score per class, got shape " + shapeStr(last));
    outputs_ = int(last[0]);
    if (binary && outputs_ != 1)
        fail(spec_, order_.back(), "loss 'log_loss' needs one output unit, got " + std::to_string(outputs_));
    if (!binary && numClasses > 0 && outputs_ != numClasses)
        fail(spec_, order_.back(), "field 'units' is " + std::to_string(outputs_) + " but the data has "
                                       + std::to_string(numClasses) + " classes; set it to "
                                       + std::to_string(numClasses) + " or \"auto\"");
}

const Model::Resolved& Model::resolved(const std::string& id) const
{
    const auto it = index_.find(id);
    if (it == index_.end()) throw Error("model '" + spec_.name + "' has no layer '" + id + "'");
    return resolved_[it->second];
}

std::vector<int64_t> Model::layerShape(const std::string& id) const { return resolved(id).shape; }

int64_t Model::parameterCount() const
{
    int64_t n = 0;
    for (const auto& p : params_) n += p.value.numel();
    return n;
}

void Model::initialize(uint64_t seed)
{
    Rng rng(seed);
    double fanIn = 1;
    for (auto& b : buffers_) b.value.fill(b.name.ends_with(".running_var") ? 1.0f : 0.0f);
    for (auto& p : params_) {
        if (resolved(p.layer).spec->type == "batchnorm") {
            p.value.fill(p.name.ends_with(".gamma") ? 1.0f : 0.0f);
            continue;
        }
        if (p.value.shape().rank() == 1) {
            // Biases as PyTorch draws them, U(±1/sqrt(fan_in)): zero biases put every
            // first-layer hyperplane through the origin, and on rotationally
            // symmetric sets (the spiral) many seeds then never leave the plateau.
            const double b = 1.0 / std::sqrt(fanIn);
            for (int64_t i = 0; i < p.value.numel(); ++i) p.value[i] = float(rng.uniform(-b, b));
            continue;
        }
        // Dense weights are [in, out]; conv filters [F, C, KH, KW] see C·KH·KW inputs
        // and feed F·KH·KW outputs.
        const Shape& ws = p.value.shape();
        const double receptive = ws.rank() == 4 ? double(ws[2] * ws[3]) : 1.0;
        fanIn = ws.rank() == 4 ? double(ws[1]) * receptive : double(ws[0]);
        const std::string act = resolved(p.layer).spec->activation;
        const double fanOut = ws.rank() == 4 ? double(ws[0]) * receptive : double(ws[1]);
        float* w = p.value.data();
        if (act == "relu" || act == "leaky_relu" || act == "elu") {
            const double sd = std::sqrt(2.0 / fanIn);
            for (int64_t i = 0; i < p.value.numel(); ++i) w[i] = float(rng.normal(0.0, sd));
        } else {
            const double a = std::sqrt(6.0 / (fanIn + fanOut));
            for (int64_t i = 0; i < p.value.numel(); ++i) w[i] = float(rng.uniform(-a, a));
        }
    }
}

BuiltGraph Model::build(int batch, bool withLoss) const
{
    if (batch <= 0) throw Error("batch size must be positive, got " + std::to_string(batch));
    BuiltGraph b;
    Graph& g = b.graph;
    std::vector<int64_t> inShape {batch};
    inShape.insert(inShape.end(), inputShape_.begin(), inputShape_.end());
    b.input = g.addInput("input", Shape(inShape));
    std::map<std::string, int> param;
    for (const auto& p : params_) {
        param[p.name] = g.addVariable(p.name, p.value);
        b.params.push_back(param[p.name]);
    }
    std::map<std::string, std::vector<Tensor>> running;  // batch norm layer -> [mean, var]
    for (const auto& buf : buffers_) {
        auto& r = running[buf.layer];
        r.resize(2);
        r[buf.name.ends_with(".running_var") ? 1 : 0] = buf.value;
    }
    std::map<std::string, int> out {{"input", b.input}};
    for (size_t k = 0; k < order_.size(); ++k) {
        const std::string& id = order_[k];
        const LayerSpec& l = *resolved_[k].spec;
        std::vector<int> ins;
        // resolve() filled in the default input: the layer written before this one.
        for (const auto& in : resolved_[k].inputs) ins.push_back(out.at(in));
        int x = ins[0];
        auto activation = [&](const std::string& act, const LayerSpec& s) {
            OpAttrs a;
            if (act == "sigmoid") return g.apply(OpKind::Sigmoid, {x}, a, id + ".sigmoid");
            if (act == "tanh") return g.apply(OpKind::Tanh, {x}, a, id + ".tanh");
            if (act == "relu") return g.apply(OpKind::Relu, {x}, a, id + ".relu");
            if (act == "softmax") return g.apply(OpKind::Softmax, {x}, a, id + ".softmax");
            if (act == "leaky_relu") {
                a.scalar = s.slope;
                return g.apply(OpKind::LeakyRelu, {x}, a, id + ".leaky_relu");
            }
            if (act == "elu") {
                a.scalar = s.alpha;
                return g.apply(OpKind::Elu, {x}, a, id + ".elu");
            }
            if (act == "maxout") {
                a.pieces = s.pieces;
                return g.apply(OpKind::Maxout, {x}, a, id + ".maxout");
            }
            return x;
        };
        if (l.type == "dense") {
            x = g.apply(OpKind::MatMul, {x, param[id + ".weight"]}, {}, id + ".matmul");
            x = g.apply(OpKind::BiasAdd, {x, param[id + ".bias"]}, {}, id + ".bias_add");
            x = activation(l.activation, l);
        } else if (l.type == "conv2d") {
            OpAttrs a;
            a.stride = l.stride;
            a.padding = l.padding;
            a.dilation = l.dilation;
            x = g.apply(OpKind::Conv2D, {x, param[id + ".weight"]}, a, id + ".conv2d");
            x = g.apply(OpKind::BiasAdd, {x, param[id + ".bias"]}, {}, id + ".bias_add");
            x = activation(l.activation, l);
        } else if (l.type == "maxpool2d" || l.type == "avgpool2d") {
            OpAttrs a;
            a.size = l.size;
            a.stride = l.stride;
            a.padding = l.padding;
            x = g.apply(l.type == "maxpool2d" ? OpKind::MaxPool2D : OpKind::AvgPool2D, {x}, a, id + "." + l.type);
        } else if (l.type == "global_avgpool") {
            x = g.apply(OpKind::GlobalAvgPool, {x}, {}, id + ".global_avgpool");
        } else if (l.type == "batchnorm") {
            OpAttrs a;
            a.momentum = l.momentum;
            a.epsilon = l.epsilon;
            if (auto r = running.find(id); r != running.end()) a.running[0] = r->second[0], a.running[1] = r->second[1];
            x = g.apply(OpKind::BatchNorm, {x, param[id + ".gamma"], param[id + ".beta"]}, a, id + ".batchnorm");
        } else if (l.type == "concat") {
            for (size_t k = 1; k < ins.size(); ++k)
                x = g.apply(OpKind::Concat, {x, ins[k]}, {}, id + ".concat" + (k > 1 ? std::to_string(k) : ""));
        } else if (l.type == "flatten") {
            x = g.apply(OpKind::Flatten, {x}, {}, id + ".flatten");
        } else if (l.type == "dropout") {
            OpAttrs a;
            a.scalar = l.rate;
            x = g.apply(OpKind::Dropout, {x}, a, id + ".dropout");
        } else if (l.type == "add") {
            for (size_t k = 1; k < ins.size(); ++k)
                x = g.apply(OpKind::Add, {x, ins[k]}, {}, id + ".add" + (k > 1 ? std::to_string(k) : ""));
        } else {
            x = activation(l.type, l);
        }
        out[id] = x;
    }
    b.output = out.at(order_.back());
    if (withLoss) {
        b.labels = g.addInput("labels", Shape {batch});
        OpKind loss = OpKind::SoftmaxCrossEntropy;
        if (spec_.loss == "mse") loss = OpKind::MseLoss;
        if (spec_.loss == "hinge") loss = OpKind::HingeLoss;
        if (spec_.loss == "log_loss") loss = OpKind::LogLoss;
        b.loss = g.apply(loss, {b.output, b.labels}, {}, "loss." + spec_.loss);
    }
    return b;
}

} // namespace nn
