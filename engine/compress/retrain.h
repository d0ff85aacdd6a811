#pragma once
// Retraining a compressed model for a few epochs with the Trainer, one step at a
// time: the weights it starts from are the model's current ones (the Trainer's
// initialisation is undone), a hook keeps the compression after every optimizer
// step, progress goes out per step and a cancel flag is read between steps. Used
// by the pipeline's retrain/dsd stages and by the sensitivity sweep.
#include <atomic>
#include <functional>
#include <string>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/train/trainer.h"

namespace nn::compress {

// Makes the Trainer::afterUpdate hook; it gets the trainer (the ternary hook reads
// its optimizer's steps). Empty = no hook.
using HookFactory = std::function<std::function<void()>(const Trainer&)>;

// `config.epochs` epochs from the model's current weights; early stopping is
// forced off (restoring the "best" weights would undo masks and sharing).
// `progress(fraction)` is called at most about 200 times. Returns false when
// `cancelled` was set (the model keeps the weights of the last step). Throws
// nn::Error naming `what` when training diverges.
bool retrainModel(Model& model, const data::Split& data, TrainConfig config, const HookFactory& hook,
                  const std::function<void(double fraction, int epoch)>& progress, const std::atomic<bool>* cancelled,
                  const std::string& what);

// Deep copies of the parameters and buffers, and putting them back: sweeps try a
// setting and undo it.
struct ModelSnapshot {
    std::vector<Tensor> params, buffers;
};
ModelSnapshot snapshot(const Model& model);
void restore(Model& model, const ModelSnapshot& s);

} // namespace nn::compress
