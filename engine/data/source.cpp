// loadSource: turns the data name a user typed (CLI flag, GUI field, project
// file) into a ready train / validation / test split.
#include "engine/data/dataset.h"

#include "engine/core/error.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace nn::data {
namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

bool endsWith(const std::string& s, const std::string& tail)
{
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

} // namespace

Split loadSource(const std::string& name, const SourceOptions& options)
{
    const std::string key = lower(name);
    const auto split = [&](const Dataset& all) {
        return splitDataset(all, options.validationFraction, options.testFraction, options.splitSeed);
    };

    if (key == "spiral") return split(makeSpiral(options.twoD));
    if (key == "circles") return split(makeCircles(options.twoD));
    if (key == "xor") return split(makeXor(options.twoD));
    if (key == "gaussians") return split(makeGaussians(options.twoD));

    if (key == "fashion-mnist") {
        // Fashion-MNIST has an official test set; it stays the test set, so that
        // results compare with published ones. Validation comes out of train
        // (splitDataset with a zero test fraction).
        FashionMnist fm = loadFashionMnist(kFashionMnistDir, options.limit);
        Split s = splitDataset(fm.train, options.validationFraction, 0.0, options.splitSeed);
        s.test = std::move(fm.test);
        return s;
    }

    if (endsWith(key, ".csv")) return split(loadCsv(name, options.csv));

    throw Error("unknown data set '" + name +
                "': use one of spiral, circles, xor, gaussians, fashion-mnist, or the path of a .csv file");
}

} // namespace nn::data
