#include "engine/perf/device.h"

#include <immintrin.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>

#include "engine/backend/cpu/gemm.h"
#include "engine/backend/kernel.h"
#include "engine/tensor/tensor.h"

namespace nn::perf {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Restores the engine's thread count when a measurement ends.
struct ThreadsGuard {
    int saved = cpu::threads();
    explicit ThreadsGuard(int t) { cpu::setThreads(t); }
    ~ThreadsGuard() { cpu::setThreads(saved); }
};

} // namespace

CpuInfo cpuInfo()
{
    CpuInfo info;
    std::ifstream f("/proc/cpuinfo");
    for (std::string line; std::getline(f, line);)
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos) info.name = line.substr(line.find_first_not_of(" \t", colon + 1));
            break;
        }
    if (info.name.empty()) info.name = "unknown CPU";
    cpu_set_t set;
    CPU_ZERO(&set);
    info.cores = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                              : int(std::max(1u, std::thread::hardware_concurrency()));
#if defined(__AVX512F__)
    info.isa = "avx512";
#elif defined(__AVX2__)
    info.isa = "avx2";
#else
    info.isa = "sse";
#endif
    return info;
}

const std::vector<int>& gemmSweepSizes()
{
    static const std::vector<int> v {256, 512, 768, 1024, 1536};
    return v;
}

double measureGemm(int n, int threads, double seconds)
{
    ThreadsGuard guard(threads);
    Tensor a = Tensor::full(Shape {n, n}, 0.5f), b = Tensor::full(Shape {n, n}, 0.25f), c(Shape {n, n});
    const double flops = 2.0 * n * n * double(n);
    cpu::gemm(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);  // warm up
    double best = 0;
    const auto start = Clock::now();
    do {
        const auto t = Clock::now();
        cpu::gemm(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
        best = std::max(best, flops / since(t) * 1e-9);
    } while (since(start) < seconds);
    return best;
}

double measureGemmPeak(int threads, double seconds, int* bestSize)
{
    double best = 0;
    const auto& sizes = gemmSweepSizes();
    for (int n : sizes) {
        const double g = measureGemm(n, threads, seconds / double(sizes.size()));
        if (g > best) {
            best = g;
            if (bestSize) *bestSize = n;
        }
    }
    return best;
}

namespace {
// 12 independent chains of vector fused multiply-adds hide the FMA latency (4
// cycles) on two pipes; intrinsics, so the compiler cannot reshape the loop (a
// vector-extension version measured a third of this, and worse on two threads).
// Returns the FLOPs done; `sink` keeps the work from being dropped.
double fmaBurst(int64_t iterations, float* sink)
{
    constexpr int kAcc = 12;
#if defined(__AVX512F__)
    __m512 acc[kAcc];
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_set1_ps(float(i) * 1e-3f);
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int64_t it = 0; it < iterations; ++it)
        for (int i = 0; i < kAcc; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    __m512 total = acc[0];
    for (int i = 1; i < kAcc; ++i) total = _mm512_add_ps(total, acc[i]);
    alignas(64) float lanes[16];  // not _mm512_reduce_add_ps: GCC 12 warns inside its own header
    _mm512_store_ps(lanes, total);
    *sink = lanes[0];
    constexpr int kLanes = 16;
#elif defined(__FMA__)
    __m256 acc[kAcc];
    for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_set1_ps(float(i) * 1e-3f);
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int64_t it = 0; it < iterations; ++it)
        for (int i = 0; i < kAcc; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    alignas(32) float lanes[8];
    __m256 total = acc[0];
    for (int i = 1; i < kAcc; ++i) total = _mm256_add_ps(total, acc[i]);
    _mm256_store_ps(lanes, total);
    *sink = lanes[0];
    constexpr int kLanes = 8;
#else
    float acc[kAcc];
    for (int i = 0; i < kAcc; ++i) acc[i] = float(i) * 1e-3f;
    for (int64_t it = 0; it < iterations; ++it)
        for (int i = 0; i < kAcc; ++i) acc[i] = acc[i] * 0.999999f + 1e-7f;
    *sink = acc[0] + acc[kAcc - 1];
    constexpr int kLanes = 1;
#endif
    return double(iterations) * kAcc * kLanes * 2;
}
} // namespace

double measureFmaPeak(int threads, double seconds)
{
    threads = std::max(1, threads);
    constexpr int64_t kIterations = 8'000'000;  // ~15 ms a burst: thread start-up is noise
    double best = 0;
    const auto start = Clock::now();
    do {
        std::vector<float> sinks(size_t(threads) * 16);
        std::vector<std::thread> pool;
        const auto t = Clock::now();
        for (int i = 1; i < threads; ++i) pool.emplace_back([&, i] { fmaBurst(kIterations, &sinks[size_t(i) * 16]); });
        double flops = fmaBurst(kIterations, &sinks[0]);
        for (auto& th : pool) th.join();
        flops *= threads;
        best = std::max(best, flops / since(t) * 1e-9);
    } while (since(start) < seconds);
    return best;
}

double measureBandwidth(int threads, double seconds)
{
    // 2 × 128 MiB: far beyond any L2 and most L3s, so the copy streams from memory.
    const size_t n = size_t(32) << 20;
    std::unique_ptr<float[], void (*)(void*)> src(static_cast<float*>(std::aligned_alloc(64, n * 4)), std::free);
    std::unique_ptr<float[], void (*)(void*)> dst(static_cast<float*>(std::aligned_alloc(64, n * 4)), std::free);
    if (!src || !dst) return 0;
    threads = std::max(1, threads);
    auto copy = [&](int parts) {
        std::vector<std::thread> pool;
        const size_t chunk = (n + size_t(parts) - 1) / size_t(parts);
        for (int t = 1; t < parts; ++t)
            pool.emplace_back([&, t] {
                const size_t lo = std::min(n, size_t(t) * chunk), hi = std::min(n, lo + chunk);
                std::memcpy(dst.get() + lo, src.get() + lo, (hi - lo) * 4);
            });
        std::memcpy(dst.get(), src.get(), std::min(n, chunk) * 4);
        for (auto& th : pool) th.join();
    };
    // Touch both buffers before timing: page faults are not bandwidth.
    std::memset(src.get(), 1, n * 4);
    copy(threads);
    double best = 0;
    const auto start = Clock::now();
    do {
        const auto t = Clock::now();
        copy(threads);
        best = std::max(best, 2.0 * double(n) * 4.0 / since(t) * 1e-9);
    } while (since(start) < seconds);
    return best;
}

std::vector<PeakPoint> measurePeaks(double seconds)
{
    const int cores = cpuInfo().cores;
    std::vector<int> counts {1};
    if (cores > 1) counts.push_back(cores);
    std::vector<PeakPoint> out;
    const double each = seconds / double(counts.size());
    for (int t : counts) {
        PeakPoint p;
        p.threads = t;
        p.fmaGflops = measureFmaPeak(t, each * 0.15);
        p.gflops = measureGemmPeak(t, each * 0.6, &p.gemmSize);
        p.bandwidthGBs = measureBandwidth(t, each * 0.25);
        out.push_back(p);
    }
    return out;
}

} // namespace nn::perf
