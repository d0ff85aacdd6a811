#include "engine/backend/cpu/blas.h"

#include <cblas.h>
#include <cpuid.h>
#include <dlfcn.h>

#include <cstdlib>

#include "engine/core/error.h"

namespace nn::cpu::blas {

namespace {

// The OpenBLAS core type to ask for on this CPU, or nullptr to let OpenBLAS
// detect. Only where we measured a better choice than OpenBLAS's own.
const char* preferredCore()
{
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return nullptr;
    const bool amd = ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163;  // "AuthenticAMD"
    if (!amd || !__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return nullptr;
    const unsigned family = ((eax >> 8) & 0xf) + ((eax >> 20) & 0xff);
    unsigned a7 = 0, b7 = 0, c7 = 0, d7 = 0;
    const bool avx512f = __get_cpuid_count(7, 0, &a7, &b7, &c7, &d7) && (b7 & (1u << 16));
    return family >= 0x1a && avx512f ? "SkylakeX" : nullptr;  // Zen 5 and later
}

struct Library {
    std::string requested;
    decltype(&cblas_sgemm) sgemm = nullptr;
    void (*setThreads)(int) = nullptr;
    int (*processors)() = nullptr;
    char* (*coreName)() = nullptr;
};

Library open()
{
    Library lib;
    // NNSTUDIO_BLAS_CORE overrides our choice ("openblas": keep OpenBLAS's own
    // detection and any OPENBLAS_CORETYPE inherited from the environment).
    const char* own = std::getenv("NNSTUDIO_BLAS_CORE");
    const char* preferred = preferredCore();
    const std::string choice = own && *own ? own : (preferred ? preferred : "openblas");
    if (choice != "openblas") {
        setenv("OPENBLAS_CORETYPE", choice.c_str(), 1);
        lib.requested = choice;
    }
    void* handle = nullptr;
    for (const char* name : {"libopenblas.so.0", "libopenblas.so"})
        if ((handle = dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
    if (!handle)
        throw Error("OpenBLAS is not installed (libopenblas.so.0 not found): apt-get install libopenblas0-pthread");
    auto symbol = [&](const char* name) {
        void* p = dlsym(handle, name);
        if (!p) throw Error(std::string("OpenBLAS has no symbol ") + name + ": reinstall libopenblas0-pthread");
        return p;
    };
    lib.sgemm = reinterpret_cast<decltype(&cblas_sgemm)>(symbol("cblas_sgemm"));
    lib.setThreads = reinterpret_cast<void (*)(int)>(symbol("openblas_set_num_threads"));
    lib.processors = reinterpret_cast<int (*)()>(symbol("openblas_get_num_procs"));
    lib.coreName = reinterpret_cast<char* (*)()>(symbol("openblas_get_corename"));
    // One thread, as the engine's own count starts (cpu::threads() == 1) until
    // setThreads says otherwise: left alone, OpenBLAS uses every core, and its idle
    // workers spin in sched_yield beside the app's UI thread.
    lib.setThreads(1);
    return lib;
}

const Library& library()
{
    static const Library lib = open();
    return lib;
}

} // namespace

void sgemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
           int ldb, float beta, float* c, int ldc)
{
    library().sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k,
                    alpha, a, lda, b, ldb, beta, c, ldc);
}

void setThreads(int threads) { library().setThreads(threads); }
int processors() { return library().processors(); }
std::string coreName() { return library().coreName(); }
std::string requestedCore() { return library().requested; }

} // namespace nn::cpu::blas
