// The autograd graph built by hand: the seed's sigmoid neuron from primitive ops,
// stepping forward/backward node by node (bit-identical to whole passes), the
// per-edge chain-rule inspection (contribution / localDerivative), locating the
// first non-finite node, gradient accumulation, unreached variables, and a
// tensor-valued graph.
#include <QtTest/QtTest>

#include <cmath>
#include <vector>

#include "engine/core/error.h"
#include "engine/core/random.h"
#include "engine/graph/graph.h"

using namespace nn;

namespace {

// The sigmoid neuron f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2))) of the seed's
// "backprop by hand" lesson, every input a Variable.
struct Neuron {
    Graph g;
    int w0, x0, w1, x1, w2;
    int mul0, mul1, dot, z, neg, exp, plus1, out;

    Neuron()
    {
        w0 = g.addVariable("w0", Tensor::scalar(2.0f));
        x0 = g.addVariable("x0", Tensor::scalar(-1.0f));
        w1 = g.addVariable("w1", Tensor::scalar(-3.0f));
        x1 = g.addVariable("x1", Tensor::scalar(-2.0f));
        w2 = g.addVariable("w2", Tensor::scalar(-3.0f));
        mul0 = g.apply(OpKind::Mul, {w0, x0}, {}, "w0*x0");
        mul1 = g.apply(OpKind::Mul, {w1, x1}, {}, "w1*x1");
        dot = g.apply(OpKind::Add, {mul0, mul1}, {}, "dot");
        z = g.apply(OpKind::Add, {dot, w2}, {}, "z");
        neg = g.apply(OpKind::Neg, {z}, {}, "-z");
        exp = g.apply(OpKind::Exp, {neg}, {}, "exp");
        OpAttrs one;
        one.scalar = 1.0f;
        plus1 = g.apply(OpKind::AddScalar, {exp}, one, "1+exp");
        out = g.apply(OpKind::Reciprocal, {plus1}, {}, "f");
    }
    std::vector<int> variables() const { return {w0, x0, w1, x1, w2}; }
};

Tensor randomTensor(const Shape& s, uint64_t seed)
{
    Rng rng(seed);
    Tensor t(s);
    for (int64_t i = 0; i < t.numel(); ++i) t[i] = float(rng.uniform(-2.0, 2.0));
    return t;
}

bool near(double a, double b, double tol = 1e-4) { return std::fabs(a - b) <= tol; }

QByteArray msg(double got, double want)
{
    return QByteArray("got ") + QByteArray::number(got, 'g', 9) + ", want " + QByteArray::number(want, 'g', 9);
}

#define VERIFY_NEAR(got, want)                                                                                         \
    do {                                                                                                               \
        const double got_ = (got), want_ = (want);                                                                     \
        QVERIFY2(near(got_, want_), msg(got_, want_).constData());                                                     \
    } while (false)

} // namespace

class GraphStepping : public QObject {
    Q_OBJECT
private slots:
    // (a) value and gradients of the seed's neuron, built from primitive ops.
    void sigmoidNeuronByHand()
    {
        Neuron n;
        n.g.forward();
        n.g.backward(n.out);
        VERIFY_NEAR(n.g.node(n.out).value.item(), 0.7311);
        VERIFY_NEAR(n.g.node(n.w0).grad.item(), -0.1966);
        VERIFY_NEAR(n.g.node(n.x0).grad.item(), 0.3932);
        VERIFY_NEAR(n.g.node(n.w1).grad.item(), -0.3932);
        VERIFY_NEAR(n.g.node(n.x1).grad.item(), -0.5898);
        VERIFY_NEAR(n.g.node(n.w2).grad.item(), 0.1966);
        // The intermediate values of the lesson's table.
        VERIFY_NEAR(n.g.node(n.z).value.item(), 1.0);
        VERIFY_NEAR(n.g.node(n.exp).value.item(), 0.3679);
        VERIFY_NEAR(n.g.node(n.plus1).value.item(), 1.3679);
        // The root's own gradient is seeded with one.
        QCOMPARE(n.g.node(n.out).grad.item(), 1.0f);
    }

