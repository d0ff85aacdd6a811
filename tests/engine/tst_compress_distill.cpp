// Distillation (engine/compress/distill): soft targets by hand, the composed loss
// against α·T²·KL + (1 − α)·CE computed here, its gradient at the logits against
// the closed form α·T·(q − p)/B + (1 − α)(softmax(z) − y)/B, a finite-difference
// check through every student parameter, α = 0 reproducing the Trainer bit for
// bit, and a student that learns from a teacher on 2-D data.
#include <QtTest/QtTest>

#include <cmath>

#include "engine/compress/distill.h"
#include "engine/core/error.h"
#include "engine/core/random.h"
#include "engine/io/inference.h"
#include "gradcheck.h"

using namespace nn;
using namespace nn::compress;

namespace {

const char* kTeacher = R"({"name": "teacher", "input": {"shape": [2]},
  "layers": [{"id": "h1", "type": "dense", "units": 24, "activation": "relu"},
             {"id": "h2", "type": "dense", "units": 24, "activation": "relu"},
             {"id": "out", "type": "dense", "units": "auto"}],
  "loss": "softmax_cross_entropy"})";
const char* kStudent = R"({"name": "student", "input": {"shape": [2]},
  "layers": [{"id": "h1", "type": "dense", "units": 4, "activation": "tanh"},
             {"id": "out", "type": "dense", "units": "auto"}],
  "loss": "softmax_cross_entropy"})";

data::Split spiral() { return data::splitDataset(data::makeSpiral({450, 0.1, 4, 3}), 0.1, 0.3, 3); }

TrainConfig config(int epochs)
{
    TrainConfig c;
    c.epochs = epochs;
    c.batch = 16;
    c.lr = 0.01f;
    return c;
}

std::vector<double> softmax(const float* z, int c, double t)
{
    std::vector<double> p(static_cast<size_t>(c));
    double top = z[0], sum = 0;
    for (int k = 1; k < c; ++k) top = std::max(top, double(z[k]));
    for (int k = 0; k < c; ++k) sum += p[size_t(k)] = std::exp((z[k] - top) / t);
    for (double& v : p) v /= sum;
    return p;
}

// A distillation graph for a random student, batch and teacher targets.
struct Fixture {
    Model student;
    DistillGraph d;
    std::vector<float> probs;
    std::vector<int> labels;
};

Fixture fixture(float t, float alpha, int batch = 3)
{
    Fixture f {Model(ModelSpec::fromString(kStudent), {2}, 3), {}, {}, {}};
    f.student.initialize(5);
    f.d = buildDistillGraph(f.student, batch, t, alpha);
    Rng r(8);
    Graph& g = f.d.built.graph;
    Tensor& x = g.node(f.d.built.input).value;
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = float(r.normal());
    std::vector<float> teacherLogits(size_t(batch) * 3);
    for (float& z : teacherLogits) z = float(r.normal(0, 3));
    f.probs = softTargets(teacherLogits.data(), size_t(batch), 3, t);
    setTeacherTargets(f.d, f.probs.data());
    for (int i = 0; i < batch; ++i) {
        f.labels.push_back(int(r.below(3)));
        g.node(f.d.built.labels).value[i] = float(f.labels.back());
    }
    return f;
}

} // namespace

class CompressDistillTest : public QObject {
    Q_OBJECT
private slots:
    void softTargetsByHand()
    {
        const float z[] = {0.0f, 2.0f, 1.0f, 1.0f};
        const std::vector<float> p = softTargets(z, 2, 2, 2.0f);
        const double e = std::exp(1.0);
        QVERIFY(std::fabs(p[0] - 1 / (1 + e)) < 1e-6);
        QVERIFY(std::fabs(p[1] - e / (1 + e)) < 1e-6);
        QCOMPARE(p[2], 0.5f);
        // Higher temperature, softer targets.
        QVERIFY(softTargets(z, 1, 2, 8.0f)[1] < p[1]);
        QVERIFY_THROWS_EXCEPTION(Error, softTargets(z, 1, 2, 0.0f));
    }

    void lossAndLogitGradientMatchTheFormula()
    {
        for (float alpha : {0.0f, 0.3f, 1.0f}) {
            const float t = 3.0f;
            Fixture f = fixture(t, alpha, 4);
            Graph& g = f.d.built.graph;
            g.forward();
            g.backward(f.d.loss);
            const int b = 4, c = 3;
            const float* z = g.node(f.d.built.output).value.data();
            double kl = 0, ce = 0;
            for (int i = 0; i < b; ++i) {
                const auto q = softmax(z + i * c, c, t), s = softmax(z + i * c, c, 1);
                ce -= std::log(s[size_t(f.labels[size_t(i)])]);
                for (int k = 0; k < c; ++k) {
                    const double p = f.probs[size_t(i * c + k)];
                    kl += p * (std::log(p) - std::log(q[size_t(k)]));
                    const double want = alpha * t * (q[size_t(k)] - p) / b
                                        + (1 - alpha) * (s[size_t(k)] - (k == f.labels[size_t(i)])) / b;
                    QVERIFY2(std::fabs(g.node(f.d.built.output).grad[i * c + k] - want) < 1e-5,
                             qPrintable(QString("alpha %1 [%2,%3]").arg(alpha).arg(i).arg(k)));
                }
            }
            const double want = alpha * t * t * kl / b + (1 - alpha) * ce / b;
            QVERIFY(std::fabs(g.node(f.d.loss).value.item() - want) < 1e-5 * std::max(1.0, want));
            QVERIFY(std::fabs(g.node(f.d.soft).value.item() - alpha * t * t * kl / b) < 1e-5);
        }
    }

