#include "views/dashboard/loss_hint.h"

#include <QObject>
#include <cmath>

namespace views {

namespace {

// The lowest value and its epoch index, over finite values.
struct Lowest {
    double value = INFINITY;
    size_t at = 0;
};
template <class Get>
Lowest lowest(const std::vector<nn::EpochMetrics>& h, Get get)
{
    Lowest l;
    for (size_t i = 0; i < h.size(); ++i)
        if (std::isfinite(get(h[i])) && get(h[i]) < l.value) l = {get(h[i]), i};
    return l;
}

// A loss that has not made a new low for kRisingEpochs epochs and now stands
// clearly above it: 10% above the low and 2% of the first epoch's loss (noise on
// a loss near zero is not a rise).
template <class Get>
bool rising(const std::vector<nn::EpochMetrics>& h, Get get, int epochs)
{
    if (h.size() < size_t(epochs) + 1) return false;
    const Lowest low = lowest(h, get);
    const double last = get(h.back()), first = get(h.front());
    if (!std::isfinite(low.value) || !std::isfinite(last)) return false;
    const bool stale = h.size() - 1 - low.at >= size_t(epochs);
    return stale && last - low.value > 0.1 * low.value && last - low.value > 0.02 * std::abs(first);
}

QString number(double v) { return QString::number(v, 'g', 3); }

} // namespace

LossHint lossHint(const std::vector<nn::EpochMetrics>& h, double lr, bool diverged)
{
    const double lower = lr / 10;
    if (diverged || (!h.empty() && !std::isfinite(h.back().trainLoss)))
        return {QObject::tr("The loss diverged (it became NaN or infinite): the learning rate %1 is too high for this "
                            "network. Try a lower one, then Reset and train again.")
                    .arg(number(lr)),
                lower};
    auto train = [](const nn::EpochMetrics& m) { return m.trainLoss; };
    auto val = [](const nn::EpochMetrics& m) { return m.valLoss; };
    if (rising(h, train, kRisingEpochs)) {
        const Lowest low = lowest(h, train);
        return {QObject::tr("The training loss has risen since epoch %1 (%2 → %3): the learning rate %4 is probably too "
                            "high, so the steps overshoot.")
                    .arg(h[low.at].epoch)
                    .arg(number(low.value), number(h.back().trainLoss), number(lr)),
                lower};
    }
    if (rising(h, val, kRisingEpochs + 2)) {
        const Lowest low = lowest(h, val);
        const bool trainStillFalls = h.back().trainLoss < h[low.at].trainLoss;
        if (trainStillFalls)
            return {QObject::tr("The validation loss has risen since epoch %1 (%2 → %3) while the training loss still "
                                "falls: the network is overfitting. Early stop keeps the best epoch.")
                        .arg(h[low.at].epoch)
                        .arg(number(low.value), number(h.back().valLoss)),
                    0};
        return {QObject::tr("The validation loss has risen since epoch %1 (%2 → %3) and the training loss no longer "
                            "falls: the learning rate %4 is probably too high.")
                    .arg(h[low.at].epoch)
                    .arg(number(low.value), number(h.back().valLoss), number(lr)),
                lower};
    }
    return {};
}

} // namespace views