    // (b) stepping node by node is the same computation as whole passes.
    void steppingMatchesWholePasses()
    {
        Neuron whole;
        whole.g.forward();
        whole.g.backward(whole.out);

        Neuron stepped;
        Graph& g = stepped.g;
        QCOMPARE(g.forwardCursor(), 0);
        // Forward: leaves (the five variables) are skipped; every op node is
        // evaluated in order and the cursor points just past it.
        std::vector<int> forwardAfter;
        while (g.stepForward()) forwardAfter.push_back(g.forwardCursor());
        const std::vector<int> expectedForward {stepped.mul0 + 1, stepped.mul1 + 1, stepped.dot + 1,
                                                stepped.z + 1,    stepped.neg + 1,  stepped.exp + 1,
                                                stepped.plus1 + 1, stepped.out + 1};
        QCOMPARE(forwardAfter, expectedForward);
        QCOMPARE(g.forwardCursor(), g.size());
        QVERIFY(!g.stepForward());  // stays done
        QCOMPARE(g.forwardCursor(), g.size());
        for (int i = 0; i < g.size(); ++i) QCOMPARE(g.node(i).value.item(), whole.g.node(i).value.item());

        // Backward: the cursor starts at the root and walks back over op nodes.
        QCOMPARE(g.backwardCursor(), -1);
        g.beginBackward(stepped.out);
        std::vector<int> visited;
        for (;;) {
            const int at = g.backwardCursor();
            if (!g.stepBackward()) break;
            visited.push_back(at);
        }
        const std::vector<int> expectedBackward {stepped.out, stepped.plus1, stepped.exp,  stepped.neg,
                                                 stepped.z,   stepped.dot,   stepped.mul1, stepped.mul0};
        QCOMPARE(visited, expectedBackward);
        QCOMPARE(g.backwardCursor(), -1);
        QVERIFY(!g.stepBackward());
        for (int i = 0; i < g.size(); ++i) {
            if (!g.node(i).requiresGrad) continue;
            QCOMPARE(g.node(i).grad.item(), whole.g.node(i).grad.item());
        }

        // resetForward re-runs the same kernels: identical values again.
        g.node(stepped.w0).value[0] = 5.0f;
        g.resetForward();
        QCOMPARE(g.forwardCursor(), 0);
        int steps = 0;
        while (g.stepForward()) ++steps;
        QCOMPARE(steps, 8);
        whole.g.node(whole.w0).value[0] = 5.0f;
        whole.g.forward();
        QCOMPARE(g.node(stepped.out).value.item(), whole.g.node(whole.out).value.item());
    }

    // Stepping a tensor graph (matmul, bias, tanh, loss) also matches bit for bit.
    void steppingMatchesOnTensors()
    {
        auto build = [](Graph& g, int& loss) {
            const int x = g.addInput("x", Shape {4, 3});
            const int w = g.addVariable("w", randomTensor(Shape {3, 5}, 2));
            const int b = g.addVariable("b", randomTensor(Shape {5}, 3));
            const int y = g.addInput("y", Shape {4});
            const Tensor xs = randomTensor(Shape {4, 3}, 4);
            g.node(x).value.copyFrom(xs);
            for (int i = 0; i < 4; ++i) g.node(y).value[i] = float(i % 5);
            const int m = g.apply(OpKind::MatMul, {x, w});
            const int h = g.apply(OpKind::BiasAdd, {m, b});
            const int t = g.apply(OpKind::Tanh, {h});
            loss = g.apply(OpKind::SoftmaxCrossEntropy, {t, y});
        };
        Graph a, b;
        int la = -1, lb = -1;
        build(a, la);
        build(b, lb);
        a.forward();
        a.backward(la);
        while (b.stepForward()) {
        }
        b.beginBackward(lb);
        while (b.stepBackward()) {
        }
        for (int i = 0; i < a.size(); ++i) {
            QCOMPARE(b.node(i).value.toVector(), a.node(i).value.toVector());
            if (a.node(i).requiresGrad) QCOMPARE(b.node(i).grad.toVector(), a.node(i).grad.toVector());
        }
    }

