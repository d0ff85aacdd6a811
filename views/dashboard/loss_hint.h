#pragma once
// What a run's losses say about its settings, as a hint for a student: a loss
// that rises over several epochs or diverges usually means the learning rate is
// too high; a validation loss that rises while the training loss still falls is
// overfitting (a lower rate would not help; early stopping would).
#include <QString>
#include <vector>

#include "engine/train/trainer.h"

namespace views {

struct LossHint {
    QString text;             // "" when there is nothing to say
    double suggestedLr = 0;   // > 0: try this learning rate
};

// Epochs without a new lowest loss before a rise counts as "rising".
inline constexpr int kRisingEpochs = 3;

// `diverged`: the run ended because the loss (or an output) went non-finite.
LossHint lossHint(const std::vector<nn::EpochMetrics>& history, double lr, bool diverged = false);

} // namespace views
