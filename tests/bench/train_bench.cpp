// bench_train: full training steps (forward, loss, backward, Adam update) of our
// engine and of PyTorch CPU, in the same run, on the same machine, with the same
// thread count and the same OpenBLAS kernels; prints samples/s and the ratio.
//   bench_train [--threads N] [--seconds S] [--python PATH] [--no-torch] [--json]
// Also times a 1024² sgemm against the FMA ceiling measured here.
// Exit code: 0 when every target is met, 1 when one is missed, 2 on bad usage.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/backend/cpu/blas.h"
#include "engine/backend/kernel.h"
#include "engine/nn/model.h"
#include "engine/nn/model_spec.h"
#include "engine/perf/device.h"
#include "engine/train/trainer.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Case {
    std::string name, spec;
    std::vector<int64_t> shape;
    int batch;
    double target;  // ours / PyTorch
};

const std::vector<Case> kCases {
    {"tiny 2-8-8-2 tanh", "tiny-2-8-8-2.json", {2}, 32, 20.0},
    {"LeNet-300-100", "lenet-300-100.json", {1, 28, 28}, 64, 1.2},
    {"LeNet-300-100", "lenet-300-100.json", {1, 28, 28}, 256, 1.2},
    {"LeNet-5", "lenet5.json", {1, 28, 28}, 64, 1.0},
};

std::string key(const std::string& name, int batch) { return name + "@" + std::to_string(batch); }

// Random inputs and labels of the right shapes: enough batches that an epoch
// (and its validation pass) never falls inside the timed steps.
nn::data::Split randomData(const Case& c, int batches)
{
    nn::data::Dataset d;
    d.name = "random";
    d.sampleShape = c.shape;
    d.numClasses = c.shape.size() == 1 ? 2 : 10;
    for (int i = 0; i < d.numClasses; ++i) d.classNames.push_back(std::to_string(i));
    const size_t n = size_t(c.batch) * size_t(batches);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    d.features.resize(n * d.featureCount());
    for (float& f : d.features) f = u(rng);
    d.labels.resize(n);
    for (auto& l : d.labels) l = int32_t(rng() % uint32_t(d.numClasses));
    nn::data::Split s;
    s.train = d;
    s.validation = d.subset({0});
    return s;
}

double oursSamplesPerSecond(const Case& c, double seconds)
{
    const auto spec = nn::ModelSpec::fromFile(std::string(NN_SOURCE_DIR) + "/assets/models/" + c.spec);
    const int batches = c.shape.size() == 1 ? 4000 : std::max(40, 20000 / c.batch);
    const nn::data::Split data = randomData(c, batches);
    nn::Model model(spec, data.train.sampleShape, data.train.numClasses);
    nn::TrainConfig config;
    config.batch = c.batch;
    config.epochs = 1000000;
    config.lr = 1e-3f;
    config.optimizer.kind = "adam";
    config.stepEventEvery = 0;
    nn::Trainer trainer(model, data, config);
    nn::cpu::enableFlushToZero();  // as the training worker does
    for (int i = 0; i < 20; ++i) trainer.step();  // warm up: graphs built, caches hot
    double best = 0;
    const auto start = Clock::now();
    int steps = 0;
    // Best of short windows, as PyTorch's side does: robust to a noisy neighbour.
    while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
        const auto t = Clock::now();
        const int window = std::max(5, int(2000 / c.batch));
        for (int i = 0; i < window; ++i) {
            if ((steps + i + 1) % batches == 0) trainer.step();  // the epoch's end: not timed below
            trainer.step();
        }
        steps += window;
        best = std::max(best, double(window) * c.batch / std::chrono::duration<double>(Clock::now() - t).count());
    }
    return best;
}