    void finiteDifferenceGradientCheck()
    {
        Fixture f = fixture(2.5f, 0.7f, 3);
        const auto r = nntest::gradCheck(f.d.built.graph, f.d.loss, 1e-2, 1e-2);
        QVERIFY2(r.maxRelError < 2e-2, r.worst.c_str());
    }

    void alphaZeroIsPlainTraining()
    {
        const data::Split split = spiral();
        Model a(ModelSpec::fromString(kStudent), split.train.sampleShape, split.train.numClasses);
        Model b(ModelSpec::fromString(kStudent), split.train.sampleShape, split.train.numClasses);
        Model teacher(ModelSpec::fromString(kTeacher), split.train.sampleShape, split.train.numClasses);
        teacher.initialize(2);
        Trainer plain(a, split, config(3));
        plain.run();
        DistillConfig dc;
        dc.alpha = 0;
        dc.train = config(3);
        Distiller distill(b, teacher, split, dc);
        distill.run();
        QCOMPARE(distill.result().steps, plain.result().steps);
        for (size_t i = 0; i < a.parameters().size(); ++i)
            QCOMPARE(b.parameters()[i].value.toVector(), a.parameters()[i].value.toVector());
        QCOMPARE(distill.result().testAccuracy, plain.result().testAccuracy);
    }

    // With α = 1 the labels are never seen: all the student knows comes through
    // the soft targets, so it must agree with the teacher far above chance.
    void studentLearnsFromTheTeacherAlone()
    {
        const data::Split split = spiral();
        Model teacher(ModelSpec::fromString(kTeacher), split.train.sampleShape, split.train.numClasses);
        Trainer t(teacher, split, config(40));
        t.run();
        QVERIFY2(t.result().testAccuracy > 0.75, qPrintable(QString::number(t.result().testAccuracy)));
        std::string student = kTeacher;
        student.replace(student.find("\"teacher\""), 9, "\"student\"");
        Model s(ModelSpec::fromString(student), split.train.sampleShape, split.train.numClasses);
        DistillConfig dc;
        dc.temperature = 2;
        dc.alpha = 1;
        dc.train = config(100);
        dc.train.seed = 7;  // not the teacher's initial weights
        Distiller d(s, teacher, split, dc);
        std::vector<double> losses;
        d.onEpoch = [&](const EpochMetrics& m) { losses.push_back(m.trainLoss); };
        d.run();
        QCOMPARE(d.result().status, TrainStatus::Completed);
        QCOMPARE(int(losses.size()), 100);
        QVERIFY(losses.back() < 0.2 * losses.front());  // T² · KL to the teacher shrinks
        QCOMPARE(d.result().teacherTestAccuracy, t.result().testAccuracy);
        const size_t n = split.train.size();
        const auto zt = io::predictRows(teacher, split.train.features.data(), n);
        const auto zs = io::predictRows(s, split.train.features.data(), n);
        size_t agree = 0;
        for (size_t i = 0; i < n; ++i) agree += io::predictedClass(&zt[i * 3], 3) == io::predictedClass(&zs[i * 3], 3);
        QVERIFY2(double(agree) / double(n) > 0.85, qPrintable(QString::number(double(agree) / double(n))));
        QVERIFY2(d.result().testAccuracy > 0.6, qPrintable(QString::number(d.result().testAccuracy)));
    }

    void errors()
    {
        const data::Split split = spiral();
        Model student(ModelSpec::fromString(kStudent), split.train.sampleShape, split.train.numClasses);
        Model teacher(ModelSpec::fromString(kTeacher), split.train.sampleShape, split.train.numClasses);
        DistillConfig dc;
        dc.train = config(1);
        dc.temperature = 0;
        QVERIFY_THROWS_EXCEPTION(Error, Distiller(student, teacher, split, dc));
        dc.temperature = 2;
        dc.alpha = 1.5f;
        QVERIFY_THROWS_EXCEPTION(Error, Distiller(student, teacher, split, dc));
        dc.alpha = 0.5f;
        Model wrongClasses(ModelSpec::fromString(kTeacher), split.train.sampleShape, 5);
        QVERIFY_THROWS_EXCEPTION(Error, Distiller(student, wrongClasses, split, dc));
        std::string fiveInputs = kTeacher;
        fiveInputs.replace(fiveInputs.find("[2]"), 3, "[5]");
        Model wrongInput(ModelSpec::fromString(fiveInputs), {5}, 3);
        QVERIFY_THROWS_EXCEPTION(Error, Distiller(student, wrongInput, split, dc));
        std::string mse = kStudent;
        mse.replace(mse.find("softmax_cross_entropy"), 21, "mse");
        Model mseStudent(ModelSpec::fromString(mse), split.train.sampleShape, split.train.numClasses);
        QVERIFY_THROWS_EXCEPTION(Error, Distiller(mseStudent, teacher, split, dc));
    }
};

QTEST_APPLESS_MAIN(CompressDistillTest)
#include "tst_compress_distill.moc"
