// Formulas parse into the engine's own ops; values, gradients and errors.
#include <QtTest/QtTest>

#include <clocale>
#include <functional>
#include <random>

#include "engine/graph/expression.h"
#include "gradcheck.h"

using namespace nn;

namespace {
std::map<std::string, Tensor> scalars(std::initializer_list<std::pair<const char*, float>> v)
{
    std::map<std::string, Tensor> m;
    for (const auto& [k, x] : v) m[k] = Tensor::scalar(x);
    return m;
}
float grad(Expression& e, const char* name) { return e.graph.node(e.variables.at(name)).grad.item(); }
} // namespace

class ExpressionTests : public QObject {
    Q_OBJECT
private slots:
    void seedSigmoidNeuron()
    {
        auto e = parseExpression("1/(1+exp(-(w0*x0+w1*x1+w2)))",
                                 scalars({{"w0", 2}, {"x0", -1}, {"w1", -3}, {"x1", -2}, {"w2", -3}}));
        e.graph.forward();
        e.graph.backward(e.root);
        QVERIFY(qAbs(e.graph.node(e.root).value.item() - 0.7311f) < 1e-4f);
        QVERIFY(qAbs(grad(e, "w0") - -0.1966f) < 1e-4f);
        QVERIFY(qAbs(grad(e, "x0") - 0.3932f) < 1e-4f);
        QVERIFY(qAbs(grad(e, "w1") - -0.3932f) < 1e-4f);
        QVERIFY(qAbs(grad(e, "x1") - -0.5898f) < 1e-4f);
        QVERIFY(qAbs(grad(e, "w2") - 0.1966f) < 1e-4f);
        // The seed's gates: *, +, neg, exp, c+x, 1/x.
        QStringList ops;
        for (int i = 0; i < e.graph.size(); ++i) ops << opName(e.graph.node(i).op);
        QVERIFY(ops.contains("reciprocal"));
        QVERIFY(ops.contains("add_scalar"));
        QVERIFY(ops.contains("exp"));
        QVERIFY(ops.contains("neg"));
        QCOMPARE(QString(opDecl(e.graph.node(e.root).op).derivative[0]), QString("d(1/x)/dx = -1/x^2"));
    }

    void formulasMatchFiniteDifferences_data()
    {
        QTest::addColumn<QString>("formula");
        QTest::newRow("poly") << "x**3 - 2*x*y + y/3";
        QTest::newRow("nested") << "tanh(x*y) + sigmoid(x - y) * exp(-y)";
        QTest::newRow("relu/max") << "relu(x - 0.1) + max(x, y) * 2";
        QTest::newRow("division") << "(x + 2) / (y*y + 1)";
        QTest::newRow("log") << "log(x*x + 1) - 3/(y + 4)";
        QTest::newRow("power-of-constant") << "2**x + y**0.5";
    }

    void formulasMatchFiniteDifferences()
    {
        QFETCH(QString, formula);
        auto e = parseExpression(formula.toStdString(), scalars({{"x", 0.7f}, {"y", 1.3f}}));
        const auto r = nntest::gradCheck(e.graph, e.root, 1e-3, 1e-3);
        QVERIFY2(r.maxRelError < 1e-2, r.worst.c_str());
    }

    // 200 random formulas from a seeded grammar, each checked against central
    // differences. Only smooth gates on safe domains (log and 1/ of something kept
    // positive), so a failure is a wrong derivative, not a kink.
    void randomFormulasMatchFiniteDifferences()
    {
        std::mt19937 rng(20261125);
        // QString, not std::string: GCC 12 warns falsely (-Wrestrict) on "(" + std::string.
        std::function<QString(int)> gen = [&](int depth) -> QString {
            std::uniform_int_distribution<int> pick(0, depth <= 0 ? 2 : 11);
            std::uniform_real_distribution<double> c(0.2, 2.0);
            switch (pick(rng)) {
            case 0: return "x";
            case 1: return "y";
            case 2: return QString::number(c(rng), 'f', 2);
            case 3: return "(" + gen(depth - 1) + " + " + gen(depth - 1) + ")";
            case 4: return "(" + gen(depth - 1) + " - " + gen(depth - 1) + ")";
            case 5: return "(" + gen(depth - 1) + " * " + gen(depth - 1) + ")";
            case 6: return "(" + gen(depth - 1) + " / (1 + " + gen(depth - 1) + "**2))";
            case 7: return "tanh(" + gen(depth - 1) + ")";
            case 8: return "sigmoid(" + gen(depth - 1) + ")";
            case 9: return "exp(-(" + gen(depth - 1) + ")**2)";
            case 10: return "log(1 + (" + gen(depth - 1) + ")**2)";
            default: return "-" + gen(depth - 1);
            }
        };
        std::uniform_real_distribution<float> value(-1.5f, 1.5f);
        for (int i = 0; i < 200; ++i) {
            const QString f = gen(4) + " + x*y";  // both variables always present
            auto e = parseExpression(f.toStdString(), scalars({{"x", value(rng)}, {"y", value(rng)}}));
            const auto r = nntest::gradCheck(e.graph, e.root, 1e-3, 1e-3);
            QVERIFY2(r.maxRelError < 2e-2, qPrintable(f + ": " + QString::fromStdString(r.worst)));
        }
    }

