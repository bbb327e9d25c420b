// Unit-carrying scalars of the scenario format: exact integer results, strict rejection, and
// formatting that reads back to the same value.
#include <gtest/gtest.h>

#include <limits>

#include "sim/scenario/units.hpp"

namespace sim::scenario {
namespace {

TEST(ScenarioUnits, DurationExactValues) {
  EXPECT_EQ(parse_duration("0"), 0);
  EXPECT_EQ(parse_duration("0s"), 0);
  EXPECT_EQ(parse_duration("100ns"), 100);
  EXPECT_EQ(parse_duration("80us"), 80'000);
  EXPECT_EQ(parse_duration("1.5ms"), 1'500'000);
  EXPECT_EQ(parse_duration("5s"), 5 * kSecond);
  EXPECT_EQ(parse_duration("2m"), 2 * kMinute);
  EXPECT_EQ(parse_duration("0.5s"), 500 * kMillisecond);
  EXPECT_EQ(parse_duration("1.000000001s"), kSecond + 1);
  EXPECT_EQ(parse_duration("10\xC2\xB5s"), 10 * kMicrosecond);  // "10µs"
  // The largest representable duration is accepted, one more nanosecond is not.
  EXPECT_EQ(parse_duration("9223372036854775807ns"), std::numeric_limits<Time>::max());
  EXPECT_EQ(parse_duration("9223372036854775808ns"), std::nullopt);
}

TEST(ScenarioUnits, DurationRejections) {
  for (const char* bad : {"", "5", "5 s", "5 sec", "10xs", "0.1ns", "1.5ns", "-5s", "+5s", ".5s",
                          "5.s", "5S", "1e3ms", "never", "off", "5s ", " 5s", "1h", "5ms5"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ScenarioUnits, SizeExactValues) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("512B"), 512u);
  EXPECT_EQ(parse_size("4k"), 4096u);
  EXPECT_EQ(parse_size("4K"), 4096u);
  EXPECT_EQ(parse_size("4KiB"), 4096u);
  EXPECT_EQ(parse_size("4KB"), 4096u);
  EXPECT_EQ(parse_size("1m"), 1u << 20);
  EXPECT_EQ(parse_size("1MiB"), 1u << 20);
  EXPECT_EQ(parse_size("64g"), 64ull << 30);
  EXPECT_EQ(parse_size("1t"), 1ull << 40);
  EXPECT_EQ(parse_size("1.5k"), 1536u);
  EXPECT_EQ(parse_size("16777215t"), 16777215ull << 40);
}

TEST(ScenarioUnits, SizeRejections) {
  for (const char* bad :
       {"", "4kb", "4kiB ", "4 k", "4x", "-4k", "0.3k", "4iB", "4Ki", "k", "16777216t", "1.5"}) {
    EXPECT_EQ(parse_size(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ScenarioUnits, BandwidthExactValues) {
  EXPECT_EQ(parse_bandwidth("25Gbps"), 3'125'000'000u);
  EXPECT_EQ(parse_bandwidth("25Gb/s"), 3'125'000'000u);
  EXPECT_EQ(parse_bandwidth("100Gbps"), 12'500'000'000u);
  EXPECT_EQ(parse_bandwidth("3GB/s"), 3'000'000'000u);
  EXPECT_EQ(parse_bandwidth("3GBps"), 3'000'000'000u);
  EXPECT_EQ(parse_bandwidth("3GiB/s"), 3ull << 30);
  EXPECT_EQ(parse_bandwidth("100MB/s"), 100'000'000u);
  EXPECT_EQ(parse_bandwidth("100mbps"), 12'500'000u);
  EXPECT_EQ(parse_bandwidth("1.5GB/s"), 1'500'000'000u);
  EXPECT_EQ(parse_bandwidth("800kB/s"), 800'000u);
  EXPECT_EQ(parse_bandwidth("64B/s"), 64u);
  EXPECT_EQ(parse_bandwidth("8bps"), 1u);
  EXPECT_EQ(parse_bandwidth("1000000"), 1'000'000u);  // plain number: bytes per second
}

TEST(ScenarioUnits, BandwidthRejections) {
  for (const char* bad : {"", "25G", "25Gbit", "25 Gbps", "3GiBps ", "3Gibps", "1bps", "-1MB/s",
                          "3XB/s", "GB/s", "1.5"}) {
    EXPECT_EQ(parse_bandwidth(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ScenarioUnits, CountRate) {
  EXPECT_EQ(parse_count_rate("0"), 0u);
  EXPECT_EQ(parse_count_rate("1000"), 1000u);
  EXPECT_EQ(parse_count_rate("200k"), 200'000u);
  EXPECT_EQ(parse_count_rate("1.5m"), 1'500'000u);
  EXPECT_EQ(parse_count_rate("2M"), 2'000'000u);
  EXPECT_EQ(parse_count_rate("1g"), 1'000'000'000u);
  for (const char* bad : {"", "1.5", "0.0001k", "200 k", "200kiops", "-1", "k"}) {
    EXPECT_EQ(parse_count_rate(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ScenarioUnits, FormatDurationIsShortestExact) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(5 * kSecond), "5s");
  EXPECT_EQ(format_duration(1'500'000), "1500us");
  EXPECT_EQ(format_duration(90 * kSecond), "90s");
  EXPECT_EQ(format_duration(10 * kMinute), "10m");
  EXPECT_EQ(format_duration(80 * kMicrosecond), "80us");
  EXPECT_EQ(format_duration(kSecond + 1), "1000000001ns");
  EXPECT_EQ(format_duration(-2 * kMillisecond), "-2ms");
}

TEST(ScenarioUnits, FormatSizeAndBandwidth) {
  EXPECT_EQ(format_size(0), "0");
  EXPECT_EQ(format_size(4096), "4k");
  EXPECT_EQ(format_size(64ull << 30), "64g");
  EXPECT_EQ(format_size(3ull << 40), "3t");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_size(1536), "1536");  // not a whole number of k
  EXPECT_EQ(format_bandwidth(3'000'000'000u), "3GB/s");
  EXPECT_EQ(format_bandwidth(3'125'000'000u), "25Gbps");  // shorter than "3125MB/s"
  EXPECT_EQ(format_bandwidth(12'500'000'000u), "100Gbps");
  EXPECT_EQ(format_bandwidth(7'880'000'000u), "7880MB/s");
  EXPECT_EQ(format_bandwidth(3ull << 30), "3GiB/s");
  EXPECT_EQ(format_bandwidth(1000), "1kB/s");
  EXPECT_EQ(format_bandwidth(0), "0B/s");
  EXPECT_EQ(format_bandwidth(3), "3B/s");
}

TEST(ScenarioUnits, FormattedValuesParseBack) {
  const Time durations[] = {0,           1,
                            999,         1'500'000,
                            5 * kSecond, 61 * kSecond,
                            3 * kMinute, std::numeric_limits<Time>::max()};
  for (Time t : durations) {
    EXPECT_EQ(parse_duration(format_duration(t)), t) << t;
  }
  const std::uint64_t sizes[] = {0,    1,          512,        1000,
                                 4096, 1ull << 20, 5ull << 30, (1ull << 40) + 4096};
  for (std::uint64_t b : sizes) {
    EXPECT_EQ(parse_size(format_size(b)), b) << b;
  }
  const std::uint64_t rates[] = {1,
                                 3,
                                 125,
                                 1000,
                                 3'125'000'000,
                                 3ull << 30,
                                 12'345'678'901,
                                 std::numeric_limits<std::uint64_t>::max()};
  for (std::uint64_t b : rates) {
    EXPECT_EQ(parse_bandwidth(format_bandwidth(b)), b) << b;
  }
}

}  // namespace
}  // namespace sim::scenario
