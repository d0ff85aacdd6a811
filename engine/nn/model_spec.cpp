#include "engine/nn/model_spec.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"

namespace nn {

using nlohmann::json;

const std::vector<std::string>& knownActivations()
{
    static const std::vector<std::string> v {"none", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "maxout"};
    return v;
}

const std::vector<std::string>& knownLayerTypes()
{
    static const std::vector<std::string> v {"dense",     "conv2d",  "maxpool2d", "avgpool2d", "global_avgpool",
                                             "batchnorm", "dropout", "flatten",   "add",       "concat",
                                             "sigmoid",   "tanh",    "relu",      "leaky_relu", "elu",
                                             "softmax"};
    return v;
}

const std::vector<std::string>& knownLosses()
{
    static const std::vector<std::string> v {"softmax_cross_entropy", "mse", "hinge", "log_loss"};
    return v;
}

namespace {

std::string joined(const std::vector<std::string>& v)
{
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
}

bool contains(const std::vector<std::string>& v, const std::string& x)
{
    return std::find(v.begin(), v.end(), x) != v.end();
}

struct Where {
    std::string source, layer;
    [[noreturn]] void fail(const std::string& msg) const
    {
        throw Error(source + ": " + (layer.empty() ? "" : "layer '" + layer + "': ") + msg);
    }
};

std::string str(const json& o, const char* field, const Where& w, const std::string& fallback, bool required)
{
    if (!o.contains(field)) {
        if (required) w.fail(std::string("field '") + field + "' is missing");
        return fallback;
    }
    if (!o[field].is_string()) w.fail(std::string("field '") + field + "' must be a string, got " + o[field].dump());
    return o[field].get<std::string>();
}

double number(const json& o, const char* field, const Where& w, double fallback, double lo, double hi)
{
    if (!o.contains(field)) return fallback;
    if (!o[field].is_number()) w.fail(std::string("field '") + field + "' must be a number, got " + o[field].dump());
    const double v = o[field].get<double>();
    if (!(v >= lo && v <= hi))
        w.fail(std::string("field '") + field + "' must be in [" + std::to_string(lo) + ", " + std::to_string(hi)
               + "], got " + o[field].dump());
    return v;
}

// A whole number in [lo, hi]; `what` describes it for the message ("a positive integer").
int integer(const json& o, const char* field, const Where& w, int fallback, int lo, int hi, const char* what,
            bool required = false)
{
    if (!o.contains(field)) {
        if (required) w.fail(std::string("field '") + field + "' is missing (" + what + ")");
        return fallback;
    }
    const json& v = o[field];
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
        w.fail(std::string("field '") + field + "' must be " + what + ", got " + v.dump());
    return int(v.get<int64_t>());
}

void parseActivation(const json& o, LayerSpec& l, const Where& w)
{
    l.activation = str(o, "activation", w, "none", false);
    if (!contains(knownActivations(), l.activation))
        w.fail("field 'activation': unknown activation '" + l.activation + "' (known: " + joined(knownActivations())
               + ")");
    if (l.type != "dense" && l.activation == "maxout")
        w.fail("field 'activation': maxout is for dense layers only");
}

void parseConvLayer(const json& o, LayerSpec& l, const Where& w)
{
    l.filters = integer(o, "filters", w, 0, 1, 1 << 16, "a positive integer (output channels)", true);
    l.kernel = integer(o, "kernel", w, 0, 1, 1024, "a positive integer (the kernel is kernel×kernel)", true);
    l.stride = integer(o, "stride", w, 1, 1, 1024, "a positive integer");
    l.dilation = integer(o, "dilation", w, 1, 1, 1024, "a positive integer");
    if (o.contains("padding") && o["padding"].is_string()) {
        if (o["padding"].get<std::string>() != "same")
            w.fail("field 'padding' must be a non-negative integer or \"same\", got " + o["padding"].dump());
        if (l.kernel % 2 == 0)
            w.fail("field 'padding': \"same\" needs an odd kernel, got kernel " + std::to_string(l.kernel));
        l.paddingSame = true;
        l.padding = l.dilation * (l.kernel - 1) / 2;
    } else {
        l.padding = integer(o, "padding", w, 0, 0, 1024, "a non-negative integer or \"same\"");
    }
    parseActivation(o, l, w);
}

void parsePoolLayer(const json& o, LayerSpec& l, const Where& w)
{
    l.size = integer(o, "size", w, 2, 1, 1024, "a positive integer (the window is size×size)");
    l.stride = integer(o, "stride", w, l.size, 1, 1024, "a positive integer");
    l.padding = integer(o, "padding", w, 0, 0, 1024, "a non-negative integer");
    if (2 * l.padding > l.size)
        w.fail("field 'padding' must be at most half the window size " + std::to_string(l.size) + ", got "
               + std::to_string(l.padding));
}

LayerSpec parseLayer(const json& o, size_t index, const std::string& source)
{
    Where w {source, ""};
    if (!o.is_object()) w.fail("layer " + std::to_string(index) + " must be an object, got " + o.dump());
    LayerSpec l;
    l.id = str(o, "id", w, "", true);
    if (l.id.empty()) w.fail("layer " + std::to_string(index) + ": field 'id' is empty");
    w.layer = l.id;
    l.type = str(o, "type", w, "", true);
    if (!contains(knownLayerTypes(), l.type))
        w.fail("field 'type': unknown layer type '" + l.type + "' (known: " + joined(knownLayerTypes()) + ")");
    if (l.type == "dense") {
        if (!o.contains("units")) w.fail("field 'units' is missing (a positive integer, or \"auto\" for the last layer)");
        const json& u = o["units"];
        if (u.is_string() && u.get<std::string>() == "auto")
            l.unitsAuto = true;
        else if (u.is_number_integer() && u.get<int64_t>() > 0)
            l.units = u.get<int64_t>();
        else
            w.fail("field 'units' must be a positive integer or \"auto\", got " + u.dump());
        parseActivation(o, l, w);
    }
    if (l.type == "conv2d") parseConvLayer(o, l, w);
    if (l.type == "maxpool2d" || l.type == "avgpool2d") parsePoolLayer(o, l, w);
    if (l.type == "batchnorm") {
        l.momentum = float(number(o, "momentum", w, 0.1, 0.0, 1.0));
        l.epsilon = float(number(o, "epsilon", w, 1e-5, 1e-12, 1.0));
    }
    l.rate = float(number(o, "rate", w, 0.5, 0.0, 0.99));
    l.slope = float(number(o, "slope", w, 0.1, 0.0, 1.0));
    l.alpha = float(number(o, "alpha", w, 1.0, 0.0, 100.0));
    l.pieces = int(number(o, "pieces", w, 2, 1, 64));
    if (o.contains("inputs")) {
        const json& in = o["inputs"];
        if (!in.is_array()) w.fail("field 'inputs' must be an array of layer ids, got " + in.dump());
        for (const auto& x : in) {
            if (!x.is_string()) w.fail("field 'inputs' must hold layer ids (strings), got " + x.dump());
            l.inputs.push_back(x.get<std::string>());
        }
    }
    return l;
}

} // namespace

ModelSpec ModelSpec::fromJson(const json& j, const std::string& source)
{
    Where w {source, ""};
    if (!j.is_object()) w.fail("a model spec must be a JSON object");
    ModelSpec s;
    s.name = str(j, "name", w, "model", false);
    if (!j.contains("input")) w.fail("field 'input' is missing (e.g. {\"shape\": [2]} or {\"shape\": \"auto\"})");
    const json& in = j["input"];
    if (!in.is_object() || !in.contains("shape")) w.fail("field 'input' must be an object with a 'shape'");
    const json& shape = in["shape"];
    if (shape.is_string() && shape.get<std::string>() == "auto") {
        s.inputAuto = true;
    } else if (shape.is_array() && !shape.empty()) {
        for (const auto& d : shape) {
            if (!d.is_number_integer() || d.get<int64_t>() <= 0)
                w.fail("field 'input.shape' must hold positive integers, got " + shape.dump());
            s.inputShape.push_back(d.get<int64_t>());
        }
    } else {
        w.fail("field 'input.shape' must be a non-empty array or \"auto\", got " + shape.dump());
    }
    if (!j.contains("layers") || !j["layers"].is_array() || j["layers"].empty())
        w.fail("field 'layers' must be a non-empty array");
    std::set<std::string> ids;
    for (size_t i = 0; i < j["layers"].size(); ++i) {
        LayerSpec l = parseLayer(j["layers"][i], i, source);
        if (l.id == "input") w.fail("layer id 'input' is reserved for the model input");
        if (!ids.insert(l.id).second) Where {source, l.id}.fail("field 'id': the id '" + l.id + "' is used by another layer too; ids must be unique");
        s.layers.push_back(std::move(l));
    }
    s.loss = str(j, "loss", w, "softmax_cross_entropy", false);
    if (!contains(knownLosses(), s.loss))
        w.fail("field 'loss': unknown loss '" + s.loss + "' (known: " + joined(knownLosses()) + ")");
    for (size_t i = 0; i + 1 < s.layers.size(); ++i)
        if (s.layers[i].unitsAuto)
            Where {source, s.layers[i].id}.fail("field 'units': \"auto\" is allowed only on the last layer");
    return s;
}

namespace {

// The deepest [ or { nesting outside strings, and the byte where `limit` was passed
// (npos when it was not).
size_t tooDeepAt(const std::string& text, int limit)
{
    int depth = 0;
    bool inString = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\') ++i;
            else if (c == '"') inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) return i;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return std::string::npos;
}

} // namespace

