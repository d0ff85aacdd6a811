// Optimizers against hand-computed numbers (PyTorch's formulas), their state
// round trip, and the learning-rate schedules.
#include <QtTest/QtTest>

#include <cmath>
#include <functional>
#include <vector>

#include "engine/core/error.h"
#include "engine/train/optimizer.h"
#include "engine/train/schedule.h"

using namespace nn;

namespace {

QString errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

// One parameter w = [1, -2]; the gradients of the two steps are g1 and g2.
const std::vector<float> kW0 {1.0f, -2.0f};
const std::vector<float> kG1 {0.5f, 0.1f};
const std::vector<float> kG2 {-0.3f, 0.2f};
constexpr float kLr = 0.1f;

struct Run {
    std::unique_ptr<Optimizer> opt;
    std::vector<Tensor> params {Tensor::fromVector(Shape {2}, kW0)};
    Tensor grad {Shape {2}};

    explicit Run(const OptimizerConfig& c) : opt(makeOptimizer(c)) {}
    std::vector<float> step(const std::vector<float>& g, float lr = kLr)
    {
        grad.copyFrom(Tensor::fromVector(Shape {2}, g));
        std::vector<const Tensor*> grads {&grad};
        opt->step(params, grads, lr);
        return params[0].toVector();
    }
};

OptimizerConfig config(const char* kind, float weightDecay = 0.0f)
{
    OptimizerConfig c;
    c.kind = kind;
    c.weightDecay = weightDecay;
    return c;
}

bool closeTo(const std::vector<float>& got, const std::vector<double>& want, double tol = 2e-6)
{
    if (got.size() != want.size()) return false;
    for (size_t i = 0; i < got.size(); ++i)
        if (std::fabs(double(got[i]) - want[i]) > tol) return false;
    return true;
}

QByteArray show(const std::vector<float>& got, const std::vector<double>& want)
{
    QByteArray s = "got [";
    for (float v : got) s += QByteArray::number(double(v), 'g', 9) + " ";
    s += "], want [";
    for (double v : want) s += QByteArray::number(v, 'g', 9) + " ";
    return s + "]";
}

#define VERIFY_CLOSE(got, ...)                                                                                         \
    do {                                                                                                               \
        const std::vector<float> got_ = (got);                                                                         \
        const std::vector<double> want_ = __VA_ARGS__;                                                                 \
        QVERIFY2(closeTo(got_, want_), show(got_, want_).constData());                                                 \
    } while (false)

} // namespace

class Optimizers : public QObject {
    Q_OBJECT
private slots:
    // w -= lr * g
    void sgd()
    {
        Run r(config("sgd"));
        VERIFY_CLOSE(r.step(kG1), {0.95, -2.01});
        VERIFY_CLOSE(r.step(kG2), {0.98, -2.03});
        QVERIFY(r.opt->state().empty());
    }

    // w -= lr * (g + wd * w)
    void sgdWeightDecay()
    {
        Run r(config("sgd", 0.01f));
        VERIFY_CLOSE(r.step(kG1), {0.949, -2.008});
        VERIFY_CLOSE(r.step(kG2), {0.978051, -2.025992});
        // Zero gradient: weight decay alone shrinks the weights toward zero.
        Run z(config("sgd", 0.5f));
        VERIFY_CLOSE(z.step({0.0f, 0.0f}), {0.95, -1.9});
    }

    // PyTorch: v = mu*v + g; w -= lr*v
    void momentum()
    {
        Run r(config("momentum"));
        VERIFY_CLOSE(r.step(kG1), {0.95, -2.01});
        QCOMPARE(r.opt->state().size(), size_t(1));
        VERIFY_CLOSE(r.opt->state()[0].toVector(), {0.5, 0.1});
        VERIFY_CLOSE(r.step(kG2), {0.935, -2.039});
        VERIFY_CLOSE(r.opt->state()[0].toVector(), {0.15, 0.29});
    }

    void momentumWeightDecay()
    {
        Run r(config("momentum", 0.01f));
        VERIFY_CLOSE(r.step(kG1), {0.949, -2.008});
        VERIFY_CLOSE(r.opt->state()[0].toVector(), {0.51, 0.08});
        VERIFY_CLOSE(r.step(kG2), {0.932151, -2.033192});
    }

    void momentumCoefficient()
    {
        OptimizerConfig c = config("momentum");
        c.momentum = 0.5f;
        Run r(c);
        r.step(kG1);
        // v = 0.5*[0.5, 0.1] + [-0.3, 0.2] = [-0.05, 0.25]
        VERIFY_CLOSE(r.step(kG2), {0.955, -2.035});
    }

