// StageResult ⇄ JSON: the CLI's --json line and the run store's stage record. The
// keys are the CLI's (snake_case); NaN becomes null and back.
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "engine/compress/pipeline.h"
#include "engine/core/error.h"

namespace nn::compress {

namespace {

nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

double numberFrom(const nlohmann::json& j, const char* key)
{
    if (!j.contains(key) || j[key].is_null()) return std::numeric_limits<double>::quiet_NaN();
    return j[key].get<double>();
}

nlohmann::json rowsJson(const std::vector<HuffmanRow>& rows)
{
    nlohmann::json a = nlohmann::json::array();
    for (const HuffmanRow& r : rows) a.push_back({{"symbol", r.symbol}, {"count", r.count}, {"code", r.code}});
    return a;
}

std::vector<HuffmanRow> rowsFrom(const nlohmann::json& j, const char* key)
{
    std::vector<HuffmanRow> rows;
    if (!j.contains(key)) return rows;
    for (const auto& r : j[key])
        rows.push_back({r.at("symbol").get<uint32_t>(), r.at("count").get<uint64_t>(), r.at("code").get<std::string>()});
    return rows;
}

nlohmann::json layerJson(const LayerReport& l)
{
    nlohmann::json j {{"name", l.name},
                      {"shape", l.shape},
                      {"weights", l.weights},
                      {"zeros", l.zeros},
                      {"sparsity", l.sparsity},
                      {"distinct_nonzero", l.distinctNonzero},
                      {"bits", l.bits},
                      {"histogram",
                       {{"lo", l.histogram.lo}, {"hi", l.histogram.hi}, {"counts", l.histogram.counts},
                        {"zeros", l.histogram.zeros}}}};
    if (l.codebookBits) j["codebook_bits"] = l.codebookBits;
    if (!l.huffmanIndices.empty()) j["huffman_indices"] = rowsJson(l.huffmanIndices);
    if (!l.huffmanGaps.empty()) j["huffman_gaps"] = rowsJson(l.huffmanGaps);
    return j;
}

LayerReport layerFrom(const nlohmann::json& j)
{
    LayerReport l;
    l.name = j.at("name").get<std::string>();
    if (j.contains("shape")) l.shape = j["shape"].get<std::vector<int64_t>>();
    l.weights = j.at("weights").get<int64_t>();
    l.zeros = j.at("zeros").get<int64_t>();
    l.sparsity = j.at("sparsity").get<double>();
    l.distinctNonzero = j.value("distinct_nonzero", int64_t(0));
    l.codebookBits = j.value("codebook_bits", 0);
    l.bits = j.at("bits").get<std::map<std::string, uint64_t>>();
    if (j.contains("histogram")) {
        const auto& h = j["histogram"];
        l.histogram.lo = h.at("lo").get<float>();
        l.histogram.hi = h.at("hi").get<float>();
        l.histogram.counts = h.at("counts").get<std::vector<uint32_t>>();
        l.histogram.zeros = h.at("zeros").get<uint64_t>();
    }
    l.huffmanIndices = rowsFrom(j, "huffman_indices");
    l.huffmanGaps = rowsFrom(j, "huffman_gaps");
    return l;
}

nlohmann::json activationJson(const ActivationReport& a)
{
    return {{"layer", a.layer}, {"min", a.min},         {"max", a.max},         {"lo", a.lo},         {"hi", a.hi},
            {"abs_hi", a.absHi}, {"lowest", a.lowest}, {"highest", a.highest}, {"format", a.format}};
}

ActivationReport activationFrom(const nlohmann::json& j)
{
    return {j.at("layer").get<std::string>(), j.at("min").get<float>(),    j.at("max").get<float>(),
            j.at("lo").get<float>(),          j.at("hi").get<float>(),     j.at("abs_hi").get<float>(),
            j.at("lowest").get<float>(),      j.at("highest").get<float>(), j.at("format").get<std::string>()};
}

} // namespace

nlohmann::json toJson(const StageResult& r)
{
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerReport& l : r.layers) layers.push_back(layerJson(l));
    nlohmann::json j {{"stage", r.kind},
                      {"step", r.step},
                      {"text", r.text},
                      {"test_accuracy", number(r.testAccuracy)},
                      {"test_loss", number(r.testLoss)},
                      {"accuracy_change", number(r.accuracyChange)},
                      {"bits", r.bits},
                      {"best_format", r.bestFormat},
                      {"ratio", r.ratio},
                      {"layers", layers},
                      {"seconds", r.seconds},
                      {"inference_ms", r.inferenceMs}};
    if (r.step > 0) j["stage_seconds"] = r.stageSeconds;
    j["activation_bits"] = r.activationBits;  // 0: float layer outputs
    if (r.activationBits > 0) {
        j["activation_scheme"] = r.activationScheme;
        nlohmann::json a = nlohmann::json::array();
        for (const ActivationReport& x : r.activations) a.push_back(activationJson(x));
        j["activations"] = a;
    }
    return j;
}

StageResult stageFromJson(const nlohmann::json& j)
{
    try {
        StageResult r;
        r.kind = j.at("stage").get<std::string>();
        r.step = j.at("step").get<int>();
        r.text = j.value("text", r.kind);
        r.testAccuracy = numberFrom(j, "test_accuracy");
        r.testLoss = numberFrom(j, "test_loss");
        r.accuracyChange = numberFrom(j, "accuracy_change");
        r.bits = j.at("bits").get<std::map<std::string, uint64_t>>();
        r.bestFormat = j.value("best_format", std::string("dense"));
        r.ratio = j.value("ratio", 1.0);
        for (const auto& l : j.at("layers")) r.layers.push_back(layerFrom(l));
        r.seconds = j.value("seconds", 0.0);
        r.stageSeconds = j.value("stage_seconds", 0.0);
        r.inferenceMs = j.value("inference_ms", 0.0);
        r.activationBits = j.value("activation_bits", 0);  // records from before act stages have none
        r.activationScheme = j.value("activation_scheme", std::string());
        if (j.contains("activations"))
            for (const auto& a : j["activations"]) r.activations.push_back(activationFrom(a));
        return r;
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("a compression stage record is not valid: ") + e.what());
    }
}

} // namespace nn::compress
