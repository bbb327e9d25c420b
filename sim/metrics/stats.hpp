#pragma once
// Per-job I/O statistics in fio's terms (DirStats, JobStats) and the bucketed time series behind
// timeseries.csv (TimeSeries). Everything here is fed from the event bus and only observes.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/metrics/histogram.hpp"
#include "sim/time.hpp"

namespace sim::metrics {

// I/O direction. Same names and values as sim::events::Dir (Read 0, Write 1, Trim 2, Flush 3),
// so static_cast<metrics::Dir>(event.dir) converts; kept here so metrics builds without the bus.
enum class Dir : std::uint8_t { Read = 0, Write = 1, Trim = 2, Flush = 3 };

// fio averages bandwidth and IOPS over bw_avg_time / iops_avg_time windows, 500 ms by default.
inline constexpr Time kDefaultBwWindow = 500 * kMillisecond;

// min / max / mean / sample stddev of a list of per-window samples (fio's bw_* and iops_* keys).
struct SampleSummary {
  std::uint64_t min = 0;
  std::uint64_t max = 0;
  double mean = 0.0;
  double stddev = 0.0;  // sample stddev (N - 1), as fio
  std::uint64_t samples = 0;
};
SampleSummary summarize(const std::vector<std::uint64_t>& samples);

// fio's completion-latency distribution (JSON latency_ns / latency_us / latency_ms, the
// "lat (nsec)   : 2=..., 4=..." lines): 10 nsec buckets (the last ends at 1 us), 10 usec buckets
// (the last ends at 1 ms), 12 msec buckets. Bucket i counts clat in
// [kLatencyDistBounds[i-1], kLatencyDistBounds[i]); the last one is fio's ">=2000" ms.
inline constexpr std::size_t kLatencyDistBuckets = 32;
// clang-format off
inline constexpr std::array<std::int64_t, kLatencyDistBuckets - 1> kLatencyDistBounds = {
    2,     4,     10,    20,     50,     100,     250,     500,     750,
    us(1), us(2), us(4), us(10), us(20), us(50), us(100), us(250), us(500), us(750),
    ms(1), ms(2), ms(4), ms(10), ms(20), ms(50), ms(100), ms(250), ms(500), ms(750),
    ms(1000), ms(2000)};
// clang-format on
// Number of bounds <= clat. A fixed five-step branch-free binary search: latencies are random,
// so std::upper_bound's branches would mispredict on the per-I/O path.
inline std::size_t latency_dist_bucket(Time clat) {
  static_assert(kLatencyDistBounds.size() == 31, "probes below reach index 30 at most");
  std::size_t i = 0;
  for (std::size_t step = 16; step != 0; step /= 2) {
    i += kLatencyDistBounds[i + step - 1] <= clat ? step : 0;
  }
  return i;
}

// One direction (read, write or trim) of one job.
//
// Bandwidth/IOPS samples follow fio: time is cut into windows of `window` aligned to the job
// start; a window in which this direction completed at least one I/O yields one bw sample
// (KiB/s, floor(bytes * 1e9 / (window_ns * 1024))) and one iops sample (floor(ios * 1e9 /
// window_ns)). A window with no I/O yields no sample, as in fio, so bw_min never shows a full
// stall (timeseries.csv does). finish(end) closes the last, partial window only if it covers at
// least half a window (its rate then uses the covered time): a sliver at the end would otherwise
// report a wild rate from a handful of I/Os. Completion times must not go backwards; an earlier
// time is counted in the current window.
class DirStats {
 public:
  explicit DirStats(Time start = 0, Time window = kDefaultBwWindow);

  // One completed I/O: slat = submission latency, clat = completion latency, lat = slat + clat.
  void add(Time completion_time, std::uint64_t bytes, Time slat, Time clat) {
    slat_.add(slat);
    clat_.add(clat);
    lat_.add(slat + clat);
    ++latency_dist_[latency_dist_bucket(clat)];
    io_bytes_ += bytes;
    ++total_ios_;
    if (completion_time >= window_end_) [[unlikely]]
      roll_to(completion_time);
    window_bytes_ += bytes;
    ++window_ios_;
  }
  // One I/O completed with an error: counted apart (err_ios), never in bytes, IOPS, bandwidth,
  // latency or the bw/iops windows (fio: failed I/O is not throughput).
  void add_error(std::uint64_t n = 1) { err_ios_ += n; }
  void add_short(std::uint64_t n = 1) { short_ios_ += n; }
  void add_drop(std::uint64_t n = 1) { drop_ios_ += n; }
  // Closes the last window (see the class comment). Idempotent.
  void finish(Time end);