    // PyTorch's Adam: m, v moments with bias correction.
    // Step 1 moves every weight by lr against the gradient's sign.
    void adam()
    {
        Run r(config("adam"));
        VERIFY_CLOSE(r.step(kG1), {0.9, -2.1});
        VERIFY_CLOSE(r.step(kG2), {0.8808501989, -2.1965181865});
        const auto s = r.opt->state();
        QCOMPARE(s.size(), size_t(3));  // m, v, t
        VERIFY_CLOSE(s[0].toVector(), {0.015, 0.029});              // m = 0.9*0.1*g1 + 0.1*g2
        VERIFY_CLOSE(s[1].toVector(), {0.00033975, 0.00004999});    // v = 0.999*0.001*g1^2 + 0.001*g2^2
        QCOMPARE(s[2].item(), 2.0f);
    }

    // Adam's weight decay is L2 added to the gradient (torch.optim.Adam), not AdamW.
    void adamWeightDecay()
    {
        Run r(config("adam", 0.1f));
        // g1 + 0.1*w = [0.6, -0.1]: the second weight moves the other way.
        VERIFY_CLOSE(r.step(kG1), {0.9, -1.9});
        VERIFY_CLOSE(r.step(kG2), {0.8613529972, -1.8407351661});
    }

    void adamBetas()
    {
        OptimizerConfig c = config("adam");
        c.beta1 = 0.5f;
        c.beta2 = 0.5f;
        Run r(c);
        r.step(kG1);
        // m = 0.5*0.25 + 0.5*(-0.3) = -0.025 -> /0.75 = -1/30; v = 0.5*0.125 + 0.5*0.09 = 0.1075 -> /0.75
        const double m0 = -0.025 / 0.75, v0 = 0.1075 / 0.75;
        const double m1 = (0.5 * 0.05 + 0.5 * 0.2) / 0.75, v1 = (0.5 * 0.005 + 0.5 * 0.04) / 0.75;
        VERIFY_CLOSE(r.step(kG2), {0.9 - 0.1 * m0 / std::sqrt(v0), -2.1 - 0.1 * m1 / std::sqrt(v1)});
    }

    void learningRateIsPerStep()
    {
        Run r(config("sgd"));
        VERIFY_CLOSE(r.step(kG1, 1.0f), {0.5, -2.1});
        VERIFY_CLOSE(r.step(kG1, 0.0f), {0.5, -2.1});
    }

