#include "engine/compress/weight_sharing.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "engine/core/error.h"

namespace nn::compress {

std::vector<float> linearCentroids(float lo, float hi, int k)
{
    if (k < 1) throw Error("k-means needs at least one centroid, got " + std::to_string(k));
    if (k == 1) return {0.5f * (lo + hi)};
    std::vector<float> c(static_cast<size_t>(k));
    for (int i = 0; i < k; ++i) c[size_t(i)] = float(double(lo) + (double(hi) - double(lo)) * i / (k - 1));
    return c;
}

namespace {

// Nearest centroid of an ascending codebook; ties go to the lower index.
int32_t nearest(const std::vector<float>& mids, float v)
{
    return int32_t(std::lower_bound(mids.begin(), mids.end(), v) - mids.begin());
}

std::vector<float> midpoints(const std::vector<float>& c)
{
    std::vector<float> m;
    for (size_t i = 0; i + 1 < c.size(); ++i) m.push_back(0.5f * (c[i] + c[i + 1]));
    return m;
}

void checkSize(const Tensor& t, const SharedWeights& s, const char* what)
{
    if (int64_t(s.index.size()) != t.numel())
        throw Error(std::string(what) + " has " + std::to_string(t.numel()) + " elements but the sharing indexes "
                    + std::to_string(s.index.size()));
}

} // namespace

SharedWeights shareWeights(const Tensor& w, int bits, int maxIterations)
{
    if (bits < 1 || bits > 16) throw Error("weight sharing bits must be 1 to 16, got " + std::to_string(bits));
    SharedWeights s;
    s.bits = bits;
    const int k = (1 << bits) - 1;  // entry 0 is the reserved zero
    const int64_t n = w.numel();
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (int64_t i = 0; i < n; ++i) {
        const float v = w[i];
        if (!std::isfinite(v)) throw Error("cannot share weights of a tensor holding NaN or inf");
        if (v != 0.0f) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    }
    if (lo > hi) lo = hi = 0.0f;  // all zero: nothing to cluster
    s.codebook = linearCentroids(lo, hi, k);
    s.index.assign(size_t(n), -1);
    std::vector<double> sum(static_cast<size_t>(k));
    std::vector<int64_t> count(static_cast<size_t>(k));
    for (int it = 0; it < maxIterations; ++it) {
        const auto mids = midpoints(s.codebook);
        bool changed = false;
        for (int64_t i = 0; i < n; ++i) {
            if (w[i] == 0.0f) continue;
            const int32_t c = nearest(mids, w[i]);
            changed |= c != s.index[size_t(i)];
            s.index[size_t(i)] = c;
        }
        s.iterations = it + 1;
        if (!changed) {
            s.converged = true;
            break;
        }
        std::fill(sum.begin(), sum.end(), 0.0);
        std::fill(count.begin(), count.end(), 0);
        for (int64_t i = 0; i < n; ++i) {
            const int32_t c = s.index[size_t(i)];
            if (c < 0) continue;
            sum[size_t(c)] += double(w[i]);
            ++count[size_t(c)];
        }
        for (int c = 0; c < k; ++c)
            if (count[size_t(c)]) s.codebook[size_t(c)] = float(sum[size_t(c)] / double(count[size_t(c)]));
    }
    s.codebook.insert(s.codebook.begin(), 0.0f);
    for (int32_t& c : s.index)
        if (c >= 0) ++c;
    return s;
}

void applySharing(Tensor& w, const SharedWeights& s)
{
    checkSize(w, s, "the tensor");
    float* d = w.data();
    for (size_t i = 0; i < s.index.size(); ++i) d[i] = s.index[i] < 0 ? 0.0f : s.codebook[size_t(s.index[i])];
}

std::vector<float> centroidGradients(const Tensor& grad, const SharedWeights& s)
{
    checkSize(grad, s, "the gradient");
    std::vector<double> sum(s.codebook.size());
    for (size_t i = 0; i < s.index.size(); ++i)
        if (s.index[i] >= 0) sum[size_t(s.index[i])] += double(grad[int64_t(i)]);
    return std::vector<float>(sum.begin(), sum.end());
}

void fineTuneCentroids(SharedWeights& s, const Tensor& grad, float lr)
{
    const auto g = centroidGradients(grad, s);
    for (size_t k = 1; k < g.size(); ++k) s.codebook[k] -= lr * g[k];  // the reserved zero stays 0
}

} // namespace nn::compress
