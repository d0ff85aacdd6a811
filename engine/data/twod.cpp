// The 2-D teaching sets (after TensorFlow Playground): small, seeded, and easy
// to plot. Features are (x, y) in roughly [-1, 1]; points are split evenly
// between classes and stored round-robin (class 0, 1, ..., 0, 1, ...), so any
// prefix of the set is balanced too.
//
// `noise` is the standard deviation of the Gaussian jitter added to each point,
// in the same units as the coordinates; the spiral scales it, see makeSpiral.
#include "engine/data/dataset.h"

#include "engine/core/error.h"
#include "engine/core/numbers.h"
#include "engine/core/random.h"

#include <cmath>
#include <functional>
#include <sstream>
#include <string>

namespace nn::data {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::string num(double v)  // 0.1, not std::to_string's 0.100000
{
    return num::general(v, 6);  // the "C" locale's decimal point in every locale
}

void checkParams(const char* set, const TwoDParams& p, int classes)
{
    const std::string where = std::string(set) + ": ";
    if (p.points <= 0)
        throw Error(where + "points must be positive (got " + std::to_string(p.points) + ")");
    if (!(p.noise >= 0.0) || !std::isfinite(p.noise))  // also rejects NaN
        throw Error(where + "noise must be a finite value >= 0 (got " + num(p.noise) + ")");
    if (classes < 2)
        throw Error(where + "needs at least 2 classes (got " + std::to_string(classes) + ")");
    if (p.points < classes)
        throw Error(where + std::to_string(p.points) + " points cannot cover " + std::to_string(classes) +
                    " classes: use at least one point per class");
}

std::vector<std::string> numberedNames(int classes)
{
    std::vector<std::string> names;
    for (int c = 0; c < classes; ++c) names.push_back("class " + std::to_string(c));
    return names;
}

// Fills `d` with p.points samples. `point(cls, i, n, rng, x, y)` makes the i-th
// of n points of class `cls`. Classes get points/classes each, the remainder
// going one each to the first classes, and are interleaved round-robin.
void generate(Dataset& d, const TwoDParams& p, int classes,
              const std::function<void(int, int, int, Rng&, double&, double&)>& point)
{
    d.sampleShape = {2};
    d.numClasses = classes;
    d.features.reserve(size_t(p.points) * 2);
    d.labels.reserve(size_t(p.points));

    Rng rng(p.seed);
    const int base = p.points / classes;
    const int extra = p.points % classes;
    for (int i = 0; i <= base; ++i) {
        for (int c = 0; c < classes; ++c) {
            const int n = base + (c < extra ? 1 : 0);
            if (i >= n) continue;
            double x = 0, y = 0;
            point(c, i, n, rng, x, y);
            d.features.push_back(float(x));
            d.features.push_back(float(y));
            d.labels.push_back(c);
        }
    }
}

} // namespace

// Arm j, point i of n: radius r = i/n in [0, 1), angle t = 1.75 turns * r plus
// the arm's offset j * 2π/classes. Here `noise` is scaled: the jitter's standard
// deviation is noise * r / 2, growing from 0 at the centre to noise/2 at the rim.
// Why: neighbouring arms are only ~0.29 apart (0.57 per turn, 2 arms) and
// converge at the centre, so a plain std-dev of 0.1 leaves ~3% of points on the
// wrong arm, and noise * r still ~2%: too close to the >= 95% validation accuracy
// a 2-16-16-2 tanh MLP should reach on the default spiral (500 points, noise
// 0.1). With noise * r / 2 the default arms are clean (~0.03% overlap) and the
// slider still blurs them visibly (noise 0.2: ~2% overlap, 0.4: heavy).
Dataset makeSpiral(const TwoDParams& p)
{
    checkParams("spiral", p, p.classes);
    Dataset d;
    d.name = "spiral";
    d.classNames = numberedNames(p.classes);
    generate(d, p, p.classes, [&](int arm, int i, int n, Rng& rng, double& x, double& y) {
        const double r = double(i) / double(n);
        const double t = 1.75 * r * 2.0 * kPi + double(arm) * 2.0 * kPi / double(p.classes);
        const double sd = 0.5 * p.noise * r;
        x = r * std::sin(t) + rng.normal(0.0, sd);
        y = r * std::cos(t) + rng.normal(0.0, sd);
    });
    return d;
}

// Class 0: a disc of radius 0.5; class 1: a ring from 0.7 to 1.0. The radius is
// drawn uniformly (not uniform over area, as Playground does), which keeps the
// disc's edge — where noise causes overlap — sparse.
Dataset makeCircles(const TwoDParams& p)
{
    checkParams("circles", p, 2);
    Dataset d;
    d.name = "circles";
    d.classNames = {"inner", "outer"};
    generate(d, p, 2, [&](int cls, int, int, Rng& rng, double& x, double& y) {
        const double r = cls == 0 ? rng.uniform(0.0, 0.5) : rng.uniform(0.7, 1.0);
        const double t = rng.uniform(0.0, 2.0 * kPi);
        x = r * std::cos(t) + rng.normal(0.0, p.noise);
        y = r * std::sin(t) + rng.normal(0.0, p.noise);
    });
    return d;
}

// Uniform in [-1, 1]^2 minus a margin of 0.1 around both axes (so labels are not
// pure coin flips there); label 1 when x and y have opposite signs. The label is
// fixed before the jitter is added. Each class is drawn from its own two
// quadrants so that the classes stay exactly balanced.
Dataset makeXor(const TwoDParams& p)
{
    checkParams("xor", p, 2);
    Dataset d;
    d.name = "xor";
    d.classNames = {"same sign", "opposite sign"};
    constexpr double margin = 0.1;
    generate(d, p, 2, [&](int cls, int, int, Rng& rng, double& x, double& y) {
        const double sx = rng.uniform() < 0.5 ? -1.0 : 1.0;
        const double sy = cls == 0 ? sx : -sx;
        x = sx * rng.uniform(margin, 1.0) + rng.normal(0.0, p.noise);
        y = sy * rng.uniform(margin, 1.0) + rng.normal(0.0, p.noise);
    });
    return d;
}

// `classes` round clusters with centres evenly spaced on a circle of radius 0.6
// (starting at 45° so two clusters sit on the diagonal), standard deviation
// noise + 0.1: even at noise 0 the clusters are clouds, not points.
Dataset makeGaussians(const TwoDParams& p)
{
    checkParams("gaussians", p, p.classes);
    Dataset d;
    d.name = "gaussians";
    d.classNames = numberedNames(p.classes);
    const double sd = p.noise + 0.1;
    generate(d, p, p.classes, [&](int cls, int, int, Rng& rng, double& x, double& y) {
        const double a = kPi / 4.0 + double(cls) * 2.0 * kPi / double(p.classes);
        x = 0.6 * std::cos(a) + rng.normal(0.0, sd);
        y = 0.6 * std::sin(a) + rng.normal(0.0, sd);
    });
    return d;
}

} // namespace nn::data
