// Magnitude pruning (engine/compress/pruning): the target sparsity is reached
// exactly (within one element), the smallest magnitudes go first, per tensor and
// globally; and pruned weights stay exactly zero through real Trainer retraining
// steps of the spiral net (Adam with weight decay) through Trainer::afterUpdate,
// while without the hook they come back.
#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>

#include "engine/compress/pruning.h"
#include "engine/core/error.h"
#include "engine/core/random.h"
#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/train/trainer.h"

using namespace nn;
using namespace nn::compress;

namespace {

Tensor randomTensor(const Shape& s, uint64_t seed, float scale = 1.0f)
{
    Tensor t(s);
    Rng r(seed);
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = scale * float(r.normal());
    return t;
}

int64_t pruned(const Mask& m) { return int64_t(m.size()) - keptCount(m); }

// Every pruned |w| <= every kept |w| over all the tensors.
bool thresholdHolds(const std::vector<Tensor>& original, const std::vector<Mask>& masks)
{
    float maxPruned = 0.0f, minKept = INFINITY;
    for (size_t t = 0; t < original.size(); ++t)
        for (int64_t i = 0; i < original[t].numel(); ++i) {
            const float a = std::fabs(original[t][i]);
            if (masks[t][size_t(i)]) minKept = std::min(minKept, a);
            else maxPruned = std::max(maxPruned, a);
        }
    return maxPruned <= minKept;
}

std::string specPath()
{
    const QByteArray root = qgetenv("NN_SOURCE_DIR");
    return (root.isEmpty() ? std::string(".") : root.toStdString()) + "/assets/models/spiral-mlp.json";
}

data::Split spiral() { return data::splitDataset(data::makeSpiral({400, 0.1, 3, 2}), 0.15, 0.15, 1); }

TrainConfig retrainConfig()
{
    TrainConfig c;
    c.epochs = 20;
    c.batch = 16;
    c.lr = 0.01f;
    c.optimizer.kind = "adam";
    c.optimizer.weightDecay = 1e-3f;  // pulls every weight, pruned ones included
    c.seed = 3;
    return c;
}

} // namespace

class CompressPruningTest : public QObject {
    Q_OBJECT
private slots:
    void exactSparsityPerTensor()
    {
        for (int64_t n : {1, 7, 100, 1001}) {
            const Tensor w = randomTensor(Shape {n}, uint64_t(n));
            for (double s : {0.0, 0.1, 1.0 / 3.0, 0.5, 0.9, 0.95, 1.0}) {
                const Mask m = magnitudeMask(w, s);
                QCOMPARE(int64_t(m.size()), n);
                QCOMPARE(pruned(m), int64_t(std::llround(s * double(n))));
                QVERIFY(std::fabs(double(pruned(m)) - s * double(n)) <= 1.0);
                QVERIFY(thresholdHolds({w}, {m}));
                Tensor c = w.clone();
                applyMask(c, m);
                for (int64_t i = 0; i < n; ++i) QCOMPARE(c[i], m[size_t(i)] ? w[i] : 0.0f);
                QVERIFY(std::fabs(sparsity(c) - s) <= 1.0 / double(n));
            }
        }
    }

    void handChosenMask()
    {
        // |w| order: 0.0 (pos 3), 0.1 (pos 5), -0.2 (pos 0), 0.3 (pos 1, pos 4 tie), -2 (pos 2).
        const Tensor w = Tensor::fromVector(Shape {2, 3}, {-0.2f, 0.3f, -2.0f, 0.0f, -0.3f, 0.1f});
        QCOMPARE(magnitudeMask(w, 0.5), (Mask {0, 1, 1, 0, 1, 0}));
        // The tie at 0.3 goes to the earlier position.
        QCOMPARE(magnitudeMask(w, 4.0 / 6.0), (Mask {0, 0, 1, 0, 1, 0}));
    }

