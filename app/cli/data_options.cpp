#include "app/cli/data_options.h"

#include <iostream>

#include "engine/core/utf8.h"

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

void printDataNotices(const std::string& command, const nn::data::Split& data)
{
    for (const std::string& n : data.train.notices) std::cerr << "nnstudio-cli " << command << ": note: " << n << '\n';
}

std::string utf8Option(const std::string& command, const Args& args, const std::string& name)
{
    bool converted = false;
    std::string v = nn::utf8::decode(args.str(name), &converted);
    if (converted)
        std::cerr << "nnstudio-cli " << command << ": note: --" << name
                  << " is not UTF-8; it was read as Latin-1 and converted to '" << v << "'\n";
    return v;
}

} // namespace cli
