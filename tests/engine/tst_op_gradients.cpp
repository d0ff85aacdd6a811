// Finite-difference gradient check for every op and loss in the engine, plus
// each op's declaration (shape errors, FLOP counts, derivative formula).
#include <QtTest/QtTest>

#include <cmath>
#include <limits>

#include "engine/core/error.h"
#include "gradcheck.h"

using namespace nn;

namespace {

Tensor randomTensor(const Shape& s, uint64_t seed, double lo = -1.0, double hi = 1.0)
{
    Rng rng(seed);
    Tensor t(s);
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = float(rng.uniform(lo, hi));
    return t;
}

Tensor labelTensor(int n, int classes)
{
    Tensor t(Shape {n});
    for (int i = 0; i < n; ++i) t[i] = float((i * 7 + 3) % classes);
    return t;
}

// Distinct values spread over [lo, hi] in a seeded order: max-pooling windows then
// never hold two values closer than the finite-difference step.
Tensor distinctTensor(const Shape& s, uint64_t seed, double lo, double hi)
{
    Rng rng(seed);
    Tensor t(s);
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = float(lo + (hi - lo) * double(i) / double(t.numel()));
    for (int64_t i = t.numel() - 1; i > 0; --i) std::swap(t[i], t[int64_t(rng.below(uint64_t(i + 1)))]);
    return t;
}

struct Case {
    const char* name;
    OpKind op;
    Shape a, b;  // b empty rank-0 with arity 1
    OpAttrs attrs;
    double lo = -1.0, hi = 1.0;  // input value range (log/pow need positives)
    Shape c {};                  // third input (BatchNorm's beta)
    bool distinct = false;       // first input from distinctTensor
    bool eval = false;           // run the graph in eval mode
};

} // namespace

class OpGradients : public QObject {
    Q_OBJECT
private slots:
    void everyOpHasADeclaration()
    {
        for (int i = 0; i < kOpCount; ++i) {
            const OpDecl& d = opDecl(OpKind(i));
            QVERIFY(d.name && *d.name);
            QVERIFY(d.symbol && *d.symbol);
            if (d.arity > 0) QVERIFY2(d.derivative[0] && *d.derivative[0], d.name);
        }
        QCOMPARE(QString(opDecl(OpKind::Reciprocal).derivative[0]), QString("d(1/x)/dx = -1/x^2"));
    }

    void gradients_data()
    {
        QTest::addColumn<int>("index");
        for (int i = 0; i < int(cases().size()); ++i) QTest::newRow(cases()[size_t(i)].name) << i;
    }

    void gradients()
    {
        QFETCH(int, index);
        const Case& c = cases()[size_t(index)];
        Graph g;
        g.setTraining(!c.eval);
        const int a = g.addVariable("a", c.distinct ? distinctTensor(c.a, 11 + uint64_t(index), c.lo, c.hi)
                                                    : randomTensor(c.a, 11 + uint64_t(index), c.lo, c.hi));
        int out;
        const OpDecl& d = opDecl(c.op);
        if (d.family == OpFamily::Loss) {
            const int y = g.addConstant("labels", labelTensor(int(c.a[0]), c.op == OpKind::LogLoss ? 2 : int(c.a[1])));
            out = g.apply(c.op, {a, y}, c.attrs);
        } else if (d.arity == 3) {
            const int b = g.addVariable("b", randomTensor(c.b, 99 + uint64_t(index), c.lo, c.hi));
            const int c3 = g.addVariable("c", randomTensor(c.c, 199 + uint64_t(index), c.lo, c.hi));
            out = g.apply(c.op, {a, b, c3}, c.attrs);
        } else if (d.arity == 2) {
            const int b = g.addVariable("b", randomTensor(c.b, 99 + uint64_t(index), c.lo, c.hi));
            out = g.apply(c.op, {a, b}, c.attrs);
        } else {
            out = g.apply(c.op, {a}, c.attrs);
        }
        const int root = nntest::projectToScalar(g, out, 7);
        const auto r = nntest::gradCheck(g, root, 1e-2, 1e-2);
        QVERIFY2(r.maxRelError < 2e-2, (std::string(c.name) + ": " + r.worst).c_str());
        const Shape in[3] = {c.a, c.b, c.c};
        QVERIFY(d.flops(in, g.node(out).value.shape(), c.attrs) >= 0);
    }

