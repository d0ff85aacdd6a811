#pragma once
// Ternary and binary weights: 2 bits and 1 bit per weight.
//
// Trained Ternary Quantization (Zhu, Han, Mao, Dally 2017). Each tensor keeps
// full-precision latent weights w̃; the net computes with
//     w = +Wp  where w̃ >  Δ,   0  where |w̃| <= Δ,   −Wn  where w̃ < −Δ,
// Δ = t · max|w̃|, with two learned scales Wp, Wn > 0 per tensor. Backward:
//  - the scales' gradients are grouped sums: dL/dWp = Σ_{i∈P} dL/dw_i and
//    dL/dWn = −Σ_{i∈N} dL/dw_i (w_i = −Wn there; the paper writes the sum
//    without the sign, which its own chain rule gives);
//  - the latent weights get the gradient through a straight-through estimator
//    scaled as in the paper: Wp·g on P, g on the zeros, Wn·g on N.
//
// Binary weights (BinaryConnect with the XNOR-Net / BWN scale): w = α·sign(w̃),
// α = mean|w̃| per tensor; the latent weights take the straight-through gradient.
//
// Retraining with the engine's Trainer: ternarize (or binarize) the model's
// weights, then set Trainer::afterUpdate = keepTernary(...) (keepBinary). After
// every optimizer step the hook reads the step the optimizer took on each weight
// and applies it to the latent weight as it is (Adam divides out TTQ's constant
// per-set scale Wp / 1 / Wn, so this is TTQ's step under Adam; ternarySgdStep is
// the exact scaled SGD rule), updates Wp and Wn by Adam on their grouped
// gradients, and writes the ternary values back. The Trainer's
// constructor re-initialises the model's weights: call applyTernary() (applyBinary)
// after constructing it.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/nn/model.h"
#include "engine/tensor/tensor.h"

namespace nn {
class Trainer;
}

namespace nn::compress {

// ---- ternary ------------------------------------------------------------------------

struct TernaryTensor {
    std::string name;            // "h1.weight"
    int param = -1;              // index in model.parameters() (-1: a tensor on its own)
    Tensor weight;               // handle on the computing weights: values in {−Wn, 0, +Wp}
    std::vector<float> latent;   // full-precision weights w̃
    float threshold = 0.05f;     // t: Δ = t · max|w̃|
    float wp = 0, wn = 0;        // learned scales, both > 0
    std::vector<int8_t> code;    // +1, 0 or −1 per weight
    // Adam state of (Wp, Wn) for keepTernary: the grouped sums grow with the layer,
    // Adam's step does not.
    double m[2] {0, 0}, v[2] {0, 0};
    int64_t steps = 0;
};

// +1 where x > Δ, −1 where x < −Δ, else 0, with Δ = t · max|x|.
std::vector<int8_t> ternaryCodes(const float* latent, size_t n, float t);

// Starts TTQ on `weight` (a handle; it is overwritten with ternary values): the
// latent weights are its current values, Wp and Wn the mean |w̃| of the positive
// and negative sets. t in [0, 1). Throws nn::Error for a bad t or non-finite weights.
TernaryTensor ternarize(const Tensor& weight, float t = 0.05f, std::string name = {});
// Codes from the latent weights, then weight[i] = code·(Wp or Wn).
void applyTernary(TernaryTensor& tt);
void applyTernary(std::vector<TernaryTensor>& tts);

// dL/dWp = Σ_{P} grad, dL/dWn = −Σ_{N} grad (grad = dL/dw at the ternary weights).
struct ScaleGradients {
    double positive = 0, negative = 0;
};
ScaleGradients scaleGradients(const TernaryTensor& tt, const Tensor& grad);
// The straight-through gradient of the latent weights: Wp·g on P, g on 0, Wn·g on N.
std::vector<float> latentGradient(const TernaryTensor& tt, const Tensor& grad);
// One plain SGD step of the latent weights (lr) and the scales (scaleLr) from
// dL/dw, then applyTernary. Scales stay above a tiny positive floor.
void ternarySgdStep(TernaryTensor& tt, const Tensor& grad, float lr, float scaleLr);

// Every ".weight" parameter of the model (dense and conv), ternarized in place.
std::vector<TernaryTensor> ternarizeModel(Model& model, float t = 0.05f);

// The Trainer::afterUpdate hook (see the header comment). `tensors` and
// `trainer` must outlive it; scaleLr is Adam's step for Wp and Wn.
std::function<void()> keepTernary(std::vector<TernaryTensor>& tensors, const Trainer& trainer, float scaleLr = 1e-3f);

// ---- binary ---------------------------------------------------------------------------

struct BinaryTensor {
    std::string name;
    int param = -1;
    Tensor weight;              // values in {−α, +α}
    std::vector<float> latent;  // full-precision weights
    float scale = 0;            // α = mean|latent|
};

// weight = α·sign(w̃) (sign(0) = +1), α = mean|w̃|; latent = the current values.
BinaryTensor binarize(const Tensor& weight, std::string name = {});
void applyBinary(BinaryTensor& bt);  // α and signs from the latent weights
void applyBinary(std::vector<BinaryTensor>& bts);
std::vector<BinaryTensor> binarizeModel(Model& model);
// Trainer::afterUpdate: the optimizer's step on each weight goes to its latent
// weight (straight-through), then the weights are binarized again.
std::function<void()> keepBinary(std::vector<BinaryTensor>& tensors);

} // namespace nn::compress
