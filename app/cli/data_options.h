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

// The loader's notices (a CSV read as Latin-1, a first row taken as a header by
// its label) on stderr, as "nnstudio-cli COMMAND: note: ...", so --json output
// stays one object per line.
void printDataNotices(const std::string& command, const nn::data::Split& data);

// An option's text as UTF-8: a value in another encoding (a Latin-1 terminal) is
// read as Latin-1 and converted, with a note on stderr.
std::string utf8Option(const std::string& command, const Args& args, const std::string& name);

} // namespace cli
