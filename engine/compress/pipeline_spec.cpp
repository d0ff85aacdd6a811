// The pipeline string: one table of stage kinds (what each takes, how its value is
// checked, its help line), the parser and --help built from it.
#include <cmath>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "engine/compress/pipeline.h"
#include "engine/core/error.h"
#include "engine/core/numbers.h"

namespace nn::compress {

namespace {

enum class Value { None, Fraction, Epochs, Bits, FixedBits, Energy };

struct StageKind {
    const char* name;
    Value value;
    const char* usage;  // as in --help
    const char* help;
};

const StageKind kKinds[] = {
    {"prune", Value::Fraction, "prune:S",
     "magnitude-prune every .weight tensor to sparsity S in [0, 1) (per tensor; masks keep pruned weights "
     "exactly zero from then on)"},
    {"gprune", Value::Fraction, "gprune:S",
     "magnitude-prune to sparsity S over all .weight tensors together (one threshold: layers with many small "
     "weights lose more)"},
    {"retrain", Value::Epochs, "retrain:E",
     "E epochs of training (pruned weights stay zero; after share, the weights stay on their centroids: each "
     "centroid moves by the mean of its weights' optimizer steps)"},
    {"dsd", Value::Epochs, "dsd:E",
     "Dense-Sparse-Dense: release the masks and the sharing, then E epochs of dense training (pruned weights "
     "restart from zero)"},
    {"share", Value::Bits, "share:B",
     "k-means of each weight tensor's nonzeros into 2^B - 1 centroids; B-bit indices, index 0 the reserved "
     "zero (pruned weights, fillers) (B in 1..16)"},
    {"huffman", Value::None, "huffman", "Huffman-code the shared indices and the relative-index gaps (after share)"},
    {"fixed", Value::FixedBits, "fixed:B",
     "fixed-point weights of B bits (2..32) per tensor, integer/fraction split covering its largest |w|; retraining "
     "keeps them on the grid (the optimizer moves full-precision latent weights)"},
    {"int8", Value::None, "int8", "affine 8-bit weights per tensor (scale and zero point from its min and max; 0 exact)"},
    {"act", Value::FixedBits, "act:B",
     "from here on, every layer output (logits included) is rounded to B-bit fixed point (2..32) when the test set "
     "is evaluated, each layer's integer/fraction split covering its calibrated range (by default 2000 seeded training "
     "samples, 99.99th percentile of |x|; recalibrated after each later stage, as those change the weights). Storage bits do "
     "not change (activations are computed, not stored); retraining still trains with float outputs"},
    {"act8", Value::None, "act8",
     "as act:B with affine 8-bit layer outputs (scale and zero point from the calibrated percentile range; 0 exact)"},
    {"ternary", Value::None, "ternary",
     "trained ternary weights {-Wn, 0, +Wp} per tensor (threshold 0.05 max|w|; Wp and Wn learned while retraining)"},
    {"binary", Value::None, "binary", "binary weights +-mean|w| per tensor (no zeros: releases the masks)"},
    {"lowrank", Value::Energy, "lowrank:E",
     "each dense layer's weight rebuilt from its truncated SVD keeping energy E in (0, 1] (conv weights untouched; "
     "releases the masks; retraining is followed by the same truncation; stored as two f32 factors, or dense "
     "where those would be bigger)"},
};

const StageKind* findKind(const std::string& name)
{
    for (const StageKind& k : kKinds)
        if (name == k.name) return &k;
    return nullptr;
}

std::string kindList()
{
    std::string s;
    for (const StageKind& k : kKinds) s += (s.empty() ? "" : ", ") + std::string(k.usage);
    return s;
}

} // namespace

std::string pipelineHelp()
{
    std::string s;
    for (const StageKind& k : kKinds) {
        std::string usage = k.usage;
        usage.resize(12, ' ');
        if (usage.back() != ' ') usage += ' ';
        s += usage + k.help + "\n";
    }
    return s;
}

std::vector<StageSpec> parsePipeline(const std::string& text)
{
    std::vector<StageSpec> stages;
    std::stringstream in(text);
    std::string item;
    int index = 0;
    auto fail = [&](const std::string& item, const std::string& why) -> void {
        throw Error("--pipeline stage " + std::to_string(index) + " '" + item + "': " + why);
    };
    bool shared = false;  // a share stage since the last dsd
    while (std::getline(in, item, ',')) {
        ++index;
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (item.empty()) fail(item, "empty stage");
        StageSpec s;
        s.text = item;
        const auto colon = item.find(':');
        s.kind = item.substr(0, colon);
        const std::string arg = colon == std::string::npos ? std::string() : item.substr(colon + 1);
        const StageKind* kind = findKind(s.kind);
        if (!kind) fail(item, "unknown stage '" + s.kind + "' (" + kindList() + ")");
        double v = 0;
        if (kind->value == Value::None) {
            if (colon != std::string::npos) fail(item, s.kind + " takes no value");
        } else {
            if (arg.empty()) fail(item, "needs a value (" + std::string(kind->usage) + ")");
            // Not std::stod: under a German locale it stops at the '.' of "0.9".
            const std::optional<double> parsed = num::parseDouble(arg);
            if (!parsed) fail(item, "'" + arg + "' is not a number");
            v = *parsed;
        }
        switch (kind->value) {
        case Value::Fraction:
            if (!(v >= 0 && v < 1)) fail(item, "sparsity must be in [0, 1)");
            break;
        case Value::Epochs:
            if (v != std::floor(v) || v < 1 || v > 100000) fail(item, "epochs must be a whole number from 1");
            break;
        case Value::Bits:
            if (v != std::floor(v) || v < 1 || v > 16) fail(item, "bits must be a whole number from 1 to 16");
            break;
        case Value::FixedBits:
            if (v != std::floor(v) || v < 2 || v > 32) fail(item, "bits must be a whole number from 2 to 32");
            break;
        case Value::Energy:
            if (!(v > 0 && v <= 1)) fail(item, "the energy kept must be in (0, 1]");
            break;
        case Value::None: break;
        }
        if (s.kind == "share") shared = true;
        for (const char* other : {"dsd", "fixed", "int8", "ternary", "binary", "lowrank"})
            if (s.kind == other) shared = false;
        if (s.kind == "huffman" && !shared)
            fail(item, "huffman codes the shared indices: put a share:B stage before it (after any dsd, fixed, int8, "
                       "ternary, binary or lowrank stage, which replace the sharing)");
        s.value = v;
        stages.push_back(s);
    }
    if (!text.empty() && text.back() == ',') {
        ++index;
        fail("", "empty stage");
    }
    if (stages.empty()) throw Error("--pipeline is empty (e.g. \"prune:0.9,retrain:2,share:5,retrain:1,huffman\")");
    return stages;
}

} // namespace nn::compress
