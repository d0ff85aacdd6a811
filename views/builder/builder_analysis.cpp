#include "views/builder/builder_analysis.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include <nlohmann/json.hpp>

#include "engine/core/error.h"
#include "engine/nn/layer_cost.h"
#include "engine/nn/model.h"
#include "engine/ops/op.h"
#include "views/builder/builder_document.h"

namespace views::builder {

using nlohmann::json;

std::string shapeText(const std::vector<int64_t>& shape)
{
    if (shape.empty()) return "?";
    std::string s;
    for (int64_t d : shape) s += (s.empty() ? "" : "×") + std::to_string(d);
    return s;
}

std::string countText(double n)
{
    char buf[32];
    if (n >= 1e9) std::snprintf(buf, sizeof buf, "%.2f G", n / 1e9);
    else if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M", n / 1e6);
    else if (n >= 1e4) std::snprintf(buf, sizeof buf, "%.1f k", n / 1e3);
    else std::snprintf(buf, sizeof buf, "%.0f", n);
    return buf;
}

std::string bytesText(double bytes)
{
    char buf[32];
    if (bytes >= 1 << 30) std::snprintf(buf, sizeof buf, "%.2f GB", bytes / double(1 << 30));
    else if (bytes >= 1 << 20) std::snprintf(buf, sizeof buf, "%.1f MB", bytes / double(1 << 20));
    else if (bytes >= 1 << 10) std::snprintf(buf, sizeof buf, "%.1f kB", bytes / double(1 << 10));
    else std::snprintf(buf, sizeof buf, "%.0f B", bytes);
    return buf;
}

bool Analysis::ok() const { return errorCount() == 0; }

int Analysis::errorCount() const
{
    int n = int(graphErrors.size());
    for (const auto& [uid, r] : nodes) n += int(r.errors.size());
    return n;
}

int Analysis::warningCount() const
{
    int n = 0;
    for (const auto& [uid, r] : nodes) n += int(r.warnings.size());
    return n;
}

std::string Analysis::firstWarning(const Document& doc) const
{
    for (const auto& n : doc.nodes())
        if (auto it = nodes.find(n.uid); it != nodes.end() && !it->second.warnings.empty())
            return n.id + ": " + it->second.warnings.front();
    return {};
}

std::string Analysis::firstError(const Document& doc) const
{
    if (!graphErrors.empty()) return graphErrors.front();
    for (bool blocking : {true, false})
        for (const auto& n : doc.nodes()) {
            auto it = nodes.find(n.uid);
            if (it != nodes.end() && !it->second.errors.empty() && (it->second.stopsShape || !blocking))
                return n.id + ": " + it->second.errors.front();
        }
    return {};
}

namespace {

// The engine's parser prefixes "spec: layer 'x': "; the node already says which.
std::string withoutPrefix(std::string msg)
{
    const auto p = msg.find("': ");
    if (msg.rfind("spec: layer '", 0) == 0 && p != std::string::npos) msg = msg.substr(p + 3);
    else if (msg.rfind("spec: ", 0) == 0) msg = msg.substr(6);
    if (!msg.empty()) msg[0] = char(std::toupper(static_cast<unsigned char>(msg[0])));
    return msg;
}

int64_t numel(const std::vector<int64_t>& s)
{
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
}

struct Analyzer {
    Analyzer(const Document& d, const DataContext& c) : doc(d), data(c) {}
    const Document& doc;
    const DataContext& data;
    Analysis a;
    std::map<int, nn::LayerSpec> parsed;  // layers whose fields the engine accepted
    std::set<int> onCycle;
    std::string lossName = "softmax_cross_entropy";

    std::set<int> hard;  // nodes whose own error stops their shape (fields, inputs, cycles)

    std::map<int, std::vector<std::string>> later;  // loose ends: shown after what stops the shape

