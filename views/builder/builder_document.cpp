#include "views/builder/builder_document.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/core/error.h"
#include "views/builder/builder_layout.h"

namespace views::builder {

using nlohmann::json;

bool joinsInputs(const std::string& kind) { return kind == "add" || kind == "concat"; }

json defaultProps(const std::string& kind)
{
    if (kind == kInputKind) return {{"shape", "auto"}};
    if (kind == kLossKind) return {{"loss", "softmax_cross_entropy"}};
    if (kind == "dense") return {{"units", 10}, {"activation", "relu"}};
    if (kind == "conv2d") return {{"filters", 6}, {"kernel", 5}, {"activation", "relu"}};
    if (kind == "maxpool2d" || kind == "avgpool2d") return {{"size", 2}};
    if (kind == "dropout") return {{"rate", 0.5}};
    if (kind == "leaky_relu") return {{"slope", 0.1}};
    if (kind == "elu") return {{"alpha", 1.0}};
    return json::object();
}

std::string displayName(const std::string& kind)
{
    static const std::map<std::string, std::string> names {
        {"input", "Input"},         {"loss", "Loss"},           {"dense", "Dense"},
        {"conv2d", "Conv2D"},       {"maxpool2d", "Max pool"},  {"avgpool2d", "Average pool"},
        {"global_avgpool", "Global average pool"},              {"batchnorm", "BatchNorm"},
        {"dropout", "Dropout"},     {"flatten", "Flatten"},     {"add", "Add"},
        {"concat", "Concat"},       {"sigmoid", "Sigmoid"},     {"tanh", "Tanh"},
        {"relu", "ReLU"},           {"leaky_relu", "Leaky ReLU"}, {"elu", "ELU"},
        {"softmax", "Softmax"}};
    auto it = names.find(kind);
    return it == names.end() ? kind : it->second;
}

const Node* Document::node(int uid) const
{
    const int i = indexOf(uid);
    return i < 0 ? nullptr : &nodes_[size_t(i)];
}

const Node* Document::nodeById(const std::string& id) const
{
    for (const auto& n : nodes_)
        if (n.id == id) return &n;
    return nullptr;
}

int Document::indexOf(int uid) const
{
    for (size_t i = 0; i < nodes_.size(); ++i)
        if (nodes_[i].uid == uid) return int(i);
    return -1;
}

std::vector<Edge> Document::inputsOf(int uid) const
{
    std::vector<Edge> v;
    for (const auto& e : edges_)
        if (e.to == uid) v.push_back(e);
    std::sort(v.begin(), v.end(), [](const Edge& a, const Edge& b) { return a.port < b.port; });
    return v;
}

std::vector<Edge> Document::outputsOf(int uid) const
{
    std::vector<Edge> v;
    for (const auto& e : edges_)
        if (e.from == uid) v.push_back(e);
    return v;
}

int Document::portCount(int uid) const
{
    const Node* n = node(uid);
    if (!n || n->kind == kInputKind) return 0;
    if (!joinsInputs(n->kind)) return 1;
    int top = -1;
    for (const auto& e : inputsOf(uid)) top = std::max(top, e.port);
    return std::max(2, top + 2);
}

int Document::freePort(int uid) const
{
    const Node* n = node(uid);
    if (!n || !joinsInputs(n->kind)) return 0;
    std::set<int> used;
    for (const auto& e : inputsOf(uid)) used.insert(e.port);
    int p = 0;
    while (used.count(p)) ++p;
    return p;
}

std::string Document::freshId(const std::string& kind) const
{
    static const std::map<std::string, std::string> stems {
        {"dense", "fc"},         {"conv2d", "conv"},  {"maxpool2d", "pool"}, {"avgpool2d", "pool"},
        {"global_avgpool", "gap"}, {"batchnorm", "bn"}, {"dropout", "drop"}, {"flatten", "flat"}};
    if (kind == kInputKind || kind == kLossKind) {
        if (!nodeById(kind)) return kind;
    }
    auto it = stems.find(kind);
    const std::string stem = it == stems.end() ? kind : it->second;
    for (int i = 1;; ++i) {
        const std::string id = stem + std::to_string(i);
        if (!nodeById(id)) return id;
    }
}

int Document::insertNode(Node n, int index)
{
    if (n.uid == 0) n.uid = nextUid_++;
    nextUid_ = std::max(nextUid_, n.uid + 1);
    const int uid = n.uid;
    if (index < 0 || index > int(nodes_.size())) index = int(nodes_.size());
    nodes_.insert(nodes_.begin() + index, std::move(n));
    emit changed();
    return uid;
}

Node Document::removeNode(int uid)
{
    const int i = indexOf(uid);
    Q_ASSERT_X(i >= 0, "Document::removeNode", "no such node uid; was it removed twice?");
    Node n = nodes_[size_t(i)];
    nodes_.erase(nodes_.begin() + i);
    edges_.erase(std::remove_if(edges_.begin(), edges_.end(), [uid](const Edge& e) { return e.from == uid || e.to == uid; }),
                 edges_.end());
    emit changed();
    return n;
}

void Document::moveNode(int uid, double x, double y)
{
    const int i = indexOf(uid);
    if (i < 0) return;
    nodes_[size_t(i)].x = x;
    nodes_[size_t(i)].y = y;
    emit changed();
}

void Document::connect(const Edge& e)
{
    if (std::find(edges_.begin(), edges_.end(), e) != edges_.end()) return;
    edges_.push_back(e);
    emit changed();
}

void Document::disconnect(const Edge& e)
{
    edges_.erase(std::remove(edges_.begin(), edges_.end(), e), edges_.end());
    emit changed();
}

void Document::setProps(int uid, const json& props)
{
    const int i = indexOf(uid);
    if (i < 0) return;
    nodes_[size_t(i)].props = props;
    emit changed();
}

void Document::setId(int uid, const std::string& id)
{
    const int i = indexOf(uid);
    if (i < 0) return;
    nodes_[size_t(i)].id = id;
    emit changed();
}

void Document::restore(const State& s)
{
    nodes_ = s.nodes;
    edges_ = s.edges;
    name_ = s.name;
    for (const auto& n : nodes_) nextUid_ = std::max(nextUid_, n.uid + 1);
    emit changed();
}

void Document::setName(const std::string& name)
{
    name_ = name;
    emit changed();
}

namespace {

// The "wires" of an editor section (see Document::editorWires) replace what the
// spec's "inputs" say for those nodes. A malformed entry is skipped, as bad
// positions are: the editor section is a convenience, the spec is the model.
void applyEditorWires(const json& j, const std::map<std::string, int>& uidOf, const std::vector<Node>& nodes,
                      std::vector<Edge>& edges)
{
    if (!j.contains("editor") || !j["editor"].is_object() || !j["editor"].contains("wires")) return;
    const json& wires = j["editor"]["wires"];
    if (!wires.is_object()) return;
    for (const auto& n : nodes) {
        if (n.kind == kInputKind || !wires.contains(n.id)) continue;
        const json& ports = wires[n.id];
        if (!ports.is_array() || (!joinsInputs(n.kind) && ports.size() > 1)) continue;
        std::vector<Edge> mine;
        for (size_t p = 0; p < ports.size(); ++p) {
            if (ports[p].is_null()) continue;
            const auto from = ports[p].is_string() ? uidOf.find(ports[p].get<std::string>()) : uidOf.end();
            if (from == uidOf.end() || from->second == n.uid) {
                mine.clear();
                break;
            }
            mine.push_back({from->second, n.uid, int(p)});
        }
        if (mine.empty() && !std::all_of(ports.begin(), ports.end(), [](const json& p) { return p.is_null(); })) continue;
        edges.erase(std::remove_if(edges.begin(), edges.end(), [&](const Edge& e) { return e.to == n.uid; }), edges.end());
        edges.insert(edges.end(), mine.begin(), mine.end());
    }
}

} // namespace

void Document::loadSpecJson(const json& j)
{
    const nn::ModelSpec spec = nn::ModelSpec::fromJson(j);  // throws before anything changes
    std::vector<Node> nodes;
    std::vector<Edge> edges;
    int uid = nextUid_;
    std::map<std::string, int> uidOf;
    auto add = [&](const std::string& id, const std::string& kind, json props) {
        Node n;
        n.uid = uid++;
        n.id = id;
        n.kind = kind;
        n.props = std::move(props);
        uidOf[id] = n.uid;
        nodes.push_back(std::move(n));
    };
    add(kInputKind, kInputKind, {{"shape", j["input"]["shape"]}});
    std::string previous = kInputKind;
    for (const auto& layer : j["layers"]) {
        json props = layer;
        for (const char* k : {"id", "type", "inputs"}) props.erase(k);
        const std::string id = layer["id"].get<std::string>();
        add(id, layer["type"].get<std::string>(), props);
        std::vector<std::string> ins;
        if (layer.contains("inputs") && !layer["inputs"].empty())
            ins = layer["inputs"].get<std::vector<std::string>>();
        else
            ins = {previous};
        for (size_t p = 0; p < ins.size(); ++p)
            if (uidOf.count(ins[p])) edges.push_back({uidOf[ins[p]], uidOf[id], int(p)});
        previous = id;
    }
    // Inputs may name a layer written later (the engine orders by DFS): a second pass.
    for (const auto& layer : j["layers"]) {
        if (!layer.contains("inputs")) continue;
        const auto ins = layer["inputs"].get<std::vector<std::string>>();
        const int to = uidOf[layer["id"].get<std::string>()];
        for (size_t p = 0; p < ins.size(); ++p) {
            const Edge e {uidOf.count(ins[p]) ? uidOf[ins[p]] : 0, to, int(p)};
            if (e.from && std::find(edges.begin(), edges.end(), e) == edges.end()) edges.push_back(e);
        }
    }
    add(kLossKind, kLossKind, {{"loss", spec.loss}});
    // The loss follows the network's output: the last layer the engine evaluates.
    edges.push_back({uidOf[spec.layers.back().id], uidOf[kLossKind], 0});
    applyEditorWires(j, uidOf, nodes, edges);

    nodes_ = std::move(nodes);
    edges_ = std::move(edges);
    nextUid_ = uid;
    name_ = spec.name;
    bool placed = j.contains("editor") && j["editor"].is_object() && j["editor"].contains("positions");
    if (placed) {
        const json& pos = j["editor"]["positions"];
        for (auto& n : nodes_) {
            // Anything but two numbers per node: lay out afresh rather than fail.
            if (!pos.is_object() || !pos.contains(n.id) || !pos[n.id].is_array() || pos[n.id].size() != 2
                || !pos[n.id][0].is_number() || !pos[n.id][1].is_number()) {
                placed = false;
                break;
            }
            n.x = pos[n.id][0].get<double>();
            n.y = pos[n.id][1].get<double>();
        }
    }
    if (!placed)
        for (const auto& [id, p] : autoLayout(*this)) {
            Node& n = nodes_[size_t(indexOf(id))];
            n.x = p.first;
            n.y = p.second;
        }
    emit changed();
}

std::vector<int> Document::layerOrder() const
{
    // Kahn's algorithm, always taking the ready node written first: a spec loaded
    // from a file keeps its order, and the node feeding the loss (which depends on
    // every other layer in a valid net) comes last.
    std::map<int, int> pending;
    std::vector<int> order;
    auto isLayer = [](const Node& n) { return n.kind != kInputKind && n.kind != kLossKind; };
    for (const auto& n : nodes_)
        if (isLayer(n)) pending[n.uid] = 0;
    for (const auto& e : edges_)
        if (pending.count(e.to) && pending.count(e.from)) ++pending[e.to];
    std::set<int> done;
    while (order.size() < pending.size()) {
        int pick = 0;
        for (const auto& n : nodes_)
            if (isLayer(n) && !done.count(n.uid) && pending[n.uid] == 0) {
                pick = n.uid;
                break;
            }
        if (!pick)  // a cycle: take the first remaining node in document order
            for (const auto& n : nodes_)
                if (isLayer(n) && !done.count(n.uid)) {
                    pick = n.uid;
                    break;
                }
        done.insert(pick);
        order.push_back(pick);
        for (const auto& e : edges_)
            if (e.from == pick && pending.count(e.to)) --pending[e.to];
    }
    return order;
}

json Document::toSpecJson(bool withEditor) const
{
    json j;
    j["name"] = name_;
    const Node* input = nullptr;
    const Node* loss = nullptr;
    for (const auto& n : nodes_) {
        if (n.kind == kInputKind && !input) input = &n;
        if (n.kind == kLossKind && !loss) loss = &n;
    }
    j["input"]["shape"] = input && input->props.contains("shape") ? input->props["shape"] : json("auto");
    j["layers"] = json::array();
    std::string previous = kInputKind;
    for (int uid : layerOrder()) {
        const Node& n = *node(uid);
        json o = n.props;
        o["id"] = n.id;
        o["type"] = n.kind;
        std::vector<std::string> ins;
        for (const auto& e : inputsOf(uid)) {
            const Node* from = node(e.from);
            ins.push_back(from->kind == kInputKind ? std::string(kInputKind) : from->id);
        }
        if (ins != std::vector<std::string> {previous}) o["inputs"] = ins;
        j["layers"].push_back(o);
        previous = n.id;
    }
    if (loss && loss->props.contains("loss")) j["loss"] = loss->props["loss"];
    if (withEditor) {
        json pos = json::object();
        for (const auto& n : nodes_) pos[n.id] = {n.x, n.y};
        j["editor"] = {{"positions", pos}};
        const json wires = editorWires(loss);
        if (!wires.empty()) j["editor"]["wires"] = wires;
    }
    return j;
}

json Document::editorWires(const Node* loss) const
{
    // Per port, null where it is open. Only where the spec alone would say something
    // else on reload: no input at all ("inputs": [] reads as "the previous layer"),
    // a gap between a join's ports, or a loss not fed by the last layer written.
    const std::vector<int> order = layerOrder();
    const std::string last = order.empty() ? std::string() : node(order.back())->id;
    json wires = json::object();
    for (const auto& n : nodes_) {
        const bool isLoss = &n == loss;
        if (n.kind == kInputKind || (n.kind == kLossKind && !isLoss)) continue;
        const auto ins = inputsOf(n.uid);
        json ports = json::array();
        bool open = ins.empty();
        for (const auto& e : ins) {
            while (int(ports.size()) < e.port) {
                ports.push_back(nullptr);
                open = true;
            }
            const Node* from = node(e.from);
            ports.push_back(from->kind == kInputKind ? std::string(kInputKind) : from->id);
        }
        if (open || (isLoss && ports.front() != last)) wires[n.id] = ports;
    }
    return wires;
}

} // namespace views::builder
