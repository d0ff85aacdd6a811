// Seeded train / validation / test split of one data set.
#include "engine/data/dataset.h"

#include "engine/core/error.h"
#include "engine/core/numbers.h"
#include "engine/core/random.h"

#include <cmath>
#include <numeric>
#include <sstream>
#include <string>

namespace nn::data {
namespace {

std::string num(double v)  // 0.15, not std::to_string's 0.150000
{
    return num::general(v, 6);  // the "C" locale's decimal point in every locale
}

} // namespace

Split splitDataset(const Dataset& all, double validationFraction, double testFraction, uint64_t seed)
{
    auto checkFraction = [](const char* what, double f) {
        if (!(f >= 0.0 && f < 1.0))  // also rejects NaN
            throw Error(std::string(what) + " fraction " + num(f) + " is out of range: use a value in [0, 1)");
    };
    checkFraction("validation", validationFraction);
    checkFraction("test", testFraction);
    if (validationFraction + testFraction >= 1.0)
        throw Error("validation fraction " + num(validationFraction) + " + test fraction " + num(testFraction) +
                    " leave no training data: keep their sum below 1");

    const size_t n = all.size();
    const size_t nVal = size_t(std::llround(double(n) * validationFraction));
    const size_t nTest = size_t(std::llround(double(n) * testFraction));
    if (nVal + nTest >= n)
        throw Error("data set '" + all.name + "' has only " + std::to_string(n) + " samples: too few to keep " +
                    std::to_string(nVal) + " for validation and " + std::to_string(nTest) +
                    " for test and still train on some; use more samples or smaller fractions");

    // A fraction asked for but rounded to no sample (a CSV of 2 or 3 rows) would
    // train with an empty validation or test set: metrics NaN, early stopping
    // silently off. Refuse, saying what the fractions give and how to choose.
    const auto tooFew = [&](const char* what, double f, size_t got, const char* flag) {
        if (f <= 0 || got > 0) return;
        throw Error("data set '" + all.name + "' has only " + std::to_string(n) + " samples: the " + what +
                    " fraction " + num(f) + " keeps none of them for " + what + " (it needs at least " +
                    std::to_string(size_t(std::ceil(0.5 / f))) + " samples); use more samples, or set the " + what + " fraction to 0 (" + flag +
                    " 0) to train without a " + what + " set" +
                    (std::string(what) == "validation" ? " (then early stopping is off and validation metrics are empty)"
                                                       : " (then no test metrics are reported)"));
    };
    tooFew("validation", validationFraction, nVal, "--val-fraction");
    tooFew("test", testFraction, nTest, "--test-fraction");

    // The shuffle depends only on (n, seed): the same seed splits the same way.
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t(0));
    Rng rng(seed);
    rng.shuffle(order);

    const auto at = [&](size_t from, size_t to) {
        return std::vector<size_t>(order.begin() + ptrdiff_t(from), order.begin() + ptrdiff_t(to));
    };
    Split s;
    s.validation = all.subset(at(0, nVal));
    s.test = all.subset(at(nVal, nVal + nTest));
    s.train = all.subset(at(nVal + nTest, n));
    return s;
}

} // namespace nn::data
