#pragma once
// A labelled classification data set held in memory, and the ways to get one:
// the 2-D teaching sets, Fashion-MNIST from Debian's IDX files, and CSV import.
// Every loader validates its input and throws nn::Error naming the file, the
// line/offset and the problem.
#include <cstdint>
#include <string>
#include <vector>

namespace nn::data {

struct Dataset {
    std::string name;
    std::vector<int64_t> sampleShape;  // e.g. {2} for 2-D points, {1, 28, 28} for images
    std::vector<float> features;       // row-major, size() * featureCount() values
    std::vector<int32_t> labels;       // class index per sample, in [0, numClasses)
    int numClasses = 0;
    std::vector<std::string> classNames;  // numClasses entries
    // What the loader decided that the user should know (a file read as Latin-1,
    // a first row taken as a header by its label); the CLI prints them, the GUI
    // shows them. Kept by subset() and splits.
    std::vector<std::string> notices;

    size_t size() const { return labels.size(); }
    size_t featureCount() const;  // product of sampleShape
    const float* sample(size_t i) const { return features.data() + i * featureCount(); }
    // A new data set holding the given samples, in that order.
    Dataset subset(const std::vector<size_t>& indices) const;
};

struct Split {
    Dataset train, validation, test;
};

// --- 2-D teaching sets (features: x, y roughly in [-1, 1]) ---------------------
struct TwoDParams {
    int points = 500;     // total over all classes
    double noise = 0.1;   // standard deviation of the Gaussian jitter
    uint64_t seed = 1;
    int classes = 2;      // used by spiral (arms) and gaussians (clusters)
};
Dataset makeSpiral(const TwoDParams& p);     // `classes` interleaved arms
Dataset makeCircles(const TwoDParams& p);    // inner disc vs outer ring (2 classes)
Dataset makeXor(const TwoDParams& p);        // quadrant sign product (2 classes)
Dataset makeGaussians(const TwoDParams& p);  // `classes` clusters

// --- Fashion-MNIST -------------------------------------------------------------
// Debian's dataset-fashion-mnist installs the gzipped IDX files here.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Reads one gzipped (or plain) IDX image file + label file pair. Pixels are scaled
// to [0, 1]. `limit` > 0 keeps only the first `limit` samples.
Dataset loadIdx(const std::string& imagesPath, const std::string& labelsPath, size_t limit = 0);

struct FashionMnist {
    Dataset train;  // 60000
    Dataset test;   // 10000
};
// Missing directory or files -> nn::Error telling to `apt-get install dataset-fashion-mnist`.
FashionMnist loadFashionMnist(const std::string& dir = kFashionMnistDir, size_t limit = 0);

// --- CSV -----------------------------------------------------------------------
struct CsvOptions {
    std::string labelColumn;  // a header name, or a 0-based index as text; empty = last column
    char delimiter = ',';
    // A trained model's class names (eval, compress, distill on a CSV): every label
    // is looked up by name, so "dog" is the class the model calls "dog" whatever
    // order the file lists them in; a label the model does not know is refused,
    // naming it, the file and the known classes. Empty: the classes come from the file.
    std::vector<std::string> classes;
};
// Numeric features; the label column may be numeric or text (text labels are
// mapped to classes in order of first appearance; numeric labels must be
// non-negative integers), unless `classes` is given. The first row is a header
// when a feature field is not a number, when it holds the --label name, or when
// its label cannot be a label of the rest (see csv.cpp). Text that is not UTF-8 is
// read as Latin-1 and converted, with a notice.
Dataset loadCsv(const std::string& path, const CsvOptions& options = {});

// --- Splits and lookup by name -------------------------------------------------
// Shuffles (seeded) and splits into train / validation / test by fraction.
Split splitDataset(const Dataset& all, double validationFraction, double testFraction, uint64_t seed);

// Resolves a CLI/GUI data name: "spiral", "circles", "xor", "gaussians",
// "fashion-mnist" (official test set kept as test, validation taken from train),
// or a path ending in .csv. Unknown names -> nn::Error listing the valid ones.
struct SourceOptions {
    TwoDParams twoD;
    double validationFraction = 0.15;
    double testFraction = 0.15;  // ignored for fashion-mnist (it has its own test set)
    uint64_t splitSeed = 1;
    size_t limit = 0;            // fashion-mnist: keep only the first N training samples
    CsvOptions csv;
};
Split loadSource(const std::string& name, const SourceOptions& options = {});

} // namespace nn::data