ModelSpec ModelSpec::fromString(const std::string& text, const std::string& source)
{
    // nlohmann's parser keeps its own stack, but dumping a value (our error messages
    // quote them) recurses once per level: a file nested a million levels deep would
    // overflow the call stack. A real spec nests 4 levels.
    constexpr int kMaxDepth = 64;
    if (const size_t at = tooDeepAt(text, kMaxDepth); at != std::string::npos)
        throw Error(source + ": the JSON nests more than " + std::to_string(kMaxDepth) + " levels of [ ] or { } (at byte "
                    + std::to_string(at) + "); a model spec needs 4 (spec, layers, layer, inputs)");
    json j;
    try {
        j = json::parse(text);
    } catch (const json::parse_error& e) {
        throw Error(source + ": not valid JSON (byte " + std::to_string(e.byte) + "): " + e.what());
    }
    return fromJson(j, source);
}

ModelSpec ModelSpec::fromFile(const std::string& path)
{
    std::ifstream f(path);
    if (!f) throw Error(path + ": cannot open the model spec file (does it exist?)");
    std::stringstream ss;
    ss << f.rdbuf();
    return fromString(ss.str(), path);
}

json ModelSpec::toJson() const
{
    json j;
    j["name"] = name;
    j["input"]["shape"] = inputAuto ? json("auto") : json(inputShape);
    j["layers"] = json::array();
    for (const auto& l : layers) {
        json o {{"id", l.id}, {"type", l.type}};
        if (l.type == "dense") {
            o["units"] = l.unitsAuto ? json("auto") : json(l.units);
            if (l.activation != "none") o["activation"] = l.activation;
            if (l.activation == "maxout") o["pieces"] = l.pieces;
        }
        if (l.type == "conv2d") {
            o["filters"] = l.filters;
            o["kernel"] = l.kernel;
            o["stride"] = l.stride;
            o["padding"] = l.paddingSame ? json("same") : json(l.padding);
            o["dilation"] = l.dilation;
            if (l.activation != "none") o["activation"] = l.activation;
        }
        if (l.type == "maxpool2d" || l.type == "avgpool2d") {
            o["size"] = l.size;
            o["stride"] = l.stride;
            if (l.padding) o["padding"] = l.padding;
        }
        if (l.type == "batchnorm") {
            o["momentum"] = l.momentum;
            o["epsilon"] = l.epsilon;
        }
        if (l.type == "dropout") o["rate"] = l.rate;
        if (l.type == "leaky_relu" || l.activation == "leaky_relu") o["slope"] = l.slope;
        if (l.type == "elu" || l.activation == "elu") o["alpha"] = l.alpha;
        if (!l.inputs.empty()) o["inputs"] = l.inputs;
        j["layers"].push_back(o);
    }
    j["loss"] = loss;
    return j;
}

} // namespace nn
