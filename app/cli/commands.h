#pragma once
// One function per nnstudio-cli command. Each returns the process exit code and
// throws nn::Error for bad input (main prints it as one line and exits 1).
#include <string>
#include <vector>

namespace cli {

int train(const std::vector<std::string>& args);
int graph(const std::vector<std::string>& args);
int devices(const std::vector<std::string>& args);
int runs(const std::vector<std::string>& args);  // the run history: list, show, compare, export-csv
int predict(const std::vector<std::string>& args);
int eval(const std::vector<std::string>& args);
int exportModel(const std::vector<std::string>& args);
int compress(const std::vector<std::string>& args);  // Deep Compression pipeline: prune, retrain, share, huffman
int distill(const std::vector<std::string>& args);   // a small student trained on a teacher's soft labels

} // namespace cli
