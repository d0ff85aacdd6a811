// Low rank (engine/compress/low_rank): a matrix built with known rank is rebuilt
// exactly at that rank, the energy rule picks the rank worked out by hand for a
// matrix with known singular values, the size rule matches r(m + n) + r, and a
// model's dense weights are factored while conv filters and biases stay.
#include <QtTest/QtTest>

#include <cmath>

#include "engine/compress/low_rank.h"
#include "engine/core/error.h"
#include "engine/core/random.h"

using namespace nn;
using namespace nn::compress;

namespace {

// A (m × k)·(k × n): rank k with probability one.
Tensor rankK(int64_t m, int64_t n, int k, uint64_t seed)
{
    Rng r(seed);
    std::vector<double> a(size_t(m * k)), b(size_t(k * n));
    for (double& x : a) x = r.normal();
    for (double& x : b) x = r.normal();
    Tensor w(Shape {m, n});
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            double s = 0;
            for (int t = 0; t < k; ++t) s += a[size_t(i * k + t)] * b[size_t(t * n + j)];
            w[i * n + j] = float(s);
        }
    return w;
}

} // namespace

class CompressLowRankTest : public QObject {
    Q_OBJECT
private slots:
    void knownRankIsRebuiltExactly()
    {
        const Tensor original = rankK(20, 15, 3, 4);
        const std::vector<float> sigma = singularValues(original);
        QCOMPARE(int(sigma.size()), 15);
        QVERIFY(sigma[2] > 1.0f);
        for (size_t i = 3; i < sigma.size(); ++i) QVERIFY(sigma[i] < 1e-4f * sigma[0]);
        QCOMPARE(rankForEnergy(sigma, 1.0), 3);

        Tensor w = original.clone();
        const LowRankResult r = lowRankByEnergy(w, 1.0, "fc.weight");
        QCOMPARE(r.rank, 3);
        QCOMPARE(r.fullRank, 15);
        QCOMPARE(r.parameters, int64_t(3 * (20 + 15) + 3));
        QCOMPARE(r.denseParameters, int64_t(300));
        float maxErr = 0, maxAbs = 0;
        for (int64_t i = 0; i < w.numel(); ++i) {
            maxErr = std::max(maxErr, std::fabs(w[i] - original[i]));
            maxAbs = std::max(maxAbs, std::fabs(original[i]));
        }
        QVERIFY2(maxErr <= 1e-5f * maxAbs, qPrintable(QString::number(double(maxErr))));

        // Rank 2 of a rank-3 matrix is not exact.
        Tensor w2 = original.clone();
        const LowRankResult r2 = lowRankApproximate(w2, 2);
        QVERIFY(r2.relativeError > 0.01);
        QVERIFY(r2.energyKept < 1.0);
    }

    // diag(4, 3, 2, 1) padded to 5 × 4: energies 16, 9, 4, 1 of 30.
    void energyPicksTheRank()
    {
        Tensor w(Shape {5, 4});
        const float d[] = {3.0f, 1.0f, 4.0f, 2.0f};  // shuffled on purpose: SVD sorts them
        for (int i = 0; i < 4; ++i) w[i * 4 + i] = d[i];
        const std::vector<float> sigma = singularValues(w);
        for (int i = 0; i < 4; ++i) QVERIFY(std::fabs(sigma[size_t(i)] - float(4 - i)) < 1e-5f);
        QCOMPARE(rankForEnergy(sigma, 0.5), 1);   // 16/30 = 0.53
        QCOMPARE(rankForEnergy(sigma, 0.6), 2);   // 25/30 = 0.83
        QCOMPARE(rankForEnergy(sigma, 0.9), 3);   // 29/30 = 0.97
        QCOMPARE(rankForEnergy(sigma, 0.99), 4);
        const LowRankResult r = lowRankByEnergy(w, 0.6);
        QCOMPARE(r.rank, 2);
        QVERIFY(std::fabs(r.energyKept - 25.0 / 30.0) < 1e-6);
        QVERIFY(std::fabs(r.relativeError - std::sqrt(5.0 / 30.0)) < 1e-6);
        // Keeps 4 and 3 where they were, the rest becomes 0.
        for (int64_t i = 0; i < w.numel(); ++i) {
            const float want = i == 0 ? 3.0f : i == 2 * 4 + 2 ? 4.0f : 0.0f;
            QVERIFY(std::fabs(w[i] - want) < 1e-5f);
        }
        QVERIFY_THROWS_EXCEPTION(Error, rankForEnergy(sigma, 0.0));
        QVERIFY_THROWS_EXCEPTION(Error, rankForEnergy(sigma, 1.5));
    }

    void sizeBudgetPicksTheRank()
    {
        // 100 × 50 at 32 bits: each rank costs (100 + 50 + 1) × 32 = 4832 bits.
        QCOMPARE(rankForBits(100, 50, 4832 * 2), 2);
        QCOMPARE(rankForBits(100, 50, 4832 * 2 - 1), 1);
        QCOMPARE(rankForBits(100, 50, 1), 1);
        QCOMPARE(rankForBits(100, 50, uint64_t(1) << 40), 50);
        QCOMPARE(rankForBits(100, 50, 151 * 8 * 3, 8), 3);
        QCOMPARE(lowRankParameters(100, 50, 2), int64_t(302));
    }

    void modelDenseWeightsOnly()
    {
        const char* spec = R"({"name": "lr-net", "input": {"shape": [1, 6, 6]},
          "layers": [{"id": "c1", "type": "conv2d", "filters": 2, "kernel": 3, "activation": "relu"},
                     {"id": "f", "type": "flatten"},
                     {"id": "h1", "type": "dense", "units": 20, "activation": "relu"},
                     {"id": "out", "type": "dense", "units": 4}],
          "loss": "softmax_cross_entropy"})";
        Model model(ModelSpec::fromString(spec), {1, 6, 6}, 4);
        model.initialize(3);
        const Tensor conv = model.parameters()[0].value.clone();
        const auto results = lowRankModel(model, {0.8, 0});
        QCOMPARE(int(results.size()), 2);  // h1.weight [32, 20], out.weight [20, 4]
        QCOMPARE(results[0].name, std::string("h1.weight"));
        QVERIFY(results[0].rank < 20);
        QVERIFY(results[0].energyKept >= 0.8);
        QCOMPARE(model.parameters()[0].value.toVector(), conv.toVector());
        // A size budget: half the dense bits, shared in proportion to each layer.
        Model m2(ModelSpec::fromString(spec), {1, 6, 6}, 4);
        m2.initialize(3);
        const uint64_t dense = (32 * 20 + 20 * 4) * 32;
        const auto sized = lowRankModel(m2, {0.9, dense / 2});
        int64_t params = 0;
        for (const auto& r : sized) params += r.parameters;
        QVERIFY(uint64_t(params) * 32 <= dense / 2);
        QCOMPARE(sized[0].rank, 6);  // 10240 bits / ((32 + 20 + 1) × 32)
        QVERIFY_THROWS_EXCEPTION(Error, singularValues(conv));  // 4-D
    }
};

QTEST_APPLESS_MAIN(CompressLowRankTest)
#include "tst_compress_low_rank.moc"
