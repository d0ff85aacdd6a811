#pragma once
// Deterministic random numbers: the same seed gives the same stream on every
// platform and compiler (std::normal_distribution is implementation-defined, so
// we do not use it). xoshiro256** seeded through splitmix64.
#include <cmath>
#include <cstdint>

namespace nn {

class Rng {
public:
    explicit Rng(uint64_t seed = 1) { reseed(seed); }

    void reseed(uint64_t seed)
    {
        uint64_t x = seed;
        for (auto& s : state_) s = splitmix(x);
        hasSpare_ = false;
    }

    uint64_t next()
    {
        const uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    // Uniform in [0, 1).
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    // Uniform integer in [0, n).
    uint64_t below(uint64_t n) { return n ? next() % n : 0; }

    // Standard normal (Box-Muller, the spare value kept for the next call).
    double normal()
    {
        if (hasSpare_) {
            hasSpare_ = false;
            return spare_;
        }
        double u1 = uniform();
        while (u1 <= 0.0) u1 = uniform();
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        constexpr double twoPi = 6.283185307179586;
        spare_ = r * std::sin(twoPi * u2);
        hasSpare_ = true;
        return r * std::cos(twoPi * u2);
    }
    double normal(double mean, double stddev) { return mean + stddev * normal(); }

    // Fisher-Yates shuffle of any random-access container.
    template <class C> void shuffle(C& c)
    {
        for (size_t i = c.size(); i > 1; --i) {
            const size_t j = size_t(below(i));
            std::swap(c[i - 1], c[j]);
        }
    }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static uint64_t splitmix(uint64_t& x)
    {
        uint64_t z = (x += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    uint64_t state_[4] {};
    double spare_ = 0.0;
    bool hasSpare_ = false;
};

} // namespace nn
