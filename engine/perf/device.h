#pragma once
// The devices the engine can run on and their measured ceilings: peak FLOP/s from
// an sgemm sweep and memory bandwidth from a stream-like copy, per thread count.
// These are the roofline's roof and slope (a kernel at intensity I FLOP/byte can
// reach at most min(peak, I × bandwidth)).
#include <string>
#include <vector>

namespace nn::perf {

struct CpuInfo {
    std::string name;  // "Intel(R) Xeon(R) Processor" (from /proc/cpuinfo)
    int cores = 1;     // logical CPUs this process may run on
    std::string isa;   // widest vector extension the engine was built for: "avx512", "avx2", "sse"
};

struct PeakPoint {
    int threads = 1;
    double fmaGflops = 0;     // the arithmetic ceiling: independent vector FMAs, no memory
    double gflops = 0;        // best sgemm rate over the sweep
    int gemmSize = 0;         // the square size that reached it
    double bandwidthGBs = 0;  // copy: (bytes read + bytes written) / time
};

CpuInfo cpuInfo();

// Square sgemm sizes tried by the sweep.
const std::vector<int>& gemmSweepSizes();

// Best sgemm GFLOP/s over gemmSweepSizes() with `threads` BLAS threads, spending
// about `seconds` in total. Restores the engine's thread setting.
double measureGemmPeak(int threads, double seconds, int* bestSize = nullptr);
// GFLOP/s of one n×n×n sgemm through the engine's gemm (best of repeats within `seconds`).
double measureGemm(int n, int threads, double seconds);
// The FLOP/s the cores can do at all: chains of independent vector fused
// multiply-adds on registers, `threads` threads, best of repeats within `seconds`.
// What GEMM efficiency is measured against (sgemm / this).
double measureFmaPeak(int threads, double seconds);
// Copy bandwidth in GB/s over buffers much larger than the caches, split over
// `threads` threads, best of repeats within about `seconds`.
double measureBandwidth(int threads, double seconds);

// Both measurements for 1 thread and for every core (one entry when cores == 1).
// The whole sweep takes about `seconds`.
std::vector<PeakPoint> measurePeaks(double seconds = 2.5);

} // namespace nn::perf
