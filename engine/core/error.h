#pragma once
// One exception type for every error a user can cause (bad file, spec, shape,
// missing package). The message names the thing and, where there is one, the fix;
// callers show it as-is.
#include <stdexcept>
#include <string>

namespace nn {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

} // namespace nn
