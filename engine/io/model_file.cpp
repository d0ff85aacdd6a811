#include "engine/io/model_file.h"

#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include <zlib.h>

#include "engine/core/error.h"
#include "engine/nn/layer_cost.h"

namespace nn::io {

static_assert(std::endian::native == std::endian::little, "the model file stores little-endian floats");

using nlohmann::json;

namespace {

constexpr size_t kFixedHeader = 24;  // signature, version, header length, data length
constexpr size_t kChecksumBytes = 4;

uint32_t crc32Of(const std::string& bytes, size_t n)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    // zlib takes uInt lengths: feed in chunks so files over 4 GiB are fine too.
    for (size_t pos = 0; pos < n;) {
        const size_t chunk = std::min<size_t>(n - pos, size_t(1) << 30);
        crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + pos), uInt(chunk));
        pos += chunk;
    }
    return uint32_t(crc);
}

template <class T> void put(std::string& out, T v)
{
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));
}

template <class T> T get(const std::string& in, size_t offset)
{
    T v;
    std::memcpy(&v, in.data() + offset, sizeof(T));
    return v;
}

std::string hex(uint32_t v)
{
    char b[16];
    std::snprintf(b, sizeof b, "0x%08x", v);
    return b;
}

std::string shapeText(const std::vector<int64_t>& s) { return Shape(s).str(); }

// The floats the model a spec builds holds (parameters and batch norm buffers),
// from the layers' shape rules (layerCost) without allocating any; -1 when it
// cannot tell (layers out of order, shapes that do not fit: building the model
// then reports those). Lets a crafted header that asks for a huge model be
// refused against the file's real size instead of allocating it first.
double floatsNeeded(const ModelSpec& spec, const std::vector<int64_t>& inputShape, int classes)
{
    std::map<std::string, std::vector<int64_t>> shapes {{"input", inputShape}};
    std::string previous = "input";
    double total = 0;
    try {
        for (const LayerSpec& layer : spec.layers) {
            std::vector<std::vector<int64_t>> in;
            for (const std::string& id : layer.inputs.empty() ? std::vector<std::string> {previous} : layer.inputs) {
                auto it = shapes.find(id);
                if (it == shapes.end()) return -1;
                in.push_back(it->second);
            }
            LayerSpec l = layer;
            if (l.unitsAuto) l.units = spec.loss == "log_loss" ? 1 : classes;
            const LayerCost c = layerCost(l, in);
            total += double(c.params);
            if (l.type == "batchnorm" && !in.empty() && !in[0].empty()) total += 2.0 * double(in[0][0]);
            shapes[l.id] = c.outShape;
            previous = l.id;
        }
    } catch (const std::exception&) {
        return -1;
    }
    return total;
}

struct Fail {
    const std::string& path;
    [[noreturn]] void operator()(const std::string& msg) const { throw Error(path + ": " + msg); }
};

} // namespace

void checkModelFileWritable(const std::string& path)
{
    if (path.empty()) throw Error("no model file given (an empty path)");
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw Error(path + ": is a folder; give a file name for the model, e.g. '"
                    + (std::filesystem::path(path) / "model.nnm").string() + "'");
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
        throw Error(path + ": cannot write the model file: the folder '" + parent.string() + "' does not exist");
    // Try what saveModelFile will do: create the temporary beside the target.
    const std::string tmp = path + ".tmp";
    const bool existed = std::filesystem::exists(tmp, ec);
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::app);
        if (!f) throw Error(path + ": cannot write the model file here (is the folder writable?)");
    }
    if (!existed) std::remove(tmp.c_str());
}

