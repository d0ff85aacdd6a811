#pragma once
// `nnstudio-cli compress --sensitivity / --bits-sweep`: the sweeps of
// engine/compress/sweeps.h over the loaded (or pretrained) model, one line per
// point (JSON with --json), then a final line.
#include <string>

#include "app/cli/args.h"
#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/train/trainer.h"

namespace cli {

extern const char* const kSweepHelp;  // the help lines of the options below
bool wantsSweep(const Args& args);
// Throws nn::Error for a --bits-sweep method other than share, fixed, act, fixed-both.
void checkBitsSweep(const Args& args);
// --act-samples and --act-percentile, checked (also used by the pipeline's act stages).
size_t activationSamples(const Args& args);
double activationPercentile(const Args& args);
// Runs the sweeps asked for; the model is put back afterwards.
void runSweeps(const Args& args, nn::Model& model, const nn::data::Split& data, const nn::TrainConfig& config,
               float retrainLr, bool json);

} // namespace cli
