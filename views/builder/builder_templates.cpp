#include "views/builder/builder_templates.h"

#include <QFile>

#include "engine/core/error.h"
#include "views/common/paths.h"

namespace views::builder {

using nlohmann::json;

namespace {

json sample(const QString& file)
{
    QFile f(sampleModelsDirFile(file));
    if (!f.open(QIODevice::ReadOnly))
        throw nn::Error(f.fileName().toStdString() + ": cannot read the bundled sample spec (is NNSTUDIO_ASSETS right?)");
    return json::parse(f.readAll().toStdString());
}

} // namespace

std::vector<Template> templates()
{
    const json logistic = json::parse(R"({
      "name": "logistic-regression",
      "input": {"shape": "auto"},
      "layers": [
        {"id": "flat", "type": "flatten"},
        {"id": "out", "type": "dense", "units": "auto"}],
      "loss": "softmax_cross_entropy"})");
    const json resblock = json::parse(R"({
      "name": "resnet-block",
      "input": {"shape": [1, 28, 28]},
      "layers": [
        {"id": "stem", "type": "conv2d", "filters": 8, "kernel": 3, "padding": "same", "activation": "relu"},
        {"id": "conv1", "type": "conv2d", "filters": 8, "kernel": 3, "padding": "same"},
        {"id": "bn1", "type": "batchnorm"},
        {"id": "relu1", "type": "relu"},
        {"id": "conv2", "type": "conv2d", "filters": 8, "kernel": 3, "padding": "same"},
        {"id": "bn2", "type": "batchnorm"},
        {"id": "add", "type": "add", "inputs": ["bn2", "stem"]},
        {"id": "relu2", "type": "relu"},
        {"id": "pool", "type": "maxpool2d", "size": 2},
        {"id": "gap", "type": "global_avgpool"},
        {"id": "out", "type": "dense", "units": "auto"}],
      "loss": "softmax_cross_entropy"})");
    return {
        {QObject::tr("Logistic regression"), QObject::tr("One Dense layer on the flattened input: the linear baseline"), logistic},
        {QObject::tr("Playground MLP"), QObject::tr("2 → 16 → 16 → 2 with tanh, for the 2-D sets (spiral)"), sample("spiral-mlp.json")},
        {QObject::tr("LeNet-300-100"), QObject::tr("Two hidden Dense layers of 300 and 100 (LeCun et al. 1998)"), sample("lenet-300-100.json")},
        {QObject::tr("LeNet-5"), QObject::tr("Two convolutions with pooling, then three Dense layers"), sample("lenet5.json")},
        {QObject::tr("Small ResNet block"), QObject::tr("A residual block: two 3×3 convolutions with batch norm, added to their input"), resblock},
    };
}

} // namespace views::builder
