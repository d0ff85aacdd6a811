#pragma once
// The data-set options every command that loads data shares (train, graph --model):
// --points --noise --classes for the 2-D sets, --val-fraction --test-fraction,
// --limit for Fashion-MNIST, --label for CSV files. One reading, one set of defaults.
#include <cstdint>

#include "app/cli/args.h"
#include "engine/data/dataset.h"

namespace cli {

// The option names dataSourceOptions() reads, for Args::allowOnly.
inline const char* const kDataOptionNames[] = {"points", "noise", "classes", "val-fraction", "test-fraction", "limit", "label"};

nn::data::SourceOptions dataSourceOptions(const Args& args, uint64_t seed);

} // namespace cli
