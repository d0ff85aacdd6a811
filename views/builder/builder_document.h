#pragma once
// The network builder's document: the model spec of DESIGN.md as a graph of
// nodes and edges, independent of any scene. Start reading at Node and Edge.
//
// NOTES ON THE DESIGN
//   1. A node is the Input, the Loss, or one layer of the spec. A layer node keeps
//      its fields exactly as the spec file writes them (props, minus id, type and
//      inputs), so loading and saving a spec round-trips field for field.
//   2. Edges carry the spec's "inputs": an edge goes from a node's output to input
//      port `port` of another node. Dense, Conv2D, ... have one input port; Add and
//      Concat have as many as are connected plus one free port.
//   3. uids are stable for the document's life and never reused, so undo commands
//      can name nodes by uid across any number of edits.
//   4. Node positions are saved in an "editor" section the engine ignores
//      (ModelSpec::fromJson reads only the fields it knows).
//   5. Every edit goes through the editing functions below and emits changed();
//      the QUndoCommands in builder_commands.h are their only callers in the app.
#include <QObject>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/nn/model_spec.h"

namespace views::builder {

inline constexpr const char* kInputKind = "input";
inline constexpr const char* kLossKind = "loss";

struct Node {
    int uid = 0;
    std::string id;    // the layer id in the spec; "input" and "loss" for those two
    std::string kind;  // "input", "loss", or a layer type of nn::knownLayerTypes()
    nlohmann::json props = nlohmann::json::object();  // input: {"shape"}; loss: {"loss"}; layer: its spec fields
    double x = 0, y = 0;
};

struct Edge {
    int from = 0;  // uid whose output feeds
    int to = 0;    // uid whose input port receives
    int port = 0;
    bool operator==(const Edge& o) const { return from == o.from && to == o.to && port == o.port; }
};

// True for layers that join several inputs (Add, Concat).
bool joinsInputs(const std::string& kind);
// Props a new node of `kind` starts with (Dense: 10 units, Conv2D: 6 filters 5×5, ...).
nlohmann::json defaultProps(const std::string& kind);
// "Dense", "Conv2D", "Max pool", ... as the palette and the node titles show them.
std::string displayName(const std::string& kind);

class Document : public QObject {
    Q_OBJECT
public:
    explicit Document(QObject* parent = nullptr) : QObject(parent) {}

    // ---- reading ------------------------------------------------------------------
    const std::vector<Node>& nodes() const { return nodes_; }
    const std::vector<Edge>& edges() const { return edges_; }
    const Node* node(int uid) const;
    const Node* nodeById(const std::string& id) const;
    int indexOf(int uid) const;  // position in nodes(); -1 when absent
    // Edges into `uid`, by port; edges out of `uid`.
    std::vector<Edge> inputsOf(int uid) const;
    std::vector<Edge> outputsOf(int uid) const;
    // Input ports to draw: 0 for Input, 1 for most, connected + 1 free for joins.
    int portCount(int uid) const;
    // The port a new connection into `uid` takes (the free one for joins, else 0).
    int freePort(int uid) const;
    const std::string& name() const { return name_; }
    // An id not used yet for a node of `kind` ("dense1", "conv2", ...).
    std::string freshId(const std::string& kind) const;

    // A uid for a node about to be added (so an undo command can name it first).
    int newUid() { return nextUid_++; }

    // ---- editing (each emits changed()) -------------------------------------------
    // Inserts at `index` (-1: the end); a uid of 0 gets a new one. Returns the uid.
    int insertNode(Node n, int index = -1);
    Node removeNode(int uid);  // also removes its edges (callers save them first)
    void moveNode(int uid, double x, double y);
    void connect(const Edge& e);
    void disconnect(const Edge& e);
    void setProps(int uid, const nlohmann::json& props);
    void setId(int uid, const std::string& id);
    void setName(const std::string& name);

    // ---- the spec -----------------------------------------------------------------
    // Replaces everything with the spec in `j` (an object as ModelSpec::fromJson reads
    // it, validated by it first: throws nn::Error naming the problem and losing
    // nothing). Positions come from its "editor" section, else auto-layout.
    void loadSpecJson(const nlohmann::json& j);
    // The spec as JSON, layers in a topological order (the node feeding the loss
    // last), "inputs" written only where they are not the previous layer. Works for
    // any graph, valid or not; ModelSpec::fromJson judges the result. The editor
    // section keeps positions and, under "wires", the connections the spec cannot
    // say (an open input port, a loss fed by nothing), so a reload draws the same graph.
    nlohmann::json toSpecJson(bool withEditor = true) const;
    // Everything, for undoing a whole-document change (template, open): any
    // document, valid or not, comes back exactly, uids included.
    struct State {
        std::vector<Node> nodes;
        std::vector<Edge> edges;
        std::string name;
    };
    State state() const { return {nodes_, edges_, name_}; }
    void restore(const State& s);
    // Layer nodes (not Input or Loss) in the order toSpecJson writes them; cycles
    // are broken by document order.
    std::vector<int> layerOrder() const;

signals:
    void changed();

private:
    nlohmann::json editorWires(const Node* loss) const;
    std::vector<Node> nodes_;
    std::vector<Edge> edges_;
    std::string name_ = "model";
    int nextUid_ = 1;
};

} // namespace views::builder