void saveModelFile(const std::string& path, const Model& model, const ModelFileExtras& extras)
{
    json header;
    header["format"] = "nnstudio-model";
    header["version"] = kModelFormatVersion;
    header["spec"] = model.spec().toJson();
    header["input_shape"] = model.inputShape();
    // The class count the spec was resolved with ("units": "auto" follows it).
    header["classes"] = model.spec().loss == "log_loss" ? 0 : model.outputs();
    header["outputs"] = model.outputs();
    if (!extras.classNames.empty()) header["class_names"] = extras.classNames;
    header["metadata"] = extras.metadata.is_null() ? json::object() : extras.metadata;

    std::string data;
    json table = json::array();
    auto add = [&](const std::string& name, const char* role, const Tensor& t) {
        if (!t.defined() && t.numel() > 0) throw Error(path + ": tensor '" + name + "' has no data to save");
        table.push_back({{"name", name}, {"role", role}, {"shape", t.shape().toVector()}, {"offset", data.size()}});
        data.append(reinterpret_cast<const char*>(t.data()), size_t(t.numel()) * sizeof(float));
    };
    for (const auto& p : model.parameters()) add(p.name, "parameter", p.value);
    for (const auto& b : model.buffers()) add(b.name, "buffer", b.value);
    if (!extras.optimizerKind.empty()) {
        header["optimizer"] = {{"kind", extras.optimizerKind}, {"tensors", extras.optimizerState.size()}};
        for (size_t i = 0; i < extras.optimizerState.size(); ++i)
            add("optimizer." + std::to_string(i), "optimizer", extras.optimizerState[i]);
    }
    header["tensors"] = table;
    // Never invalid UTF-8 (class names are converted when read; this is the last guard).
    const std::string headerText = header.dump(-1, ' ', false, json::error_handler_t::replace);

    std::string bytes(kModelFileSignature, sizeof kModelFileSignature);
    put<uint32_t>(bytes, kModelFormatVersion);
    put<uint32_t>(bytes, uint32_t(headerText.size()));
    put<uint64_t>(bytes, uint64_t(data.size()));
    bytes += headerText;
    bytes += data;
    put<uint32_t>(bytes, crc32Of(bytes, bytes.size()));

    // Write beside the target and rename over it: a failed save leaves any old file whole.
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        if (!f) throw Error(path + ": cannot write the model file (is the folder there and writable?)");
        f.write(bytes.data(), std::streamsize(bytes.size()));
        f.flush();
        if (!f) {
            std::remove(tmp.c_str());
            throw Error(path + ": writing the model file failed (disk full?)");
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw Error(path + ": cannot replace the model file");
    }
}

