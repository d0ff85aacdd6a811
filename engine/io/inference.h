#pragma once
// Running a trained model outside training: the forward pass in evaluation mode
// (dropout passes values through, batch norm uses its running statistics), in
// chunks so any number of samples fits in memory. The output is the last layer's
// value as the graph computes it (logits for softmax cross-entropy: the loss's
// softmax is not applied) — the same tensor the ONNX export's "output" holds.
#include <cstddef>
#include <string>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"

namespace nn::io {

// `rows` samples of model.inputShape() each, row-major in `x`; returns
// rows × model.outputs() values.
std::vector<float> predictRows(const Model& model, const float* x, size_t rows, int batch = 256);

// The predicted class of one output row: argmax, or (one output unit, log loss)
// 1 when the logit is positive.
int predictedClass(const float* row, int outputs);

// Reads the samples of a CSV file for prediction: one row per sample, its numbers
// in the model's input order (images row-major), `features` of them. A first row
// that is not numeric is a header. `dropColumn` (a header name or a 0-based index;
// empty = none) names a column to ignore, e.g. the label column of a data file.
// Throws nn::Error naming the file, the line and the problem.
struct InputRows {
    std::vector<float> values;  // rows × features
    size_t rows = 0;
};
InputRows readInputCsv(const std::string& path, size_t features, const std::string& dropColumn = {});

struct EvalResult {
    double loss = 0, accuracy = 0;
    size_t samples = 0;
};
// The model's loss and accuracy on `data` (its features must match the model input).
// Throws nn::Error when the data does not fit the model.
EvalResult evaluateModel(const Model& model, const data::Dataset& data, int batch = 1000);

} // namespace nn::io
