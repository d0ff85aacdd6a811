// --threads: convolution splits its batch over the engine's thread pool. The
// numbers must not depend on it beyond float rounding, and must repeat exactly
// for a given thread count (the weight gradient is summed in a fixed order).
#include <QtTest/QtTest>

#include <random>

#include "engine/backend/kernel.h"
#include "engine/nn/model.h"

using namespace nn;

namespace {

// Loss and every parameter gradient of one forward/backward pass of LeNet-5 on
// a fixed random batch, with `threads` threads.
std::vector<std::vector<float>> lenetStep(int threads, float* loss)
{
    cpu::setThreads(threads);
    const ModelSpec spec = ModelSpec::fromFile(std::string(qgetenv("NN_SOURCE_DIR").constData()) + "/assets/models/lenet5.json");
    Model model(spec, {1, 28, 28}, 10);
    model.initialize(5);
    BuiltGraph b = model.build(12, true);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    Tensor& x = b.graph.node(b.input).value;
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = u(rng);
    Tensor& y = b.graph.node(b.labels).value;
    for (int64_t i = 0; i < y.numel(); ++i) y[i] = float(rng() % 10);
    b.graph.forward();
    b.graph.backward(b.loss);
    *loss = b.graph.node(b.loss).value.item();
    std::vector<std::vector<float>> grads;
    for (int id : b.params) {
        const Tensor& g = b.graph.node(id).grad;
        grads.emplace_back(g.data(), g.data() + g.numel());
    }
    cpu::setThreads(1);
    return grads;
}

} // namespace

class ThreadTests : public QObject {
    Q_OBJECT
private slots:
    void convolutionAgreesAcrossThreadCounts()
    {
        float l1 = 0, l3 = 0, l3again = 0;
        const auto one = lenetStep(1, &l1);
        const auto three = lenetStep(3, &l3);
        const auto again = lenetStep(3, &l3again);
        QVERIFY(qAbs(l1 - l3) <= 1e-6f * qAbs(l1));
        QCOMPARE(one.size(), three.size());
        for (size_t p = 0; p < one.size(); ++p) {
            double maxAbs = 0, maxDiff = 0;
            for (size_t i = 0; i < one[p].size(); ++i) {
                maxAbs = std::max(maxAbs, double(std::fabs(one[p][i])));
                maxDiff = std::max(maxDiff, double(std::fabs(one[p][i] - three[p][i])));
            }
            QVERIFY2(maxDiff <= 1e-5 * std::max(1.0, maxAbs), qPrintable(QString("parameter %1: %2").arg(p).arg(maxDiff)));
            QVERIFY2(three[p] == again[p], qPrintable(QString("parameter %1 differs between two 3-thread runs").arg(p)));
        }
        QCOMPARE(l3, l3again);
    }
};

QTEST_MAIN(ThreadTests)
#include "tst_threads.moc"
