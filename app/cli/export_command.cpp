// nnstudio-cli export: writes a trained model file as ONNX (Debian's libonnx; the
// ONNX checker runs before the file is written).
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/json_out.h"
#include "engine/core/error.h"
#include "engine/io/model_file.h"
#include "engine/io/onnx_export.h"

namespace cli {

namespace {

const char* kHelp =
    "usage: nnstudio-cli export --model MODEL.nnm --onnx FILE.onnx [--json]\n"
    "  Writes the model as ONNX (opset 13): input \"input\" [batch, ...input shape], output\n"
    "  \"output\" [batch, outputs] = what 'nnstudio-cli predict' prints (logits for softmax\n"
    "  cross-entropy). Dropout exports as the identity and batch norm with its running\n"
    "  statistics (evaluation mode). The ONNX checker runs before the file is written.\n";

} // namespace

int exportModel(const std::vector<std::string>& argv)
{
    const Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp;
        return 0;
    }
    args.allowOnly({"model", "onnx", "json", "help"});
    const std::string modelPath = args.required("model");
    if (!args.has("onnx")) throw nn::Error("option --onnx FILE is missing (the only export format so far is ONNX)");
    const std::string onnxPath = args.str("onnx");
    const nn::io::LoadedModel loaded = nn::io::loadModelFile(modelPath);
    const size_t bytes = nn::io::exportOnnx(loaded.model, onnxPath);
    if (args.has("json"))
        emit({{"final", true},
              {"model", loaded.model.spec().name},
              {"onnx", onnxPath},
              {"opset", nn::io::kOnnxOpset},
              {"bytes", bytes},
              {"checked", true}});
    else
        std::cout << "wrote " << onnxPath << " (" << bytes << " bytes, ONNX opset " << nn::io::kOnnxOpset
                  << ", passed the ONNX checker)\n";
    return 0;
}

} // namespace cli
