#pragma once
// LatencyHistogram: exact count/min/max/mean/stddev plus log-linear buckets for percentiles.
//
// Bucket scheme (HDR-style). With S = sub_bucket_bits:
//   - values v < 2^S get one bucket each (exact);
//   - a value with most significant bit m >= S drops e = m - S + 1 low bits; the bucket is
//     (v >> e), one of 2^(S-1) buckets that split [2^m, 2^(m+1)) evenly.
// A bucket [lo, lo + 2^e) reports its midpoint, so the worst relative error of a reported value is
// 2^(e-1) / lo <= 1 / 2^S. S = 11 (the default) gives <= 0.0489 %, i.e. three significant digits.
// Every int64 value has a bucket; the array holds (65 - S) * 2^(S-1) counters at most.
//
// Memory: the counter array (uint64) is allocated on the first add() and grown only when a value
// lands above everything seen so far, to the end of its power-of-two group (plus headroom), so its
// size follows the largest value, not the full range. With S = 11: values up to 100 us -> 72 KiB,
// up to 10 ms -> 128 KiB, up to 2^42 ns (73 min) -> 280 KiB, the full int64 range -> 432 KiB.
// With S = 7 (TimeSeries default) the same ranges cost 6.5 / 10 / 19.5 / 29 KiB.
// Growth happens at most once per power of two over the lifetime; every other add() is a few
// integer instructions with no allocation and no division.
//
// Exact statistics use 128-bit integer sums (sum and sum of squares): mean and stddev are exact
// (to long double rounding) for values below 2^42 ns and up to 2^44 samples. Should the sum of
// squares ever wrap (values near 2^63, e.g. a kNever leaking in), stddev falls back to the bucket
// midpoints instead of printing garbage.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace sim::metrics {

class LatencyHistogram {
 public:
  static constexpr int kDefaultSubBucketBits = 11;
  static constexpr int kMinSubBucketBits = 2;
  static constexpr int kMaxSubBucketBits = 16;

  // One non-empty bucket: the value it reports (midpoint clamped to [min, max]) and its count.
  struct Bin {
    std::int64_t value;
    std::uint64_t count;
    friend bool operator==(const Bin&, const Bin&) = default;
  };

  explicit LatencyHistogram(int sub_bucket_bits = kDefaultSubBucketBits);

  // Records one sample. A negative value is a caller bug; it is recorded as 0 rather than
  // letting it corrupt the bucket index.
  void add(std::int64_t ns) {
    const std::uint64_t v = ns < 0 ? 0 : static_cast<std::uint64_t>(ns);
    const std::size_t idx = index_of(v);
    if (idx >= counts_.size()) [[unlikely]]
      grow(idx);
    ++counts_[idx];
    ++count_;
    sum_ += v;
    if (__builtin_add_overflow(sum_sq_, static_cast<unsigned __int128>(v) * v, &sum_sq_))
        [[unlikely]] {
      sum_sq_wrapped_ = true;
    }
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }

  // Records `n` samples of the same value (used by merge across resolutions and by tests).
  void add_n(std::int64_t ns, std::uint64_t n);

  // Adds every sample of `other`. Same sub_bucket_bits: exact bucket-wise sum. Different
  // resolution: each of other's buckets is re-added at its reported value (count/min/max/mean/
  // stddev stay exact; bucket placement is as precise as the coarser of the two).
  void merge(const LatencyHistogram& other);

  // Forgets every sample; keeps the allocation (cost proportional to the buckets in use).
  void clear();

  std::uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  // 0 when empty (as fio prints an idle direction).
  std::int64_t min() const { return count_ ? static_cast<std::int64_t>(min_) : 0; }
  std::int64_t max() const { return count_ ? static_cast<std::int64_t>(max_) : 0; }
  unsigned __int128 sum() const { return sum_; }
  double mean() const;
  // Sample standard deviation sqrt(sum((x - mean)^2) / (N - 1)), 0 for N < 2. This is what fio
  // reports (stat.c calc_lat divides its running S by samples - 1).
  double stddev() const;
  // Population standard deviation (divides by N), for callers that want it.
  double stddev_population() const;

  // Nearest-rank percentile, p in (0, 100]: the smallest recorded value v with
  // count(samples <= v) >= nearest_rank(p, N), reported as its bucket's midpoint clamped to
  // [min, max]; the first and last ranks return min and max exactly. 0 when empty.
  std::int64_t percentile(double p) const;
  // Several percentiles in one pass over the buckets; `ps` in any order, results in ps order.
  std::vector<std::int64_t> percentiles(const std::vector<double>& ps) const;

  // ceil(p / 100 * n) clamped to [1, n], computed so that decimal inputs such as p = 99.9,
  // n = 1000 give 999 (not 1000 from 99.9's binary representation being slightly above 99.9).
  static std::uint64_t nearest_rank(double p, std::uint64_t n);

  // Visits the non-empty buckets in ascending order: f(std::int64_t value, std::uint64_t count),
  // value as in Bin.
  template <typename F>
  void for_each_bin(F&& f) const {
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i] != 0) f(reported_value(i), counts_[i]);
    }
  }
  std::vector<Bin> bins() const;

  int sub_bucket_bits() const { return bits_; }
  // Bytes held by the counter array right now.
  std::size_t memory_bytes() const { return counts_.capacity() * sizeof(std::uint64_t); }
  // The bucket scheme, exposed for tests and for readers of json+ bins.
  std::size_t index_of(std::uint64_t v) const {
    if (v < sub_count_) return static_cast<std::size_t>(v);
    const int msb = 63 - __builtin_clzll(v);
    const int shift = msb - bits_ + 1;
    return (static_cast<std::size_t>(shift) << (bits_ - 1)) + static_cast<std::size_t>(v >> shift);
  }
  std::uint64_t bucket_low(std::size_t idx) const;
  std::uint64_t bucket_width(std::size_t idx) const;

 private:
  void grow(std::size_t idx);
  void place(std::uint64_t v, std::uint64_t n);
  std::int64_t reported_value(std::size_t idx) const;
  long double sum_sq_deviations() const;

  int bits_;
  std::uint64_t sub_count_;  // 2^bits_
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
  unsigned __int128 sum_ = 0;
  unsigned __int128 sum_sq_ = 0;
  bool sum_sq_wrapped_ = false;
};

}  // namespace sim::metrics
