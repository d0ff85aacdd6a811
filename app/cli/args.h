#pragma once
// Command-line options of the form --name value / --flag, with typed getters
// whose errors name the option and what it expects.
#include <map>
#include <set>
#include <string>
#include <vector>

namespace cli {

class Args {
public:
    // `flags` take no value; every other --option takes one.
    Args(const std::vector<std::string>& argv, const std::set<std::string>& flags);

    bool has(const std::string& name) const { return values_.count(name) > 0; }
    std::string str(const std::string& name, const std::string& fallback = {}) const;
    std::string required(const std::string& name) const;
    int integer(const std::string& name, int fallback, int lo, int hi) const;
    double number(const std::string& name, double fallback, double lo, double hi) const;
    // Throws for any option not in `known` (catches typos like --epoch).
    void allowOnly(const std::set<std::string>& known) const;

private:
    std::map<std::string, std::string> values_;
};

} // namespace cli
