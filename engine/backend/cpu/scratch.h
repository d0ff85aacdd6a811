#pragma once
// Per-thread scratch memory for kernels (im2col columns, partial sums). It grows
// to the largest request and is then reused, so the steady-state training loop
// allocates nothing. Private to backend/cpu.
#include <cstddef>
#include <cstdlib>
#include <new>

namespace nn::cpu {

class Scratch {
public:
    ~Scratch() { std::free(data_); }
    // At least n floats, 64-byte aligned; contents are unspecified.
    float* get(size_t n)
    {
        if (n > capacity_) {
            std::free(data_);
            const size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
            data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
            if (!data_) throw std::bad_alloc();
            capacity_ = bytes / sizeof(float);
        }
        return data_;
    }

private:
    float* data_ = nullptr;
    size_t capacity_ = 0;
};

// The calling thread's scratch buffer number `slot` (0..3): independent buffers,
// so a kernel can hold more than one at a time.
inline float* scratch(size_t n, int slot = 0)
{
    thread_local Scratch s[4];
    return s[slot].get(n);
}

} // namespace nn::cpu
