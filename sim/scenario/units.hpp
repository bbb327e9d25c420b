#pragma once
// Parsing of the unit-carrying scalars of the format. Each returns nullopt on a malformed string;
// the loader turns that into an InputError naming the accepted forms.
#include <cstdint>
#include <optional>
#include <string>

#include "sim/time.hpp"

namespace sim::scenario {

// "5s", "80us", "1.5ms", "2m", "100ns", "0". Result is exact integer nanoseconds; fractions that
// do not land on a whole nanosecond are rejected.
std::optional<Time> parse_duration(const std::string& s);
// "512", "4k", "4KiB", "1m", "1MiB", "1g", "1t" (powers of two).
std::optional<std::uint64_t> parse_size(const std::string& s);
// Bandwidth to bytes per second: "25Gbps" (bits, decimal), "3GB/s" (bytes, decimal),
// "3GiB/s" (bytes, binary), "100MB/s".
std::optional<std::uint64_t> parse_bandwidth(const std::string& s);
// "200k", "1.5m", "1000" (operations per second, decimal).
std::optional<std::uint64_t> parse_count_rate(const std::string& s);

std::string format_duration(Time t);    // shortest exact form: "5s", "1500us", "0s"
std::string format_seconds(Time t);     // for timelines: seconds with microsecond resolution, "10.000178s"
std::string format_size(std::uint64_t bytes);  // "4k", "64g", "1000"
std::string format_bandwidth(std::uint64_t bytes_per_s);  // shortest exact: "3GB/s", "25Gbps"

}  // namespace sim::scenario
