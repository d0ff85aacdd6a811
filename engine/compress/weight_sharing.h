#pragma once
// Weight sharing (Deep Compression's second stage): a codebook of K = 2^bits
// entries, entry 0 the reserved zero (what pruned weights and the relative index's
// filler entries decode to) and K - 1 centroids from k-means of one tensor's
// nonzero weights, initialised linearly between the smallest and largest nonzero
// weight; pruned zeros are not clustered and stay zero. Centroid fine-tuning: a centroid's gradient is the sum of the gradients of
// the weights that share it ("group by index, reduce, subtract lr × grad").
#include <cstdint>
#include <vector>

#include "engine/tensor/tensor.h"

namespace nn::compress {

struct SharedWeights {
    int bits = 0;
    // K = 2^bits entries: [0] = 0.0f (reserved), [1..K-1] the centroids, ascending.
    std::vector<float> codebook;
    // Per weight: its centroid 1..K-1, or -1 for a (pruned) zero (stored as entry 0).
    std::vector<int32_t> index;
    int iterations = 0;           // Lloyd iterations run
    bool converged = false;       // the last iteration changed no assignment
};

// K values evenly spaced from lo to hi, both included (K = 1: their midpoint).
std::vector<float> linearCentroids(float lo, float hi, int k);

// 1-D k-means (Lloyd) of w's nonzero elements into 2^bits - 1 centroids (bits in
// [1, 16]; one bit leaves a single nonzero value). Each weight goes to its nearest
// centroid (ties to the lower one); a centroid becomes the mean of its weights (an
// empty one keeps its value). Stops when no assignment changes or
// after maxIterations. Throws nn::Error for bad bits or non-finite weights.
SharedWeights shareWeights(const Tensor& w, int bits, int maxIterations = 100);

constexpr int32_t kZeroEntry = 0;

// w[i] = codebook[index[i]], 0 where index is -1.
void applySharing(Tensor& w, const SharedWeights& s);

// Per centroid: Σ grad[i] over the weights i with index[i] == k (pruned skipped).
std::vector<float> centroidGradients(const Tensor& grad, const SharedWeights& s);
// codebook[k] -= lr × centroidGradients(grad)[k].
void fineTuneCentroids(SharedWeights& s, const Tensor& grad, float lr);

} // namespace nn::compress
