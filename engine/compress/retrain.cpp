#include "engine/compress/retrain.h"

#include <algorithm>

#include "engine/core/error.h"

namespace nn::compress {

bool retrainModel(Model& model, const data::Split& data, TrainConfig c, const HookFactory& hook,
                  const std::function<void(double, int)>& progress, const std::atomic<bool>* cancelled,
                  const std::string& what)
{
    c.patience = 0;
    c.stepEventEvery = 0;
    const ModelSnapshot start = snapshot(model);
    Trainer trainer(model, data, c);  // initialises the weights: put the current ones back
    trainer.restore({0, 0, start.params, start.buffers, {}, {}});
    if (hook) trainer.afterUpdate = hook(trainer);
    const int64_t perEpoch = int64_t((data.train.size() + size_t(c.batch) - 1) / size_t(c.batch));
    const double total = double(perEpoch) * c.epochs;
    int64_t done = 0;
    double reported = 0;
    while (trainer.step()) {
        ++done;
        if (cancelled && *cancelled) return false;  // the trainer's own test pass is skipped
        const double f = std::min(1.0, double(done) / total);
        if (progress && f - reported >= 0.005) {
            reported = f;
            progress(f, int(std::min<int64_t>(done / perEpoch + 1, c.epochs)));
        }
    }
    if (trainer.result().status == TrainStatus::Diverged)
        throw Error(what + ": retraining diverged: " + trainer.result().message);
    return !(cancelled && *cancelled);
}

ModelSnapshot snapshot(const Model& model)
{
    ModelSnapshot s;
    for (const auto& p : model.parameters()) s.params.push_back(p.value.clone());
    for (const auto& b : model.buffers()) s.buffers.push_back(b.value.clone());
    return s;
}

void restore(Model& model, const ModelSnapshot& s)
{
    auto& ps = model.parameters();
    auto& bs = model.buffers();
    if (s.params.size() != ps.size() || s.buffers.size() != bs.size())
        throw Error("a model snapshot does not fit this model");
    for (size_t i = 0; i < ps.size(); ++i) ps[i].value.copyFrom(s.params[i]);
    for (size_t i = 0; i < bs.size(); ++i) bs[i].value.copyFrom(s.buffers[i]);
}

} // namespace nn::compress
