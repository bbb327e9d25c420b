#include "sim/metrics/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace sim::metrics {

namespace {

std::size_t total_buckets(int bits) {
  // Exact region (2^bits) plus one group of 2^(bits-1) for every shift 1 .. 64 - bits.
  return static_cast<std::size_t>(65 - bits) << (bits - 1);
}

}  // namespace

LatencyHistogram::LatencyHistogram(int sub_bucket_bits)
    : bits_(sub_bucket_bits), sub_count_(std::uint64_t{1} << sub_bucket_bits) {
  if (sub_bucket_bits < kMinSubBucketBits || sub_bucket_bits > kMaxSubBucketBits) {
    throw std::invalid_argument("LatencyHistogram: sub_bucket_bits out of range");
  }
}

std::uint64_t LatencyHistogram::bucket_low(std::size_t idx) const {
  if (idx < sub_count_) return idx;
  const std::size_t shift = (idx >> (bits_ - 1)) - 1;
  const std::uint64_t mantissa = idx - (shift << (bits_ - 1));
  return mantissa << shift;
}

std::uint64_t LatencyHistogram::bucket_width(std::size_t idx) const {
  if (idx < sub_count_) return 1;
  return std::uint64_t{1} << ((idx >> (bits_ - 1)) - 1);
}

void LatencyHistogram::grow(std::size_t idx) {
  // Cover idx's whole power-of-two group plus one more, so a slowly rising maximum does not
  // reallocate on every new group; never less than the exact region plus a few groups.
  const std::size_t group = std::size_t{1} << (bits_ - 1);
  std::size_t want = ((idx / group) + 2) * group;
  want = std::max(want, static_cast<std::size_t>(sub_count_) + 4 * group);
  want = std::min(want, total_buckets(bits_));
  // reserve() first so the capacity is exactly what we asked for (resize alone may double it).
  counts_.reserve(want);
  counts_.resize(want, 0);
}

void LatencyHistogram::place(std::uint64_t v, std::uint64_t n) {
  const std::size_t idx = index_of(v);
  if (idx >= counts_.size()) grow(idx);
  counts_[idx] += n;
}

