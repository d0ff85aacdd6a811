// The 2-D teaching sets: sizes, class balance, value ranges, determinism, bad
// parameters, and that the default spiral is separable enough to learn.
#include "engine/core/error.h"
#include "engine/data/dataset.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <functional>

using nn::data::Dataset;
using nn::data::TwoDParams;

namespace {

using Maker = std::function<Dataset(const TwoDParams&)>;

QString errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const nn::Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

std::vector<int> classCounts(const Dataset& d)
{
    std::vector<int> counts(size_t(d.numClasses), 0);
    for (int32_t l : d.labels) ++counts[size_t(l)];
    return counts;
}

// k-nearest-neighbour accuracy of `test` against `train`: a model-free check
// that the classes are separable (a 2-16-16-2 MLP does at least as well).
double knnAccuracy(const Dataset& train, const Dataset& test, int k)
{
    int correct = 0;
    std::vector<std::pair<double, int32_t>> dist(train.size());
    for (size_t i = 0; i < test.size(); ++i) {
        const float* q = test.sample(i);
        for (size_t j = 0; j < train.size(); ++j) {
            const float* p = train.sample(j);
            dist[j] = {std::hypot(double(p[0] - q[0]), double(p[1] - q[1])), train.labels[j]};
        }
        std::partial_sort(dist.begin(), dist.begin() + k, dist.end());
        std::vector<int> votes(size_t(train.numClasses), 0);
        for (int n = 0; n < k; ++n) ++votes[size_t(dist[size_t(n)].second)];
        const int predicted = int(std::max_element(votes.begin(), votes.end()) - votes.begin());
        correct += predicted == test.labels[i];
    }
    return double(correct) / double(test.size());
}

} // namespace

