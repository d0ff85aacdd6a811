// Ternary and binary weights (engine/compress/ternary): codes and scales worked
// out by hand, the scale gradients (grouped sums) checked against central
// differences of a real graph's loss, the latent weights' scaled straight-through
// gradient, and retraining through Trainer::afterUpdate that keeps every weight in
// {−Wn, 0, +Wp} (binary: {−α, +α} with α = mean|latent|) while the net learns.
#include <QtTest/QtTest>

#include <cmath>
#include <set>

#include "engine/compress/ternary.h"
#include "engine/core/error.h"
#include "engine/core/random.h"
#include "engine/io/inference.h"
#include "engine/train/trainer.h"

using namespace nn;
using namespace nn::compress;

namespace {

const char* kNet = R"({"name": "t-net", "input": {"shape": [2]},
  "layers": [{"id": "h1", "type": "dense", "units": 16, "activation": "relu"},
             {"id": "out", "type": "dense", "units": "auto"}],
  "loss": "softmax_cross_entropy"})";

data::Split gaussians() { return data::splitDataset(data::makeGaussians({600, 0.25, 5, 3}), 0.1, 0.3, 2); }

TrainConfig config(int epochs)
{
    TrainConfig c;
    c.epochs = epochs;
    c.batch = 16;
    c.lr = 0.01f;
    return c;
}

// Values of w other than 0, as a set.
std::set<float> nonzeroValues(const Tensor& w)
{
    std::set<float> s;
    for (int64_t i = 0; i < w.numel(); ++i)
        if (w[i] != 0.0f) s.insert(w[i]);
    return s;
}

} // namespace

class CompressTernaryTest : public QObject {
    Q_OBJECT
private slots:
    void ternaryByHand()
    {
        Tensor w = Tensor::fromVector(Shape {5}, {0.5f, -0.2f, 0.01f, -1.0f, 0.3f});
        const TernaryTensor tt = ternarize(w, 0.1f);  // Δ = 0.1
        QCOMPARE(tt.code, (std::vector<int8_t> {1, -1, 0, -1, 1}));
        QCOMPARE(tt.wp, 0.4f);  // mean of 0.5, 0.3
        QCOMPARE(tt.wn, 0.6f);  // mean of 0.2, 1.0
        QCOMPARE(w.toVector(), (std::vector<float> {0.4f, -0.6f, 0.0f, -0.6f, 0.4f}));
        QCOMPARE(tt.latent[2], 0.01f);  // the latent weights keep full precision
        QVERIFY_THROWS_EXCEPTION(Error, ternarize(w, 1.0f));
        Tensor bad = Tensor::fromVector(Shape {2}, {1.0f, NAN});
        QVERIFY_THROWS_EXCEPTION(Error, ternarize(bad, 0.1f));
    }

    // dL/dWp and dL/dWn from the grouped sums equal central differences of a graph's
    // loss in Wp and Wn, so the sign of the negative scale is checked too.
    void scaleGradientsAreGroupedSumsAndMatchFiniteDifferences()
    {
        Rng r(9);
        Tensor w(Shape {6, 4}), x(Shape {5, 6});
        for (int64_t i = 0; i < w.numel(); ++i) w[i] = float(r.normal());
        for (int64_t i = 0; i < x.numel(); ++i) x[i] = float(r.normal());
        TernaryTensor tt = ternarize(w, 0.2f);
        Graph g;
        const int xi = g.addConstant("x", x);
        const int wi = g.addVariable("w", w);
        const int y = g.apply(OpKind::MatMul, {xi, wi});
        const int t = g.apply(OpKind::Tanh, {y});
        const int loss = g.apply(OpKind::Sum, {g.apply(OpKind::Mul, {t, t})});
        g.forward();
        g.backward(loss);
        const Tensor grad = g.node(wi).grad.clone();
        const ScaleGradients s = scaleGradients(tt, grad);
        double p = 0, n = 0;
        for (int64_t i = 0; i < grad.numel(); ++i) {
            if (tt.code[size_t(i)] > 0) p += grad[i];
            if (tt.code[size_t(i)] < 0) n -= grad[i];
        }
        QCOMPARE(s.positive, p);
        QCOMPARE(s.negative, n);
        auto lossAt = [&](float wp, float wn) {
            TernaryTensor probe = tt;
            probe.wp = wp;
            probe.wn = wn;
            applyTernary(probe);  // writes into w, the graph's variable
            g.forward();
            return double(g.node(loss).value.item());
        };
        const float h = 1e-2f;
        const double dp = (lossAt(tt.wp + h, tt.wn) - lossAt(tt.wp - h, tt.wn)) / (2 * h);
        const double dn = (lossAt(tt.wp, tt.wn + h) - lossAt(tt.wp, tt.wn - h)) / (2 * h);
        QVERIFY2(std::fabs(dp - s.positive) <= 2e-3 * std::max(1.0, std::fabs(dp)), qPrintable(QString::number(dp)));
        QVERIFY2(std::fabs(dn - s.negative) <= 2e-3 * std::max(1.0, std::fabs(dn)), qPrintable(QString::number(dn)));
    }

