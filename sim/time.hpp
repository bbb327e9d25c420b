#pragma once
// Simulated time: a signed count of nanoseconds. No floating point time in model logic.
#include <cstdint>
#include <limits>

namespace sim {

using Time = std::int64_t;

inline constexpr Time kNanosecond = 1;
inline constexpr Time kMicrosecond = 1'000;
inline constexpr Time kMillisecond = 1'000'000;
inline constexpr Time kSecond = 1'000'000'000;
inline constexpr Time kMinute = 60 * kSecond;
// "never" for timers and timeouts that are switched off.
inline constexpr Time kNever = std::numeric_limits<Time>::max();

constexpr Time us(std::int64_t v) { return v * kMicrosecond; }
constexpr Time ms(std::int64_t v) { return v * kMillisecond; }
constexpr Time sec(std::int64_t v) { return v * kSecond; }

// Time to move `bytes` at `bytes_per_s`, rounded up to the next nanosecond (integer only, so the
// result is the same on every machine).
constexpr Time transfer_time(std::uint64_t bytes, std::uint64_t bytes_per_s) {
  if (bytes_per_s == 0) return 0;
  // Every real transfer fits 64-bit arithmetic; 128-bit division is a library call.
  std::uint64_t num64 = 0;
  if (!__builtin_mul_overflow(bytes, std::uint64_t{1'000'000'000u}, &num64) && num64 <= ~std::uint64_t{0} - bytes_per_s)
    return static_cast<Time>((num64 + bytes_per_s - 1) / bytes_per_s);
  unsigned __int128 num = static_cast<unsigned __int128>(bytes) * 1'000'000'000u;
  return static_cast<Time>((num + bytes_per_s - 1) / bytes_per_s);
}

}  // namespace sim