    void err(int uid, const std::string& msg, bool stopsShape = true)
    {
        if (!stopsShape) {
            later[uid].push_back(msg);
            return;
        }
        a.nodes[uid].errors.push_back(msg);
        a.nodes[uid].stopsShape = true;
        hard.insert(uid);
    }

    // A node's first error is the one drawn on it: a wrong shape matters more than
    // an output not connected yet.
    void appendLooseEnds()
    {
        for (auto& [uid, msgs] : later)
            for (auto& m : msgs) a.nodes[uid].errors.push_back(std::move(m));
    }
    const std::string& idOf(int uid) const { return doc.node(uid)->id; }

    void structure()
    {
        std::vector<int> inputs, losses;
        std::map<std::string, int> seen;
        for (const auto& n : doc.nodes()) {
            a.nodes[n.uid] = {};
            if (n.kind == kInputKind) inputs.push_back(n.uid);
            if (n.kind == kLossKind) losses.push_back(n.uid);
        }
        if (inputs.empty()) a.graphErrors.push_back("There is no Input node: drag Input from the palette onto the canvas.");
        for (size_t i = 1; i < inputs.size(); ++i) err(inputs[i], "A network has one Input; delete this one.");
        for (size_t i = 1; i < losses.size(); ++i) err(losses[i], "A network has one Loss; delete this one.");
        for (const auto& n : doc.nodes()) {
            if (n.id.empty()) err(n.uid, "The id is empty: give the layer a name in Properties.", false);
            else if (seen.count(n.id)) err(n.uid, "The id '" + n.id + "' is used by another node too; ids must be unique.", false);
            seen[n.id] = n.uid;
        }
    }

    void fields()
    {
        for (const auto& n : doc.nodes()) {
            if (n.kind == kInputKind) {
                const json& s = n.props.contains("shape") ? n.props["shape"] : json();
                bool ok = s.is_string() && s.get<std::string>() == "auto";
                if (s.is_array() && !s.empty()) {
                    ok = true;
                    for (const auto& d : s) ok = ok && d.is_number_integer() && d.get<int64_t>() > 0;
                }
                if (!ok) err(n.uid, "Shape must be \"auto\" (follow the data) or positive whole numbers like [1, 28, 28].");
                continue;
            }
            if (n.kind == kLossKind) {
                const json& l = n.props.contains("loss") ? n.props["loss"] : json();
                const auto& known = nn::knownLosses();
                if (!l.is_string() || std::find(known.begin(), known.end(), l.get<std::string>()) == known.end())
                    err(n.uid, "Unknown loss " + l.dump() + "; choose one of softmax_cross_entropy, mse, hinge, log_loss.");
                else if (n.uid == firstOf(kLossKind))
                    lossName = l.get<std::string>();
                continue;
            }
            json layer = n.props;
            layer["id"] = n.id.empty() || n.id == kInputKind ? "layer" : n.id;
            layer["type"] = n.kind;
            layer.erase("inputs");
            try {
                const json spec {{"input", {{"shape", {1}}}}, {"layers", {layer}}};
                parsed[n.uid] = nn::ModelSpec::fromJson(spec).layers.front();
            } catch (const nn::Error& e) {
                err(n.uid, withoutPrefix(e.what()));
            }
        }
    }

    int firstOf(const char* kind) const
    {
        for (const auto& n : doc.nodes())
            if (n.kind == kind) return n.uid;
        return 0;
    }

