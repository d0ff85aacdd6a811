// Sweeps (engine/compress/sweeps) on the spiral net: pruning sensitivity per layer
// with and without retraining, accuracy vs bits for weight sharing and fixed
// point, the model put back bit for bit afterwards (also when cancelled), and
// rejected settings.
#include <QtTest/QtTest>

#include <cmath>

#include "engine/compress/sweeps.h"
#include "engine/core/error.h"
#include "engine/data/dataset.h"
#include "engine/io/inference.h"
#include "engine/nn/model.h"
#include "spiral_fixture.h"

using namespace nn;
using namespace nn::compress;
using namespace spiral_fixture;

namespace {

std::vector<std::vector<float>> weightsOf(const Model& m)
{
    std::vector<std::vector<float>> w;
    for (const auto& p : m.parameters()) w.emplace_back(p.value.data(), p.value.data() + p.value.numel());
    return w;
}

SensitivityOptions sensitivity()
{
    SensitivityOptions o;
    o.ratios = {0, 0.5, 0.95};
    o.retrainEpochs = 3;
    o.train = config();
    o.retrainLr = 0.01f;
    return o;
}

} // namespace

class CompressSweeps : public QObject {
    Q_OBJECT
private slots:
    void pruneSensitivityPerLayer()
    {
        Model model = trainedModel();
        const auto before = weightsOf(model);
        const double dense = io::evaluateModel(model, spiral().test).accuracy;
        QVERIFY(dense > 0.8);
        int reported = 0;
        double lastFraction = -1;
        const auto points = pruneSensitivity(
            model, spiral(), sensitivity(), [&](const SweepPoint&) { ++reported; },
            [&](double f, const std::string&) {
                QVERIFY(f >= lastFraction);
                lastFraction = f;
            });
        QCOMPARE(int(points.size()), 3 * 3 * 2);
        QCOMPARE(reported, 18);
        QCOMPARE(lastFraction, 1.0);
        const char* names[] = {"h1.weight", "h2.weight", "out.weight"};
        for (size_t i = 0; i < points.size(); ++i) {
            const SweepPoint& p = points[i];
            QCOMPARE(QString::fromStdString(p.layer), QString(names[i / 6]));
            QCOMPARE(p.x, (std::vector<double> {0, 0.5, 0.95})[(i / 2) % 3]);
            QCOMPARE(p.retrained, i % 2 == 1);
            QCOMPARE(QString::fromStdString(p.method), QString("prune"));
        }
        for (size_t l = 0; l < 3; ++l) {
            QCOMPARE(points[l * 6].accuracy, dense);  // ratio 0, not retrained: the dense model
            QVERIFY2(points[l * 6 + 4].accuracy < dense, names[l]);  // 95% of one layer hurts
        }
        // Retraining recovers most of h2's loss at 95%.
        QVERIFY2(points[6 + 5].accuracy > points[6 + 4].accuracy,
                 qPrintable(QString("%1 -> %2").arg(points[10].accuracy).arg(points[11].accuracy)));
        QCOMPARE(weightsOf(model), before);  // put back
    }

    void sensitivityCancelRestores()
    {
        Model model = trainedModel();
        const auto before = weightsOf(model);
        std::atomic<bool> cancel {false};
        const auto points =
            pruneSensitivity(model, spiral(), sensitivity(), [&](const SweepPoint&) { cancel = true; }, {}, &cancel);
        QCOMPARE(int(points.size()), 1);
        QCOMPARE(weightsOf(model), before);
    }

    void bitsSweeps()
    {
        Model model = trainedModel();
        const auto before = weightsOf(model);
        const double dense = io::evaluateModel(model, spiral().test).accuracy;
        const auto shared = bitsSweep(model, spiral(), {"share", {}, "all", 1000});
        QCOMPARE(int(shared.size()), 8);
        for (int i = 0; i < 8; ++i) QCOMPARE(shared[size_t(i)].x, double(8 - i));
        QVERIFY(std::fabs(shared[0].accuracy - dense) <= 0.02);  // 255 centroids
        QVERIFY(shared[7].accuracy < dense - 0.1);               // one nonzero value per tensor
        QCOMPARE(weightsOf(model), before);

        const auto fixed = bitsSweep(model, spiral(), {"fixed", {}, "dense", 1000});
        QCOMPARE(int(fixed.size()), 15);
        QCOMPARE(fixed[0].x, 16.0);
        QCOMPARE(fixed.back().x, 2.0);
        QCOMPARE(QString::fromStdString(fixed[0].layer), QString("dense"));
        QVERIFY(std::fabs(fixed[0].accuracy - dense) <= 0.01);
        QVERIFY(fixed.back().accuracy < fixed[0].accuracy);
        QCOMPARE(weightsOf(model), before);
    }

    void badSettingsRejected()
    {
        Model model = trainedModel();
        QVERIFY_THROWS_EXCEPTION(Error, bitsSweep(model, spiral(), {"fixed", {1}, "all", 1000}));
        QVERIFY_THROWS_EXCEPTION(Error, bitsSweep(model, spiral(), {"share", {17}, "all", 1000}));
        QVERIFY_THROWS_EXCEPTION(Error, bitsSweep(model, spiral(), {"share", {}, "conv", 1000}));  // an MLP
        QVERIFY_THROWS_EXCEPTION(Error, bitsSweep(model, spiral(), {"round", {}, "all", 1000}));
        SensitivityOptions o = sensitivity();
        o.ratios = {1.0};
        QVERIFY_THROWS_EXCEPTION(Error, pruneSensitivity(model, spiral(), o));
        o = sensitivity();
        o.layers = {"nope.weight"};
        QVERIFY_THROWS_EXCEPTION(Error, pruneSensitivity(model, spiral(), o));
    }
};

QTEST_APPLESS_MAIN(CompressSweeps)
#include "tst_compress_sweeps.moc"
