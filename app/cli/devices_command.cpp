// nnstudio-cli devices: the devices this build can train on and their measured
// ceilings (sgemm peak, copy bandwidth) per thread count, for the roofline.
#include <iomanip>
#include <iostream>

#include "app/cli/args.h"
#include "app/cli/commands.h"
#include "app/cli/json_out.h"
#include "engine/perf/device.h"

namespace cli {

namespace {

const char* kDevicesHelp =
    "usage: nnstudio-cli devices [--json] [--seconds X]\n"
    "  Lists the CPU (name, cores, vector ISA) and measures, for 1 thread and for every\n"
    "  core, the FMA ceiling (independent vector FMAs on registers), the peak sgemm\n"
    "  GFLOP/s (a sweep of square sizes) and the memory bandwidth\n"
    "  (a copy of buffers larger than the caches).\n"
    "  --seconds X   time spent measuring (2.5; 0.5 to 60)\n"
    "  --json        one JSON object, with \"final\": true\n";

} // namespace

int devices(const std::vector<std::string>& argv)
{
    const Args args(argv, {"json", "help"});
    if (args.has("help")) {
        std::cout << kDevicesHelp;
        return 0;
    }
    args.allowOnly({"json", "help", "seconds"});
    const double seconds = args.number("seconds", 2.5, 0.5, 60.0);
    const nn::perf::CpuInfo cpu = nn::perf::cpuInfo();
    const auto peaks = nn::perf::measurePeaks(seconds);
    if (args.has("json")) {
        nlohmann::json perThreads = nlohmann::json::array();
        for (const auto& p : peaks)
            perThreads.push_back({{"threads", p.threads},
                                  {"fma_peak_gflops", p.fmaGflops},
                                  {"gemm_efficiency", p.fmaGflops > 0 ? p.gflops / p.fmaGflops : 0.0},
                                  {"peak_gflops", p.gflops},
                                  {"peak_gemm_size", p.gemmSize},
                                  {"bandwidth_gbs", p.bandwidthGBs}});
        emit({{"final", true},
              {"devices",
               {{{"kind", "cpu"}, {"name", cpu.name}, {"cores", cpu.cores}, {"isa", cpu.isa}, {"measured", perThreads}}}},
              {"cuda", "not built (this build has no CUDA backend)"}});
        return 0;
    }
    std::cout << "cpu: " << cpu.name << ", " << cpu.cores << " cores, " << cpu.isa << '\n';
    for (const auto& p : peaks)
        std::cout << "  " << p.threads << (p.threads == 1 ? " thread:  " : " threads: ") << std::fixed
                  << std::setprecision(1) << p.fmaGflops << " GFLOP/s FMA ceiling, " << p.gflops << " GFLOP/s sgemm ("
                  << p.gemmSize << "³, " << std::setprecision(0) << 100.0 * p.gflops / std::max(1e-9, p.fmaGflops)
                  << "% of the ceiling), " << std::setprecision(1)
                  << p.bandwidthGBs << " GB/s copy bandwidth\n";
    std::cout << "cuda: not built (this build has no CUDA backend)\n";
    return 0;
}

} // namespace cli