    void ports()
    {
        const int loss = firstOf(kLossKind);
        for (const auto& n : doc.nodes()) {
            const auto ins = doc.inputsOf(n.uid);
            const auto outs = doc.outputsOf(n.uid);
            if (n.kind == kInputKind) {
                if (outs.empty() && doc.nodes().size() > 1) err(n.uid, "The input feeds nothing: connect it to the first layer.", false);
                continue;
            }
            if (n.kind == kLossKind) {
                if (ins.empty()) err(n.uid, "Nothing feeds the loss: connect the network's last layer to it.");
                else if (doc.node(ins[0].from)->kind == kInputKind)
                    err(n.uid, "The loss needs at least one layer between it and the input.");
                continue;
            }
            if (joinsInputs(n.kind) && ins.size() < 2)
                err(n.uid, displayName(n.kind) + " joins two or more inputs; it has " + std::to_string(ins.size())
                               + ". Connect another layer's output to its free port.");
            if (!joinsInputs(n.kind) && ins.empty())
                err(n.uid, "Nothing is connected to its input: drag from the output port (bottom) of the layer "
                           "before it to this node's input port (top).");
            if (outs.empty()) {
                if (loss) err(n.uid, "Its output goes nowhere: connect it to the next layer or the Loss, or delete it.", false);
                else err(n.uid, "The network has no loss: drag Loss from the palette and connect this layer's output to it.", false);
            }
        }
    }

    void cycles()
    {
        std::map<int, int> state;  // 0 new, 1 on the stack, 2 done
        std::vector<int> stack;
        std::function<void(int)> visit = [&](int uid) {
            state[uid] = 1;
            stack.push_back(uid);
            for (const auto& e : doc.outputsOf(uid)) {
                if (state[e.to] == 1) {
                    auto it = std::find(stack.begin(), stack.end(), e.to);
                    std::string path;
                    std::vector<int> members(it, stack.end());
                    for (int m : members) path += idOf(m) + " → ";
                    path += idOf(e.to);
                    for (int m : members)
                        if (onCycle.insert(m).second)
                            err(m, "It is on a cycle (" + path + "): a network must flow one way. Remove one of these connections.");
                } else if (state[e.to] == 0) {
                    visit(e.to);
                }
            }
            stack.pop_back();
            state[uid] = 2;
        };
        for (const auto& n : doc.nodes())
            if (state[n.uid] == 0) visit(n.uid);
    }

    // Friendly words for the shape rules the engine would reject with its own.
    std::string shapeProblem(const Node& n, const nn::LayerSpec& l, const std::vector<int>& from,
                             const std::vector<std::vector<int64_t>>& in) const
    {
        const std::string& src = idOf(from[0]);
        const std::string type = displayName(n.kind);
        const bool fromInput = doc.node(from[0])->kind == kInputKind;
        if ((n.kind == "dense" || n.kind == "softmax") && in[0].size() != 1)
            return type + " expects a flat input; add Flatten after " + src + " (" + shapeText(in[0]) + ").";
        const bool windowed = n.kind == "conv2d" || n.kind == "maxpool2d" || n.kind == "avgpool2d";
        if ((windowed || n.kind == "global_avgpool") && in[0].size() != 3)
            return type + " expects an image (channels×height×width) but " + src + " gives " + shapeText(in[0])
                   + (fromInput ? "; set the Input's shape to e.g. [1, 28, 28] or use an image data set." : ".");
        if (windowed) {
            const bool conv = n.kind == "conv2d";
            const int k = conv ? l.kernel : l.size, dil = conv ? l.dilation : 1;
            const int64_t oh = nn::windowOut(in[0][1], k, l.stride, l.padding, dil);
            const int64_t ow = nn::windowOut(in[0][2], k, l.stride, l.padding, dil);
            if (oh < 1 || ow < 1)
                return "A " + std::to_string(k) + "×" + std::to_string(k) + " window does not fit the "
                       + std::to_string(in[0][1]) + "×" + std::to_string(in[0][2]) + " image from " + src + " (padding "
                       + std::to_string(l.padding) + "); use a smaller " + (conv ? "kernel" : "size") + " or more padding.";
        }
        if (n.kind == "batchnorm" && in[0].size() != 1 && in[0].size() != 3)
            return "BatchNorm expects features or an image; " + src + " gives " + shapeText(in[0]) + ".";
        for (size_t k = 1; k < in.size(); ++k) {
            if (n.kind == "add" && in[k] != in[0])
                return "Add needs equal shapes: " + src + " gives " + shapeText(in[0]) + " but " + idOf(from[k])
                       + " gives " + shapeText(in[k]) + ".";
            if (n.kind == "concat") {
                bool ok = in[k].size() == in[0].size();
                for (size_t d = 1; ok && d < in[0].size(); ++d) ok = in[k][d] == in[0][d];
                if (!ok)
                    return "Concat joins channels and needs the other sizes equal: " + src + " gives " + shapeText(in[0])
                           + " but " + idOf(from[k]) + " gives " + shapeText(in[k]) + ".";
            }
        }
        return {};
    }

