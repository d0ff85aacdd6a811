// nnstudio-cli eval: a trained model file's loss and accuracy on a data set.
#include <iomanip>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/data_options.h"
#include "app/cli/json_out.h"
#include "engine/backend/kernel.h"
#include "engine/core/error.h"
#include "engine/io/inference.h"
#include "engine/io/model_file.h"

namespace cli {

namespace {

const char* kHelp =
    "usage: nnstudio-cli eval --model MODEL.nnm --data NAME|FILE.csv [options]\n"
    "  --model MODEL.nnm  a trained model file (nnstudio-cli train ... --out MODEL.nnm)\n"
    "  --data   spiral | circles | xor | gaussians | fashion-mnist | FILE.csv\n"
    "  --split  test | validation | train | all  (default: test for a named set, split as\n"
    "           'train' splits it with the same --seed and fractions; all for a CSV file)\n"
    "  --seed N (the seed the model was trained with, else 1)\n"
    "  --points N --noise X --classes N --val-fraction X --test-fraction X --limit N --label COLUMN\n"
    "           as for 'train'\n"
    "  --batch N (1000)   --threads N (1; 0 = all cores)\n"
    "  --json   one JSON line with \"final\": true, loss, accuracy, samples\n";

} // namespace

int eval(const std::vector<std::string>& argv)
{
    const Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp;
        return 0;
    }
    std::set<std::string> known {"model", "data", "split", "seed", "batch", "threads", "json", "help"};
    for (const char* name : kDataOptionNames) known.insert(name);
    args.allowOnly(known);
    const bool json = args.has("json");
    const int batch = args.integer("batch", 1000, 1, 1 << 20);
    nn::cpu::setThreads(args.integer("threads", 1, 0, 1024));

    const std::string modelPath = args.required("model");
    const nn::io::LoadedModel loaded = nn::io::loadModelFile(modelPath);
    const std::string dataName = args.required("data");
    const bool csv = dataName.size() > 4 && dataName.substr(dataName.size() - 4) == ".csv";
    const std::string split = args.str("split", csv ? "all" : "test");
    if (split != "test" && split != "validation" && split != "train" && split != "all")
        throw nn::Error("--split must be test, validation, train or all, got '" + split + "'");
    const auto& meta = loaded.extras.metadata;
    const int trainedSeed = meta.is_object() && meta.contains("seed") && meta["seed"].is_number_integer()
                                ? meta["seed"].get<int>()
                                : 1;
    const uint64_t seed = uint64_t(args.integer("seed", trainedSeed, 0, 2147483647));
    nn::data::SourceOptions source = dataSourceOptions(args, seed);
    if (split == "all") source.validationFraction = source.testFraction = 0.0;
    // A CSV's labels are the model's classes by name, not renumbered in the order
    // this file lists them ("dog" first must still be the model's "dog").
    source.csv.classes = loaded.extras.classNames;
    const nn::data::Split data = nn::data::loadSource(dataName, source);
    printDataNotices("eval", data);
    nn::data::Dataset all;
    const nn::data::Dataset* d = &data.test;
    if (split == "validation") d = &data.validation;
    if (split == "train") d = &data.train;
    if (split == "all") {
        // Fashion-MNIST keeps its official test set apart even with zero fractions.
        all = data.train;
        for (const nn::data::Dataset* part : {&data.validation, &data.test}) {
            all.features.insert(all.features.end(), part->features.begin(), part->features.end());
            all.labels.insert(all.labels.end(), part->labels.begin(), part->labels.end());
        }
        d = &all;
    }
    const nn::io::EvalResult r = nn::io::evaluateModel(loaded.model, *d, batch);
    if (json)
        emit({{"final", true},
              {"model", loaded.model.spec().name},
              {"data", dataName},
              {"split", split},
              {"samples", r.samples},
              {"loss", num(r.loss)},
              {"accuracy", num(r.accuracy)}});
    else
        std::cout << "model '" << loaded.model.spec().name << "' on " << dataName << " (" << split << ", "
                  << r.samples << " samples): loss " << std::fixed << std::setprecision(4) << r.loss
                  << "  accuracy " << r.accuracy << '\n';
    return 0;
}

} // namespace cli
