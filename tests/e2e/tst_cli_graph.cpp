// nnstudio-cli graph end to end: the seed's sigmoid neuron, NaN reporting and
// parse errors, as a user would run them.
#include <QtTest/QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <cmath>

class CliGraph : public QObject {
    Q_OBJECT
private:
    struct Run {
        int code;
        QList<QJsonObject> lines;
        QString err;
    };
    Run run(const QStringList& args)
    {
        QProcess p;
        p.start(QString(qgetenv("NN_CLI")), QStringList {"graph"} + args);
        p.waitForFinished(30000);
        Run r {p.exitCode(), {}, QString::fromUtf8(p.readAllStandardError())};
        for (const QByteArray& line : p.readAllStandardOutput().split('\n'))
            if (!line.trimmed().isEmpty()) r.lines << QJsonDocument::fromJson(line).object();
        return r;
    }

private slots:
    void seedNeuron()
    {
        const Run r = run({"--expr", "1/(1+exp(-(w0*x0+w1*x1+w2)))", "--set", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--json"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.lines.size() > 5);
        const QJsonObject final = r.lines.last();
        QVERIFY(final["final"].toBool());
        QVERIFY(qAbs(final["value"].toDouble() - 0.7311) < 1e-4);
        const QJsonObject g = final["grads"].toObject();
        const QJsonObject n = final["numeric_grads"].toObject();
        const QList<QPair<QString, double>> expected {{"w0", -0.1966}, {"x0", 0.3932}, {"w1", -0.3932}, {"x1", -0.5898}, {"w2", 0.1966}};
        for (const auto& [name, value] : expected) {
            QVERIFY2(qAbs(g[name].toDouble() - value) < 1e-4, qPrintable(name));
            QVERIFY2(qAbs(n[name].toDouble() - value) < 1e-3, qPrintable(name));
        }
        QVERIFY(final["max_relative_error"].toDouble() < 1e-2);
        // Each node line: op, value, local derivatives, upstream gradient, chain products.
        bool sawReciprocal = false;
        for (const QJsonObject& node : r.lines.mid(0, r.lines.size() - 1)) {
            QVERIFY(node.contains("op") && node.contains("value") && node.contains("upstream_gradient"));
            if (node["op"].toString() == "reciprocal") {
                sawReciprocal = true;
                QVERIFY(qAbs(node["local_derivatives"].toArray()[0].toDouble() - -0.5344) < 1e-3);
                QVERIFY(qAbs(node["upstream_gradient"].toDouble() - 1.0) < 1e-6);
                QVERIFY(qAbs(node["chain_products"].toArray()[0].toDouble() - -0.5344) < 1e-3);
                QCOMPARE(node["derivative_formulas"].toArray()[0].toString(), QString("d(1/x)/dx = -1/x^2"));
            }
        }
        QVERIFY(sawReciprocal);
    }

    // Issue 22 item 6: the CLI's check is the stepper's: in double, with a bound.
    // A float32 central difference of this sum was 1.9073e-4 (exact 1.8842e-4).
    void numericCheckIsAccurate()
    {
        QStringList terms;
        for (int k = 1; k <= 30; ++k) terms << QString("tanh(x*%1+y)").arg(k);
        const Run r = run({"--expr", terms.join("+"), "--set", "x=2,y=3", "--json"});
        QCOMPARE(r.code, 0);
        const QJsonObject final = r.lines.last();
        double exact = 0;
        for (int k = 1; k <= 30; ++k) exact += k * (1 - std::pow(std::tanh(2.0 * k + 3.0), 2));
        const double numeric = final["numeric_grads"].toObject()["x"].toDouble();
        QVERIFY2(std::fabs(numeric - exact) < 1e-6 * exact, qPrintable(QString::number(numeric, 'e', 6)));
        QVERIFY(final["numeric_bounds"].toObject()["x"].toDouble() < 1e-3 * exact);
        QVERIFY(final["check_passes"].toObject()["x"].toBool());
        QVERIFY(final["check_passes"].toObject()["y"].toBool());
    }

    // One real training step, walked node by node: tensor nodes summarised, and the
    // parameter gradients equal (bit for bit) to the trainer's for that step.
    void modelStepMatchesTrainer_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("data");
        QTest::newRow("spiral-mlp") << "spiral-mlp" << "spiral";
        QTest::newRow("lenet5") << "lenet5" << "fashion-mnist";
    }
    void modelStepMatchesTrainer()
    {
        QFETCH(QString, model);
        QFETCH(QString, data);
        const QString spec = QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/" + model + ".json";
        const Run r = run({"--model", spec, "--data", data, "--sample", "5", "--limit", "300", "--json"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject final = r.lines.last();
        QVERIFY(final["final"].toBool());
        QVERIFY(final["trainer_grads_identical"].toBool());
        QCOMPARE(final["trainer_max_abs_diff"].toDouble(), 0.0);
        QVERIFY(final["loss"].toDouble() > 0);
        QCOMPARE(final["sample"].toInt(), 5);
        const QJsonObject grads = final["grads"].toObject();
        QVERIFY(grads.size() >= 6);  // weight and bias of every dense or conv layer
        for (const QString& name : grads.keys()) {
            const QJsonValue g = grads[name];
            QVERIFY2(g.isObject() && g.toObject().contains("shape"), qPrintable(name));
        }
        // Node lines: the input is a tensor with its shape; big ones are summarised.
        bool sawSummary = false;
        for (const QJsonObject& node : r.lines.mid(0, r.lines.size() - 1)) {
            const QJsonObject v = node["value"].toObject();
            if (v.contains("norm")) {
                sawSummary = true;
                QVERIFY(v.contains("min") && v.contains("max") && v.contains("mean") && v.contains("shape"));
            }
        }
        QVERIFY(sawSummary);  // every sample model has a weight of more than 64 elements
    }

    void modelStepBadSample()
    {
        const QString spec = QString(qgetenv("NN_SOURCE_DIR")) + "/assets/models/spiral-mlp.json";
        const Run r = run({"--model", spec, "--data", "spiral", "--sample", "99999"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("--sample") && r.err.contains("between 0 and 349"), qPrintable(r.err));
    }

    void nanIsNamed()
    {
        const Run r = run({"--expr", "log(x-1)", "--set", "x=1", "--json"});
        QCOMPARE(r.code, 0);
        const QJsonObject bad = r.lines.last()["non_finite"].toObject();
        QVERIFY(bad["message"].toString().contains("log"));
    }

    void parseErrorExitsWithColumn()
    {
        const Run r = run({"--expr", "1/(1+exp(-x)", "--set", "x=1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("column 13"), qPrintable(r.err));
        const Run s = run({"--expr", "x*y", "--set", "x=1"});
        QCOMPARE(s.code, 1);
        QVERIFY(s.err.contains("--set y="));
        const Run t = run({"--expr", "x", "--set", "x=abc"});
        QCOMPARE(t.code, 1);
        QVERIFY(t.err.contains("not a number"));
    }
};

QTEST_GUILESS_MAIN(CliGraph)
#include "tst_cli_graph.moc"
