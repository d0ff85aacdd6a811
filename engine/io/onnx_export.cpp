#include "engine/io/onnx_export.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "engine/core/error.h"

namespace nn::io {

const std::vector<std::string>& onnxExportableLayerTypes()
{
    static const std::vector<std::string> v {"dense",   "conv2d",     "maxpool2d", "avgpool2d", "global_avgpool",
                                             "batchnorm", "dropout",  "flatten",   "add",       "concat",
                                             "sigmoid", "tanh",       "relu",      "leaky_relu", "elu",
                                             "softmax"};
    return v;
}

namespace {

class Builder {
public:
    Builder(const Model& model, onnx::GraphProto& g) : model_(model), g_(g) {}

    [[noreturn]] void fail(const std::string& layer, const std::string& msg) const
    {
        throw Error("model '" + model_.spec().name + "': layer '" + layer + "' cannot be exported to ONNX: " + msg);
    }

    onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output,
                          const std::string& name)
    {
        onnx::NodeProto* n = g_.add_node();
        n->set_op_type(op);
        n->set_name(name);
        for (const auto& in : inputs) n->add_input(in);
        n->add_output(output);
        return n;
    }

    static void attr(onnx::NodeProto* n, const std::string& name, float v)
    {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::FLOAT);
        a->set_f(v);
    }
    static void attr(onnx::NodeProto* n, const std::string& name, int64_t v)
    {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INT);
        a->set_i(v);
    }
    static void attr(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v)
    {
        auto* a = n->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto::INTS);
        for (int64_t x : v) a->add_ints(x);
    }

    void initializer(const std::string& name, const std::vector<int64_t>& dims, const float* data, size_t n)
    {
        onnx::TensorProto* t = g_.add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::FLOAT);
        for (int64_t d : dims) t->add_dims(d);
        t->set_raw_data(std::string(reinterpret_cast<const char*>(data), n * sizeof(float)));
    }
    void initializer(const std::string& name, const std::vector<int64_t>& values)
    {
        onnx::TensorProto* t = g_.add_initializer();
        t->set_name(name);
        t->set_data_type(onnx::TensorProto::INT64);
        t->add_dims(int64_t(values.size()));
        for (int64_t v : values) t->add_int64_data(v);
    }
    void tensor(const std::string& name)
    {
        for (const auto& p : model_.parameters())
            if (p.name == name) return initializer(name, p.value.shape().toVector(), p.value.data(), size_t(p.value.numel()));
        for (const auto& b : model_.buffers())
            if (b.name == name) return initializer(name, b.value.shape().toVector(), b.value.data(), size_t(b.value.numel()));
        throw Error("model '" + model_.spec().name + "' has no tensor '" + name + "' to export");
    }

    // An activation from `x` to `y`; false for "none" (the caller then names x as y).
    bool activation(const LayerSpec& l, const std::string& act, const std::string& x, const std::string& y)
    {
        const std::string name = l.id + "." + act;
        if (act == "none") return false;
        if (act == "sigmoid") node("Sigmoid", {x}, y, name);
        else if (act == "tanh") node("Tanh", {x}, y, name);
        else if (act == "relu") node("Relu", {x}, y, name);
        else if (act == "leaky_relu") attr(node("LeakyRelu", {x}, y, name), "alpha", l.slope);
        else if (act == "elu") attr(node("Elu", {x}, y, name), "alpha", l.alpha);
        else if (act == "softmax") attr(node("Softmax", {x}, y, name), "axis", int64_t(-1));
        else if (act == "maxout") {
            // [N, units·pieces] -> [N, units, pieces] -> max over the pieces: the
            // engine's pieces of one unit are adjacent.
            const int64_t units = model_.layerShape(l.id)[0];
            initializer(l.id + ".maxout_shape", {0, units, int64_t(l.pieces)});
            node("Reshape", {x, l.id + ".maxout_shape"}, l.id + ".pieces", l.id + ".maxout_reshape");
            auto* n = node("ReduceMax", {l.id + ".pieces"}, y, name);
            attr(n, "axes", std::vector<int64_t> {2});
            attr(n, "keepdims", int64_t(0));
        } else {
            fail(l.id, "activation '" + act + "' has no ONNX mapping");
        }
        return true;
    }

    // Emits the nodes of layer `l` reading `ins` and writing `y`.
    void layer(const LayerSpec& l, const std::vector<std::string>& ins, const std::string& y)
    {
        const std::string& x = ins[0];
        const std::string& t = l.type;
        if (t == "dense" || t == "conv2d") {
            const bool dense = t == "dense";
            tensor(l.id + ".weight");
            tensor(l.id + ".bias");
            const std::string pre = l.activation == "none" ? y : l.id + (dense ? ".gemm" : ".conv");
            if (dense) {
                // Weights are [in, out]: y = x·W + b, Gemm without transposes.
                node("Gemm", {x, l.id + ".weight", l.id + ".bias"}, pre, l.id + ".gemm");
            } else {
                auto* n = node("Conv", {x, l.id + ".weight", l.id + ".bias"}, pre, l.id + ".conv");
                attr(n, "kernel_shape", std::vector<int64_t> {l.kernel, l.kernel});
                attr(n, "strides", std::vector<int64_t> {l.stride, l.stride});
                attr(n, "pads", std::vector<int64_t> {l.padding, l.padding, l.padding, l.padding});
                attr(n, "dilations", std::vector<int64_t> {l.dilation, l.dilation});
            }
            activation(l, l.activation, pre, y);
        } else if (t == "maxpool2d" || t == "avgpool2d") {
            auto* n = node(t == "maxpool2d" ? "MaxPool" : "AveragePool", {x}, y, l.id + "." + t);
            attr(n, "kernel_shape", std::vector<int64_t> {l.size, l.size});
            attr(n, "strides", std::vector<int64_t> {l.stride, l.stride});
            attr(n, "pads", std::vector<int64_t> {l.padding, l.padding, l.padding, l.padding});
            // The engine divides by the whole window, padding included.
            if (t == "avgpool2d") attr(n, "count_include_pad", int64_t(1));
        } else if (t == "global_avgpool") {
            node("GlobalAveragePool", {x}, l.id + ".pooled", l.id + ".global_avgpool");
            attr(node("Flatten", {l.id + ".pooled"}, y, l.id + ".flatten"), "axis", int64_t(1));
        } else if (t == "batchnorm") {
            for (const char* s : {".gamma", ".beta", ".running_mean", ".running_var"}) tensor(l.id + s);
            auto* n = node("BatchNormalization",
                           {x, l.id + ".gamma", l.id + ".beta", l.id + ".running_mean", l.id + ".running_var"}, y,
                           l.id + ".batchnorm");
            attr(n, "epsilon", l.epsilon);
            attr(n, "momentum", 1.0f - l.momentum);  // ONNX's momentum weighs the old running value
        } else if (t == "dropout") {
            node("Identity", {x}, y, l.id + ".dropout");  // evaluation mode: values pass through
        } else if (t == "flatten") {
            attr(node("Flatten", {x}, y, l.id + ".flatten"), "axis", int64_t(1));
        } else if (t == "add") {
            std::string acc = x;
            for (size_t k = 1; k < ins.size(); ++k) {
                const std::string out = k + 1 == ins.size() ? y : l.id + ".sum" + std::to_string(k);
                node("Add", {acc, ins[k]}, out, l.id + ".add" + (k > 1 ? std::to_string(k) : ""));
                acc = out;
            }
        } else if (t == "concat") {
            attr(node("Concat", ins, y, l.id + ".concat"), "axis", int64_t(1));
        } else if (t == "sigmoid" || t == "tanh" || t == "relu" || t == "leaky_relu" || t == "elu"
                   || t == "softmax") {
            activation(l, t, x, y);
        } else {
            fail(l.id, "layer type '" + t + "' has no ONNX mapping (exportable types: "
                           + [] {
                                 std::string s;
                                 for (const auto& e : onnxExportableLayerTypes()) s += (s.empty() ? "" : ", ") + e;
                                 return s;
                             }()
                           + ")");
        }
    }

