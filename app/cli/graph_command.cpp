// nnstudio-cli graph: a formula parsed into the engine's graph, stepped forward
// and backward node by node, with every node's value, local derivatives,
// upstream gradient and chain-rule products, then a numeric check of the
// variables' gradients by central differences.
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/json_out.h"
#include "engine/graph/expression.h"
#include "engine/graph/numeric_check.h"

namespace cli {

namespace {

const char* kHelp =
    "usage: nnstudio-cli graph --expr \"FORMULA\" --set name=value,... [--json]\n"
    "  FORMULA  numbers, variables, + - * / **, unary -, exp log tanh sigmoid relu max(a,b)\n"
    "  example  --expr \"1/(1+exp(-(w0*x0+w1*x1+w2)))\" --set w0=2,x0=-1,w1=-3,x1=-2,w2=-3\n";

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

} // namespace

int graph(const std::vector<std::string>& argv)
{
    const Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp;
        return 0;
    }
    args.allowOnly({"expr", "set", "json", "help"});
    const bool json = args.has("json");
    nn::Expression e = nn::parseExpression(args.required("expr"), parseSet(args.str("set")));
    nn::Graph& g = e.graph;

    // Step exactly as the stepper view does: one node at a time.
    g.resetForward();
    while (g.stepForward()) {
    }
    const int bad = g.firstNonFinite();
    g.beginBackward(e.root);
    while (g.stepBackward()) {
    }

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
            std::cout << std::setw(3) << i << "  " << std::left << std::setw(12) << d.name << std::right << " value "
                      << j["value"].dump() << "  grad " << j["upstream_gradient"].dump() << '\n';
        }
    }

    // Numeric check: central differences on every variable (shared with the stepper view).
    nlohmann::json grads = nlohmann::json::object(), numeric = nlohmann::json::object(), errors = nlohmann::json::object();
    double worst = 0;
    for (const auto& c : nn::checkGradients(g, e.root)) {
        worst = std::max(worst, c.relativeError);
        grads[c.name] = tensorJson(c.analytic);
        numeric[c.name] = tensorJson(c.numeric);
        errors[c.name] = num(c.relativeError);
    }
    nlohmann::json final {{"final", true},  {"value", tensorJson(g.node(e.root).value)}, {"grads", grads},
                          {"numeric_grads", numeric}, {"relative_errors", errors}, {"max_relative_error", num(worst)},
                          {"nodes", g.size()}};
    if (bad >= 0) final["non_finite"] = {{"node", bad}, {"name", g.node(bad).name}, {"message", "node " + g.describe(bad) + " is the first to produce NaN or inf"}};
    if (json) {
        emit(final);
    } else {
        std::cout << "value " << final["value"].dump() << "\ngradients " << grads.dump() << "\nnumeric   " << numeric.dump()
                  << "\nmax relative error " << worst << '\n';
        if (bad >= 0) std::cout << final["non_finite"]["message"].get<std::string>() << '\n';
    }
    return 0;
}

} // namespace cli
