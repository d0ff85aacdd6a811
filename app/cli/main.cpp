// nnstudio-cli: the headless, scriptable front end of NN Studio.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "engine/core/error.h"

namespace {

void usage(std::ostream& out)
{
    out << "usage: nnstudio-cli COMMAND [options]\n"
           "commands:\n"
           "  train --model SPEC.json --data NAME|FILE.csv [--epochs N --batch N --lr X\n"
           "        --optimizer sgd|momentum|adam --seed N --threads N --profile --json ...]\n"
           "  graph --expr \"FORMULA\" --set a=1,b=2 [--json]   step a formula's graph node by node\n"
           "  predict --model MODEL.nnm --input FILE.csv [--json]   the model's output for each row\n"
           "  eval --model MODEL.nnm --data NAME|FILE.csv [--json]  loss and accuracy on a data set\n"
           "  export --model MODEL.nnm --onnx FILE.onnx   ONNX for other runtimes (checked before writing)\n"
           "  compress --model MODEL.nnm|SPEC.json --data NAME --pipeline \"prune:0.9,retrain:2,share:5,huffman\" [--json]\n"
           "  distill --teacher MODEL.nnm --student SPEC.json --data NAME [--temperature T --alpha A\n"
           "          --epochs N --out STUDENT.nnm --json]   train a small model on a teacher's soft labels\n"
           "  runs list|show RUN|compare RUN RUN|export-csv RUN [--store FILE --json]   the run history\n"
           "  devices [--json]   the CPU and its measured peak GFLOP/s and memory bandwidth\n"
           "Run 'nnstudio-cli COMMAND --help' for a command's options.\n";
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        usage(argc < 2 ? std::cerr : std::cout);
        return argc < 2 ? 2 : 0;
    }
    const std::string command = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    try {
        if (command == "train") return cli::train(args);
        if (command == "graph") return cli::graph(args);
        if (command == "devices") return cli::devices(args);
        if (command == "runs") return cli::runs(args);
        if (command == "predict") return cli::predict(args);
        if (command == "eval") return cli::eval(args);
        if (command == "export") return cli::exportModel(args);
        if (command == "compress") return cli::compress(args);
        if (command == "distill") return cli::distill(args);
        std::cerr << "nnstudio-cli: unknown command '" << command << "'\n";
        usage(std::cerr);
        return 2;
    } catch (const nn::Error& e) {
        std::cerr << "nnstudio-cli " << command << ": " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "nnstudio-cli " << command << ": internal error: " << e.what() << '\n';
        return 3;
    }
}
