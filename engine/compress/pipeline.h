#pragma once
// The Deep Compression pipeline: an ordered list of stages (prune, retrain, share,
// quantize, Huffman ...) run over a trained model, with one StageResult after the
// dense model and after every stage: test accuracy, storage in bits by format, the
// per-layer table, one weight histogram per layer on fixed axes (the filmstrip) and
// the Huffman code tables. The CLI (`nnstudio-cli compress`) and the compression
// view both run this; the view runs it on a worker thread with progress and cancel.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/data/dataset.h"
#include "engine/nn/model.h"
#include "engine/train/trainer.h"

namespace nn::compress {

// One stage as written in a pipeline string ("prune:0.9"): kind, its number (0
// when it takes none) and the text as written.
struct StageSpec {
    std::string kind;
    double value = 0;
    std::string text;
};

// Parses "prune:0.9,retrain:2,share:5,retrain:1,huffman". Throws nn::Error naming
// the stage (position and text) and what is wrong with it, e.g.
// "--pipeline stage 5 'huffman': huffman codes the shared indices: put a share:B stage before it".
std::vector<StageSpec> parsePipeline(const std::string& text);
// One line per stage kind, for --help and the view's tooltips.
std::string pipelineHelp();

// A histogram of one tensor's values on fixed axes [lo, hi] (the dense model's
// range for that layer, so every stage's frame shares the axes); `zeros` counts the
// exact zeros (pruned weights), which are also in their bin.
struct Histogram {
    float lo = 0, hi = 0;
    std::vector<uint32_t> counts;
    uint64_t zeros = 0;
};

// One row of a Huffman code table: a symbol, how often it occurs, its code as
// '0'/'1' characters.
struct HuffmanRow {
    uint32_t symbol = 0;
    uint64_t count = 0;
    std::string code;
};

struct LayerReport {
    std::string name;  // "h1.weight"
    std::vector<int64_t> shape;
    int64_t weights = 0, zeros = 0;
    double sparsity = 0;
    int64_t distinctNonzero = 0;   // counted up to 70000
    int codebookBits = 0;          // 0 = not shared
    std::map<std::string, uint64_t> bits;  // by format: dense, csr, relative_index, codebook, huffman, ...
    Histogram histogram;
    std::vector<HuffmanRow> huffmanIndices, huffmanGaps;  // empty before a huffman stage
};

// One layer's output after an act stage: its calibration on the training samples
// (every value's min and max, and the range at the percentile) and the format the
// outputs are rounded to. A fixed-point format covers absHi, an affine one [lo, hi].
struct ActivationReport {
    std::string layer;             // a model layer id ("h1")
    float min = 0, max = 0;        // over every calibration value
    float lo = 0, hi = 0, absHi = 0;  // percentiles of x and of |x|
    float lowest = 0, highest = 0; // the format's range
    std::string format;            // "Q2.5 (8 bits, step 0.03125)"
};

struct StageResult {
    int step = 0;              // 0 = the dense model
    std::string kind = "dense";
    std::string text = "dense";
    double testAccuracy = 0, testLoss = 0;
    double accuracyChange = 0;  // against the dense model
    std::map<std::string, uint64_t> bits;  // the model by format (only formats every layer has)
    std::string bestFormat = "dense";
    double ratio = 1;           // dense f32 bits / bits[bestFormat]
    std::vector<LayerReport> layers;
    double seconds = 0;         // since the pipeline started
    double stageSeconds = 0;    // this stage alone
    // Milliseconds of one forward pass over the test set (the faster of two) on our
    // dense kernels: pruned and shared weights are still multiplied as dense f32
    // weights, so this stays about the dense model's time whatever the ratio.
    double inferenceMs = 0;
    // 0: the layer outputs are floats. After an act stage, every stage's accuracy is
    // measured with each layer output rounded to this many bits in activationScheme
    // ("fixed" or "affine"), as calibrated on the current weights; storage does not
    // change (activations are computed, not stored).
    int activationBits = 0;
    std::string activationScheme;
    std::vector<ActivationReport> activations;  // per layer, model order (empty with 0 bits)
};

// The stage as one JSON object (the CLI's --json line and the run store's record).
nlohmann::json toJson(const StageResult& r);
StageResult stageFromJson(const nlohmann::json& j);

struct PipelineOptions {
    TrainConfig train;       // batch, optimizer, seed ... for retrain stages (epochs come from the stage)
    float retrainLr = 0.01f;
    int histogramBins = 81;
    int evalBatch = 1000;
    // Act stages: the layer outputs are calibrated on this many training samples,
    // drawn with train.seed, with ranges at this percentile (100 = min/max).
    size_t activationSamples = 2000;
    double activationPercentile = 99.99;
};

// Progress inside a stage: fraction of the stage done in [0, 1] and a message.
using ProgressFn = std::function<void(int step, double fraction, const std::string& message)>;
using StageFn = std::function<void(const StageResult&)>;

class Pipeline {
public:
    // `model` is trained; it is changed in place stage by stage. `data` must have a
    // test split (throws nn::Error otherwise).
    Pipeline(Model& model, const data::Split& data, PipelineOptions options);
    ~Pipeline();

    // Runs the dense report and then every stage, calling onStage after each (on the
    // calling thread). Cancellation (cancel() from any thread) is checked between
    // training steps and between stages; a cancelled run returns the stages done.
    std::vector<StageResult> run(const std::vector<StageSpec>& stages, const StageFn& onStage = {},
                                 const ProgressFn& onProgress = {});
    void cancel() { cancelled_ = true; }

    // After run(): one forward pass over the test set timed with the dense weights
    // and with the compressed ones, alternately, `rounds` times each (the fastest
    // of each). Both run on the same dense kernels, so pruned and shared weights
    // cost dense FLOPs and the two times come out about equal. The model keeps its
    // compressed weights. Throws nn::Error before run().
    struct InferenceTiming {
        double denseMs = 0, compressedMs = 0;
        int rounds = 0;
    };
    InferenceTiming timeInference(int rounds = 5);
    bool cancelled() const { return cancelled_; }

private:
    struct State;
    State* state_;
    std::atomic<bool> cancelled_ {false};
};

} // namespace nn::compress
