#pragma once
// Parsing of the unit-carrying scalars of the format. Each returns nullopt on a malformed string;
// the loader turns that into an InputError naming the accepted forms.
#include <cstdint>
#include <optional>
#include <string>

#include "sim/time.hpp"

namespace sim::scenario {

// The latest time and the longest duration a scenario can name (the loader's limit; the parsers
// take all of Time): 365 days. Far beyond any run, and small enough that sums of a few times
// (start + runtime, at + count x every) cannot overflow.
inline constexpr Time kMaxTime = 365 * 24 * 60 * kMinute;

// `too_large` (optional) is set when the text is a well-formed number that is out of range, so
// the caller can say so instead of "invalid".

// "5s", "80us", "1.5ms", "2m", "100ns", "0". Result is exact integer nanoseconds; fractions that
// do not land on a whole nanosecond are rejected.
std::optional<Time> parse_duration(const std::string& s, bool* too_large = nullptr);
// "512", "4k", "4KiB", "1m", "1MiB", "1g", "1t" (powers of two).
std::optional<std::uint64_t> parse_size(const std::string& s, bool* too_large = nullptr);
// Bandwidth to bytes per second: "25Gbps" (bits, decimal), "3GB/s" (bytes, decimal),
// "3GiB/s" (bytes, binary), "100MB/s".
std::optional<std::uint64_t> parse_bandwidth(const std::string& s, bool* too_large = nullptr);
// "200k", "1.5m", "1000" (operations per second, decimal).
std::optional<std::uint64_t> parse_count_rate(const std::string& s, bool* too_large = nullptr);

std::string format_duration(Time t);    // shortest exact form: "5s", "1500us", "0s"
std::string format_seconds(Time t);     // for timelines: seconds with microsecond resolution, "10.000178s"
std::string format_size(std::uint64_t bytes);  // "4k", "64g", "1000"
std::string format_bandwidth(std::uint64_t bytes_per_s);  // shortest exact: "3GB/s", "25Gbps"

}  // namespace sim::scenario
