#pragma once
// Graph rewrites the stepper offers: the seed's sigmoid gate written out as
// 1/(1+exp(-x)) (neg → exp → +1 → 1/x) collapses into one σ node whose local
// derivative is (1-σ)σ, and expands back by rebuilding from the formula.
#include "engine/graph/expression.h"

namespace nn {

// A copy of `e` with every neg→exp→add_scalar(1)→reciprocal chain (whose inner
// nodes feed nothing else) replaced by one sigmoid node. Values are recomputed
// by the caller's next forward pass.
Expression collapseSigmoids(const Expression& e);

// How many such chains `e` holds.
int countSigmoidChains(const Expression& e);

} // namespace nn
