// LatencyHistogram: exact moments, nearest-rank percentiles within 0.05 %, bins, merge.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "sim/metrics/histogram.hpp"

namespace sim::metrics {
namespace {

// The definition under test, computed on the sorted samples.
std::int64_t exact_percentile(const std::vector<std::int64_t>& sorted, double p) {
  const std::uint64_t rank = LatencyHistogram::nearest_rank(p, sorted.size());
  return sorted[rank - 1];
}

std::vector<double> test_percentiles() {
  std::vector<double> ps = {0.001, 0.1, 1,  5,  10, 20, 25,   30,   33.3,  40,    50,     60,
                            70,    75,  80, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100};
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 100.0);
  for (int i = 0; i < 40; ++i) ps.push_back(std::max(1e-6, u(rng)));
  return ps;
}

struct Distribution {
  std::string name;
  std::size_t n;
  std::function<std::int64_t(std::mt19937_64&)> draw;
};

std::vector<Distribution> distributions() {
  using R = std::mt19937_64;
  return {
      {"uniform_small", 20000,
       [](R& r) { return std::uniform_int_distribution<std::int64_t>(0, 5000)(r); }},
      {"uniform_wide", 20000,
       [](R& r) {
         return std::uniform_int_distribution<std::int64_t>(0, std::int64_t{1} << 42)(r);
       }},
      {"exponential_100us", 50000,
       [](R& r) {
         return static_cast<std::int64_t>(std::exponential_distribution<double>(1e-5)(r));
       }},
      {"lognormal", 50000,
       [](R& r) {
         return static_cast<std::int64_t>(std::lognormal_distribution<double>(11.0, 1.5)(r));
       }},
      {"bimodal_failover", 30000,
       [](R& r) {
         // 10 us service with 1 % of I/Os stuck behind a 30 s path failover.
         if (std::uniform_int_distribution<int>(0, 99)(r) == 0) {
           return std::int64_t{30'000'000'000} +
                  std::uniform_int_distribution<std::int64_t>(0, 1'000'000'000)(r);
         }
         return std::uniform_int_distribution<std::int64_t>(9'000, 11'000)(r);
       }},
      {"pareto_heavy_tail", 40000,
       [](R& r) {
         const double u = std::uniform_real_distribution<double>(1e-12, 1.0)(r);
         return static_cast<std::int64_t>(5'000.0 / std::pow(u, 1.0 / 1.2));
       }},
      {"constant", 1000, [](R&) { return std::int64_t{123'456'789}; }},
      {"bucket_edges", 30000,
       [](R& r) {
         // Powers of two and their neighbours: the first and last value of buckets.
         const int k = std::uniform_int_distribution<int>(0, 50)(r);
         const int delta = std::uniform_int_distribution<int>(-1, 1)(r);
         return std::max<std::int64_t>(0, (std::int64_t{1} << k) + delta);
       }},
      {"tiny_n1", 1, [](R&) { return std::int64_t{777'777}; }},
      {"tiny_n2", 2,
       [](R& r) { return std::uniform_int_distribution<std::int64_t>(1'000, 9'000'000)(r); }},
      {"tiny_n7", 7,
       [](R& r) { return std::uniform_int_distribution<std::int64_t>(1'000, 9'000'000)(r); }},
  };
}

TEST(LatencyHistogram, PercentilesMatchNearestRankWithin005Percent) {
  const std::vector<double> ps = test_percentiles();
  std::uint64_t seed = 1;
  for (const Distribution& dist : distributions()) {
    std::mt19937_64 rng(seed++);
    LatencyHistogram h;
    std::vector<std::int64_t> samples;
    for (std::size_t i = 0; i < dist.n; ++i) {
      const std::int64_t v = dist.draw(rng);
      samples.push_back(v);
      h.add(v);
    }
    std::sort(samples.begin(), samples.end());
    const std::vector<std::int64_t> got = h.percentiles(ps);
    for (std::size_t i = 0; i < ps.size(); ++i) {
      const std::int64_t want = exact_percentile(samples, ps[i]);
      const double err = std::fabs(static_cast<double>(got[i] - want));
      EXPECT_LE(err, 0.0005 * static_cast<double>(want))
          << dist.name << " p" << ps[i] << " got " << got[i] << " want " << want;
      EXPECT_EQ(h.percentile(ps[i]), got[i]) << dist.name << " p" << ps[i];
    }
  }
}

TEST(LatencyHistogram, ValuesBelowSubBucketCountAreExact) {
  LatencyHistogram h;
  std::vector<std::int64_t> samples;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 5000; ++i) {
    const auto v = std::uniform_int_distribution<std::int64_t>(0, 2047)(rng);
    samples.push_back(v);
    h.add(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double p : test_percentiles()) EXPECT_EQ(h.percentile(p), exact_percentile(samples, p));
}

TEST(LatencyHistogram, CountMinMaxMeanAreExact) {
  LatencyHistogram h;
  std::mt19937_64 rng(11);
  std::uint64_t n = 0;
  unsigned __int128 sum = 0;
  std::int64_t lo = INT64_MAX;
  std::int64_t hi = 0;
  for (int i = 0; i < 100000; ++i) {
    const auto v = std::uniform_int_distribution<std::int64_t>(0, std::int64_t{1} << 40)(rng);
    h.add(v);
    ++n;
    sum += static_cast<std::uint64_t>(v);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(h.count(), n);
  EXPECT_EQ(h.min(), lo);
  EXPECT_EQ(h.max(), hi);
  EXPECT_TRUE(h.sum() == sum);
  const long double mean = static_cast<long double>(sum) / static_cast<long double>(n);
  EXPECT_EQ(h.mean(), static_cast<double>(mean));
}

TEST(LatencyHistogram, EmptyReportsZeros) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.stddev(), 0.0);
  EXPECT_EQ(h.percentile(99), 0);
  EXPECT_TRUE(h.bins().empty());
  EXPECT_EQ(h.memory_bytes(), 0u);  // nothing allocated before the first add()
}

long double two_pass_sample_stddev(const std::vector<std::int64_t>& v) {
  long double mean = 0;
  for (auto x : v) mean += static_cast<long double>(x);
  mean /= static_cast<long double>(v.size());
  long double m2 = 0;
  for (auto x : v)
    m2 += (static_cast<long double>(x) - mean) * (static_cast<long double>(x) - mean);
  return std::sqrt(m2 / static_cast<long double>(v.size() - 1));
}

TEST(LatencyHistogram, StddevMatchesTwoPassSampleStddev) {
  std::uint64_t seed = 100;
  for (const Distribution& dist : distributions()) {
    if (dist.n < 2) continue;
    std::mt19937_64 rng(seed++);
    LatencyHistogram h;
    std::vector<std::int64_t> samples;
    for (std::size_t i = 0; i < dist.n; ++i) {
      samples.push_back(dist.draw(rng));
      h.add(samples.back());
    }
    const long double want = two_pass_sample_stddev(samples);
    EXPECT_NEAR(h.stddev(), static_cast<double>(want), 1e-9 * static_cast<double>(want) + 1e-9)
        << dist.name;
    const long double pop =
        want * std::sqrt(static_cast<long double>(dist.n - 1) / static_cast<long double>(dist.n));
    EXPECT_NEAR(h.stddev_population(), static_cast<double>(pop),
                1e-9 * static_cast<double>(pop) + 1e-9)
        << dist.name;
  }
}

TEST(LatencyHistogram, StddevHasNoCancellationOnLargeMean) {
  // Spread of 1 ns around 2^40: naive sum_sq / n - mean^2 in double would print garbage.
  LatencyHistogram h;
  const std::int64_t base = std::int64_t{1} << 40;
  for (int i = 0; i < 1000; ++i) h.add(base + (i % 2));
  EXPECT_NEAR(h.stddev(), std::sqrt(250.0 / 999.0), 1e-12);
  LatencyHistogram one;
  one.add(5);
  EXPECT_EQ(one.stddev(), 0.0);  // fio: 0 for a single sample
}

TEST(LatencyHistogram, NearestRankUsesDecimalPercentiles) {
  EXPECT_EQ(LatencyHistogram::nearest_rank(99.9, 1000), 999u);
  EXPECT_EQ(LatencyHistogram::nearest_rank(99.99, 10000), 9999u);
  EXPECT_EQ(LatencyHistogram::nearest_rank(99.95, 2000), 1999u);
  EXPECT_EQ(LatencyHistogram::nearest_rank(50, 10), 5u);
  EXPECT_EQ(LatencyHistogram::nearest_rank(50, 11), 6u);
  EXPECT_EQ(LatencyHistogram::nearest_rank(0.001, 10), 1u);
  EXPECT_EQ(LatencyHistogram::nearest_rank(100, 12345), 12345u);
  EXPECT_EQ(LatencyHistogram::nearest_rank(1, 1), 1u);
  EXPECT_EQ(LatencyHistogram::nearest_rank(0.1, 1000), 1u);
  EXPECT_EQ(LatencyHistogram::nearest_rank(0.1, 1001), 2u);
  EXPECT_EQ(LatencyHistogram::nearest_rank(99.9, 0), 0u);
}

TEST(LatencyHistogram, BucketSchemeIsContiguousAndTight) {
  for (int bits : {7, 11}) {
    LatencyHistogram h(bits);
    std::uint64_t next_low = 0;
    for (std::size_t idx = 0;
         idx < (std::size_t{65 - static_cast<std::size_t>(bits)} << (bits - 1)); ++idx) {
      const std::uint64_t lo = h.bucket_low(idx);
      const std::uint64_t w = h.bucket_width(idx);
      ASSERT_EQ(lo, next_low) << "bits " << bits << " idx " << idx;
      ASSERT_EQ(h.index_of(lo), idx);
      ASSERT_EQ(h.index_of(lo + w - 1), idx);
      // Midpoint error bound: half a width against the bucket's smallest value.
      if (lo > 0) {
        ASSERT_LE(static_cast<double>(w / 2) / static_cast<double>(lo), 1.0 / (1 << bits));
      }
      next_low = lo + w;
    }
    EXPECT_EQ(next_low, std::uint64_t{1} << 63);  // every int64 value is covered
  }
}

TEST(LatencyHistogram, HandlesExtremeValues) {
  LatencyHistogram h;
  h.add(std::int64_t{1} << 42);
  h.add(INT64_MAX);
  h.add(-5);  // caller bug: recorded as 0
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), INT64_MAX);
  EXPECT_EQ(h.percentile(100), INT64_MAX);
  EXPECT_NEAR(static_cast<double>(h.percentile(50)), 0x1p42, 0x1p42 * 0.0005);
  // Enough huge samples to wrap the 128-bit sum of squares: stddev falls back to bucket midpoints.
  LatencyHistogram w;
  for (int i = 0; i < 8; ++i) w.add(INT64_MAX - i);
  EXPECT_TRUE(std::isfinite(w.stddev()));
  EXPECT_LT(w.stddev(), 1e-3 * static_cast<double>(INT64_MAX));
}

TEST(LatencyHistogram, MemoryFollowsLargestValue) {
  LatencyHistogram h;
  h.add(50);
  const std::size_t small = h.memory_bytes();
  EXPECT_GT(small, 0u);
  EXPECT_LE(small, 64u * 1024);
  for (std::int64_t v = 1; v < 10'000'000; v = v * 3 + 1) h.add(v);
  EXPECT_LE(h.memory_bytes(), 128u * 1024);  // <= 10 ms
  h.add(std::int64_t{1} << 42);
  EXPECT_LE(h.memory_bytes(), 280u * 1024);
  LatencyHistogram coarse(7);
  coarse.add(10'000'000);
  EXPECT_LE(coarse.memory_bytes(), 10u * 1024);
}

TEST(LatencyHistogram, BinsAreAscendingInsideTheirBucketAndSumToCount) {
  LatencyHistogram h;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    h.add(static_cast<std::int64_t>(std::lognormal_distribution<double>(10.0, 2.0)(rng)));
  }
  std::uint64_t total = 0;
  std::int64_t prev = -1;
  std::size_t prev_idx = 0;
  for (const auto& bin : h.bins()) {
    EXPECT_GT(bin.value, prev);
    EXPECT_GE(bin.value, h.min());
    EXPECT_LE(bin.value, h.max());
    // Each reported value lies in its own bucket (one bin per non-empty bucket).
    const std::size_t idx = h.index_of(static_cast<std::uint64_t>(bin.value));
    if (prev >= 0) {
      EXPECT_GT(idx, prev_idx);
    }
    EXPECT_GT(bin.count, 0u);
    prev = bin.value;
    prev_idx = idx;
    total += bin.count;
  }
  EXPECT_EQ(total, h.count());
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(9);
  LatencyHistogram a;
  LatencyHistogram b;
  LatencyHistogram all;
  for (int i = 0; i < 30000; ++i) {
    const auto v = static_cast<std::int64_t>(std::exponential_distribution<double>(1e-6)(rng));
    (i % 3 == 0 ? a : b).add(v);
    all.add(v);
  }
  b.add(std::int64_t{1} << 41);  // b grew further than a
  all.add(std::int64_t{1} << 41);
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.mean(), all.mean());
  EXPECT_EQ(a.stddev(), all.stddev());
  EXPECT_EQ(a.bins(), all.bins());
  EXPECT_EQ(a.percentiles(test_percentiles()), all.percentiles(test_percentiles()));

  // Across resolutions the moments stay exact; buckets are as precise as the coarser side.
  LatencyHistogram fine;
  LatencyHistogram coarse(7);
  for (std::int64_t v = 1000; v < 2'000'000; v += 997) coarse.add(v);
  fine.merge(coarse);
  EXPECT_EQ(fine.count(), coarse.count());
  EXPECT_EQ(fine.min(), coarse.min());
  EXPECT_EQ(fine.max(), coarse.max());
  EXPECT_EQ(fine.mean(), coarse.mean());
  EXPECT_NEAR(static_cast<double>(fine.percentile(50)), static_cast<double>(coarse.percentile(50)),
              0.01 * static_cast<double>(coarse.percentile(50)));
}

TEST(LatencyHistogram, ClearForgetsSamplesAndIsReusable) {
  LatencyHistogram h;
  for (std::int64_t v = 0; v < 100000; v += 7) h.add(v * 13);
  h.clear();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_TRUE(h.bins().empty());
  h.add(42);
  h.add(4242);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.min(), 42);
  EXPECT_EQ(h.max(), 4242);
  EXPECT_EQ(h.bins().size(), 2u);
}

TEST(LatencyHistogram, AddNMatchesRepeatedAdd) {
  LatencyHistogram a;
  LatencyHistogram b;
  a.add_n(123'456, 1000);
  a.add_n(7, 3);
  for (int i = 0; i < 1000; ++i) b.add(123'456);
  for (int i = 0; i < 3; ++i) b.add(7);
  EXPECT_EQ(a.bins(), b.bins());
  EXPECT_EQ(a.mean(), b.mean());
  EXPECT_EQ(a.stddev(), b.stddev());
}

}  // namespace
}  // namespace sim::metrics
