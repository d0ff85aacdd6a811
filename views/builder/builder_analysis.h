#pragma once
// Live inference over the builder's document: every node's output shape,
// parameter count and forward FLOPs per sample, the totals, memory at a batch
// size, and every error attributed to the node that causes it, in words a student
// can act on ("Dense expects a flat input; add Flatten after pool2 (16×5×5)").
//
// Order of checks (a node reports the first problem that stops its shape):
//   1. structure: one Input, one Loss, unique ids;
//   2. each layer's fields, judged by the engine's own parser (ModelSpec::fromJson);
//   3. ports: unconnected inputs, outputs that lead nowhere, a missing loss;
//   4. cycles: every node on one is named;
//   5. shapes in topological order (a node whose input failed stays unknown);
//      costs come from the op declarations (nn::layerCost);
//   6. with no error left, the engine builds the model (nn::Model) as the final
//      judge; anything it still refuses lands on the layer it names.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace views::builder {

class Document;

// The data the network will train on: "auto" input shapes and units follow it.
struct DataContext {
    std::string name;                  // "fashion-mnist"
    std::vector<int64_t> sampleShape;  // {1, 28, 28}
    int numClasses = 0;
};

struct NodeReport {
    bool resolved = false;             // shape known
    std::vector<int64_t> shape;        // output per sample
    int64_t params = 0;
    double flops = 0;                  // forward, per sample
    std::vector<std::string> errors;   // words for the student; empty = fine
    std::vector<std::string> warnings; // advice that does not stop training (e.g. a loss fed non-logits)
    bool stopsShape = false;           // errors[0] keeps the shape unknown (not just a loose end)
};

struct Analysis {
    std::map<int, NodeReport> nodes;   // by uid
    std::vector<std::string> graphErrors;  // not tied to one node (e.g. "no Input node")
    int64_t params = 0;
    double flops = 0;                  // forward, per sample
    int64_t activationValues = 0;      // output values of every node, per sample

    bool ok() const;
    int errorCount() const;
    // "c3: Dense expects ..." — for Train's tooltip and the status line: the first
    // error that stops a shape (in document order), else the first loose end.
    std::string firstError(const Document& doc) const;
    int warningCount() const;
    std::string firstWarning(const Document& doc) const;  // "loss: ..." or ""
    double weightBytes() const { return 4.0 * double(params); }
    double activationBytes(int batch) const { return 4.0 * double(activationValues) * batch; }
};

Analysis analyze(const Document& doc, const DataContext& data);

// "1×28×28"; "?" when empty.
std::string shapeText(const std::vector<int64_t>& shape);
// 1234567 -> "1.23 M"; 950 -> "950".
std::string countText(double n);
// bytes -> "12.5 MB".
std::string bytesText(double bytes);

} // namespace views::builder
