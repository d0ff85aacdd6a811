// Weight sharing (engine/compress/weight_sharing): entry 0 the reserved zero, the
// other 2^bits - 1 centroids initialised linearly between the smallest and largest
// nonzero weight, k-means that converges to a fixed point
// (each centroid the mean of its weights, each weight at its nearest centroid),
// pruned zeros left out and kept zero, and centroid gradients equal to the grouped
// sums worked out by hand.
#include <QtTest/QtTest>

#include <cmath>
#include <set>

#include "engine/compress/weight_sharing.h"
#include "engine/core/error.h"
#include "engine/core/random.h"

using namespace nn;
using namespace nn::compress;

namespace {

// Fixed point of Lloyd's iteration: every centroid with members is their mean,
// and no weight is nearer another centroid than its own.
void checkFixedPoint(const Tensor& w, const SharedWeights& s)
{
    const size_t k = s.codebook.size();
    std::vector<double> sum(k);
    std::vector<int> count(k);
    for (int64_t i = 0; i < w.numel(); ++i) {
        const int32_t c = s.index[size_t(i)];
        if (w[i] == 0.0f) {
            QCOMPARE(c, -1);
            continue;
        }
        QVERIFY(c >= 1 && size_t(c) < k);  // never the reserved zero
        sum[size_t(c)] += w[i];
        ++count[size_t(c)];
        const float own = std::fabs(w[i] - s.codebook[size_t(c)]);
        for (size_t j = 1; j < k; ++j) QVERIFY(own <= std::fabs(w[i] - s.codebook[j]));
    }
    QCOMPARE(s.codebook[0], 0.0f);
    for (size_t j = 1; j < k; ++j)
        if (count[j]) QVERIFY(std::fabs(sum[j] / count[j] - double(s.codebook[j])) <= 1e-5);
    for (size_t j = 2; j < k; ++j) QVERIFY(s.codebook[j - 1] <= s.codebook[j]);
}

} // namespace

class CompressSharingTest : public QObject {
    Q_OBJECT
private slots:
    void linearInitialisation()
    {
        QCOMPARE(linearCentroids(-1.0f, 2.0f, 4), (std::vector<float> {-1.0f, 0.0f, 1.0f, 2.0f}));
        QCOMPARE(linearCentroids(1.0f, 3.0f, 1), (std::vector<float> {2.0f}));
        // Zeros (pruned) do not set the range: nonzero min 0.5, max 3.5.
        const Tensor w = Tensor::fromVector(Shape {6}, {0.0f, 0.5f, 1.0f, 2.0f, 0.0f, 3.5f});
        const SharedWeights s = shareWeights(w, 2, 0);  // the zero entry and 3 centroids
        QCOMPARE(s.codebook, (std::vector<float> {0.0f, 0.5f, 2.0f, 3.5f}));
        QCOMPARE(s.iterations, 0);
    }

    void convergesOnSeparatedClusters()
    {
        const float centres[] = {-3.0f, 1.0f, 3.0f};
        Tensor w(Shape {10, 25});
        Rng r(7);
        for (int64_t i = 0; i < w.numel(); ++i)
            w[i] = i % 5 == 4 ? 0.0f : centres[i % 3] + 0.05f * float(r.normal());
        const SharedWeights s = shareWeights(w, 2);  // 3 centroids besides the zero
        QVERIFY(s.converged);
        QCOMPARE(int(s.codebook.size()), 4);
        for (int j = 0; j < 3; ++j) QVERIFY(std::fabs(s.codebook[size_t(j) + 1] - centres[j]) < 0.05f);
        checkFixedPoint(w, s);

        Tensor shared = w.clone();
        applySharing(shared, s);
        std::set<float> distinct;
        for (int64_t i = 0; i < w.numel(); ++i) {
            if (w[i] == 0.0f) QCOMPARE(shared[i], 0.0f);  // pruned stays zero
            else distinct.insert(shared[i]);
        }
        QCOMPARE(int(distinct.size()), 3);
    }

    void convergesOnGaussianWeights()
    {
        Tensor w(Shape {784, 30});
        Rng r(3);
        for (int64_t i = 0; i < w.numel(); ++i) w[i] = r.uniform() < 0.9 ? 0.0f : 0.1f * float(r.normal());
        for (int bits : {1, 3, 5}) {
            const SharedWeights s = shareWeights(w, bits, 1000);
            QVERIFY(s.converged);
            QVERIFY(s.iterations > 1);
            QCOMPARE(int(s.codebook.size()), 1 << bits);
            checkFixedPoint(w, s);
        }
    }

    void centroidGradientsAreGroupedSums()
    {
        const Tensor w = Tensor::fromVector(Shape {7}, {0.0f, 1.0f, 1.1f, 3.0f, 2.9f, 0.0f, 1.05f});
        SharedWeights s = shareWeights(w, 2);  // zero + 3 centroids initialised at 1, 2, 3
        QCOMPARE(s.index, (std::vector<int32_t> {-1, 1, 1, 3, 3, -1, 1}));
        QCOMPARE(s.codebook[0], 0.0f);
        QVERIFY(std::fabs(s.codebook[1] - 1.05f) < 1e-6f);
        QCOMPARE(s.codebook[2], 2.0f);  // empty: keeps its initial value
        QVERIFY(std::fabs(s.codebook[3] - 2.95f) < 1e-6f);
        // Pruned weights' gradients (10, 20) are ignored.
        const Tensor g = Tensor::fromVector(Shape {7}, {10.0f, 0.5f, -0.25f, 2.0f, 1.0f, 20.0f, 0.125f});
        QCOMPARE(centroidGradients(g, s), (std::vector<float> {0.0f, 0.375f, 0.0f, 3.0f}));
        const auto before = s.codebook;
        fineTuneCentroids(s, g, 0.1f);
        QCOMPARE(s.codebook[0], 0.0f);
        QCOMPARE(s.codebook[1], before[1] - 0.1f * 0.375f);
        QCOMPARE(s.codebook[3], before[3] - 0.1f * 3.0f);
    }

    void errors()
    {
        const Tensor w = Tensor::fromVector(Shape {3}, {1.0f, 2.0f, 0.0f});
        QVERIFY_THROWS_EXCEPTION(Error, shareWeights(w, 0));
        QVERIFY_THROWS_EXCEPTION(Error, shareWeights(w, 17));
        const SharedWeights s = shareWeights(w, 1);
        QVERIFY_THROWS_EXCEPTION(Error, centroidGradients(Tensor(Shape {4}), s));
        const SharedWeights none = shareWeights(Tensor(Shape {5}), 2);  // all pruned
        QCOMPARE(none.index, (std::vector<int32_t>(5, -1)));
    }
};

QTEST_APPLESS_MAIN(CompressSharingTest)
#include "tst_compress_sharing.moc"