    // (c) per-edge chain rule: contribution = upstream * local derivative.
    void contributionAndLocalDerivative()
    {
        Neuron n;
        n.g.forward();
        n.g.backward(n.out);
        const float x = n.g.node(n.plus1).value.item();
        VERIFY_NEAR(x, 1.3679);
        const float upstream = n.g.node(n.out).grad.item();
        QCOMPARE(upstream, 1.0f);
        const float local = n.g.localDerivative(n.out, 0).item();
        VERIFY_NEAR(local, -0.5344);
        VERIFY_NEAR(local, -1.0 / (double(x) * x));
        const float contrib = n.g.contribution(n.out, 0).item();
        VERIFY_NEAR(contrib, -0.5344);
        VERIFY_NEAR(contrib, double(upstream) * local);
        // ... and that product is what backward delivered to the input.
        QCOMPARE(n.g.node(n.plus1).grad.item(), contrib);

        // One edge further down: AddScalar passes its upstream through unchanged.
        VERIFY_NEAR(n.g.localDerivative(n.plus1, 0).item(), 1.0);
        QCOMPARE(n.g.contribution(n.plus1, 0).item(), n.g.node(n.exp).grad.item());

        // d exp(x)/dx = exp(x), at x = -1.
        const float ex = n.g.localDerivative(n.exp, 0).item();
        VERIFY_NEAR(ex, std::exp(double(n.g.node(n.neg).value.item())));
        VERIFY_NEAR(ex, 0.3679);
        // Mul's local derivatives are the other factor.
        QCOMPARE(n.g.localDerivative(n.mul0, 0).item(), -1.0f);  // d(w0*x0)/dw0 = x0
        QCOMPARE(n.g.localDerivative(n.mul0, 1).item(), 2.0f);   // d(w0*x0)/dx0 = w0

        // Inspection never changes the graph's gradients.
        std::vector<float> before;
        for (int i = 0; i < n.g.size(); ++i) before.push_back(n.g.node(i).grad.item());
        for (int i = 0; i < n.g.size(); ++i)
            for (int k = 0; k < n.g.arity(i); ++k) {
                n.g.contribution(i, k);
                n.g.localDerivative(i, k);
            }
        for (int i = 0; i < n.g.size(); ++i) QCOMPARE(n.g.node(i).grad.item(), before[size_t(i)]);
    }

    // Elementwise, on tensors: contribution[i] == upstream[i] * local[i].
    void contributionOnTensors()
    {
        Graph g;
        const int x = g.addVariable("x", randomTensor(Shape {2, 3}, 5));
        for (int64_t i = 0; i < 6; ++i) g.node(x).value[i] = 0.5f + float(i) * 0.25f;  // away from zero
        const int r = g.apply(OpKind::Reciprocal, {x}, {}, "r");
        const int root = g.apply(OpKind::Sum, {g.apply(OpKind::Mul, {r, g.addConstant("c", randomTensor(Shape {2, 3}, 6))})});
        g.forward();
        g.backward(root);
        const Tensor up = g.node(r).grad;
        const Tensor local = g.localDerivative(r, 0);
        const Tensor contrib = g.contribution(r, 0);
        for (int64_t i = 0; i < 6; ++i) {
            const double xi = g.node(x).value[i];
            VERIFY_NEAR(local[i], -1.0 / (xi * xi));
            VERIFY_NEAR(contrib[i], double(up[i]) * local[i]);
            QCOMPARE(g.node(x).grad[i], contrib[i]);
        }
    }

