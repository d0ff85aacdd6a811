// store_bench: the run store's figures on this machine.
//   1. metric rows logged per second through RunRecorder (the path training uses:
//      push from the training thread, batches committed by the writer thread),
//      and straight through RunStore::addMetrics;
//   2. listing a history of 10 000 runs;
//   3. opening one run with 100 000 step rows (its summary, epochs and steps).
// Targets (issue 7): >= 200k rows/s; listing and opening each well under 200 ms.
// Usage: store_bench [--json] [--dir DIR]   (DIR: where the scratch files go, default /tmp)
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "engine/store/run_recorder.h"
#include "engine/store/run_store.h"

using namespace nn;
using namespace nn::store;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

NewRun sample(int i)
{
    NewRun r;
    r.name = "run " + std::to_string(i);
    r.spec = {{"name", "spiral-mlp"},
              {"input", {{"shape", {2}}}},
              {"layers", {{{"id", "h1"}, {"type", "dense"}, {"units", 16}, {"activation", "tanh"}},
                          {{"id", "out"}, {"type", "dense"}, {"units", 2}}}},
              {"loss", "softmax_cross_entropy"}};
    r.hyper = {{"epochs", 20}, {"batch", 10}, {"lr", 0.03}, {"optimizer", "adam"}};
    r.dataset = "spiral";
    r.datasetParams = {{"points", 500}, {"noise", 0.1}};
    r.seed = uint64_t(i);
    return r;
}

template <class F> double best(int repeats, F fn)
{
    double b = 1e300;
    for (int i = 0; i < repeats; ++i) {
        const auto t = Clock::now();
        fn();
        b = std::min(b, since(t));
    }
    return b;
}

} // namespace

int main(int argc, char** argv)
{
    bool json = false;
    std::string dir = "/tmp";
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--json")) json = true;
        else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) dir = argv[++i];
        else {
            std::fprintf(stderr, "usage: store_bench [--json] [--dir DIR]\n");
            return 2;
        }
    }
    const std::string base = dir + "/store_bench_" + std::to_string(getpid());
    auto remove = [](const std::string& p) {
        for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(p + s);
    };

    // 1. Logging rate.
    const std::string logPath = base + "_log.sqlite";
    remove(logPath);
    const int64_t rows = 1000000;
    double pushSeconds = 0, recorderSeconds = 0;
    {
        RunRecorder rec(logPath, sample(0));
        const auto t0 = Clock::now();
        for (int64_t i = 1; i <= rows; ++i) rec.step({i, int(i / 1000), 1.0 / double(i), 0.01f});
        pushSeconds = since(t0);
        rec.flush();
        recorderSeconds = since(t0);
        rec.finish("completed", "", 1);
    }
    double directSeconds = 0;
    {
        RunStore s(logPath);
        const int64_t id = s.createRun(sample(1));
        std::vector<StepMetrics> batch(10000);
        const auto t0 = Clock::now();
        for (int64_t b = 0; b < rows / 10000; ++b) {
            for (int64_t i = 0; i < 10000; ++i) batch[size_t(i)] = {b * 10000 + i + 1, int(b), 0.5, 0.01f};
            s.addMetrics(id, batch, {});
        }
        directSeconds = since(t0);
    }
    remove(logPath);

    // 2 and 3. A history of 10 000 runs (20 epochs each), one with 100 000 steps.
    const std::string histPath = base + "_history.sqlite";
    remove(histPath);
    const int runs = 10000;
    int64_t bigId = 0;
    const auto tb = Clock::now();
    {
        RunStore s(histPath);
        for (int i = 0; i < runs; ++i) {
            const int64_t id = s.createRun(sample(i));
            std::vector<EpochMetrics> epochs;
            for (int e = 1; e <= 20; ++e)
                epochs.push_back({e, 1.0 / e, 0.5 + 0.02 * e, 1.1 / e, 0.5 + 0.019 * e, 0.03f, int64_t(e) * 35, 0.01 * e});
            std::vector<StepMetrics> steps;
            if (i == runs / 2) {
                bigId = id;
                for (int64_t k = 1; k <= 100000; ++k) steps.push_back({k, int(k / 35), 1.0 / double(k), 0.03f});
            }
            s.addMetrics(id, steps, epochs);
            s.finishRun(id, "completed", "", 0.2);
        }
    }
    const double buildSeconds = since(tb);
    double openSeconds = 0, listSeconds = 0, showSeconds = 0;
    size_t listed = 0, stepRows = 0;
    {
        openSeconds = best(3, [&] { RunStore s(histPath, OpenMode::ReadOnly); });
        RunStore s(histPath, OpenMode::ReadOnly);
        listSeconds = best(5, [&] { listed = s.list().size(); });
        showSeconds = best(5, [&] {
            const RunInfo r = s.run(bigId);
            const auto e = s.epochs(bigId);
            stepRows = s.steps(bigId).size();
            (void)r;
            (void)e;
        });
    }
    double openRwSeconds = best(3, [&] { RunStore s(histPath); });  // includes quick_check
    const auto size = std::filesystem::file_size(histPath);
    remove(histPath);

    const double recorderRate = double(rows) / recorderSeconds, directRate = double(rows) / directSeconds;
    const bool ok = recorderRate >= 200000 && listSeconds < 0.2 && showSeconds < 0.2;
    if (json) {
        std::printf("{\"event\":\"logging\",\"rows\":%lld,\"recorder_rows_per_s\":%.0f,\"push_ns_per_row\":%.1f,"
                    "\"direct_rows_per_s\":%.0f}\n",
                    (long long)rows, recorderRate, pushSeconds / double(rows) * 1e9, directRate);
        std::printf("{\"event\":\"history\",\"runs\":%zu,\"file_mb\":%.1f,\"list_ms\":%.2f,\"open_run_ms\":%.2f,"
                    "\"step_rows\":%zu,\"open_store_ro_ms\":%.2f,\"open_store_rw_ms\":%.2f}\n",
                    listed, double(size) / 1e6, listSeconds * 1e3, showSeconds * 1e3, stepRows, openSeconds * 1e3,
                    openRwSeconds * 1e3);
        std::printf("{\"final\":true,\"targets_met\":%s}\n", ok ? "true" : "false");
    } else {
        std::printf("logging %lld step rows:\n", (long long)rows);
        std::printf("  through RunRecorder (writer thread)  %10.0f rows/s   (push %.0f ns/row on the training thread)\n",
                    recorderRate, pushSeconds / double(rows) * 1e9);
        std::printf("  straight addMetrics, 10k-row batches %10.0f rows/s\n", directRate);
        std::printf("history of %zu runs x 20 epochs + one run of %zu steps (%.1f MB, built in %.1f s):\n", listed,
                    stepRows, double(size) / 1e6, buildSeconds);
        std::printf("  list all runs                        %8.2f ms\n", listSeconds * 1e3);
        std::printf("  open the 100k-step run (all rows)    %8.2f ms\n", showSeconds * 1e3);
        std::printf("  open the file read-only / read-write %8.2f / %.2f ms (read-write runs quick_check)\n",
                    openSeconds * 1e3, openRwSeconds * 1e3);
        std::printf("targets (>= 200k rows/s, < 200 ms): %s\n", ok ? "met" : "NOT met");
    }
    return ok ? 0 : 1;
}
