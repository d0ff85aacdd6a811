#include "app/cli/data_options.h"

namespace cli {

nn::data::SourceOptions dataSourceOptions(const Args& args, uint64_t seed)
{
    nn::data::SourceOptions source;
    source.twoD.points = args.integer("points", 500, 4, 10000000);
    source.twoD.noise = args.number("noise", 0.1, 0.0, 10.0);
    source.twoD.classes = args.integer("classes", 2, 2, 100);
    source.twoD.seed = seed;
    source.splitSeed = seed;
    // Fashion-MNIST keeps its official 10k test set; 5000 of the 60k training
    // images validate (as is customary), leaving 55k to train on.
    const bool fashion = args.str("data") == "fashion-mnist";
    source.validationFraction = args.number("val-fraction", fashion ? 5000.0 / 60000.0 : 0.15, 0.0, 0.9);
    source.testFraction = args.number("test-fraction", 0.15, 0.0, 0.9);
    source.limit = size_t(args.integer("limit", 0, 0, 100000000));
    source.csv.labelColumn = args.str("label");
    return source;
}

} // namespace cli