void LatencyHistogram::add_n(std::int64_t ns, std::uint64_t n) {
  if (n == 0) return;
  const std::uint64_t v = ns < 0 ? 0 : static_cast<std::uint64_t>(ns);
  place(v, n);
  count_ += n;
  sum_ += static_cast<unsigned __int128>(v) * n;
  unsigned __int128 sq = 0;
  if (__builtin_mul_overflow(static_cast<unsigned __int128>(v) * v,
                             static_cast<unsigned __int128>(n), &sq) ||
      __builtin_add_overflow(sum_sq_, sq, &sum_sq_)) {
    sum_sq_wrapped_ = true;
  }
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  if (other.bits_ == bits_) {
    if (other.counts_.size() > counts_.size()) grow(other.counts_.size() - 1);
    for (std::size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  } else {
    other.for_each_bin([this](std::int64_t value, std::uint64_t n) {
      place(static_cast<std::uint64_t>(value), n);
    });
  }
  count_ += other.count_;
  sum_ += other.sum_;
  if (__builtin_add_overflow(sum_sq_, other.sum_sq_, &sum_sq_)) sum_sq_wrapped_ = true;
  sum_sq_wrapped_ = sum_sq_wrapped_ || other.sum_sq_wrapped_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::clear() {
  if (count_ != 0) {
    // Only buckets between the smallest and largest sample can be non-zero.
    const std::size_t lo = index_of(min_);
    const std::size_t hi = index_of(max_);
    std::fill(counts_.begin() + static_cast<std::ptrdiff_t>(lo),
              counts_.begin() + static_cast<std::ptrdiff_t>(hi) + 1, 0);
  }
  count_ = 0;
  min_ = std::numeric_limits<std::uint64_t>::max();
  max_ = 0;
  sum_ = 0;
  sum_sq_ = 0;
  sum_sq_wrapped_ = false;
}

double LatencyHistogram::mean() const {
  if (count_ == 0) return 0.0;
  return static_cast<double>(static_cast<long double>(sum_) / static_cast<long double>(count_));
}

long double LatencyHistogram::sum_sq_deviations() const {
  if (count_ < 2) return 0.0L;
  if (sum_sq_wrapped_) {
    // Fallback: deviations of bucket midpoints from the exact mean.
    const long double m = static_cast<long double>(sum_) / static_cast<long double>(count_);
    long double acc = 0.0L;
    for_each_bin([&](std::int64_t value, std::uint64_t n) {
      const long double d = static_cast<long double>(value) - m;
      acc += d * d * static_cast<long double>(n);
    });
    return acc;
  }
  // sum((x - mean)^2) = sum_sq - sum^2 / n. Split sum = q * n + r so the large part is exact in
  // integers: sum^2 / n = q^2 n + 2 q r + r^2 / n, and q^2 n + 2 q r <= sum^2 / n <= sum_sq (no
  // wrap). Only the small r^2 / n term goes through floating point, so there is no catastrophic
  // cancellation even when the spread is tiny compared with the mean.
  const unsigned __int128 n = count_;
  const unsigned __int128 q = sum_ / n;
  const unsigned __int128 r = sum_ % n;
  const unsigned __int128 exact = sum_sq_ - q * q * n - 2 * q * r;
  const long double m2 = static_cast<long double>(exact) -
                         static_cast<long double>(r * r) / static_cast<long double>(count_);
  return m2 < 0.0L ? 0.0L : m2;
}

double LatencyHistogram::stddev() const {
  if (count_ < 2) return 0.0;
  return static_cast<double>(std::sqrt(sum_sq_deviations() / static_cast<long double>(count_ - 1)));
}

double LatencyHistogram::stddev_population() const {
  if (count_ < 2) return 0.0;
  return static_cast<double>(std::sqrt(sum_sq_deviations() / static_cast<long double>(count_)));
}

std::uint64_t LatencyHistogram::nearest_rank(double p, std::uint64_t n) {
  if (n == 0) return 0;
  if (!(p > 0.0)) return 1;  // also catches NaN
  if (p >= 100.0) return n;
  // Percentiles are written as short decimals (99.9, 99.99). Find the decimal p * 10^k that the
  // binary double stands for and do the rank in exact integers; fall back to long double for
  // values that are not short decimals (e.g. 100.0 / 3).
  long double scale = 1.0L;
  for (int k = 0; k <= 9; ++k, scale *= 10.0L) {
    const long double scaled = static_cast<long double>(p) * scale;
    const long double nearest = std::round(scaled);
    if (std::fabs(scaled - nearest) <= scaled * 1e-14L) {
      const auto num = static_cast<unsigned __int128>(nearest);
      const auto den = static_cast<unsigned __int128>(100.0L * scale);
      const unsigned __int128 rank = (num * n + den - 1) / den;
      return std::clamp<std::uint64_t>(static_cast<std::uint64_t>(rank), 1, n);
    }
  }
  const long double x = static_cast<long double>(p) / 100.0L * static_cast<long double>(n);
  return std::clamp<std::uint64_t>(static_cast<std::uint64_t>(std::ceil(x)), 1, n);
}

std::int64_t LatencyHistogram::reported_value(std::size_t idx) const {
  const std::uint64_t mid = bucket_low(idx) + bucket_width(idx) / 2;
  return static_cast<std::int64_t>(std::clamp(mid, min_, max_));
}

std::int64_t LatencyHistogram::percentile(double p) const { return percentiles({p}).front(); }

std::vector<std::int64_t> LatencyHistogram::percentiles(const std::vector<double>& ps) const {
  std::vector<std::int64_t> out(ps.size(), 0);
  if (count_ == 0 || ps.empty()) return out;
  // Visit the requested ranks in increasing order during one walk over the buckets.
  std::vector<std::size_t> order(ps.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<std::uint64_t> ranks(ps.size());
  for (std::size_t i = 0; i < ps.size(); ++i) ranks[i] = nearest_rank(ps[i], count_);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return ranks[a] < ranks[b]; });
  std::size_t next = 0;
  // The extreme ranks are known exactly without the buckets.
  while (next < order.size() && ranks[order[next]] <= 1) out[order[next++]] = min();
  std::size_t last = order.size();
  while (last > next && ranks[order[last - 1]] >= count_) out[order[--last]] = max();
  order.resize(last);
  std::uint64_t cumulative = 0;
  for (std::size_t idx = 0; idx < counts_.size() && next < order.size(); ++idx) {
    if (counts_[idx] == 0) continue;
    cumulative += counts_[idx];
    while (next < order.size() && ranks[order[next]] <= cumulative) {
      out[order[next]] = reported_value(idx);
      ++next;
    }
  }
  return out;
}

std::vector<LatencyHistogram::Bin> LatencyHistogram::bins() const {
  std::vector<Bin> out;
  for_each_bin([&](std::int64_t value, std::uint64_t n) { out.push_back(Bin{value, n}); });
  return out;
}

}  // namespace sim::metrics
