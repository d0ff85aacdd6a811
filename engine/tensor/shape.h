#pragma once
// Shape: up to kMaxRank dimensions held inline, so building and comparing shapes
// never allocates (the training loop runs thousands of steps per second).
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace nn {

class Shape {
public:
    static constexpr int kMaxRank = 6;

    Shape() = default;
    Shape(std::initializer_list<int64_t> dims);
    explicit Shape(const std::vector<int64_t>& dims);

    int rank() const { return rank_; }
    int64_t operator[](int i) const { return dims_[size_t(i)]; }
    int64_t& operator[](int i) { return dims_[size_t(i)]; }
    int64_t back() const { return rank_ ? dims_[size_t(rank_ - 1)] : 1; }
    int64_t numel() const;
    // Product of all dimensions after the first (features per sample).
    int64_t inner() const;
    std::vector<int64_t> toVector() const;
    // "[32, 8]" — used in every shape error message.
    std::string str() const;

    bool operator==(const Shape& o) const;
    bool operator!=(const Shape& o) const { return !(*this == o); }

private:
    std::array<int64_t, kMaxRank> dims_ {};
    int rank_ = 0;
};

} // namespace nn