class TestDataTwoD : public QObject {
    Q_OBJECT

private slots:
    void shapesAndSizes_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<int>("classes");
        QTest::addColumn<int>("expectedClasses");
        QTest::newRow("spiral") << 0 << 2 << 2;
        QTest::newRow("spiral-3-arms") << 0 << 3 << 3;
        QTest::newRow("circles") << 1 << 5 << 2;  // `classes` is ignored
        QTest::newRow("xor") << 2 << 5 << 2;
        QTest::newRow("gaussians") << 3 << 2 << 2;
        QTest::newRow("gaussians-4") << 3 << 4 << 4;
    }
    void shapesAndSizes()
    {
        QFETCH(int, which);
        QFETCH(int, classes);
        QFETCH(int, expectedClasses);
        const Dataset d = maker(which)({600, 0.1, 3, classes});
        QCOMPARE(d.size(), size_t(600));
        QCOMPARE(d.sampleShape, std::vector<int64_t>({2}));
        QCOMPARE(d.featureCount(), size_t(2));
        QCOMPARE(d.features.size(), size_t(1200));
        QCOMPARE(d.numClasses, expectedClasses);
        QCOMPARE(d.classNames.size(), size_t(expectedClasses));
        QVERIFY(!d.name.empty());
        // Balanced, and interleaved so that any prefix is balanced too.
        for (int c : classCounts(d)) QCOMPARE(c, 600 / expectedClasses);
        for (int i = 0; i < expectedClasses * 3; ++i) QCOMPARE(d.labels[size_t(i)], i % expectedClasses);
        for (float v : d.features) {
            QVERIFY(std::isfinite(v));
            QVERIFY2(std::abs(v) < 1.6f, qPrintable(QString("feature %1 far outside [-1, 1]").arg(v)));
        }
    }

    void unevenPointsStillSumUp()
    {
        const Dataset d = nn::data::makeGaussians({7, 0.1, 1, 3});
        QCOMPARE(d.size(), size_t(7));
        QCOMPARE(classCounts(d), std::vector<int>({3, 2, 2}));
    }

    void sameSeedSameData()
    {
        for (int which = 0; which < 4; ++which) {
            const Dataset a = maker(which)({300, 0.2, 42, 2});
            const Dataset b = maker(which)({300, 0.2, 42, 2});
            const Dataset c = maker(which)({300, 0.2, 43, 2});
            QCOMPARE(a.features, b.features);
            QCOMPARE(a.labels, b.labels);
            QVERIFY(a.features != c.features);
        }
    }

    void spiralGeometryWithoutNoise()
    {
        const Dataset d = nn::data::makeSpiral({200, 0.0, 1, 2});
        // Arm point i of n sits at radius i/n: the first point of each arm is the
        // centre, and arm 1 is arm 0 turned by half a turn.
        for (size_t i = 0; i < d.size(); ++i) {
            const float* p = d.sample(i);
            QVERIFY(std::hypot(p[0], p[1]) < 1.0f);
        }
        QCOMPARE(d.sample(0)[0], 0.0f);
        const float* a = d.sample(10);  // arm 0, point 5
        const float* b = d.sample(11);  // arm 1, point 5
        QVERIFY(std::abs(a[0] + b[0]) < 1e-6f);
        QVERIFY(std::abs(a[1] + b[1]) < 1e-6f);
    }

    void circlesGeometryWithoutNoise()
    {
        const Dataset d = nn::data::makeCircles({400, 0.0, 5, 2});
        for (size_t i = 0; i < d.size(); ++i) {
            const double r = std::hypot(d.sample(i)[0], d.sample(i)[1]);
            if (d.labels[i] == 0)
                QVERIFY(r <= 0.5 + 1e-6);
            else
                QVERIFY(r >= 0.7 - 1e-6 && r <= 1.0 + 1e-6);
        }
        QCOMPARE(d.classNames, std::vector<std::string>({"inner", "outer"}));
    }

    void xorGeometryWithoutNoise()
    {
        const Dataset d = nn::data::makeXor({400, 0.0, 5, 2});
        for (size_t i = 0; i < d.size(); ++i) {
            const float x = d.sample(i)[0], y = d.sample(i)[1];
            QCOMPARE(d.labels[i], x * y < 0 ? 1 : 0);
            QVERIFY(std::abs(x) >= 0.1f - 1e-6f && std::abs(x) <= 1.0f);
            QVERIFY(std::abs(y) >= 0.1f - 1e-6f && std::abs(y) <= 1.0f);
        }
    }

    void gaussianClustersSitOnTheCircle()
    {
        const int classes = 4;
        const Dataset d = nn::data::makeGaussians({4000, 0.0, 9, classes});
        std::vector<double> mx(classes, 0), my(classes, 0);
        for (size_t i = 0; i < d.size(); ++i) {
            mx[size_t(d.labels[i])] += d.sample(i)[0];
            my[size_t(d.labels[i])] += d.sample(i)[1];
        }
        for (int c = 0; c < classes; ++c) {
            const double r = std::hypot(mx[size_t(c)] / 1000, my[size_t(c)] / 1000);
            QVERIFY2(std::abs(r - 0.6) < 0.03, qPrintable(QString("cluster %1 centre at radius %2").arg(c).arg(r)));
        }
    }

    void defaultSpiralIsLearnable()
    {
        // The default teaching set must be learnable to >= 95% validation
        // accuracy; 5-NN on the default split is a cheap stand-in for the MLP.
        const auto s = nn::data::loadSource("spiral");
        QCOMPARE(s.train.size() + s.validation.size() + s.test.size(), size_t(500));
        const double acc = knnAccuracy(s.train, s.validation, 5);
        QVERIFY2(acc >= 0.95, qPrintable(QString("5-NN validation accuracy %1").arg(acc)));
    }

    void badParameters_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<int>("points");
        QTest::addColumn<double>("noise");
        QTest::addColumn<int>("classes");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no points") << 0 << 0 << 0.1 << 2 << "points must be positive";
        QTest::newRow("negative noise") << 1 << 100 << -0.5 << 2 << "noise must be";
        QTest::newRow("nan noise") << 2 << 100 << std::nan("") << 2 << "noise must be";
        QTest::newRow("one arm") << 0 << 100 << 0.1 << 1 << "at least 2 classes";
        QTest::newRow("one cluster") << 3 << 100 << 0.1 << 1 << "at least 2 classes";
        QTest::newRow("fewer points than classes") << 3 << 3 << 0.1 << 5 << "one point per class";
    }
    void badParameters()
    {
        QFETCH(int, which);
        QFETCH(int, points);
        QFETCH(double, noise);
        QFETCH(int, classes);
        QFETCH(QString, expected);
        const QString msg = errorOf([&] { maker(which)({points, noise, 1, classes}); });
        QVERIFY2(msg.contains(expected), qPrintable(msg));
    }

private:
    static Maker maker(int which)
    {
        switch (which) {
        case 0: return nn::data::makeSpiral;
        case 1: return nn::data::makeCircles;
        case 2: return nn::data::makeXor;
        default: return nn::data::makeGaussians;
        }
    }
};

QTEST_APPLESS_MAIN(TestDataTwoD)
#include "tst_data_twod.moc"