    // (d) the first non-finite node in forward order.
    void firstNonFinite()
    {
        Graph g;
        const int x = g.addVariable("x", Tensor::scalar(1.0f));
        OpAttrs minus1;
        minus1.scalar = -1.0f;
        const int shifted = g.apply(OpKind::AddScalar, {x}, minus1, "x-1");
        const int log = g.apply(OpKind::Log, {shifted}, {}, "log");
        const int after = g.apply(OpKind::Neg, {log}, {}, "-log");
        QCOMPARE(g.firstNonFinite(), -1);  // nothing evaluated yet: all zeros
        g.forward();
        QVERIFY(std::isfinite(g.node(shifted).value.item()));
        QCOMPARE(g.node(shifted).value.item(), 0.0f);
        QVERIFY(!std::isfinite(g.node(log).value.item()));
        QVERIFY(!std::isfinite(g.node(after).value.item()));
        QCOMPARE(g.firstNonFinite(), log);
        const QString d = QString::fromStdString(g.describe(log));
        QVERIFY2(d.contains("'log'") && d.contains("x-1"), qPrintable(d));

        g.node(x).value[0] = 2.0f;
        g.forward();
        QCOMPARE(g.firstNonFinite(), -1);
    }

    // (e) a variable used twice receives the sum of both contributions.
    void gradientAccumulates()
    {
        Graph g;
        const int x = g.addVariable("x", Tensor::scalar(3.0f));
        const int sq = g.apply(OpKind::Mul, {x, x}, {}, "x*x");
        g.forward();
        g.backward(sq);
        QCOMPARE(g.node(x).grad.item(), 6.0f);
        // A second backward starts afresh (no accumulation across passes).
        g.backward(sq);
        QCOMPARE(g.node(x).grad.item(), 6.0f);

        // x*x + x: two paths, 2x + 1.
        const int y = g.apply(OpKind::Add, {sq, x}, {}, "x*x+x");
        g.forward();
        g.backward(y);
        QCOMPARE(g.node(x).grad.item(), 7.0f);
        QCOMPARE(g.node(y).value.item(), 12.0f);

        // Element-wise on a tensor too.
        Graph t;
        const Tensor v = randomTensor(Shape {3, 4}, 9);
        const int tx = t.addVariable("x", v);
        const int root = t.apply(OpKind::Sum, {t.apply(OpKind::Mul, {tx, tx})});
        t.forward();
        t.backward(root);
        for (int64_t i = 0; i < v.numel(); ++i) QCOMPARE(t.node(tx).grad[i], 2.0f * v[i]);
    }

    // (f) a variable the root does not depend on ends with a zero gradient, even
    // when a previous backward pass gave it one.
    void unreachedVariableHasZeroGrad()
    {
        Graph g;
        const int a = g.addVariable("a", Tensor::scalar(2.0f));
        const int b = g.addVariable("b", Tensor::scalar(5.0f));
        const int c = g.addVariable("c", Tensor::scalar(7.0f));  // never used
        const int ab = g.apply(OpKind::Mul, {a, b}, {}, "a*b");
        const int aa = g.apply(OpKind::Mul, {a, a}, {}, "a*a");
        g.forward();
        g.backward(ab);
        QCOMPARE(g.node(b).grad.item(), 2.0f);
        QCOMPARE(g.node(a).grad.item(), 5.0f);
        QCOMPARE(g.node(c).grad.item(), 0.0f);
        g.backward(aa);
        QCOMPARE(g.node(a).grad.item(), 4.0f);
        QCOMPARE(g.node(b).grad.item(), 0.0f);
        QCOMPARE(g.node(c).grad.item(), 0.0f);
        // Stepping delivers the same zero.
        g.backward(ab);
        g.beginBackward(aa);
        while (g.stepBackward()) {
        }
        QCOMPARE(g.node(b).grad.item(), 0.0f);
    }

