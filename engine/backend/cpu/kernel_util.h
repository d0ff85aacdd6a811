#pragma once
// Small helpers shared by the CPU kernel files (private to backend/cpu).
#include <cstdint>

#include "engine/backend/kernel.h"

namespace nn::cpu {

// dst[i] = f(i), or dst[i] += f(i) when accumulating a second gradient path.
template <class F> inline void store(float* dst, bool accumulate, int64_t n, F f)
{
    if (accumulate)
        for (int64_t i = 0; i < n; ++i) dst[i] += f(i);
    else
        for (int64_t i = 0; i < n; ++i) dst[i] = f(i);
}

inline const float* in0(const KernelCall& c) { return c.in[0]->data(); }
inline const float* in1(const KernelCall& c) { return c.in[1]->data(); }
inline const float* outp(const KernelCall& c) { return c.out->data(); }

// The kernel tables of each file, merged into one table in kernel_table.cpp.
void registerElementwise(Kernels* table);
void registerLinear(Kernels* table);
void registerReduce(Kernels* table);
void registerLoss(Kernels* table);
void registerConv(Kernels* table);
void registerPool(Kernels* table);
void registerNorm(Kernels* table);

} // namespace nn::cpu
