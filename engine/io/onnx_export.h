#pragma once
// ONNX export through Debian's libonnx (the ONNX project's own protobuf classes
// and checker). The exported graph computes exactly what `predict` prints: the
// last layer's output in evaluation mode (dropout is the identity, batch norm uses
// its running statistics), i.e. logits for a softmax cross-entropy model.
//
//   input  "input"  float [batch, ...model input shape]  (batch is symbolic)
//   output "output" float [batch, outputs]
//
// Layers map to opset-13 operators: dense -> Gemm (+ activation; maxout ->
// Reshape + ReduceMax), conv2d -> Conv, maxpool2d/avgpool2d -> MaxPool/AveragePool
// (count_include_pad, as the engine averages), global_avgpool -> GlobalAveragePool
// + Flatten, batchnorm -> BatchNormalization (eval), flatten -> Flatten, add -> Add,
// concat -> Concat(axis 1), dropout -> Identity, activations -> Sigmoid, Tanh, Relu,
// LeakyRelu, Elu, Softmax. Before writing, the model goes through
// onnx::checker::check_model and strict shape inference, and every layer's inferred
// shape is compared with the engine's.
#include <string>
#include <vector>

#include "engine/nn/model.h"

namespace nn::io {

inline constexpr int kOnnxOpset = 13;

// The layer types the exporter maps (a test checks it covers knownLayerTypes()).
const std::vector<std::string>& onnxExportableLayerTypes();

// The serialized ONNX ModelProto. Throws nn::Error naming the layer that cannot be
// exported, or quoting the ONNX checker.
std::string exportOnnxBytes(const Model& model);

// Writes exportOnnxBytes() to `path` (through a temporary file and a rename);
// returns the number of bytes written.
size_t exportOnnx(const Model& model, const std::string& path);

} // namespace nn::io
