#include "engine/tensor/shape.h"

#include "engine/core/error.h"

namespace nn {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(const std::vector<int64_t>& dims)
{
    if (dims.size() > size_t(kMaxRank))
        throw Error("shape has " + std::to_string(dims.size()) + " dimensions; at most "
                    + std::to_string(kMaxRank) + " are supported");
    for (int64_t d : dims)
        if (d < 0) throw Error("shape dimension " + std::to_string(d) + " is negative");
    rank_ = int(dims.size());
    for (size_t i = 0; i < dims.size(); ++i) dims_[i] = dims[i];
}

int64_t Shape::numel() const
{
    int64_t n = 1;
    for (int i = 0; i < rank_; ++i) n *= dims_[size_t(i)];
    return n;
}

int64_t Shape::inner() const
{
    int64_t n = 1;
    for (int i = 1; i < rank_; ++i) n *= dims_[size_t(i)];
    return n;
}

std::vector<int64_t> Shape::toVector() const
{
    return std::vector<int64_t>(dims_.begin(), dims_.begin() + rank_);
}

std::string Shape::str() const
{
    std::string s = "[";
    for (int i = 0; i < rank_; ++i) {
        if (i) s += ", ";
        s += std::to_string(dims_[size_t(i)]);
    }
    return s + "]";
}

bool Shape::operator==(const Shape& o) const
{
    if (rank_ != o.rank_) return false;
    for (int i = 0; i < rank_; ++i)
        if (dims_[size_t(i)] != o.dims_[size_t(i)]) return false;
    return true;
}

} // namespace nn
