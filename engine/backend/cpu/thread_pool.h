#pragma once
// The engine's own threads for kernels that split a batch (convolution): the
// training thread and threads()-1 persistent workers each take one contiguous
// share of [0, n). Sized by setThreads (--threads), like OpenBLAS. Private to
// backend/cpu.
#include <cstdint>
#include <type_traits>

namespace nn::cpu {

// The most shares a job is split into (kernels keep per-share results in arrays this big).
inline constexpr int kMaxShares = 64;

// A share of a job: fn(ctx, begin, end). A plain function pointer and a context,
// not std::function: the training loop must not allocate.
using ShareFn = void (*)(void* ctx, int64_t begin, int64_t end);
void parallelForRaw(int64_t n, ShareFn fn, void* ctx);

// Runs f(begin, end) over a split of [0, n) into at most threads() shares, the
// calling thread taking the first; returns when every share is done. With one
// thread, or n < 2, it is a plain call.
template <class F>
void parallelFor(int64_t n, F&& f)
{
    using Fn = std::remove_reference_t<F>;
    parallelForRaw(n, [](void* ctx, int64_t b, int64_t e) { (*static_cast<Fn*>(ctx))(b, e); }, const_cast<void*>(static_cast<const void*>(&f)));
}

// Called by setThreads: the pool grows or shrinks to threads - 1 workers.
void resizePool(int threads);

} // namespace nn::cpu