    void shapes()
    {
        // Kahn's order over every node; nodes on a cycle never become ready.
        std::map<int, int> pending;
        for (const auto& n : doc.nodes()) pending[n.uid] = int(doc.inputsOf(n.uid).size());
        std::vector<int> ready;
        for (const auto& n : doc.nodes())
            if (pending[n.uid] == 0) ready.push_back(n.uid);
        while (!ready.empty()) {
            const int uid = ready.front();
            ready.erase(ready.begin());
            resolve(*doc.node(uid));
            for (const auto& e : doc.outputsOf(uid))
                if (--pending[e.to] == 0) ready.push_back(e.to);
        }
    }

    void resolve(const Node& n)
    {
        NodeReport& r = a.nodes[n.uid];
        if (n.kind == kInputKind) {
            const json& s = n.props.contains("shape") ? n.props["shape"] : json("auto");
            if (hard.count(n.uid)) return;
            if (s.is_string()) {
                if (data.sampleShape.empty()) return;
                r.shape = data.sampleShape;
            } else {
                r.shape = s.get<std::vector<int64_t>>();
                if (!data.sampleShape.empty() && numel(r.shape) != numel(data.sampleShape)) {
                    err(n.uid, "The data set " + data.name + " has samples of " + shapeText(data.sampleShape)
                                   + " but the shape here is " + shapeText(r.shape) + "; set it to \"auto\" or "
                                   + json(data.sampleShape).dump() + ".");
                } else if (!data.sampleShape.empty()) {
                    r.shape = data.sampleShape;  // the engine reads samples in the data's own shape
                }
            }
            r.resolved = true;
            a.activationValues += numel(r.shape);
            return;
        }
        const auto ins = doc.inputsOf(n.uid);
        std::vector<int> from;
        std::vector<std::vector<int64_t>> in;
        for (const auto& e : ins) {
            const NodeReport& u = a.nodes[e.from];
            if (!u.resolved) return;  // its own error says why; this one waits
            from.push_back(e.from);
            in.push_back(u.shape);
        }
        if (ins.empty() || onCycle.count(n.uid)) return;
        if (n.kind == kLossKind) {
            resolveLoss(n, from[0], in[0]);
            return;
        }
        if (hard.count(n.uid) || !parsed.count(n.uid)) return;
        nn::LayerSpec l = parsed[n.uid];
        if (l.unitsAuto) {
            const bool feedsLoss = [&] {
                for (const auto& e : doc.outputsOf(n.uid))
                    if (doc.node(e.to)->kind == kLossKind) return true;
                return false;
            }();
            if (!feedsLoss) {
                err(n.uid, "Units \"auto\" follows the data's classes and is only for the layer that feeds the Loss; set a number.");
                return;
            }
            l.units = lossName == "log_loss" ? 1 : data.numClasses;
            if (l.units <= 0) {
                err(n.uid, "Units \"auto\" needs a data set to count classes; choose one above or set a number.");
                return;
            }
        }
        if (const std::string p = shapeProblem(n, l, from, in); !p.empty()) {
            err(n.uid, p);
            return;
        }
        try {
            const nn::LayerCost c = nn::layerCost(l, in);
            r.shape = c.outShape;
            r.params = c.params;
            r.flops = c.flops;
            r.resolved = true;
            a.params += c.params;
            a.flops += c.flops;
            a.activationValues += numel(c.outShape);
        } catch (const nn::Error& e) {
            err(n.uid, withoutPrefix(e.what()));
        }
    }