    void globalUsesOneThreshold()
    {
        // The second tensor is 100x smaller: a global 50% takes it first.
        const std::vector<Tensor> ws {randomTensor(Shape {30, 10}, 1), randomTensor(Shape {200}, 2, 0.01f),
                                      randomTensor(Shape {4, 25}, 3)};
        std::vector<Tensor> copies;
        for (const auto& w : ws) copies.push_back(w.clone());
        const auto masked = pruneGlobal(copies, 0.5);
        std::vector<Mask> masks;
        int64_t total = 0, prunedAll = 0;
        for (const auto& m : masked) {
            masks.push_back(m.mask);
            total += int64_t(m.mask.size());
            prunedAll += pruned(m.mask);
        }
        QCOMPARE(prunedAll, int64_t(std::llround(0.5 * double(total))));
        QVERIFY(thresholdHolds(ws, masks));
        QCOMPARE(pruned(masks[1]), int64_t(200));  // all of the small tensor
        // Applied in place: the handles share the tensors' storage.
        QVERIFY(masked[1].tensor.sharesStorageWith(copies[1]));
        QCOMPARE(sparsity(copies[1]), 1.0);

        // Per tensor: each one at 50% on its own.
        std::vector<Tensor> again;
        for (const auto& w : ws) again.push_back(w.clone());
        for (const auto& m : prunePerTensor(again, 0.5))
            QCOMPARE(pruned(m.mask), int64_t(std::llround(0.5 * double(m.mask.size()))));
    }

    void errors()
    {
        Tensor w = randomTensor(Shape {10}, 1);
        QVERIFY_THROWS_EXCEPTION(Error, magnitudeMask(w, 1.5));
        QVERIFY_THROWS_EXCEPTION(Error, magnitudeMask(w, -0.1));
        QVERIFY_THROWS_EXCEPTION(Error, applyMask(w, Mask(9, 1)));
        w[3] = NAN;
        QVERIFY_THROWS_EXCEPTION(Error, magnitudeMask(w, 0.5));
    }

    void prunedWeightsStayZeroWhileRetraining()
    {
        const data::Split split = spiral();
        const ModelSpec spec = ModelSpec::fromFile(specPath());
        for (bool hook : {true, false}) {
            Model model(spec, split.train.sampleShape, split.train.numClasses);
            Trainer trainer(model, split, retrainConfig());
            for (int i = 0; i < 100; ++i) QVERIFY(trainer.step());  // dense training first

            const auto weights = prunableWeights(model);
            QCOMPARE(int(weights.size()), 3);  // h1, h2, out
            auto masked = prunePerTensor(weights, 0.75);
            std::vector<Tensor> before;
            for (const auto& w : weights) before.push_back(w.clone());
            int calls = 0;
            if (hook) {
                auto keep = keepPruned(masked);
                trainer.afterUpdate = [&calls, keep] {
                    ++calls;
                    keep();
                };
            }
            const int64_t steps0 = trainer.result().steps;
            for (int i = 0; i < 60; ++i) QVERIFY(trainer.step());  // crosses epoch ends
            QVERIFY(std::isfinite(trainer.lastLoss()));

            int64_t nonzeroPruned = 0, keptMoved = 0;
            for (size_t t = 0; t < masked.size(); ++t) {
                for (int64_t i = 0; i < weights[t].numel(); ++i) {
                    if (!masked[t].mask[size_t(i)]) nonzeroPruned += weights[t][i] != 0.0f;
                    else keptMoved += weights[t][i] != before[t][i];
                }
            }
            QVERIFY(keptMoved > 0);  // it did retrain
            if (hook) {
                QCOMPARE(int64_t(calls), trainer.result().steps - steps0);
                QCOMPARE(nonzeroPruned, int64_t(0));
                for (size_t t = 0; t < masked.size(); ++t)
                    QCOMPARE(sparsity(weights[t]),
                             double(std::llround(0.75 * double(weights[t].numel()))) / double(weights[t].numel()));
                const Evaluation e = trainer.evaluate(split.test);
                QVERIFY(std::isfinite(e.loss));
            } else {
                QVERIFY(nonzeroPruned > 0);  // Adam and weight decay move them back
            }
        }
    }
};

QTEST_APPLESS_MAIN(CompressPruningTest)
#include "tst_compress_pruning.moc"
