#pragma once
// The trained spiral net the compression suites work on: the same spec, data split
// and training settings in each, trained once per seed and copied per test.
#include <QByteArray>
#include <QtGlobal>

#include <map>
#include <string>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/train/trainer.h"

namespace spiral_fixture {

inline std::string specPath()
{
    const QByteArray root = qgetenv("NN_SOURCE_DIR");
    return (root.isEmpty() ? std::string(".") : root.toStdString()) + "/assets/models/spiral-mlp.json";
}

inline const nn::data::Split& spiral()
{
    static const nn::data::Split split = nn::data::splitDataset(nn::data::makeSpiral({500, 0.1, 1, 2}), 0.15, 0.15, 1);
    return split;
}

inline nn::TrainConfig config(uint64_t seed = 1)
{
    nn::TrainConfig c;
    c.epochs = 200;
    c.batch = 10;
    c.lr = 0.03f;
    c.optimizer.kind = "adam";
    c.stepEventEvery = 0;
    c.seed = seed;
    return c;
}

// A spiral net trained with config(seed): trained on the first call, its weights
// copied into a fresh model on every call (training is deterministic, so this is
// the model a fresh training would give).
inline nn::Model trainedModel(uint64_t seed = 1)
{
    static std::map<uint64_t, std::vector<nn::Tensor>> trained;
    nn::Model model(nn::ModelSpec::fromFile(specPath()), spiral().train.sampleShape, spiral().train.numClasses);
    auto& params = trained[seed];
    if (params.empty()) {
        nn::Trainer trainer(model, spiral(), config(seed));
        trainer.run();
        for (const auto& p : model.parameters()) params.push_back(p.value.clone());
    }
    for (size_t i = 0; i < params.size(); ++i) model.parameters()[i].value.copyFrom(params[i]);
    return model;
}

} // namespace spiral_fixture
