// Dataset basics (featureCount, subset), seeded splits, and loadSource's name
// lookup for the generated sets. (Fashion-MNIST and CSV sources are covered in
// tst_data_idx and tst_data_csv.)
#include "engine/core/error.h"
#include "engine/data/dataset.h"

#include <QtTest/QtTest>

#include <algorithm>
#include <cmath>
#include <functional>

using nn::data::Dataset;
using nn::data::Split;

namespace {

QString errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const nn::Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

// n samples of shape {2}: sample i is (i, -i) with label i % 3, so every sample
// can be traced back to its index.
Dataset numbered(size_t n)
{
    Dataset d;
    d.name = "numbered";
    d.sampleShape = {2};
    d.numClasses = 3;
    d.classNames = {"a", "b", "c"};
    for (size_t i = 0; i < n; ++i) {
        d.features.push_back(float(i));
        d.features.push_back(-float(i));
        d.labels.push_back(int32_t(i % 3));
    }
    return d;
}

std::vector<size_t> indicesOf(const Dataset& d)
{
    std::vector<size_t> out;
    for (size_t k = 0; k < d.size(); ++k) out.push_back(size_t(d.sample(k)[0]));
    return out;
}

} // namespace

class TestDataSplit : public QObject {
    Q_OBJECT

private slots:
    void featureCount()
    {
        Dataset d;
        d.sampleShape = {1, 28, 28};
        QCOMPARE(d.featureCount(), size_t(784));
        d.sampleShape = {4};
        QCOMPARE(d.featureCount(), size_t(4));
    }

    void subsetKeepsOrderAndMetadata()
    {
        const Dataset all = numbered(10);
        const Dataset s = all.subset({7, 2, 2, 9});
        QCOMPARE(s.size(), size_t(4));
        QCOMPARE(indicesOf(s), std::vector<size_t>({7, 2, 2, 9}));
        QCOMPARE(s.labels, std::vector<int32_t>({1, 2, 2, 0}));
        QCOMPARE(s.sample(0)[1], -7.0f);
        QCOMPARE(s.name, all.name);
        QCOMPARE(s.sampleShape, all.sampleShape);
        QCOMPARE(s.numClasses, 3);
        QCOMPARE(s.classNames, all.classNames);
        QCOMPARE(all.subset({}).size(), size_t(0));
        const QString msg = errorOf([&] { all.subset({3, 10}); });
        QVERIFY2(msg.contains("subset index 10 is out of range (the set has 10 samples)"), qPrintable(msg));
    }

    void splitSizesAndPartition()
    {
        const Split s = nn::data::splitDataset(numbered(1000), 0.15, 0.25, 7);
        QCOMPARE(s.validation.size(), size_t(150));
        QCOMPARE(s.test.size(), size_t(250));
        QCOMPARE(s.train.size(), size_t(600));
        // Every sample lands in exactly one part.
        std::vector<size_t> all;
        for (const Dataset* d : {&s.train, &s.validation, &s.test}) {
            const std::vector<size_t> idx = indicesOf(*d);
            all.insert(all.end(), idx.begin(), idx.end());
            for (size_t k = 0; k < d->size(); ++k) QCOMPARE(d->labels[k], int32_t(idx[k] % 3));
            QCOMPARE(d->classNames, std::vector<std::string>({"a", "b", "c"}));
        }
        std::sort(all.begin(), all.end());
        for (size_t i = 0; i < all.size(); ++i) QCOMPARE(all[i], i);
        // Shuffled, not cut in file order.
        const std::vector<size_t> val = indicesOf(s.validation);
        QVERIFY(!std::is_sorted(val.begin(), val.end()));
    }

    void roundingAndZeroFractions()
    {
        const Split s = nn::data::splitDataset(numbered(10), 0.25, 0.0, 1);  // 2.5 rounds to 3
        QCOMPARE(s.validation.size(), size_t(3));
        QCOMPARE(s.test.size(), size_t(0));
        QCOMPARE(s.train.size(), size_t(7));
        const Split none = nn::data::splitDataset(numbered(10), 0.0, 0.0, 1);
        QCOMPARE(none.train.size(), size_t(10));
    }

    void sameSeedSameSplit()
    {
        const Dataset all = numbered(200);
        const Split a = nn::data::splitDataset(all, 0.2, 0.2, 11);
        const Split b = nn::data::splitDataset(all, 0.2, 0.2, 11);
        const Split c = nn::data::splitDataset(all, 0.2, 0.2, 12);
        QCOMPARE(indicesOf(a.train), indicesOf(b.train));
        QCOMPARE(indicesOf(a.validation), indicesOf(b.validation));
        QCOMPARE(indicesOf(a.test), indicesOf(b.test));
        QVERIFY(indicesOf(a.validation) != indicesOf(c.validation));
    }

    void badFractions_data()
    {
        QTest::addColumn<double>("validation");
        QTest::addColumn<double>("test");
        QTest::addColumn<QString>("expected");
        QTest::newRow("negative") << -0.1 << 0.1 << "validation fraction -0.1 is out of range";
        QTest::newRow("one") << 0.1 << 1.0 << "test fraction 1 is out of range";
        QTest::newRow("nan") << std::nan("") << 0.1 << "validation fraction nan is out of range";
        QTest::newRow("sum") << 0.6 << 0.4 << "validation fraction 0.6 + test fraction 0.4 leave no training data";
    }
    void badFractions()
    {
        QFETCH(double, validation);
        QFETCH(double, test);
        QFETCH(QString, expected);
        const QString msg = errorOf([&] { nn::data::splitDataset(numbered(100), validation, test, 1); });
        QVERIFY2(msg.contains(expected), qPrintable(msg));
    }

    void tooFewSamples()
    {
        const QString msg = errorOf([&] { nn::data::splitDataset(numbered(2), 0.3, 0.3, 1); });
        QVERIFY2(msg.contains("'numbered' has only 2 samples"), qPrintable(msg));
        QVERIFY(errorOf([&] { nn::data::splitDataset(numbered(0), 0.1, 0.1, 1); }).contains("only 0 samples"));
    }

    void loadSourceGeneratedSets()
    {
        for (const char* name : {"spiral", "circles", "xor", "gaussians", "Spiral"}) {
            const Split s = nn::data::loadSource(name);  // defaults: 500 points, 15% / 15%
            QCOMPARE(s.train.size(), size_t(350));
            QCOMPARE(s.validation.size(), size_t(75));
            QCOMPARE(s.test.size(), size_t(75));
            QCOMPARE(s.train.sampleShape, std::vector<int64_t>({2}));
        }
        nn::data::SourceOptions o;
        o.twoD.points = 200;
        o.twoD.classes = 4;
        o.validationFraction = 0.1;
        o.testFraction = 0.2;
        const Split s = nn::data::loadSource("gaussians", o);
        QCOMPARE(s.validation.size(), size_t(20));
        QCOMPARE(s.test.size(), size_t(40));
        QCOMPARE(s.train.numClasses, 4);
        // The split seed and the data seed are independent knobs.
        o.splitSeed = 2;
        const Split other = nn::data::loadSource("gaussians", o);
        QVERIFY(other.validation.features != s.validation.features);
    }

    void unknownNameListsTheValidOnes()
    {
        const QString msg = errorOf([&] { nn::data::loadSource("mnist"); });
        QVERIFY2(msg.contains("unknown data set 'mnist'") && msg.contains("spiral, circles, xor, gaussians, "
                                                                          "fashion-mnist") &&
                     msg.contains(".csv"),
                 qPrintable(msg));
    }
};

QTEST_APPLESS_MAIN(TestDataSplit)
#include "tst_data_split.moc"
