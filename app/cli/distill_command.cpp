// nnstudio-cli distill: trains a small student model on a trained teacher's soft
// labels at temperature T (engine/compress/distill.h), one JSON line per epoch.
#include <iomanip>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/data_options.h"
#include "app/cli/json_out.h"
#include "engine/backend/kernel.h"
#include "engine/compress/distill.h"
#include "engine/core/error.h"
#include "engine/core/numbers.h"
#include "engine/io/model_file.h"

namespace cli {

namespace {

const char* kHelp =
    "usage: nnstudio-cli distill --teacher TEACHER.nnm --student SPEC.json --data NAME|FILE.csv [options]\n"
    "  Trains the student on L = alpha * T^2 * KL(softmax(z_t/T) || softmax(z_s/T))\n"
    "                          + (1 - alpha) * cross-entropy(labels)\n"
    "  --teacher MODEL.nnm  a trained model (nnstudio-cli train ... --out MODEL.nnm)\n"
    "  --student SPEC.json  the small model to train (softmax_cross_entropy loss)\n"
    "  --data        spiral | circles | xor | gaussians | fashion-mnist | FILE.csv\n"
    "  --temperature T (4)  softens the teacher's probabilities (1 = as they are)\n"
    "  --alpha A (0.9)      weight of the soft targets; 0 = plain training on the labels\n"
    "  --epochs N (10)  --batch N (32)  --lr X (0.01)  --optimizer sgd|momentum|adam (adam)\n"
    "  --weight-decay X (0)  --schedule constant|step|cosine (constant)\n"
    "  --seed N (the teacher's training seed, else 1): the student's initial weights, shuffling\n"
    "           and the data split (the same split as the teacher's when it is the same seed)\n"
    "  --points N --noise X --classes N --val-fraction X --test-fraction X --limit N --label COLUMN\n"
    "           as for 'train'\n"
    "  --threads N (1; 0 = all cores)\n"
    "  --out MODEL.nnm  save the trained student\n"
    "  --json        one JSON object per line; the last has \"final\": true\n";

} // namespace

int distill(const std::vector<std::string>& argv)
{
    const Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kHelp;
        return 0;
    }
    std::set<std::string> known {"teacher", "student", "data", "temperature", "alpha", "epochs", "batch",
                                 "lr", "optimizer", "momentum", "weight-decay", "schedule", "seed", "threads",
                                 "out", "json", "help"};
    for (const char* name : kDataOptionNames) known.insert(name);
    args.allowOnly(known);
    const bool json = args.has("json");

    const std::string teacherPath = args.required("teacher");
    const nn::ModelSpec studentSpec = nn::ModelSpec::fromFile(args.required("student"));
    const std::string dataName = args.required("data");
    const nn::io::LoadedModel teacher = nn::io::loadModelFile(teacherPath);
    const auto& meta = teacher.extras.metadata;
    const int teacherSeed = meta.is_object() && meta.contains("seed") && meta["seed"].is_number_integer()
                                ? meta["seed"].get<int>()
                                : 1;

    nn::compress::DistillConfig config;
    config.temperature = float(args.number("temperature", 4.0, 1e-3, 1e3));
    config.alpha = float(args.number("alpha", 0.9, 0.0, 1.0));
    nn::TrainConfig& tc = config.train;
    tc.epochs = args.integer("epochs", 10, 1, 100000);
    tc.batch = args.integer("batch", 32, 1, 1 << 20);
    tc.lr = float(args.number("lr", 0.01, 1e-12, 1e6));
    tc.optimizer.kind = args.str("optimizer", "adam");
    tc.optimizer.momentum = float(args.number("momentum", 0.9, 0.0, 0.9999));
    tc.optimizer.weightDecay = float(args.number("weight-decay", 0.0, 0.0, 10.0));
    tc.schedule.kind = args.str("schedule", "constant");
    tc.seed = uint64_t(args.integer("seed", teacherSeed, 0, 2147483647));
    nn::cpu::setThreads(args.integer("threads", 1, 0, 1024));

