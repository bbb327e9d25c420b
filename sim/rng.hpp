#pragma once
// Deterministic random streams. Every component draws from its own stream, derived from the
// scenario seed and the component's name, so adding a component does not shift anyone else's
// draws. The generator (xoshiro256**) and the distributions are written out here rather than
// taken from <random>, whose distributions differ between standard libraries.
#include <cmath>
#include <cstdint>
#include <string_view>

namespace sim {

class Rng {
 public:
  Rng() : Rng(1, "default") {}
  Rng(std::uint64_t seed, std::string_view stream);

  std::uint64_t next_u64();
  // Uniform in [0, n); n > 0. Lemire's multiply-shift with rejection: unbiased.
  std::uint64_t below(std::uint64_t n);
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe for log().
  double uniform_open0() { return (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53; }
  double exponential(double mean) { return -mean * std::log(uniform_open0()); }
  double standard_normal();  // Box-Muller, one value per call (the pair's second half is cached)

 private:
  std::uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0;
};

// FNV-1a, used to turn names into seeds and serial numbers.
constexpr std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ull) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace sim
