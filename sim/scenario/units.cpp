#include "sim/scenario/units.hpp"

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <limits>
#include <string_view>

namespace sim::scenario {
namespace {

using u128 = unsigned __int128;

// A decimal number as written: value = numerator / denominator, denominator a power of ten.
// Kept as an exact fraction so that "1.5ms" becomes exactly 1'500'000 ns. `huge`: the whole part
// alone has more digits than any value in range (then numerator is meaningless).
struct Decimal {
  u128 numerator = 0;
  u128 denominator = 1;
  bool huge = false;
};

// Reads "<digits>[.<digits>]" from the front of `s` and leaves the rest (the unit) in `s`. No sign,
// no exponent, no leading '.', no trailing '.': the format wants plain, unambiguous numbers.
std::optional<Decimal> take_decimal(std::string_view& s) {
  // 24 digits (< 2^80) times the largest unit factor (2^40) stays inside 128 bits.
  constexpr std::size_t kMaxDigits = 24;
  Decimal d;
  std::size_t i = 0;
  std::size_t digits = 0;  // significant ones: leading zeros do not count
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (digits > 0 || s[i] != '0') ++digits;
    if (digits > kMaxDigits) d.huge = true;
    if (!d.huge) d.numerator = d.numerator * 10 + static_cast<unsigned>(s[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t fraction_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (!d.huge) {
        d.numerator = d.numerator * 10 + static_cast<unsigned>(s[i] - '0');
        d.denominator *= 10;
        if (++digits > kMaxDigits) return std::nullopt;
      }
      ++i;
      ++fraction_digits;
    }
    if (fraction_digits == 0) return std::nullopt;
  }
  s.remove_prefix(i);
  return d;
}

// numerator * multiplier / (denominator * divisor) when that is a whole number that fits `limit`;
// `too_large` (if given) is set when it is a number above `limit`.
std::optional<std::uint64_t> exact(const Decimal& d, u128 multiplier, u128 divisor,
                                   std::uint64_t limit, bool* too_large) {
  if (d.huge) {
    if (too_large) *too_large = true;
    return std::nullopt;
  }
  const u128 num = d.numerator * multiplier;
  const u128 den = d.denominator * divisor;
  if (num / den > limit) {
    if (too_large) *too_large = true;
    return std::nullopt;
  }
  if (num % den != 0) return std::nullopt;
  return static_cast<std::uint64_t>(num / den);
}

constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kTimeMax = static_cast<std::uint64_t>(std::numeric_limits<Time>::max());

struct Unit {
  std::string_view suffix;
  std::uint64_t factor;
};

// Multiplier letter at the front of `s` (k, m, g, t in either case), consumed when found: powers
// of `base` (1024 for sizes, 1000 for rates). 1 when there is no letter.
std::uint64_t take_prefix(std::string_view& s, std::uint64_t base) {
  if (s.empty()) return 1;
  int power = 0;
  switch (s.front()) {
    case 'k': case 'K': power = 1; break;
    case 'm': case 'M': power = 2; break;
    case 'g': case 'G': power = 3; break;
    case 't': case 'T': power = 4; break;
    default: return 1;
  }
  s.remove_prefix(1);
  std::uint64_t factor = 1;
  while (power-- > 0) factor *= base;
  return factor;
}
std::uint64_t take_binary_prefix(std::string_view& s) { return take_prefix(s, 1024); }
std::uint64_t take_decimal_prefix(std::string_view& s) { return take_prefix(s, 1000); }

// Prints `value / factor` followed by `suffix` when the division is exact, else "".
std::string exact_form(std::uint64_t value, std::uint64_t factor, std::string_view suffix) {
  if (factor == 0 || value % factor != 0) return {};
  return std::to_string(value / factor) + std::string(suffix);
}

}  // namespace

std::optional<Time> parse_duration(const std::string& text, bool* too_large) {
  if (text == "0") return 0;
  std::string_view s = text;
  auto number = take_decimal(s);
  if (!number) return std::nullopt;
  static constexpr std::array<Unit, 6> kUnits = {{
      {"ns", 1},
      {"us", 1'000},
      {"\xC2\xB5s", 1'000},  // "µs"
      {"ms", 1'000'000},
      {"s", 1'000'000'000},
      {"m", 60'000'000'000},
  }};
  for (const Unit& unit : kUnits) {
    if (s != unit.suffix) continue;
    auto ns = exact(*number, unit.factor, 1, kTimeMax, too_large);
    if (!ns) return std::nullopt;
    return static_cast<Time>(*ns);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(const std::string& text, bool* too_large) {
  std::string_view s = text;
  auto number = take_decimal(s);
  if (!number) return std::nullopt;
  const std::uint64_t factor = take_binary_prefix(s);
  // After a multiplier: nothing, "B" or "iB" ("4k", "4KB", "4KiB"); without one: nothing or "B".
  if (!(s.empty() || s == "B" || (factor != 1 && s == "iB"))) return std::nullopt;
  return exact(*number, factor, 1, kU64Max, too_large);
}

std::optional<std::uint64_t> parse_bandwidth(const std::string& text, bool* too_large) {
  std::string_view s = text;
  auto number = take_decimal(s);
  if (!number) return std::nullopt;
  if (s.empty()) return exact(*number, 1, 1, kU64Max, too_large);  // plain bytes per second
  std::string_view rest = s;
  std::uint64_t factor = take_decimal_prefix(rest);
  const bool has_prefix = factor != 1;
  bool binary = false;
  if (has_prefix && !rest.empty() && rest.front() == 'i') {
    binary = true;
    std::string_view again = s;
    factor = take_binary_prefix(again);
    rest.remove_prefix(1);
  }
  if (rest == "B/s" || rest == "Bps") return exact(*number, factor, 1, kU64Max, too_large);
  // Bits are a network convention; binary prefixes on bits would only confuse.
  if (!binary && (rest == "bps" || rest == "b/s")) return exact(*number, factor, 8, kU64Max, too_large);
  return std::nullopt;
}

std::optional<std::uint64_t> parse_count_rate(const std::string& text, bool* too_large) {
  std::string_view s = text;
  auto number = take_decimal(s);
  if (!number) return std::nullopt;
  const std::uint64_t factor = take_decimal_prefix(s);
  if (!s.empty()) return std::nullopt;
  return exact(*number, factor, 1, kU64Max, too_large);
}

std::string format_duration(Time t) {
  if (t == 0) return "0s";
  if (t < 0) {
    // -(INT64_MIN) overflows; such a value is never a meaningful duration, print it raw.
    if (t == std::numeric_limits<Time>::min()) return std::to_string(t) + "ns";
    return "-" + format_duration(-t);
  }
  static constexpr std::array<Unit, 5> kUnits = {{
      {"m", 60'000'000'000},
      {"s", 1'000'000'000},
      {"ms", 1'000'000},
      {"us", 1'000},
      {"ns", 1},
  }};
  const auto v = static_cast<std::uint64_t>(t);
  for (const Unit& unit : kUnits) {
    std::string form = exact_form(v, unit.factor, unit.suffix);
    if (!form.empty()) return form;
  }
  return std::to_string(v) + "ns";
}

std::string format_size(std::uint64_t bytes) {
  if (bytes == 0) return "0";
  static constexpr std::array<Unit, 4> kUnits = {{
      {"t", 1ull << 40},
      {"g", 1ull << 30},
      {"m", 1ull << 20},
      {"k", 1ull << 10},
  }};
  for (const Unit& unit : kUnits) {
    std::string form = exact_form(bytes, unit.factor, unit.suffix);
    if (!form.empty()) return form;
  }
  return std::to_string(bytes);
}

std::string format_bandwidth(std::uint64_t bytes_per_s) {
  if (bytes_per_s == 0) return "0B/s";
  // Every exact spelling competes; the shortest wins, ties go to the earlier entry (decimal bytes,
  // then bits, then binary bytes). So 3e9 prints "3GB/s" and the TCP default 3.125e9 "25Gbps".
  static constexpr std::array<Unit, 5> kBytes = {{
      {"TB/s", 1'000'000'000'000ull},
      {"GB/s", 1'000'000'000ull},
      {"MB/s", 1'000'000ull},
      {"kB/s", 1'000ull},
      {"B/s", 1},
  }};
  static constexpr std::array<Unit, 5> kBits = {{
      {"Tbps", 1'000'000'000'000ull},
      {"Gbps", 1'000'000'000ull},
      {"Mbps", 1'000'000ull},
      {"kbps", 1'000ull},
      {"bps", 1},
  }};
  static constexpr std::array<Unit, 4> kBinary = {{
      {"TiB/s", 1ull << 40},
      {"GiB/s", 1ull << 30},
      {"MiB/s", 1ull << 20},
      {"KiB/s", 1ull << 10},
  }};
  std::string best;
  auto consider = [&best](std::string form) {
    if (!form.empty() && (best.empty() || form.size() < best.size())) best = std::move(form);
  };
  for (const Unit& unit : kBytes) consider(exact_form(bytes_per_s, unit.factor, unit.suffix));
  if (bytes_per_s <= kU64Max / 8) {
    for (const Unit& unit : kBits) consider(exact_form(bytes_per_s * 8, unit.factor, unit.suffix));
  }
  for (const Unit& unit : kBinary) consider(exact_form(bytes_per_s, unit.factor, unit.suffix));
  return best;
}

std::string format_seconds(Time t) { return fmt::format("{:.6f}s", static_cast<double>(t) / 1e9); }

}  // namespace sim::scenario