LoadedModel loadModelFile(const std::string& path)
{
    const Fail fail {path};
    std::ifstream f(path, std::ios::binary);
    if (!f) fail("cannot open the model file (does it exist?)");
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());

    const size_t sig = sizeof kModelFileSignature;
    const size_t prefix = std::min(bytes.size(), sig);
    if (bytes.empty()) fail("the file is empty, not an NN Studio model file");
    if (std::memcmp(bytes.data(), kModelFileSignature, prefix) != 0) {
        const size_t first = bytes.find_first_not_of(" \t\r\n");
        if (first != std::string::npos && bytes[first] == '{')
            fail("this is a JSON file (a model spec?), not a trained NN Studio model file; make one with "
                 "'nnstudio-cli train --model SPEC.json --data ... --out MODEL.nnm'");
        fail("not an NN Studio model file (it does not start with the NNM signature)");
    }
    if (bytes.size() < kFixedHeader + kChecksumBytes)
        fail("the file is truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the "
             + std::to_string(kFixedHeader + kChecksumBytes) + "-byte frame of a model file");
    const uint32_t version = get<uint32_t>(bytes, 8);
    if (version == 0) fail("corrupt model file: format version 0");
    if (version > kModelFormatVersion)
        fail("the file has model format version " + std::to_string(version) + ", newer than this build reads (up to "
             + std::to_string(kModelFormatVersion) + "); update NN Studio to load it");
    const uint64_t headerLen = get<uint32_t>(bytes, 12);
    const uint64_t dataLen = get<uint64_t>(bytes, 16);
    if (dataLen > (uint64_t(1) << 50)) fail("corrupt model file: the data length field reads " + std::to_string(dataLen));
    const uint64_t expected = kFixedHeader + headerLen + dataLen + kChecksumBytes;
    if (bytes.size() < expected)
        fail("the file is truncated: " + std::to_string(bytes.size()) + " bytes, the model needs "
             + std::to_string(expected));
    if (bytes.size() > expected)
        fail("corrupt model file: " + std::to_string(bytes.size() - expected) + " unexpected bytes after the end ("
             + std::to_string(bytes.size()) + " bytes, the model takes " + std::to_string(expected) + ")");
    const uint32_t stored = get<uint32_t>(bytes, size_t(expected - kChecksumBytes));
    const uint32_t computed = crc32Of(bytes, size_t(expected - kChecksumBytes));
    if (stored != computed)
        fail("checksum mismatch (stored " + hex(stored) + ", computed " + hex(computed)
             + "): the file is corrupt; retrain or restore it from a copy");

    json header;
    try {
        header = json::parse(bytes.begin() + kFixedHeader, bytes.begin() + long(kFixedHeader + headerLen));
    } catch (const json::exception& e) {
        fail(std::string("corrupt model file: the header is not valid JSON: ") + e.what());
    }
    if (!header.is_object() || header.value("format", "") != "nnstudio-model")
        fail("corrupt model file: the header does not say format 'nnstudio-model'");
    const char* const required[] = {"spec", "input_shape", "classes", "tensors"};
    for (const char* field : required)
        if (!header.contains(field)) fail(std::string("corrupt model file: the header has no '") + field + "'");

    std::vector<int64_t> inputShape;
    int classes = 0;
    try {
        inputShape = header["input_shape"].get<std::vector<int64_t>>();
        classes = header["classes"].get<int>();
    } catch (const json::exception& e) {
        fail(std::string("corrupt model file: bad 'input_shape' or 'classes': ") + e.what());
    }
    ModelSpec spec = ModelSpec::fromJson(header["spec"], path);
    // Before building (which allocates every parameter): the data section must
    // hold the model the spec asks for. A crafted 20-million-unit header took
    // 1.5 GB and 5 s before the tensor checks refused it.
    for (int64_t d : inputShape)
        if (d <= 0 || d > (int64_t(1) << 31)) fail("corrupt model file: 'input_shape' has a dimension " + std::to_string(d));
    if (classes < 0 || classes > (1 << 24)) fail("corrupt model file: 'classes' reads " + std::to_string(classes));
    // A small model is built anyway: the tensor checks below then name the
    // tensor and both shapes, a better message than a byte count.
    constexpr double kCheapBytes = 64.0 * 1024 * 1024;
    const double needed = floatsNeeded(spec, inputShape, classes);
    if (needed * double(sizeof(float)) > double(dataLen) && needed * double(sizeof(float)) > kCheapBytes)
        fail("corrupt model file: the model '" + spec.name + "' has " + std::to_string(int64_t(needed)) +
             " parameter values (" + std::to_string(int64_t(needed) * int64_t(sizeof(float))) +
             " bytes) but the file's data section holds " + std::to_string(dataLen) + " bytes");
    // Resolving the spec again checks it against the shapes it was trained with.
    Model model(std::move(spec), inputShape, classes);

    LoadedModel loaded {std::move(model), {}};
    std::map<std::string, Tensor*> slots;
    for (auto& p : loaded.model.parameters()) slots[p.name] = &p.value;
    for (auto& b : loaded.model.buffers()) slots[b.name] = &b.value;

    const char* data = bytes.data() + kFixedHeader + headerLen;
    std::map<std::string, bool> seen;
    size_t optimizerTensors = 0;
    if (header.contains("optimizer")) {
        const json& o = header["optimizer"];
        if (!o.is_object() || !o.contains("kind") || !o["kind"].is_string())
            fail("corrupt model file: the 'optimizer' entry has no kind");
        loaded.extras.optimizerKind = o["kind"].get<std::string>();
        // The count goes to resize(): it must match the optimizer entries the
        // tensor table really has, not whatever the header says.
        const json count = o.value("tensors", json(0));
        size_t listed = 0;
        if (header["tensors"].is_array())
            for (const json& t : header["tensors"])
                if (t.is_object() && t.value("role", "") == "optimizer") ++listed;
        if (!count.is_number_unsigned() && !(count.is_number_integer() && count.get<int64_t>() == 0))
            fail("corrupt model file: the optimizer's tensor count is not a whole number");
        optimizerTensors = count.get<size_t>();
        if (optimizerTensors != listed)
            fail("corrupt model file: the optimizer entry says " + std::to_string(optimizerTensors) +
                 " tensors, the tensor table lists " + std::to_string(listed));
        loaded.extras.optimizerState.resize(optimizerTensors);
    }
    if (!header["tensors"].is_array()) fail("corrupt model file: 'tensors' is not a list");
    for (const json& t : header["tensors"]) {
        std::string name, role;
        std::vector<int64_t> dims;
        uint64_t offset = 0;
        try {
            name = t.at("name").get<std::string>();
            role = t.at("role").get<std::string>();
            dims = t.at("shape").get<std::vector<int64_t>>();
            offset = t.at("offset").get<uint64_t>();
        } catch (const json::exception& e) {
            fail(std::string("corrupt model file: a tensor entry is malformed: ") + e.what());
        }
        if (dims.size() > size_t(Shape::kMaxRank))
            fail("corrupt model file: tensor '" + name + "' has rank " + std::to_string(dims.size()));
        for (int64_t d : dims)
            if (d < 0) fail("corrupt model file: tensor '" + name + "' has a negative dimension");
        const Shape shape(dims);
        const uint64_t n = uint64_t(shape.numel());
        if (offset % sizeof(float) || offset > dataLen || n * sizeof(float) > dataLen - offset)
            fail("corrupt model file: tensor '" + name + "' lies outside the data section");
        Tensor* dest = nullptr;
        Tensor optimizerTensor;
        if (role == "optimizer") {
            const std::string prefix = "optimizer.";
            size_t index = optimizerTensors;
            if (name.rfind(prefix, 0) == 0) index = std::strtoul(name.c_str() + prefix.size(), nullptr, 10);
            if (index >= optimizerTensors) fail("corrupt model file: unexpected optimizer tensor '" + name + "'");
            loaded.extras.optimizerState[index] = Tensor(shape);
            dest = &loaded.extras.optimizerState[index];
        } else {
            auto it = slots.find(name);
            if (it == slots.end())
                fail("the file holds tensor '" + name + "', which the model '" + loaded.model.spec().name
                     + "' does not have (the spec and the weights disagree)");
            if (it->second->shape() != shape)
                fail("tensor '" + name + "' has shape " + shapeText(dims) + " but the model needs "
                     + it->second->shape().str());
            dest = it->second;
        }
        if (seen[name]) fail("corrupt model file: tensor '" + name + "' appears twice");
        seen[name] = true;
        if (n) std::memcpy(dest->data(), data + offset, size_t(n) * sizeof(float));
    }
    for (const auto& [name, t] : slots)
        if (!seen.count(name)) fail("the file has no values for '" + name + "'");
    for (size_t i = 0; i < optimizerTensors; ++i)
        if (!loaded.extras.optimizerState[i].defined())
            fail("corrupt model file: optimizer tensor " + std::to_string(i) + " is missing");

    if (header.contains("class_names") && header["class_names"].is_array())
        for (const auto& c : header["class_names"])
            if (c.is_string()) loaded.extras.classNames.push_back(c.get<std::string>());
    if (header.contains("metadata")) loaded.extras.metadata = header["metadata"];
    return loaded;
}

} // namespace nn::io