    void shapeErrorsNameBothShapes()
    {
        Graph g;
        const int a = g.addVariable("a", Tensor(Shape {32, 768}));
        const int b = g.addVariable("b", Tensor(Shape {512, 10}));
        try {
            g.apply(OpKind::MatMul, {a, b}, {}, "fc");
            QFAIL("expected a shape error");
        } catch (const Error& e) {
            const QString m = e.what();
            QVERIFY2(m.contains("[32, 768]") && m.contains("[512, 10]") && m.contains("fc"), e.what());
        }
        const int c = g.addVariable("c", Tensor(Shape {3}));
        QVERIFY_THROWS_EXCEPTION(Error, g.apply(OpKind::Add, {a, c}));
    }

    // σ through tanh rounded to 0 below x ≈ -17, so log σ(-20) was -inf (PyTorch:
    // -20). The numbers below are PyTorch's float32 results, from their definitions in
    // double: σ(x) = 1/(1+e^-x), log σ(x) = -softplus(-x).
    void sigmoidKeepsItsTails()
    {
        const std::vector<float> xs {-20.0f, -50.0f, 50.0f, -80.0f, 0.0f, 20.0f, -3.5f};
        Graph g;
        Tensor x(Shape {int64_t(xs.size())});
        for (size_t i = 0; i < xs.size(); ++i) x[int64_t(i)] = xs[i];
        const int v = g.addVariable("x", x);
        const int sig = g.apply(OpKind::Sigmoid, {v}, {}, "sigmoid");
        const int logSig = g.apply(OpKind::Log, {sig}, {}, "log");
        g.forward();
        for (size_t i = 0; i < xs.size(); ++i) {
            const double xi = xs[i];
            const double wantSig = 1.0 / (1.0 + std::exp(-xi));
            const double wantLog = -(std::max(-xi, 0.0) + std::log1p(std::exp(-std::fabs(xi))));
            const double gotSig = g.node(sig).value[int64_t(i)], gotLog = g.node(logSig).value[int64_t(i)];
            QVERIFY2(std::fabs(gotSig - wantSig) <= 2e-7 * wantSig, qPrintable(QString("σ(%1) = %2, want %3").arg(xi).arg(gotSig).arg(wantSig)));
            QVERIFY2(std::fabs(gotLog - wantLog) <= 1e-6 * std::max(1.0, std::fabs(wantLog)),
                     qPrintable(QString("log σ(%1) = %2, want %3").arg(xi).arg(gotLog).arg(wantLog)));
        }
        QCOMPARE(g.node(logSig).value[0], -20.0f);
        QCOMPARE(g.node(logSig).value[1], -50.0f);
        QCOMPARE(g.node(logSig).value[2], 0.0f);
    }

    // Binary log loss (PyTorch's BCEWithLogitsLoss) at large logits, both labels:
    // finite, and equal to softplus(∓s) to float precision, gradient σ(s) - y.
    void logLossIsStableInTheTails()
    {
        for (float logit : {-20.0f, -50.0f, 50.0f, 88.0f, -100.0f})
            for (int label : {0, 1}) {
                Graph g;
                const int s = g.addVariable("s", Tensor::full(Shape {1, 1}, logit));
                const int y = g.addConstant("y", Tensor::full(Shape {1}, float(label)));
                const int loss = g.apply(OpKind::LogLoss, {s, y});
                g.forward();
                g.backward(loss);
                const double t = label ? -double(logit) : double(logit);
                const double want = std::max(t, 0.0) + std::log1p(std::exp(-std::fabs(t)));
                const double got = g.node(loss).value.item();
                const QString what = QString("logit %1, label %2: loss %3, want %4").arg(logit).arg(label).arg(got).arg(want);
                QVERIFY2(std::isfinite(got), qPrintable(what));
                QVERIFY2(std::fabs(got - want) <= 1e-6 * std::max(1.0, want) && (want < 1e-30 || got > 0), qPrintable(what));
                const double wantGrad = 1.0 / (1.0 + std::exp(-double(logit))) - label;
                QVERIFY2(std::fabs(g.node(s).grad[0] - wantGrad) <= 1e-6, qPrintable(what));
            }
    }

    // A NaN input must come out NaN from every op that takes a max or a clamp:
    // std::max(0, NaN) is 0, so the hinge loss (and a pool or maxout that let a
    // finite value beat NaN) hid diverged scores behind finite numbers.
    void maxLikeOpsPropagateNaN_data()
    {
        QTest::addColumn<int>("op");
        QTest::addColumn<int>("position");  // which element is NaN
        for (int pos : {0, 1, 2, 3}) {
            const QString at = QString(" NaN at %1").arg(pos);
            QTest::newRow(qPrintable("relu" + at)) << int(OpKind::Relu) << pos;
            QTest::newRow(qPrintable("max" + at)) << int(OpKind::Max) << pos;
            QTest::newRow(qPrintable("maxout" + at)) << int(OpKind::Maxout) << pos;
            QTest::newRow(qPrintable("maxpool2d 2x2" + at)) << int(OpKind::MaxPool2D) << pos;
            QTest::newRow(qPrintable("maxpool2d 3x3" + at)) << int(OpKind::MaxPool2D) << pos + 100;
            QTest::newRow(qPrintable("hinge_loss" + at)) << int(OpKind::HingeLoss) << pos;
            QTest::newRow(qPrintable("log_loss" + at)) << int(OpKind::LogLoss) << pos;
            QTest::newRow(qPrintable("softmax_cross_entropy" + at)) << int(OpKind::SoftmaxCrossEntropy) << pos;
        }
    }