private:
    const Model& model_;
    onnx::GraphProto& g_;
};

void setShape(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& sample)
{
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = tt->mutable_shape();
    shape->add_dim()->set_dim_param("batch");
    for (int64_t d : sample) shape->add_dim()->set_dim_value(d);
}

} // namespace

std::string exportOnnxBytes(const Model& model)
{
    const ModelSpec& spec = model.spec();
    onnx::ModelProto m;
    m.set_ir_version(onnx::IR_VERSION);
    m.set_producer_name("NN Studio");
    m.set_producer_version("1");
    m.set_model_version(1);
    m.set_doc_string("NN Studio model '" + spec.name + "': output = the last layer's value (" 
                     + (spec.loss == "softmax_cross_entropy" ? std::string("logits; apply softmax for probabilities")
                                                             : "the loss '" + spec.loss + "' is not applied")
                     + ")");
    auto* opset = m.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOnnxOpset);
    auto* meta = m.add_metadata_props();
    meta->set_key("nnstudio.spec");
    meta->set_value(spec.toJson().dump());

    onnx::GraphProto& g = *m.mutable_graph();
    g.set_name(spec.name.empty() ? "model" : spec.name);
    setShape(g.add_input(), "input", model.inputShape());

    // Tensor names: each layer's output carries its id; the last one is "output".
    const std::string last = model.order().back();
    auto tensorName = [&](const std::string& id) {
        if (id == "input") return std::string("input");
        if (id == last) return std::string("output");
        return id == "output" ? std::string("output.0") : id;
    };
    Builder b(model, g);
    for (const auto& id : model.order()) {
        auto it = std::find_if(spec.layers.begin(), spec.layers.end(), [&](const LayerSpec& s) { return s.id == id; });
        const LayerSpec& l = *it;
        std::vector<std::string> ins;
        for (const auto& in : l.inputs) ins.push_back(tensorName(in));
        if (ins.empty()) ins.push_back(it == spec.layers.begin() ? "input" : tensorName(std::prev(it)->id));
        const std::string y = tensorName(id);
        const int before = g.node_size();
        b.layer(l, ins, y);
        if (g.node_size() == before || g.node(g.node_size() - 1).output(0) != y) {
            // A layer that computes nothing (an activation "none"): pass its input on.
            b.node("Identity", {ins[0]}, y, id + ".identity");
        }
    }
    setShape(g.add_output(), "output", {int64_t(model.outputs())});

    try {
        onnx::checker::check_model(m);
    } catch (const std::exception& e) {
        throw Error("model '" + spec.name + "': the ONNX checker rejected the exported graph: " + e.what());
    }
    // Strict shape inference on a copy: every layer's inferred shape must be the
    // engine's (a mismatch is a bug in the mapping above, caught before writing).
    onnx::ModelProto inferred = m;
    try {
        onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                           onnx::ShapeInferenceOptions(true, 1, false));
    } catch (const std::exception& e) {
        throw Error("model '" + spec.name + "': ONNX shape inference failed on the exported graph: " + e.what());
    }
    std::map<std::string, const onnx::ValueInfoProto*> infos;
    for (const auto& v : inferred.graph().value_info()) infos[v.name()] = &v;
    for (const auto& v : inferred.graph().output()) infos[v.name()] = &v;
    for (const auto& id : model.order()) {
        auto it = infos.find(tensorName(id));
        if (it == infos.end()) continue;
        const auto& shape = it->second->type().tensor_type().shape();
        const auto want = model.layerShape(id);
        bool same = shape.dim_size() == int(want.size()) + 1;
        for (int d = 1; same && d < shape.dim_size(); ++d)
            same = shape.dim(d).has_dim_value() && shape.dim(d).dim_value() == want[size_t(d - 1)];
        if (!same) {
            std::string got;
            for (int d = 1; d < shape.dim_size(); ++d)
                got += (got.empty() ? "" : ", ") + (shape.dim(d).has_dim_value() ? std::to_string(shape.dim(d).dim_value()) : "?");
            throw Error("model '" + spec.name + "': layer '" + id + "': the exported ONNX graph gives per-sample shape ["
                        + got + "] but the engine computes " + Shape(want).str());
        }
    }
    std::string bytes;
    if (!m.SerializeToString(&bytes)) throw Error("model '" + spec.name + "': serializing the ONNX model failed");
    return bytes;
}

size_t exportOnnx(const Model& model, const std::string& path)
{
    const std::string bytes = exportOnnxBytes(model);
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) throw Error(path + ": cannot write the ONNX file (is the folder there and writable?)");
        f.write(bytes.data(), std::streamsize(bytes.size()));
        f.flush();
        if (!f) {
            std::remove(tmp.c_str());
            throw Error(path + ": writing the ONNX file failed (disk full?)");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw Error(path + ": cannot replace the ONNX file");
    }
    return bytes.size();
}

} // namespace nn::io