    void tensorSeedExample()
    {
        std::map<std::string, Tensor> v;
        Rng rng(3);
        for (const char* n : {"x", "y", "z"}) {
            Tensor t(Shape {3, 4});
            for (int64_t i = 0; i < 12; ++i) t[i] = float(rng.uniform(-1, 1));
            v[n] = t;
        }
        auto e = parseExpression("sum(x*y + z)", v);
        e.graph.forward();
        e.graph.backward(e.root);
        const Tensor& gx = e.graph.node(e.variables["x"]).grad;
        const Tensor& y = e.graph.node(e.variables["y"]).value;
        for (int64_t i = 0; i < 12; ++i) QCOMPARE(gx[i], y[i]);
        const Tensor& gz = e.graph.node(e.variables["z"]).grad;
        for (int64_t i = 0; i < 12; ++i) QCOMPARE(gz[i], 1.0f);
    }

    void parseErrorsPointAtTheColumn_data()
    {
        QTest::addColumn<QString>("formula");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("words");
        QTest::newRow("unclosed") << "1/(1+exp(-x)" << 13 << "expected ')'";
        QTest::newRow("bad char") << "x + $y" << 5 << "unexpected character";
        QTest::newRow("unknown fn") << "x + foo(x)" << 5 << "unknown function 'foo'";
        QTest::newRow("no value") << "x * w" << 5 << "--set w=";
        QTest::newRow("trailing") << "x x" << 3 << "after a complete formula";
        QTest::newRow("empty") << "" << 1 << "empty";
        QTest::newRow("ends early") << "x +" << 4 << "ends too early";
        QTest::newRow("zero div") << "x / 0" << 3 << "division by the constant zero";
    }

    void parseErrorsPointAtTheColumn()
    {
        QFETCH(QString, formula);
        QFETCH(int, column);
        QFETCH(QString, words);
        try {
            parseExpression(formula.toStdString(), scalars({{"x", 1}}));
            QFAIL("expected a parse error");
        } catch (const ParseError& e) {
            QVERIFY2(QString(e.what()).contains(words), e.what());
            QCOMPARE(e.column(), column);
            QVERIFY(QString(e.what()).contains("^"));
        }
    }

    void unusedValueIsAnError()
    {
        QVERIFY_THROWS_EXCEPTION(Error, parseExpression("x*2", scalars({{"x", 1}, {"q", 2}})));
        QVERIFY_THROWS_EXCEPTION(Error, parseExpression("2*3", {}));
    }

    void nanStartIsFound()
    {
        auto e = parseExpression("log(x-1) * 2", scalars({{"x", 1}}));
        e.graph.forward();
        const int bad = e.graph.firstNonFinite();
        QVERIFY(bad >= 0);
        QCOMPARE(QString(opName(e.graph.node(bad).op)), QString("log"));
    }

    // Numbers read the same in every locale: std::stod stopped at the '.' of
    // "0.5" under de_DE (decimal comma) and threw std::invalid_argument out of
    // the stepper's Qt slot. An out-of-range literal is a ParseError, not std::out_of_range.
    void numbersIgnoreTheLocale()
    {
        if (!std::setlocale(LC_ALL, "de_DE.UTF-8"))
            QFAIL("the de_DE.UTF-8 locale is not installed: run packaging/setup.sh (it generates it)");
        double value = 0, tiny = 0;
        QString error;
        try {
            auto e = parseExpression("0.5*x + .25 + 1e-1*x", scalars({{"x", 2}}));
            e.graph.forward();
            value = e.graph.node(e.root).value.item();
            auto t = parseExpression("x*2.5E-3", scalars({{"x", 4}}));
            t.graph.forward();
            tiny = t.graph.node(t.root).value.item();
            parseExpression("x*1e999", scalars({{"x", 1}}));
        } catch (const ParseError& e) {
            error = e.what();
            QCOMPARE(e.column(), 3);
        } catch (const std::exception& e) {
            error = QString("not a ParseError: ") + e.what();
        }
        std::setlocale(LC_ALL, "C");
        QVERIFY2(qAbs(value - 1.45) < 1e-6, qPrintable(QString::number(value)));
        QVERIFY2(qAbs(tiny - 0.01) < 1e-7, qPrintable(QString::number(tiny)));
        QVERIFY2(error.contains("'1e999' is too large"), qPrintable(error));
    }
};

QTEST_APPLESS_MAIN(ExpressionTests)
#include "tst_expression.moc"