    // state() / setState(): a copy resumed from a snapshot continues the very
    // same trajectory (bit for bit).
    void stateRoundTrip_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("sgd") << "sgd";
        QTest::newRow("momentum") << "momentum";
        QTest::newRow("adam") << "adam";
    }

    void stateRoundTrip()
    {
        QFETCH(QString, kind);
        const std::string k = kind.toStdString();
        Run a(config(k.c_str(), 0.01f));
        a.step(kG1);
        a.step(kG2);
        // Deep copies: a's own state keeps changing as it steps on.
        std::vector<Tensor> snapshot;
        for (const Tensor& t : a.opt->state()) snapshot.push_back(t.clone());
        const std::vector<float> weights = a.params[0].toVector();

        Run b(config(k.c_str(), 0.01f));
        b.params[0].copyFrom(Tensor::fromVector(Shape {2}, weights));
        b.opt->setState(snapshot);
        for (int i = 0; i < 5; ++i) {
            const std::vector<float> g {0.2f * float(i) - 0.3f, 0.1f - 0.05f * float(i)};
            QCOMPARE(b.step(g), a.step(g));
        }
        // Without the state the trajectory differs (momentum and adam carry state).
        if (k != "sgd") {
            Run fresh(config(k.c_str(), 0.01f));
            fresh.params[0].copyFrom(Tensor::fromVector(Shape {2}, weights));
            Run resumed(config(k.c_str(), 0.01f));
            resumed.params[0].copyFrom(Tensor::fromVector(Shape {2}, weights));
            resumed.opt->setState(snapshot);
            QVERIFY(fresh.step(kG1) != resumed.step(kG1));
        }
    }

    void adamRejectsMalformedState()
    {
        auto opt = makeOptimizer(config("adam"));
        QVERIFY_THROWS_EXCEPTION(Error, opt->setState({Tensor(Shape {2}), Tensor(Shape {2})}));
        QVERIFY_THROWS_EXCEPTION(Error, opt->setState({}));
    }

    void unknownOptimizer()
    {
        const QString err = errorOf([] { makeOptimizer(config("rmsprop")); });
        QVERIFY2(!err.isEmpty(), "expected an nn::Error");
        for (const char* s : {"rmsprop", "sgd", "momentum", "adam"}) QVERIFY2(err.contains(s), qPrintable(err));
        QVERIFY(!errorOf([] { makeOptimizer(config("")); }).isEmpty());
        QVERIFY(!errorOf([] { makeOptimizer(config("Adam")); }).isEmpty());
    }

    void constantSchedule()
    {
        ScheduleConfig s;
        QCOMPARE(QString::fromStdString(s.kind), QString("constant"));
        for (int e = 0; e < 10; ++e) QCOMPARE(learningRate(s, 0.05f, e, 10), 0.05f);
    }

    void stepSchedule()
    {
        ScheduleConfig s;
        s.kind = "step";
        s.stepEpochs = 2;
        s.gamma = 0.5f;
        const float want[] {0.1f, 0.1f, 0.05f, 0.05f, 0.025f, 0.025f, 0.0125f};
        for (int e = 0; e < 7; ++e) QVERIFY2(std::fabs(learningRate(s, 0.1f, e, 7) - want[e]) < 1e-7f, qPrintable(QString::number(e)));
        s.stepEpochs = 3;
        s.gamma = 0.1f;
        QCOMPARE(learningRate(s, 1.0f, 2, 10), 1.0f);
        QVERIFY(std::fabs(learningRate(s, 1.0f, 3, 10) - 0.1f) < 1e-7f);
        QVERIFY(std::fabs(learningRate(s, 1.0f, 6, 10) - 0.01f) < 1e-8f);
    }

    // PyTorch's CosineAnnealingLR(T_max = epochs): lr_e = min + (base - min)(1 + cos(π e/T))/2.
    // The last epoch trains one step above the floor, never at it (it ran at lr 0).
    void cosineSchedule()
    {
        ScheduleConfig z;
        z.kind = "cosine";
        // The numbers: 3 epochs of 0.03 give 0.03, 0.0225, 0.0075 (was 0.03, 0.015, 0).
        const float want3[] {0.03f, 0.0225f, 0.0075f};
        for (int e = 0; e < 3; ++e)
            QVERIFY2(std::fabs(learningRate(z, 0.03f, e, 3) - want3[e]) < 1e-8f, qPrintable(QString::number(e)));
        // One epoch trains at the base rate (was 0).
        QCOMPARE(learningRate(z, 0.03f, 0, 1), 0.03f);
        // Two epochs: base, then halfway to the floor.
        QVERIFY(std::fabs(learningRate(z, 0.1f, 1, 2) - 0.05f) < 1e-8f);

        ScheduleConfig s;
        s.kind = "cosine";
        s.minLr = 0.001f;
        const int total = 10;
        for (int e = 0; e < total; ++e) {
            const double want = 0.001 + 0.5 * (0.1 - 0.001) * (1.0 + std::cos(M_PI * e / total));
            QVERIFY2(std::fabs(learningRate(s, 0.1f, e, total) - want) < 1e-7, qPrintable(QString::number(e)));
        }
        QVERIFY(std::fabs(learningRate(s, 0.1f, 5, total) - 0.0505f) < 1e-7f);  // halfway at T/2
        float previous = learningRate(s, 0.1f, 0, total);
        for (int e = 1; e < total; ++e) {
            const float lr = learningRate(s, 0.1f, e, total);
            QVERIFY2(lr < previous && lr > s.minLr, qPrintable(QString::number(e)));
            previous = lr;
        }
    }

    // StepLR: base · gamma^floor(e / step); a step of 0 epochs is refused, not taken as 1.
    void stepScheduleRefusesZeroEpochs()
    {
        ScheduleConfig s;
        s.kind = "step";
        s.stepEpochs = 0;
        const QString err = errorOf([&] { learningRate(s, 0.1f, 0, 10); });
        QVERIFY2(err.contains("at least 1 epoch"), qPrintable(err));
    }

    void unknownSchedule()
    {
        ScheduleConfig s;
        s.kind = "exponential";
        const QString err = errorOf([&] { learningRate(s, 0.1f, 0, 10); });
        QVERIFY2(!err.isEmpty(), "expected an nn::Error");
        for (const char* k : {"exponential", "constant", "step", "cosine"}) QVERIFY2(err.contains(k), qPrintable(err));
    }
};

QTEST_APPLESS_MAIN(Optimizers)
#include "tst_optimizers.moc"
