#pragma once
// Tensor: a shape, a dtype, a device and shared, contiguous row-major storage.
// Copies share storage (like a handle); clone() makes a deep copy. Only f32 on the
// CPU holds data today; the dtype and device fields are there so f16/bf16/i8 and
// CUDA storage slot in without changing callers.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/tensor/shape.h"

namespace nn {

enum class DType : uint8_t { F32, F16, BF16, I8 };
enum class Device : uint8_t { CPU, CUDA };

const char* dtypeName(DType t);
const char* deviceName(Device d);

class Tensor {
public:
    Tensor() = default;
    // Zero-filled tensor of the given shape.
    explicit Tensor(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU);
    static Tensor zeros(const Shape& shape) { return Tensor(shape); }
    static Tensor full(const Shape& shape, float value);
    static Tensor fromVector(const Shape& shape, const std::vector<float>& values);
    static Tensor scalar(float value) { return full(Shape {}, value); }

    const Shape& shape() const { return shape_; }
    DType dtype() const { return dtype_; }
    Device device() const { return device_; }
    int64_t numel() const { return shape_.numel(); }
    bool defined() const { return storage_ != nullptr; }

    float* data() { return storage_.get(); }
    const float* data() const { return storage_.get(); }
    float& operator[](int64_t i) { return storage_.get()[i]; }
    float operator[](int64_t i) const { return storage_.get()[i]; }
    // The single value of a one-element tensor.
    float item() const;

    std::vector<float> toVector() const;
    Tensor clone() const;
    void fill(float value);
    void copyFrom(const Tensor& other);  // same numel required
    // Same storage, another shape with the same number of elements.
    Tensor reshaped(const Shape& shape) const;
    // True when both share one storage buffer.
    bool sharesStorageWith(const Tensor& o) const { return storage_ == o.storage_; }

private:
    Shape shape_;
    DType dtype_ = DType::F32;
    Device device_ = Device::CPU;
    std::shared_ptr<float[]> storage_;
};

} // namespace nn
