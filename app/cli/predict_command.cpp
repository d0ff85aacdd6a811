// nnstudio-cli predict: runs a trained model file on the rows of a CSV file and
// prints each row's output vector: the last layer's value in evaluation mode
// (logits for a softmax cross-entropy model), the same tensor the ONNX export's
// "output" holds.
#include <iomanip>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/json_out.h"
#include "engine/backend/kernel.h"
#include "engine/core/error.h"
#include "engine/io/inference.h"
#include "engine/io/model_file.h"

namespace cli {

namespace {

const char* kHelp =
    "usage: nnstudio-cli predict --model MODEL.nnm --input FILE.csv [options]\n"
    "  --model MODEL.nnm  a trained model file (nnstudio-cli train ... --out MODEL.nnm)\n"
    "  --input FILE.csv   one sample per row: the model's input values in order (images\n"
    "                     row-major, channel by channel); a first row that is not numeric is a header\n"
    "  --label COLUMN     a column to ignore (header name or 0-based index), e.g. a data file's label\n"
    "  --batch N (256)    samples per forward pass   --threads N (1; 0 = all cores)\n"
    "  --json             one JSON object per row: {\"row\", \"output\": [...], \"class\"}, then a\n"
    "                     final line with \"final\": true\n"
    "The output is the last layer's value (logits for softmax cross-entropy: no softmax is\n"
    "applied), exactly what the exported ONNX model's \"output\" gives.\n";

} // namespace

int predict(const std::vector<std::string>& argv)
{
    const Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp;
        return 0;
    }
    args.allowOnly({"model", "input", "label", "batch", "threads", "json", "help"});
    const bool json = args.has("json");
    const int batch = args.integer("batch", 256, 1, 1 << 20);
    nn::cpu::setThreads(args.integer("threads", 1, 0, 1024));
    const nn::io::LoadedModel loaded = nn::io::loadModelFile(args.required("model"));
    const nn::Model& model = loaded.model;
    const size_t features = size_t(nn::Shape(model.inputShape()).numel());
    const nn::io::InputRows in = nn::io::readInputCsv(args.required("input"), features, args.str("label"));
    const std::vector<float> out = nn::io::predictRows(model, in.values.data(), in.rows, batch);

    const int outputs = model.outputs();
    const auto& names = loaded.extras.classNames;
    for (size_t r = 0; r < in.rows; ++r) {
        const float* row = out.data() + r * size_t(outputs);
        const int cls = nn::io::predictedClass(row, outputs);
        if (json) {
            nlohmann::json o {{"row", r + 1}, {"output", std::vector<float>(row, row + outputs)}, {"class", cls}};
            if (size_t(cls) < names.size()) o["class_name"] = names[size_t(cls)];
            emit(o);
        } else {
            std::cout << r + 1 << ": class " << cls;
            if (size_t(cls) < names.size()) std::cout << " (" << names[size_t(cls)] << ")";
            std::cout << "  output";
            for (int k = 0; k < outputs; ++k) std::cout << ' ' << std::setprecision(9) << row[k];
            std::cout << '\n';
        }
    }
    if (json)
        emit({{"final", true},
              {"rows", in.rows},
              {"outputs", outputs},
              {"output_kind", model.spec().loss == "softmax_cross_entropy" ? "logits" : "last layer"},
              {"model", model.spec().name}});
    return 0;
}

} // namespace cli