    void latentGradientIsScaledStraightThrough()
    {
        Tensor w = Tensor::fromVector(Shape {3}, {1.0f, 0.0f, -1.0f});
        TernaryTensor tt = ternarize(w, 0.5f);
        tt.wp = 2.0f;
        tt.wn = 3.0f;
        const Tensor grad = Tensor::fromVector(Shape {3}, {0.5f, 0.25f, -1.0f});
        QCOMPARE(latentGradient(tt, grad), (std::vector<float> {1.0f, 0.25f, -3.0f}));
        ternarySgdStep(tt, grad, 0.1f, 0.1f);
        QCOMPARE(tt.latent, (std::vector<float> {0.9f, -0.025f, -0.7f}));
        QCOMPARE(tt.wp, 2.0f - 0.1f * 0.5f);
        QCOMPARE(tt.wn, 3.0f - 0.1f * 1.0f);  // dL/dWn = −(−1.0)
        QCOMPARE(w.toVector(), (std::vector<float> {1.95f, 0.0f, -2.9f}));
        QVERIFY_THROWS_EXCEPTION(Error, scaleGradients(tt, Tensor(Shape {2})));
    }

    void ternaryRetrainingKeepsThreeValues()
    {
        const data::Split split = gaussians();
        Model model(ModelSpec::fromString(kNet), split.train.sampleShape, split.train.numClasses);
        {
            Trainer dense(model, split, config(6));
            dense.run();
        }
        const std::vector<Tensor> trained = [&] {
            std::vector<Tensor> v;
            for (auto& p : model.parameters()) v.push_back(p.value.clone());
            return v;
        }();
        Trainer retrain(model, split, config(4));  // re-initialises the weights
        for (size_t i = 0; i < trained.size(); ++i) model.parameters()[i].value.copyFrom(trained[i]);
        std::vector<TernaryTensor> tts = ternarizeModel(model, 0.05f);
        QCOMPARE(int(tts.size()), 2);
        const float wp0 = tts[0].wp;
        const std::vector<float> latent0 = tts[0].latent;
        retrain.afterUpdate = keepTernary(tts, retrain, 1e-3f);
        retrain.run();
        for (const TernaryTensor& tt : tts) {
            const Tensor& w = model.parameters()[size_t(tt.param)].value;
            QVERIFY(w.sharesStorageWith(tt.weight));
            QVERIFY(nonzeroValues(w) <= (std::set<float> {-tt.wn, tt.wp}));
            for (size_t i = 0; i < tt.code.size(); ++i)
                QCOMPARE(w[int64_t(i)], tt.code[i] > 0 ? tt.wp : tt.code[i] < 0 ? -tt.wn : 0.0f);
        }
        QVERIFY(tts[0].wp != wp0);                // the scales learned
        QVERIFY(tts[0].latent != latent0);        // the latent weights moved
        QVERIFY(retrain.result().testAccuracy > 0.8);
    }

    void binaryByHand()
    {
        Tensor w = Tensor::fromVector(Shape {4}, {0.5f, -0.1f, 0.0f, -1.4f});
        const BinaryTensor bt = binarize(w);
        QCOMPARE(bt.scale, 0.5f);  // (0.5 + 0.1 + 0 + 1.4) / 4
        QCOMPARE(w.toVector(), (std::vector<float> {0.5f, -0.5f, 0.5f, -0.5f}));
    }

    void binaryRetrainingKeepsTwoValues()
    {
        const data::Split split = gaussians();
        Model model(ModelSpec::fromString(kNet), split.train.sampleShape, split.train.numClasses);
        Trainer t(model, split, config(6));
        std::vector<BinaryTensor> bts = binarizeModel(model);
        t.afterUpdate = keepBinary(bts);
        t.run();
        for (const BinaryTensor& bt : bts) {
            double meanAbs = 0;
            for (float x : bt.latent) meanAbs += std::fabs(x);
            meanAbs /= double(bt.latent.size());
            QVERIFY(std::fabs(meanAbs - bt.scale) < 1e-6);
            QCOMPARE(nonzeroValues(bt.weight), (std::set<float> {-bt.scale, bt.scale}));
            for (size_t i = 0; i < bt.latent.size(); ++i)
                QCOMPARE(bt.weight[int64_t(i)], bt.latent[i] >= 0 ? bt.scale : -bt.scale);
        }
        QVERIFY(t.result().testAccuracy > 0.7);
    }
};

QTEST_APPLESS_MAIN(CompressTernaryTest)
#include "tst_compress_ternary.moc"