    void maxLikeOpsPropagateNaN()
    {
        QFETCH(int, op);
        QFETCH(int, position);
        const OpKind kind = OpKind(op);
        const bool general = position >= 100;  // max pool's general path (3×3 window)
        position %= 100;
        const float nan = std::numeric_limits<float>::quiet_NaN();
        Graph g;
        OpAttrs a;
        int out = -1;
        if (kind == OpKind::MaxPool2D) {
            Tensor x = randomTensor(Shape {1, 1, 2, 2}, 3, -1.0, 1.0);
            if (general) x = randomTensor(Shape {1, 1, 3, 3}, 3, -1.0, 1.0);
            x[position] = nan;
            a.size = general ? 3 : 2;
            a.stride = a.size;
            out = g.apply(kind, {g.addVariable("x", x)}, a);
        } else if (kind == OpKind::HingeLoss || kind == OpKind::SoftmaxCrossEntropy || kind == OpKind::LogLoss) {
            const bool binary = kind == OpKind::LogLoss;
            Tensor x = randomTensor(binary ? Shape {4, 1} : Shape {1, 4}, 5, -1.0, 1.0);
            x[position] = nan;
            Tensor y(Shape {binary ? 4 : 1});
            y[0] = binary ? 1.0f : 2.0f;  // the NaN sits on the true class for position 2
            out = g.apply(kind, {g.addVariable("x", x), g.addConstant("y", y)});
        } else if (kind == OpKind::Max) {
            Tensor x = randomTensor(Shape {2, 2}, 7, -1.0, 1.0), z = randomTensor(Shape {2, 2}, 8, -1.0, 1.0);
            (position % 2 ? z : x)[position / 2] = nan;  // NaN in either argument
            out = g.apply(kind, {g.addVariable("x", x), g.addVariable("z", z)});
        } else {
            Tensor x = randomTensor(Shape {1, 4}, 9, -1.0, 1.0);
            if (kind == OpKind::Relu) x[(position + 1) % 4] = -0.5f;
            x[position] = nan;
            if (kind == OpKind::Relu) x[position] = -nan;  // the sign bit set: still NaN, still passed on
            a.pieces = 4;
            out = g.apply(kind, {g.addVariable("x", x)}, a);
        }
        g.forward();
        const Tensor& y = g.node(out).value;
        bool sawNaN = false;
        for (int64_t i = 0; i < y.numel(); ++i) sawNaN = sawNaN || std::isnan(y[i]);
        QVERIFY2(sawNaN, qPrintable(QString(opName(kind)) + " swallowed the NaN"));
    }

