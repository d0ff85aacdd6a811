#include "engine/tensor/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "engine/core/error.h"

namespace nn {

namespace {
// 64-byte aligned so AVX-512 loads in kernels never straddle cache lines.
std::shared_ptr<float[]> allocate(int64_t n)
{
    const size_t bytes = std::max<size_t>(64, (size_t(n) * sizeof(float) + 63) / 64 * 64);
    void* p = std::aligned_alloc(64, bytes);
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    return std::shared_ptr<float[]>(static_cast<float*>(p), [](float* q) { std::free(q); });
}
} // namespace

const char* dtypeName(DType t)
{
    switch (t) {
    case DType::F32: return "f32";
    case DType::F16: return "f16";
    case DType::BF16: return "bf16";
    case DType::I8: return "i8";
    }
    return "?";
}

const char* deviceName(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

Tensor::Tensor(const Shape& shape, DType dtype, Device device)
    : shape_(shape), dtype_(dtype), device_(device)
{
    if (dtype != DType::F32 || device != Device::CPU)
        throw Error(std::string("tensors of dtype ") + dtypeName(dtype) + " on " + deviceName(device)
                    + " are not supported yet; use f32 on cpu");
    storage_ = allocate(shape.numel());
}

Tensor Tensor::full(const Shape& shape, float value)
{
    Tensor t(shape);
    t.fill(value);
    return t;
}

Tensor Tensor::fromVector(const Shape& shape, const std::vector<float>& values)
{
    if (int64_t(values.size()) != shape.numel())
        throw Error("tensor of shape " + shape.str() + " needs " + std::to_string(shape.numel())
                    + " values, got " + std::to_string(values.size()));
    Tensor t(shape);
    std::copy(values.begin(), values.end(), t.data());
    return t;
}

float Tensor::item() const
{
    if (numel() != 1)
        throw Error("item() needs a one-element tensor, this one has shape " + shape_.str());
    return storage_[0];
}

std::vector<float> Tensor::toVector() const
{
    if (!storage_) return {};
    return std::vector<float>(data(), data() + numel());
}

Tensor Tensor::clone() const
{
    Tensor t(shape_);
    if (storage_) std::copy(data(), data() + numel(), t.data());
    return t;
}

void Tensor::fill(float value) { std::fill(data(), data() + numel(), value); }

void Tensor::copyFrom(const Tensor& other)
{
    if (other.numel() != numel())
        throw Error("cannot copy a tensor of shape " + other.shape().str() + " into one of shape "
                    + shape_.str());
    std::copy(other.data(), other.data() + numel(), data());
}

Tensor Tensor::reshaped(const Shape& shape) const
{
    if (shape.numel() != numel())
        throw Error("cannot reshape " + shape_.str() + " to " + shape.str()
                    + ": element counts differ");
    Tensor t = *this;
    t.shape_ = shape;
    return t;
}

} // namespace nn
