#pragma once
// The native model file (".nnm"): a trained model that `predict`, `eval` and
// `export` read back exactly. It holds the model spec as written, the shapes the
// spec was resolved against, every parameter and buffer (batch norm's running
// statistics), optionally the optimizer's state, and free-form metadata.
//
// Layout (format version 1, all integers and floats little-endian):
//   offset 0   8 bytes   signature  89 'N' 'N' 'M' 0D 0A 1A 0A  (PNG-style: catches
//                        text-mode transfers and files that are not ours)
//   offset 8   u32       format version (1)
//   offset 12  u32       header length H
//   offset 16  u64       data length D
//   offset 24  H bytes   header: JSON (spec, input_shape, classes, tensor table, ...)
//   24 + H     D bytes   tensor data, f32, in the order of the header's tensor table
//   24 + H + D u32       CRC-32 (zlib) of every byte before it
// Loading checks the signature, the version, the length, the checksum, then every
// tensor's name and shape against the model the spec builds; each failure throws
// nn::Error naming the file and the problem. Saving writes a temporary file and
// renames it over the target, so a failed save never destroys an existing model.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/nn/model.h"

namespace nn::io {

inline constexpr uint32_t kModelFormatVersion = 1;
inline constexpr char kModelFileSignature[8] = {'\x89', 'N', 'N', 'M', '\r', '\n', '\x1a', '\n'};

struct ModelFileExtras {
    // Optimizer state (Optimizer::state(), in its order) and the kind that made it;
    // both empty when not saved.
    std::string optimizerKind;
    std::vector<Tensor> optimizerState;
    std::vector<std::string> classNames;  // the data set's class names, if known
    nlohmann::json metadata = nlohmann::json::object();  // data set, epochs, accuracy, ...
};

// Throws nn::Error unless a model file can be written at `path` (its folder
// exists and is writable, it is not a folder): called before training, so an
// hour of training is not lost to a typo in --out. Leaves nothing behind.
void checkModelFileWritable(const std::string& path);

// Throws nn::Error when the file cannot be written.
void saveModelFile(const std::string& path, const Model& model, const ModelFileExtras& extras = {});

struct LoadedModel {
    Model model;
    ModelFileExtras extras;
};

// Throws nn::Error naming `path` and the problem: missing, not a model file (a
// model spec JSON gets a hint), newer format, truncated, checksum mismatch, or
// tensors that do not fit the spec.
LoadedModel loadModelFile(const std::string& path);

} // namespace nn::io