  Time start() const { return start_; }
  Time window() const { return window_; }
  std::uint64_t io_bytes() const { return io_bytes_; }
  std::uint64_t total_ios() const { return total_ios_; }
  std::uint64_t err_ios() const { return err_ios_; }
  std::uint64_t short_ios() const { return short_ios_; }
  std::uint64_t drop_ios() const { return drop_ios_; }
  const LatencyHistogram& slat() const { return slat_; }
  const LatencyHistogram& clat() const { return clat_; }
  const LatencyHistogram& lat() const { return lat_; }
  const std::vector<std::uint64_t>& bw_samples() const { return bw_samples_; }  // KiB/s
  const std::vector<std::uint64_t>& iops_samples() const { return iops_samples_; }
  SampleSummary bw_summary() const { return summarize(bw_samples_); }
  SampleSummary iops_summary() const { return summarize(iops_samples_); }
  const std::array<std::uint64_t, kLatencyDistBuckets>& latency_dist() const {
    return latency_dist_;
  }

 private:
  void roll_to(Time t);
  void close_window(Time duration);

  Time start_;
  Time window_;
  Time window_start_;
  Time window_end_;
  std::uint64_t window_bytes_ = 0;
  std::uint64_t window_ios_ = 0;
  bool finished_ = false;

  std::uint64_t io_bytes_ = 0;
  std::uint64_t total_ios_ = 0;
  std::uint64_t err_ios_ = 0;
  std::uint64_t short_ios_ = 0;
  std::uint64_t drop_ios_ = 0;
  LatencyHistogram slat_;
  LatencyHistogram clat_;
  LatencyHistogram lat_;
  std::array<std::uint64_t, kLatencyDistBuckets> latency_dist_{};
  std::vector<std::uint64_t> bw_samples_;
  std::vector<std::uint64_t> iops_samples_;
};

// fio's seven depth buckets. iodepth_level: in-flight depth when an I/O was issued
// (1, 2, 4, 8, 16, 32, >=64). iodepth_submit / iodepth_complete: I/Os per submit / reap call
// (0, 4, 8, 16, 32, 64, >=64, each "up to").
inline constexpr std::size_t kDepthBuckets = 7;
std::size_t iodepth_level_bucket(std::uint32_t depth);
std::size_t iodepth_batch_bucket(std::uint32_t batch);

// Which I/O errors end a job, as fio's continue_on_error decides (bit 1 << Dir per direction
// whose error stops the job). Trims and flushes count as writes, as in fio.
inline constexpr std::uint8_t dir_bit(Dir d) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(d)); }
inline constexpr std::uint8_t kStopOnAnyError =
    dir_bit(Dir::Read) | dir_bit(Dir::Write) | dir_bit(Dir::Trim) | dir_bit(Dir::Flush);
inline constexpr int kEio = 5;

// Everything fio reports for one job. Plain data; the report writers read it.
struct JobStats {
  JobStats() = default;
  JobStats(std::string name, Time start, Time bw_window = kDefaultBwWindow);

  std::string jobname;
  int groupid = 0;
  Time job_start = 0;  // simulated time the job started
  // fio's "job options" (name -> value as the user wrote it), in insertion order.
  std::vector<std::pair<std::string, std::string>> job_options;
  Time runtime_ns = 0;
  int error = 0;           // errno-style first error, 0 = none
  std::string error_text;  // fio's verror, shown as "err= 5 (text)" when error != 0
  // I/Os completed with an error (fio's total_err), and the first one of each direction.
  std::uint64_t total_err = 0;
  std::uint64_t sync_err = 0;  // flushes among total_err
  struct FirstError {
    Time t = -1;  // -1 = none in this direction
    std::uint16_t status = 0;
  };
  std::array<FirstError, 4> first_error{};  // by Dir
  // Directions whose error ends the job (continue_on_error); finish() sets error / error_text.
  std::uint8_t stop_on_error = kStopOnAnyError;
  int iodepth = 1;         // fio's latency_depth key
  DirStats read;
  DirStats write;
  DirStats trim;
  LatencyHistogram sync_lat;  // flushes: fio's "sync" object
  // Optional depth counters; all zero means "not recorded" and the text report leaves them out.
  std::array<std::uint64_t, kDepthBuckets> iodepth_level{};
  std::array<std::uint64_t, kDepthBuckets> iodepth_submit{};
  std::array<std::uint64_t, kDepthBuckets> iodepth_complete{};

  DirStats& dir(Dir d);  // Read, Write or Trim (Flush is not a DirStats: see sync_lat)
  const DirStats& dir(Dir d) const;
  // Routes one completion: Read/Write/Trim to their DirStats, Flush to sync_lat (slat + clat).
  void add(Dir d, Time completion_time, std::uint64_t bytes, Time slat, Time clat);
  // One I/O completed with NVMe (or host) status `status` != 0: total_err, the direction's
  // err_ios and first_error; nothing else.
  void add_error(Dir d, Time completion_time, std::uint16_t status);
  void record_depth(std::uint32_t depth) { ++iodepth_level[iodepth_level_bucket(depth)]; }
  void record_submit(std::uint32_t batch) { ++iodepth_submit[iodepth_batch_bucket(batch)]; }
  void record_complete(std::uint32_t batch) { ++iodepth_complete[iodepth_batch_bucket(batch)]; }
  // runtime_ns = end - job_start; closes the bandwidth windows of every direction; sets error
  // (kEio) and error_text when an error of a direction in stop_on_error happened.
  void finish(Time end);
};