    if (args.has("out")) nn::io::checkModelFileWritable(args.str("out"));  // before training
    nn::data::SourceOptions source = dataSourceOptions(args, tc.seed);
    source.csv.classes = teacher.extras.classNames;  // a CSV's labels as the teacher names its outputs
    const nn::data::Split data = nn::data::loadSource(dataName, source);
    printDataNotices("distill", data);
    nn::Model student(studentSpec, data.train.sampleShape, data.train.numClasses);
    if (json)
        emit({{"event", "start"}, {"teacher", teacher.model.spec().name},
              {"teacher_parameters", teacher.model.parameterCount()}, {"student", studentSpec.name},
              {"student_parameters", student.parameterCount()}, {"temperature", nn::num::asTyped(config.temperature)},
              {"alpha", nn::num::asTyped(config.alpha)}, {"train_samples", data.train.size()}, {"test_samples", data.test.size()}});
    else
        std::cout << "distilling '" << teacher.model.spec().name << "' (" << teacher.model.parameterCount()
                  << " parameters) into '" << studentSpec.name << "' (" << student.parameterCount()
                  << " parameters), T = " << config.temperature << ", alpha = " << config.alpha << '\n';

    nn::compress::Distiller distiller(student, teacher.model, data, config);
    distiller.onEpoch = [json](const nn::EpochMetrics& m) {
        if (json)
            emit({{"event", "epoch"}, {"epoch", m.epoch}, {"train_loss", num(m.trainLoss)},
                  {"train_accuracy", num(m.trainAccuracy)}, {"val_loss", num(m.valLoss)},
                  {"val_accuracy", num(m.valAccuracy)}, {"lr", m.lr}, {"steps", m.steps}, {"seconds", m.seconds}});
        else
            std::cout << "epoch " << std::setw(4) << m.epoch << "  loss " << std::fixed << std::setprecision(4)
                      << m.trainLoss << "  acc " << m.trainAccuracy << "  val_acc " << m.valAccuracy << '\n';
    };
    distiller.run();
    const nn::compress::DistillResult& r = distiller.result();

    nlohmann::json final {{"final", true},
                          {"status", nn::statusName(r.status)},
                          {"epochs", r.epochs},
                          {"steps", r.steps},
                          {"temperature", nn::num::asTyped(config.temperature)},
                          {"alpha", nn::num::asTyped(config.alpha)},
                          {"train_loss", num(r.last.trainLoss)},
                          {"val_accuracy", num(r.last.valAccuracy)},
                          {"test_loss", num(r.testLoss)},
                          {"test_accuracy", num(r.testAccuracy)},
                          {"teacher_test_accuracy", num(r.teacherTestAccuracy)},
                          {"student_parameters", student.parameterCount()},
                          {"teacher_parameters", teacher.model.parameterCount()},
                          {"seconds", r.seconds}};
    if (!r.message.empty()) final["message"] = r.message;
    if (args.has("out") && r.status != nn::TrainStatus::Diverged) {
        nn::io::ModelFileExtras extras;
        extras.classNames = data.train.classNames;
        extras.metadata = {{"data", dataName},
                           {"seed", tc.seed},
                           {"epochs", r.epochs},
                           {"distilled_from", teacherPath},
                           {"temperature", nn::num::asTyped(config.temperature)},
                           {"alpha", nn::num::asTyped(config.alpha)},
                           {"test_accuracy", num(r.testAccuracy)}};
        nn::io::saveModelFile(args.str("out"), student, extras);
        final["model_file"] = args.str("out");
    }
    if (json)
        emit(final);
    else
        std::cout << "done (" << nn::statusName(r.status) << "): student test_accuracy " << std::setprecision(4)
                  << r.testAccuracy << ", teacher " << r.teacherTestAccuracy
                  << (r.message.empty() ? "" : "\n" + r.message) << '\n';
    return r.status == nn::TrainStatus::Diverged ? 4 : 0;
}

} // namespace cli
