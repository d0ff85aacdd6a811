// nnstudio-cli graph: a formula parsed into the engine's graph (or one training
// step of a real model), stepped forward and backward node by node, with every
// node's value, local derivatives, upstream gradient and chain-rule products;
// then a numeric check of the formula's gradients by central differences, or for
// a model the parameter gradients beside the ones the trainer computes.
#include <cmath>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/data_options.h"
#include "app/cli/json_out.h"
#include "engine/graph/expression.h"
#include "engine/graph/numeric_check.h"
#include "engine/nn/model.h"
#include "engine/train/trainer.h"

namespace cli {

namespace {

const char* kHelp =
    "usage: nnstudio-cli graph --expr \"FORMULA\" --set name=value,... [--json]\n"
    "       nnstudio-cli graph --model SPEC --data NAME|FILE.csv [--sample I] [--seed N] [--json]\n"
    "  FORMULA  numbers, variables, + - * / **, unary -, exp log tanh sigmoid relu max(a,b)\n"
    "  example  --expr \"1/(1+exp(-(w0*x0+w1*x1+w2)))\" --set w0=2,x0=-1,w1=-3,x1=-2,w2=-3\n"
    "  --model  one training step (batch of one: training sample I, default 0) of the model\n"
    "           initialised from --seed (default 1), as `train` with the same seed starts it;\n"
    "           tensor nodes show shape, min, max, mean and norm. The final line holds every\n"
    "           parameter gradient and whether it equals, bit for bit, the gradient the\n"
    "           trainer computes in that step. Data options as for train (--points, --noise ...).\n";

std::map<std::string, nn::Tensor> parseSet(const std::string& text)
{
    std::map<std::string, nn::Tensor> values;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) {
        const auto eq = item.find('=');
        if (item.empty()) continue;
        if (eq == std::string::npos || eq == 0)
            throw nn::Error("--set: '" + item + "' is not name=value (e.g. --set w0=2,x0=-1)");
        const std::string name = item.substr(0, eq), value = item.substr(eq + 1);
        char* end = nullptr;
        const double v = std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0' || !std::isfinite(v))
            throw nn::Error("--set: the value of '" + name + "' is '" + value + "', not a number");
        values[name] = nn::Tensor::scalar(float(v));
    }
    return values;
}

nlohmann::json tensorJson(const nn::Tensor& t)
{
    if (!t.defined()) return nullptr;
    if (t.numel() == 1) return num(t[0]);
    nlohmann::json j {{"shape", t.shape().toVector()}};
    if (t.numel() <= 64) {
        nlohmann::json values = nlohmann::json::array();
        for (int64_t i = 0; i < t.numel(); ++i) values.push_back(num(t[i]));
        j["values"] = values;
    } else {
        double lo = INFINITY, hi = -INFINITY, sum = 0, sq = 0;
        for (int64_t i = 0; i < t.numel(); ++i) {
            lo = std::min(lo, double(t[i]));
            hi = std::max(hi, double(t[i]));
            sum += t[i];
            sq += double(t[i]) * t[i];
        }
        j["min"] = num(lo);
        j["max"] = num(hi);
        j["mean"] = num(sum / double(t.numel()));
        j["norm"] = num(std::sqrt(sq));
    }
    return j;
}

// Every node in forward order: value, upstream gradient, and per input the local
// derivative, its formula and the chain-rule product.
void printNodes(nn::Graph& g, bool json)
{
    for (int i = 0; i < g.size(); ++i) {
        const nn::Node& n = g.node(i);
        const nn::OpDecl& d = nn::opDecl(n.op);
        nlohmann::json j {{"id", i}, {"name", n.name}, {"op", d.name}, {"symbol", d.symbol}, {"value", tensorJson(n.value)},
                          {"upstream_gradient", n.requiresGrad && n.gradReady ? tensorJson(n.grad) : nlohmann::json(nullptr)}};
        nlohmann::json inputs = nlohmann::json::array(), local = nlohmann::json::array(), product = nlohmann::json::array(),
                       formulas = nlohmann::json::array();
        for (int k = 0; k < d.arity; ++k) {
            const nn::Node& in = g.node(n.inputs[size_t(k)]);
            inputs.push_back(n.inputs[size_t(k)]);
            local.push_back(tensorJson(g.localDerivative(i, k)));
            product.push_back(n.gradReady && in.requiresGrad ? tensorJson(g.contribution(i, k)) : nlohmann::json(nullptr));
            formulas.push_back(d.derivative[k]);
        }
        j["inputs"] = inputs;
        j["local_derivatives"] = local;
        j["derivative_formulas"] = formulas;
        j["chain_products"] = product;
        if (json) {
            emit(j);
        } else {
            std::cout << std::setw(3) << i << "  " << std::left << std::setw(14) << d.name << std::right << " value "
                      << j["value"].dump() << "  grad " << j["upstream_gradient"].dump() << '\n';
        }
    }
}

// Steps exactly as the stepper view does: one node at a time, forward then
// backward. Returns the first node whose value went non-finite, or -1.
int stepThrough(nn::Graph& g, int root)
{
    g.resetForward();
    while (g.stepForward()) {
    }
    const int bad = g.firstNonFinite();
    g.beginBackward(root);
    while (g.stepBackward()) {
    }
    return bad;
}

nlohmann::json nonFiniteJson(const nn::Graph& g, int bad)
{
    return {{"node", bad}, {"name", g.node(bad).name}, {"message", "node " + g.describe(bad) + " is the first to produce NaN or inf"}};
}

int graphExpression(const Args& args, bool json)
{
    nn::Expression e = nn::parseExpression(args.required("expr"), parseSet(args.str("set")));
    nn::Graph& g = e.graph;
    const int bad = stepThrough(g, e.root);
    printNodes(g, json);

    // Numeric check: central differences on every variable (shared with the stepper view).
    // Numeric estimates in double (Richardson-extrapolated), each with its error bound.
    nlohmann::json grads = nlohmann::json::object(), numeric = nlohmann::json::object(), errors = nlohmann::json::object();
    nlohmann::json bounds = nlohmann::json::object(), passes = nlohmann::json::object();
    double worst = 0;
    for (const auto& c : nn::checkGradients(g, e.root)) {
        worst = std::max(worst, c.relativeError);
        grads[c.name] = tensorJson(c.analytic);
        numeric[c.name] = tensorJson(c.numeric);
        errors[c.name] = num(c.relativeError);
        bounds[c.name] = num(c.worstBound());
        passes[c.name] = c.pass();
    }
    nlohmann::json final {{"final", true},  {"value", tensorJson(g.node(e.root).value)}, {"grads", grads},
                          {"numeric_grads", numeric}, {"numeric_bounds", bounds}, {"check_passes", passes},
                          {"relative_errors", errors}, {"max_relative_error", num(worst)}, {"nodes", g.size()}};
    if (bad >= 0) final["non_finite"] = nonFiniteJson(g, bad);
    if (json) {
        emit(final);
    } else {
        std::cout << "value " << final["value"].dump() << "\ngradients " << grads.dump() << "\nnumeric   " << numeric.dump()
                  << "\nmax relative error " << worst << '\n';
        if (bad >= 0) std::cout << final["non_finite"]["message"].get<std::string>() << '\n';
    }
    return 0;
}

// One training step of a real model on one sample, walked node by node; the
// parameter gradients are then compared with a Trainer's own step on that sample.
int graphModel(const Args& args, bool json)
{
    const uint64_t seed = uint64_t(args.integer("seed", 1, 0, 2147483647));
    const nn::ModelSpec spec = nn::ModelSpec::fromFile(args.required("model"));
    const nn::data::Split data = nn::data::loadSource(args.required("data"), dataSourceOptions(args, seed));
    const auto& train = data.train;
    if (train.size() == 0) throw nn::Error("--data " + args.str("data") + ": the training split is empty");
    const int sample = args.integer("sample", 0, 0, int(std::min<size_t>(train.size() - 1, 2147483647)));

    nn::Model model(spec, train.sampleShape, train.numClasses);
    model.initialize(seed);
    nn::BuiltGraph built = model.build(1, true);
    std::copy(train.sample(size_t(sample)), train.sample(size_t(sample)) + train.featureCount(),
              built.graph.node(built.input).value.data());
    built.graph.node(built.labels).value[0] = float(train.labels[size_t(sample)]);
    nn::Graph& g = built.graph;
    const int bad = stepThrough(g, built.loss);
    printNodes(g, json);

    // The trainer's view of the same step: a one-sample training set, batch 1.
    nn::data::Split one;
    one.train = train.subset({size_t(sample)});
    one.validation = one.train;
    nn::Model trained(spec, train.sampleShape, train.numClasses);
    nn::TrainConfig config;
    config.batch = 1;
    config.epochs = 1;
    config.seed = seed;
    config.optimizer.kind = "sgd";
    nn::Trainer trainer(trained, one, config);
    trainer.step();
    const std::vector<nn::Tensor> trainerGrads = trainer.gradientSnapshot();

    nlohmann::json grads = nlohmann::json::object();
    bool identical = trainerGrads.size() == built.params.size();
    double maxDiff = 0;
    for (size_t p = 0; p < built.params.size(); ++p) {
        const nn::Tensor& ours = g.node(built.params[p]).grad;
        grads[model.parameters()[p].name] = tensorJson(ours);
        if (p >= trainerGrads.size() || trainerGrads[p].numel() != ours.numel()) {
            identical = false;
            continue;
        }
        for (int64_t i = 0; i < ours.numel(); ++i) {
            const float a = ours[i], b = trainerGrads[p][i];
            if (std::memcmp(&a, &b, sizeof a) != 0) identical = false;
            maxDiff = std::max(maxDiff, double(std::fabs(a - b)));
        }
    }
    nlohmann::json final {{"final", true},
                          {"model", spec.name},
                          {"sample", sample},
                          {"label", train.labels[size_t(sample)]},
                          {"loss", tensorJson(g.node(built.loss).value)},
                          {"output", tensorJson(g.node(built.output).value)},
                          {"grads", grads},
                          {"trainer_grads_identical", identical},
                          {"trainer_max_abs_diff", num(maxDiff)},
                          {"nodes", g.size()}};
    if (bad >= 0) final["non_finite"] = nonFiniteJson(g, bad);
    if (json) {
        emit(final);
    } else {
        std::cout << "loss " << final["loss"].dump() << " on training sample " << sample << " (label "
                  << train.labels[size_t(sample)] << ")\n";
        for (const auto& [name, value] : grads.items()) std::cout << "d loss / d " << name << "  " << value.dump() << '\n';
        std::cout << (identical ? "identical, bit for bit, to the trainer's gradients for this step\n"
                                : "DIFFERENT from the trainer's gradients (max abs diff " + std::to_string(maxDiff) + ")\n");
        if (bad >= 0) std::cout << final["non_finite"]["message"].get<std::string>() << '\n';
    }
    return identical ? 0 : 3;
}

} // namespace

int graph(const std::vector<std::string>& argv)
{
    const Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp;
        return 0;
    }
    const bool json = args.has("json");
    if (args.has("model")) {
        std::set<std::string> known {"model", "data", "sample", "seed", "json", "help"};
        known.insert(std::begin(kDataOptionNames), std::end(kDataOptionNames));
        args.allowOnly(known);
        return graphModel(args, json);
    }
    args.allowOnly({"expr", "set", "json", "help"});
    return graphExpression(args, json);
}

} // namespace cli