    // The same promise when the root is itself a Variable: d(b)/d(b) = 1, and
    // every other variable (stale from an earlier pass) must read zero.
    void unreachedVariableZeroWhenRootIsVariable()
    {
        Graph g;
        const int a = g.addVariable("a", Tensor::scalar(2.0f));
        const int b = g.addVariable("b", Tensor::scalar(5.0f));
        const int ab = g.apply(OpKind::Mul, {a, b}, {}, "a*b");
        g.forward();
        g.backward(ab);
        QCOMPARE(g.node(a).grad.item(), 5.0f);
        g.backward(b);
        QCOMPARE(g.node(b).grad.item(), 1.0f);
        QCOMPARE(g.node(a).grad.item(), 0.0f);
    }

    // (g) backward from a node that depends on no variable is a user error.
    void backwardWithoutVariablesThrows()
    {
        Graph g;
        const int c = g.addConstant("c", Tensor::scalar(3.0f));
        const int in = g.addInput("x", Shape {});
        const int cc = g.apply(OpKind::Mul, {c, in}, {}, "c*x");
        g.forward();
        QVERIFY_THROWS_EXCEPTION(Error, g.backward(cc));
        QVERIFY_THROWS_EXCEPTION(Error, g.beginBackward(cc));
        QVERIFY_THROWS_EXCEPTION(Error, g.backward(c));
        QVERIFY_THROWS_EXCEPTION(Error, g.backward(99));
        QVERIFY_THROWS_EXCEPTION(Error, g.backward(-1));
        try {
            g.backward(cc);
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("c*x"), e.what());
        }
    }

    // Graphs are returned by value (Model::build) and moved into place (the
    // trainer's slots). A moved graph must draw its dropout masks from its own
    // seeded Rng, not from the graph it was moved from.
    void movedGraphUsesItsOwnRng()
    {
        auto build = [](Graph& g) {
            const int x = g.addVariable("x", Tensor::full(Shape {4, 16}, 1.0f));
            OpAttrs half;
            half.scalar = 0.5f;
            return g.apply(OpKind::Dropout, {x}, half, "drop");
        };
        Graph direct;
        const int d = build(direct);
        direct.seed(3);
        direct.forward();

        Graph source;
        const int m = build(source);
        Graph moved = std::move(source);  // `source` stays alive (moved-from)
        moved.seed(3);
        moved.forward();
        QCOMPARE(moved.node(m).value.toVector(), direct.node(d).value.toVector());

        // Move assignment, as in `slot.built = model.build(...)`.
        Graph tmp;
        const int t = build(tmp);
        Graph assigned;
        assigned = std::move(tmp);
        assigned.seed(3);
        assigned.forward();
        QCOMPARE(assigned.node(t).value.toVector(), direct.node(d).value.toVector());
    }

    // (h) sum(x*y + z) on 3x4 tensors.
    void tensorGraph()
    {
        Graph g;
        const Tensor xv = randomTensor(Shape {3, 4}, 21), yv = randomTensor(Shape {3, 4}, 22),
                     zv = randomTensor(Shape {3, 4}, 23);
        const int x = g.addVariable("x", xv);
        const int y = g.addVariable("y", yv);
        const int z = g.addVariable("z", zv);
        const int xy = g.apply(OpKind::Mul, {x, y});
        const int s = g.apply(OpKind::Add, {xy, z});
        const int root = g.apply(OpKind::Sum, {s});
        QCOMPARE(g.node(root).value.shape().rank(), 0);
        g.forward();
        double expect = 0;
        for (int64_t i = 0; i < 12; ++i) expect += double(xv[i]) * yv[i] + zv[i];
        VERIFY_NEAR(g.node(root).value.item(), expect);
        g.backward(root);
        QCOMPARE(g.node(x).grad.shape(), Shape({3, 4}));
        QCOMPARE(g.node(x).grad.toVector(), yv.toVector());
        QCOMPARE(g.node(y).grad.toVector(), xv.toVector());
        QCOMPARE(g.node(z).grad.toVector(), std::vector<float>(12, 1.0f));
    }
};

QTEST_APPLESS_MAIN(GraphStepping)
#include "tst_graph_stepping.moc"
