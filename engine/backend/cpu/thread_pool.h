#pragma once
// The engine's own threads for kernels that split a batch (convolution): the
// training thread and threads()-1 persistent workers each take one contiguous
// share of [0, n). Sized by setThreads (--threads), like OpenBLAS. Private to
// backend/cpu.
#include <cstdint>
#include <functional>

namespace nn::cpu {

// The most shares a job is split into (kernels keep per-share results in arrays this big).
inline constexpr int kMaxShares = 64;

// Runs fn(begin, end) over a split of [0, n) into at most threads() shares, the
// calling thread taking the first; returns when every share is done. With one
// thread, or n < 2, it is a plain call.
void parallelFor(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

// Called by setThreads: the pool grows or shrinks to threads - 1 workers.
void resizePool(int threads);

} // namespace nn::cpu