    void matmulFlops()
    {
        const Shape in[2] = {Shape {64, 784}, Shape {784, 300}};
        QCOMPARE(opDecl(OpKind::MatMul).flops(in, Shape {64, 300}, {}), 2.0 * 64 * 784 * 300);
    }

private:
    static const std::vector<Case>& cases()
    {
        static const std::vector<Case> v = [] {
            OpAttrs none, scalar3, half, slope, pieces2, drop0, s2p1, d2p2, p1, pool2, pool3s2p1;
            s2p1.stride = 2, s2p1.padding = 1;
            d2p2.dilation = 2, d2p2.padding = 2;
            p1.padding = 1;
            pool2.size = 2, pool2.stride = 2;
            pool3s2p1.size = 3, pool3s2p1.stride = 2, pool3s2p1.padding = 1;
            scalar3.scalar = 3.0f;
            half.scalar = 1.5f;
            slope.scalar = 0.1f;
            pieces2.pieces = 2;
            drop0.scalar = 0.0f;
            const Shape m {3, 4}, none0 {};
            return std::vector<Case> {
                {"add", OpKind::Add, m, m, none},
                {"sub", OpKind::Sub, m, m, none},
                {"mul", OpKind::Mul, m, m, none},
                {"div", OpKind::Div, m, m, none, 0.5, 2.0},
                {"max", OpKind::Max, m, m, none},
                {"neg", OpKind::Neg, m, none0, none},
                {"exp", OpKind::Exp, m, none0, none},
                {"log", OpKind::Log, m, none0, none, 0.5, 2.0},
                {"reciprocal", OpKind::Reciprocal, m, none0, none, 0.5, 2.0},
                {"add_scalar", OpKind::AddScalar, m, none0, scalar3},
                {"mul_scalar", OpKind::MulScalar, m, none0, scalar3},
                {"pow", OpKind::Pow, m, none0, half, 0.5, 2.0},
                {"sigmoid", OpKind::Sigmoid, m, none0, none, -3.0, 3.0},
                {"sigmoid_wide", OpKind::Sigmoid, m, none0, none, -9.0, 9.0},
                {"tanh", OpKind::Tanh, m, none0, none, -2.0, 2.0},
                {"relu", OpKind::Relu, m, none0, none},
                {"leaky_relu", OpKind::LeakyRelu, m, none0, slope},
                {"elu", OpKind::Elu, m, none0, scalar3},
                {"matmul", OpKind::MatMul, Shape {3, 5}, Shape {5, 4}, none},
                {"bias_add", OpKind::BiasAdd, m, Shape {4}, none},
                {"flatten", OpKind::Flatten, Shape {2, 3, 2}, none0, none},
                {"sum", OpKind::Sum, m, none0, none},
                {"mean", OpKind::Mean, m, none0, none},
                {"maxout", OpKind::Maxout, Shape {3, 6}, none0, pieces2},
                {"softmax", OpKind::Softmax, m, none0, none, -2.0, 2.0},
                {"log_softmax", OpKind::LogSoftmax, m, none0, none, -2.0, 2.0},
                {"dropout_rate0", OpKind::Dropout, m, none0, drop0},
                {"mse_loss", OpKind::MseLoss, m, none0, none},
                {"softmax_cross_entropy", OpKind::SoftmaxCrossEntropy, m, none0, none, -2.0, 2.0},
                {"hinge_loss", OpKind::HingeLoss, Shape {4, 3}, none0, none, -0.3, 0.3},
                {"log_loss", OpKind::LogLoss, Shape {5, 1}, none0, none, -2.0, 2.0},
                {"log_loss_wide", OpKind::LogLoss, Shape {6, 1}, none0, none, -12.0, 12.0},
                // convolutional networks
                {"bias_add_channels", OpKind::BiasAdd, Shape {2, 3, 2, 2}, Shape {3}, none},
                {"conv2d", OpKind::Conv2D, Shape {2, 2, 5, 5}, Shape {3, 2, 3, 3}, none},
                {"conv2d_stride2_pad1", OpKind::Conv2D, Shape {2, 2, 6, 5}, Shape {3, 2, 3, 3}, s2p1},
                {"conv2d_dilation2", OpKind::Conv2D, Shape {1, 2, 7, 7}, Shape {2, 2, 3, 3}, d2p2},
                {"conv2d_1x1", OpKind::Conv2D, Shape {2, 3, 3, 3}, Shape {4, 3, 1, 1}, none},
                {"conv2d_2x3_kernel", OpKind::Conv2D, Shape {2, 2, 4, 5}, Shape {2, 2, 2, 3}, p1},
                {"maxpool2d", OpKind::MaxPool2D, Shape {2, 2, 4, 4}, none0, pool2, -1.0, 1.0, none0, true},
                {"maxpool2d_3_stride2_pad1", OpKind::MaxPool2D, Shape {1, 2, 5, 5}, none0, pool3s2p1, -1.0, 1.0, none0,
                 true},
                {"avgpool2d", OpKind::AvgPool2D, Shape {2, 2, 4, 4}, none0, pool2},
                {"avgpool2d_3_stride2_pad1", OpKind::AvgPool2D, Shape {1, 2, 5, 5}, none0, pool3s2p1},
                {"global_avgpool", OpKind::GlobalAvgPool, Shape {2, 3, 3, 2}, none0, none},
                {"batchnorm_images", OpKind::BatchNorm, Shape {3, 2, 2, 2}, Shape {2}, none, -1.0, 1.0, Shape {2}},
                {"batchnorm_rows", OpKind::BatchNorm, Shape {4, 3}, Shape {3}, none, -1.0, 1.0, Shape {3}},
                {"batchnorm_eval", OpKind::BatchNorm, Shape {3, 2, 2, 2}, Shape {2}, none, -1.0, 1.0, Shape {2}, false,
                 true},
                {"concat_images", OpKind::Concat, Shape {2, 2, 2, 2}, Shape {2, 3, 2, 2}, none},
                {"concat_rows", OpKind::Concat, Shape {3, 2}, Shape {3, 4}, none},
            };
        }();
        return v;
    }
};

QTEST_APPLESS_MAIN(OpGradients)
#include "tst_op_gradients.moc"