std::map<std::string, double> torchSamplesPerSecond(const std::string& python, int threads, double seconds,
                                                    double* torchGemm, std::string* error)
{
    std::map<std::string, double> out;
    const std::string core = nn::cpu::blas::coreName();
    // Same BLAS kernels for PyTorch (it uses Debian's OpenBLAS through libblas.so.3).
    std::string cmd = "OPENBLAS_CORETYPE=" + core + " " + python + " " + NN_SOURCE_DIR +
                      "/tests/bench/torch_reference.py --threads " + std::to_string(threads) + " --seconds " +
                      std::to_string(seconds) + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) {
        *error = "cannot start " + python;
        return out;
    }
    std::string text;
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) text.append(buf, n);
    const int rc = pclose(p);
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t end = text.find('\n', pos);
        const std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? text.size() : end + 1;
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue;
        if (j.contains("gemm_gflops")) *torchGemm = j["gemm_gflops"];
        if (j.contains("case")) out[key(j["case"], j["batch"])] = j["samples_per_second"];
    }
    if (rc != 0 || out.empty())
        *error = "the PyTorch reference failed (install it: bash packaging/setup.sh --bench): " + text.substr(0, 400);
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    int threads = 1;
    double seconds = 3.0;
    std::string python = "/usr/bin/python3";  // Debian's, where python3-torch lives
    bool torch = true, json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "bench_train: " << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--threads") threads = std::max(1, std::atoi(next().c_str()));
        else if (a == "--seconds") seconds = std::max(0.5, std::atof(next().c_str()));
        else if (a == "--python") python = next();
        else if (a == "--no-torch") torch = false;
        else if (a == "--json") json = true;
        else {
            std::cerr << "usage: bench_train [--threads N] [--seconds S] [--python PATH] [--no-torch] [--json]\n";
            return 2;
        }
    }
    nn::cpu::setThreads(threads);
    std::cout << "bench_train: " << nn::perf::cpuInfo().name << ", " << threads << " thread(s), OpenBLAS core "
              << nn::cpu::blas::coreName()
              << (nn::cpu::blas::requestedCore().empty() ? "" : " (chosen by the engine)") << "\n";

    std::map<std::string, double> ref;
    double torchGemm = 0;
    std::string torchError;
    if (torch) ref = torchSamplesPerSecond(python, threads, seconds, &torchGemm, &torchError);
    if (!torchError.empty()) std::cout << "warning: " << torchError << '\n';

    bool allMet = true;
    std::cout << '\n'
              << std::left << std::setw(20) << "case" << std::right << std::setw(7) << "batch" << std::setw(14)
              << "ours/s" << std::setw(14) << "PyTorch/s" << std::setw(9) << "ratio" << std::setw(9) << "target"
              << "  met\n";
    for (const Case& c : kCases) {
        const double ours = oursSamplesPerSecond(c, seconds);
        const auto it = ref.find(key(c.name, c.batch));
        const double theirs = it == ref.end() ? 0 : it->second;
        const double ratio = theirs > 0 ? ours / theirs : 0;
        const bool met = theirs > 0 && ratio >= c.target;
        allMet = allMet && met;
        std::cout << std::left << std::setw(20) << c.name << std::right << std::setw(7) << c.batch << std::fixed
                  << std::setprecision(0) << std::setw(14) << ours << std::setw(14) << theirs << std::setprecision(2)
                  << std::setw(8) << ratio << "×" << std::setw(8) << c.target << "×  " << (met ? "yes" : "NO") << '\n';
        if (json)
            std::cout << nlohmann::json {{"case", c.name}, {"batch", c.batch}, {"ours_samples_per_second", ours},
                                         {"torch_samples_per_second", theirs}, {"ratio", ratio}, {"target", c.target},
                                         {"met", met}}
                             .dump()
                      << '\n';
    }

    const double fma = nn::perf::measureFmaPeak(threads, 1.0);
    const double gemm = nn::perf::measureGemm(1024, threads, seconds);
    const bool gemmMet = gemm >= 0.85 * fma;
    allMet = allMet && gemmMet;
    std::cout << std::left << std::setw(20) << "sgemm 1024³" << std::right << std::setw(7) << "-" << std::setprecision(1)
              << std::setw(9) << gemm << " GF/s" << std::setw(9) << torchGemm << " GF/s" << std::setprecision(0)
              << std::setw(8) << 100.0 * gemm / fma << "%" << std::setw(8) << 85 << "%  " << (gemmMet ? "yes" : "NO")
              << "   (of the " << std::setprecision(1) << fma << " GFLOP/s FMA ceiling measured here)\n";
    if (json)
        std::cout << nlohmann::json {{"case", "sgemm 1024"}, {"gflops", gemm}, {"torch_gflops", torchGemm},
                                     {"fma_peak_gflops", fma}, {"fraction_of_peak", gemm / fma}, {"met", gemmMet}}
                         .dump()
                  << '\n';
    return allMet ? 0 : 1;
}