    void resolveLoss(const Node& n, int from, const std::vector<int64_t>& in)
    {
        NodeReport& r = a.nodes[n.uid];
        if (hard.count(n.uid)) return;
        const Node& src = *doc.node(from);
        if (in.size() != 1) {
            err(n.uid, "The loss needs one score per class, but " + src.id + " gives " + shapeText(in)
                           + "; add Flatten and a Dense with units \"auto\" before it.");
            return;
        }
        const int want = lossName == "log_loss" ? 1 : data.numClasses;
        if (want > 0 && in[0] != want) {
            const std::string msg = src.id + " gives " + std::to_string(in[0]) + " scores but "
                                    + (lossName == "log_loss" ? "log_loss needs 1" : data.name + " has " + std::to_string(want) + " classes");
            if (src.kind == "dense") err(src.uid, "It " + msg.substr(src.id.size() + 1) + "; set units to "
                                                      + std::to_string(want) + " or \"auto\".");
            else err(n.uid, msg + "; end the network with a Dense of units \"auto\".");
            return;
        }
        warnIfNotLogits(n, src);
        r.resolved = true;
        r.shape = {1};
        r.flops = 4.0 * double(in[0]);  // as the loss ops declare (engine/ops)
        a.flops += r.flops;
    }

    // Softmax cross-entropy applies softmax itself (log_loss: sigmoid) and
    // expects raw scores, logits, of any sign. A ReLU (or any activation) before
    // it squashes them: it trains, but worse, so this is a warning, not an error.
    void warnIfNotLogits(const Node& loss, const Node& src)
    {
        if (lossName != "softmax_cross_entropy" && lossName != "log_loss") return;
        std::string activation;
        if (auto it = parsed.find(src.uid); it != parsed.end() && (src.kind == "dense" || src.kind == "conv2d"))
            activation = it->second.activation;
        else if (src.kind == "relu" || src.kind == "sigmoid" || src.kind == "tanh" || src.kind == "leaky_relu"
                 || src.kind == "elu" || src.kind == "softmax")
            activation = src.kind;
        if (activation.empty() || activation == "none") return;
        const std::string applies = lossName == "log_loss" ? "a sigmoid" : "softmax";
        std::string fix = src.kind == activation ? "remove the " + activation + " layer " + src.id
                                                  : "set " + src.id + "'s activation to none";
        a.nodes[loss.uid].warnings.push_back(lossName + " expects logits (raw scores of any sign) and applies " + applies
                                             + " itself, but " + src.id + " ends in " + activation + "; " + fix + ".");
    }

    // The engine's own verdict once the builder finds nothing wrong.
    void engineCheck()
    {
        if (a.errorCount() > 0) return;
        try {
            const nn::ModelSpec spec = nn::ModelSpec::fromJson(doc.toSpecJson(false), doc.name());
            nn::Model m(spec, data.sampleShape, data.numClasses);
        } catch (const std::exception& e) {
            const std::string msg = e.what();
            const auto p = msg.find("layer '");
            if (p != std::string::npos) {
                const auto q = msg.find('\'', p + 7);
                if (const Node* n = doc.nodeById(msg.substr(p + 7, q - p - 7))) {
                    err(n->uid, withoutPrefix(msg.substr(msg.find("': ", q) == std::string::npos ? q : msg.find("': ", q) + 3)));
                    return;
                }
            }
            a.graphErrors.push_back(msg);
        }
    }
};

} // namespace

Analysis analyze(const Document& doc, const DataContext& data)
{
    Analyzer z(doc, data);
    z.structure();
    z.fields();
    z.ports();
    z.cycles();
    z.shapes();
    z.appendLooseEnds();
    z.engineCheck();
    return z.a;
}

} // namespace views::builder