// Bucketed per-scope counters for timeseries.csv.
//
// Scopes are free-form names ("total", "job:oltp", "path:nvme0c0n1"); each bucket of `width`
// (aligned to `origin`) gets, per scope: read/write/trim I/O counts and bytes, and latency p50 /
// p99 / max from a small LatencyHistogram (sub_bucket_bits, default 7: <= 0.8 % error, 3-29 KiB
// per scope), all of successful I/O only; I/Os completed with an error are counted apart
// (err_ios) and are in no rate and no latency. Only the bucket being filled keeps a histogram:
// when a scope's samples move to a later bucket the percentiles of the earlier one are computed
// and the histogram is reused. Storage is sparse: one histogram per scope plus one small row per
// non-empty bucket, so memory follows the run's completions, never its duration or the number of
// buckets.
// Samples must arrive in non-decreasing time per scope (completion order in a DES); a sample
// for an already closed bucket still counts in its I/Os, bytes and max, but cannot change its
// p50/p99.
class TimeSeries {
 public:
  using ScopeId = std::size_t;
  static constexpr int kDefaultSubBucketBits = 7;
  // Up to this many rows (buckets x scopes) the CSV has every scope in every bucket, zeros where
  // nothing completed; above it only the rows with a completion or an error (see write_csv).
  static constexpr std::uint64_t kMaxDenseRows = 2'000'000;

  explicit TimeSeries(Time width, int sub_bucket_bits = kDefaultSubBucketBits, Time origin = 0);

  // Registers (or finds) a scope; registered scopes get zero rows for buckets without I/O.
  ScopeId scope(std::string_view name);
  // One successful completion.
  void add(ScopeId scope, Time completion_time, Dir dir, std::uint64_t bytes, Time latency);
  void add(std::string_view scope_name, Time completion_time, Dir dir, std::uint64_t bytes,
           Time latency) {
    add(scope(scope_name), completion_time, dir, bytes, latency);
  }
  // One completion with an error status: err_ios only.
  void add_error(ScopeId scope, Time completion_time);
  // Sets the end of the series: rows run through the bucket holding end - 1 (end exclusive), and
  // a last partial bucket scales its per-second rates by the time it covers. Without finish() the
  // rows end at the last bucket with a sample.
  void finish(Time end);

  struct Row {
    std::int64_t bucket = 0;  // index from origin
    std::uint64_t read_ios = 0;
    std::uint64_t write_ios = 0;
    std::uint64_t trim_ios = 0;
    std::uint64_t read_bytes = 0;
    std::uint64_t write_bytes = 0;
    std::uint64_t trim_bytes = 0;
    std::uint64_t flush_ios = 0;
    std::uint64_t err_ios = 0;  // completions with an error, every direction
    std::int64_t lat_p50 = 0;
    std::int64_t lat_p99 = 0;
    std::int64_t lat_max = 0;
    std::uint64_t ios() const { return read_ios + write_ios + trim_ios + flush_ios; }
  };
  // Rows of one scope: dense (buckets 0 .. last, zeros where there was no I/O) while the series
  // is dense (dense()), else only the non-empty buckets.
  std::vector<Row> rows(std::string_view scope_name) const;
  std::vector<std::string> scope_names() const;  // sorted
  std::int64_t buckets() const { return last_bucket() + 1; }
  // buckets() x scopes <= kMaxDenseRows.
  bool dense() const;

  // Long-format CSV, header
  //   t_ms,scope,read_iops,write_iops,read_bw_bytes,write_bw_bytes,lat_p50_ns,lat_p99_ns,
  //   lat_max_ns,ios,err_ios
  // t_ms = bucket start since origin; iops and bandwidth are per second; ios counts every
  // direction in the bucket (trim and flush too), err_ios the completions with an error (both
  // counts, not per second). Sorted by time, then scope name (byte order). Dense series: every
  // scope in every bucket; sparse ones (above kMaxDenseRows): only rows with ios or err_ios.
  void write_csv(std::ostream& out) const;
  std::string csv() const;

  Time width() const { return width_; }

 private:
  struct Scope {
    explicit Scope(int bits) : open_hist(bits) {}
    std::vector<Row> closed;  // non-empty buckets, ascending
    Row open;
    bool has_open = false;
    LatencyHistogram open_hist;
  };
  Row finalized_open(const Scope& s) const;
  void close_open(Scope& s) const;
  std::int64_t last_bucket() const;
  Row* row_for(Scope& s, std::int64_t bucket, Time latency);
  // The scope's non-empty rows up to `last`, ascending (the open one finalized).
  std::vector<Row> sparse_rows(const Scope& s, std::int64_t last) const;

  Time width_;
  Time origin_;
  int bits_;
  Time end_ = -1;
  std::int64_t max_bucket_seen_ = -1;
  std::vector<Scope> scopes_;
  std::map<std::string, ScopeId, std::less<>> ids_;
};

}  // namespace sim::metrics
