#include "sim/metrics/stats.hpp"

#include <fmt/format.h>

#include <cmath>
#include <ostream>
#include <sstream>
#include <stdexcept>

namespace sim::metrics {

namespace {

constexpr std::uint64_t kNsPerSec = 1'000'000'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// num / den rounded half-up to `decimals` places, trailing zeros (and a bare '.') dropped.
// Integer arithmetic only, so the CSV is byte-identical on every machine.
std::string format_ratio(unsigned __int128 num, unsigned __int128 den, int decimals) {
  unsigned __int128 scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  const unsigned __int128 scaled = (num * scale * 2 + den) / (den * 2);
  const auto whole = static_cast<std::uint64_t>(scaled / scale);
  auto frac = static_cast<std::uint64_t>(scaled % scale);
  if (frac == 0) return fmt::format("{}", whole);
  int digits = decimals;
  while (frac % 10 == 0) {
    frac /= 10;
    --digits;
  }
  return fmt::format("{}.{:0{}}", whole, frac, digits);
}

// CSV field quoting for scope names that contain a separator or a quote (RFC 4180).
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

SampleSummary summarize(const std::vector<std::uint64_t>& samples) {
  SampleSummary s;
  if (samples.empty()) return s;
  s.samples = samples.size();
  s.min = samples.front();
  s.max = samples.front();
  long double sum = 0.0L;
  for (std::uint64_t v : samples) {
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    sum += static_cast<long double>(v);
  }
  const long double mean = sum / static_cast<long double>(samples.size());
  s.mean = static_cast<double>(mean);
  if (samples.size() > 1) {
    long double m2 = 0.0L;
    for (std::uint64_t v : samples) {
      const long double d = static_cast<long double>(v) - mean;
      m2 += d * d;
    }
    s.stddev = static_cast<double>(std::sqrt(m2 / static_cast<long double>(samples.size() - 1)));
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// DirStats

DirStats::DirStats(Time start, Time window)
    : start_(start),
      window_(window > 0 ? window : kDefaultBwWindow),
      window_start_(start),
      window_end_(start + window_) {}

void DirStats::close_window(Time duration) {
  if (window_ios_ != 0 && duration > 0) {
    const auto d = static_cast<unsigned __int128>(duration);
    bw_samples_.push_back(static_cast<std::uint64_t>(static_cast<unsigned __int128>(window_bytes_) *
                                                     kNsPerSec / (d * 1024)));
    iops_samples_.push_back(
        static_cast<std::uint64_t>(static_cast<unsigned __int128>(window_ios_) * kNsPerSec / d));
  }
  window_bytes_ = 0;
  window_ios_ = 0;
}

void DirStats::roll_to(Time t) {
  close_window(window_);
  const std::int64_t k = floor_div(t - start_, window_);
  window_start_ = start_ + k * window_;
  window_end_ = window_start_ + window_;
}

void DirStats::finish(Time end) {
  if (finished_) return;
  finished_ = true;
  if (end >= window_end_) {
    close_window(window_);
    return;
  }
  const Time covered = end - window_start_;
  if (2 * covered >= window_) {
    close_window(covered);
  } else {
    close_window(0);  // too short to be a meaningful rate: dropped from bw/iops samples only
  }
}

// ---------------------------------------------------------------------------------------------
// JobStats

std::size_t iodepth_level_bucket(std::uint32_t depth) {
  std::size_t idx = 0;
  while (depth > 1 && idx < kDepthBuckets - 1) {
    depth >>= 1;
    ++idx;
  }
  return idx;
}

std::size_t iodepth_batch_bucket(std::uint32_t batch) {
  if (batch == 0) return 0;
  std::size_t idx = 1;
  for (std::uint32_t limit = 4; idx < kDepthBuckets - 1; limit *= 2, ++idx) {
    if (batch <= limit) return idx;
  }
  return kDepthBuckets - 1;
}

JobStats::JobStats(std::string name, Time start, Time bw_window)
    : jobname(std::move(name)),
      job_start(start),
      read(start, bw_window),
      write(start, bw_window),
      trim(start, bw_window) {}

DirStats& JobStats::dir(Dir d) {
  return const_cast<DirStats&>(static_cast<const JobStats&>(*this).dir(d));
}

const DirStats& JobStats::dir(Dir d) const {
  switch (d) {
    case Dir::Read:
      return read;
    case Dir::Write:
      return write;
    case Dir::Trim:
      return trim;
    case Dir::Flush:
      break;
  }
  throw std::logic_error("JobStats::dir: flushes have no DirStats (use sync_lat)");
}

void JobStats::add(Dir d, Time completion_time, std::uint64_t bytes, Time slat, Time clat) {
  if (d == Dir::Flush) {
    sync_lat.add(slat + clat);
    return;
  }
  dir(d).add(completion_time, bytes, slat, clat);
}

void JobStats::add_error(Dir d, Time completion_time, std::uint16_t status) {
  ++total_err;
  if (d == Dir::Flush) ++sync_err;
  else dir(d).add_error();
  FirstError& f = first_error[static_cast<std::size_t>(d)];
  if (f.t < 0) f = {completion_time, status};
}

void JobStats::finish(Time end) {
  runtime_ns = end - job_start;
  read.finish(end);
  write.finish(end);
  trim.finish(end);
  // The earliest error the job's continue_on_error does not cover ends it: fio's err= 5.
  static constexpr const char* kDirNames[4] = {"read", "write", "trim", "flush"};
  int first = -1;
  for (int d = 0; d < 4; ++d) {
    const FirstError& f = first_error[static_cast<std::size_t>(d)];
    if (f.t < 0 || !(stop_on_error & dir_bit(static_cast<Dir>(d)))) continue;
    if (first < 0 || f.t < first_error[static_cast<std::size_t>(first)].t) first = d;
  }
  if (first >= 0 && error == 0) {
    const FirstError& f = first_error[static_cast<std::size_t>(first)];
    error = kEio;
    error_text = fmt::format("{} error at {}.{:09}s, status 0x{:03x}, error=Input/output error",
                             kDirNames[first], f.t / kSecond, f.t % kSecond, f.status & 0x7FF);
  }
}

// ---------------------------------------------------------------------------------------------
// TimeSeries

TimeSeries::TimeSeries(Time width, int sub_bucket_bits, Time origin)
    : width_(width > 0 ? width : 100 * kMillisecond), origin_(origin), bits_(sub_bucket_bits) {
  LatencyHistogram probe(sub_bucket_bits);  // validates the resolution once, up front
}

TimeSeries::ScopeId TimeSeries::scope(std::string_view name) {
  if (auto it = ids_.find(name); it != ids_.end()) return it->second;
  const ScopeId id = scopes_.size();
  scopes_.emplace_back(bits_);
  ids_.emplace(std::string(name), id);
  return id;
}

namespace {

void count_into(TimeSeries::Row& row, Dir dir, std::uint64_t bytes) {
  switch (dir) {
    case Dir::Read:
      ++row.read_ios;
      row.read_bytes += bytes;
      break;
    case Dir::Write:
      ++row.write_ios;
      row.write_bytes += bytes;
      break;
    case Dir::Trim:
      ++row.trim_ios;
      row.trim_bytes += bytes;
      break;
    case Dir::Flush:
      ++row.flush_ios;
      break;
  }
}

}  // namespace

// The row a sample of bucket b goes to: the open one (opened if needed), or, for a late sample,
// the closed row of b (inserted in order if b had none). `late` tells which.
TimeSeries::Row* TimeSeries::row_for(Scope& s, std::int64_t b, Time /*latency*/) {
  max_bucket_seen_ = std::max(max_bucket_seen_, b);
  if (s.has_open && b < s.open.bucket) {
    auto it = std::lower_bound(s.closed.begin(), s.closed.end(), b,
                               [](const Row& r, std::int64_t key) { return r.bucket < key; });
    if (it == s.closed.end() || it->bucket != b) {
      Row row;
      row.bucket = b;
      it = s.closed.insert(it, row);
    }
    return &*it;
  }
  if (s.has_open && b > s.open.bucket) close_open(s);
  if (!s.has_open) {
    s.open = Row{};
    s.open.bucket = b;
    s.has_open = true;
  }
  return &s.open;
}

void TimeSeries::add(ScopeId id, Time completion_time, Dir dir, std::uint64_t bytes, Time latency) {
  Scope& s = scopes_.at(id);
  const std::int64_t b = std::max<std::int64_t>(0, floor_div(completion_time - origin_, width_));
  Row* row = row_for(s, b, latency);
  if (row != &s.open) {
    // Late sample for a closed bucket: counts and max only (see the class comment).
    if (row->ios() == 0) row->lat_p50 = row->lat_p99 = latency;
    count_into(*row, dir, bytes);
    row->lat_max = std::max(row->lat_max, latency);
    return;
  }
  count_into(s.open, dir, bytes);
  s.open_hist.add(latency);
}

void TimeSeries::add_error(ScopeId id, Time completion_time) {
  Scope& s = scopes_.at(id);
  const std::int64_t b = std::max<std::int64_t>(0, floor_div(completion_time - origin_, width_));
  ++row_for(s, b, 0)->err_ios;
}

TimeSeries::Row TimeSeries::finalized_open(const Scope& s) const {
  Row row = s.open;
  const std::vector<std::int64_t> p = s.open_hist.percentiles({50.0, 99.0});
  row.lat_p50 = p[0];
  row.lat_p99 = p[1];
  row.lat_max = s.open_hist.max();
  return row;
}

void TimeSeries::close_open(Scope& s) const {
  s.closed.push_back(finalized_open(s));
  s.open_hist.clear();
  s.has_open = false;
}

void TimeSeries::finish(Time end) { end_ = end; }

std::int64_t TimeSeries::last_bucket() const {
  std::int64_t last = max_bucket_seen_;
  if (end_ > origin_) last = std::max(last, floor_div(end_ - 1 - origin_, width_));
  return last;
}

bool TimeSeries::dense() const {
  const std::int64_t n = last_bucket() + 1;
  if (n <= 0) return true;
  const auto rows = static_cast<unsigned __int128>(n) * std::max<std::size_t>(1, scopes_.size());
  return rows <= kMaxDenseRows;
}

std::vector<TimeSeries::Row> TimeSeries::sparse_rows(const Scope& s, std::int64_t last) const {
  std::vector<Row> out;
  for (const Row& r : s.closed)
    if (r.bucket <= last) out.push_back(r);
  if (s.has_open && s.open.bucket <= last) out.push_back(finalized_open(s));
  return out;
}

std::vector<TimeSeries::Row> TimeSeries::rows(std::string_view scope_name) const {
  auto it = ids_.find(scope_name);
  if (it == ids_.end()) return {};
  const std::int64_t last = last_bucket();
  std::vector<Row> sparse = sparse_rows(scopes_[it->second], last);
  if (!dense() || last < 0) return sparse;
  std::vector<Row> out(static_cast<std::size_t>(last) + 1);
  for (std::int64_t b = 0; b <= last; ++b) out[static_cast<std::size_t>(b)].bucket = b;
  for (const Row& r : sparse) out[static_cast<std::size_t>(r.bucket)] = r;
  return out;
}

std::vector<std::string> TimeSeries::scope_names() const {
  std::vector<std::string> names;
  names.reserve(ids_.size());
  for (const auto& [name, id] : ids_) names.push_back(name);
  return names;
}

void TimeSeries::write_csv(std::ostream& out) const {
  out << "t_ms,scope,read_iops,write_iops,read_bw_bytes,write_bw_bytes,lat_p50_ns,lat_p99_ns,"
         "lat_max_ns,ios,err_ios\n";
  const std::int64_t last = last_bucket();
  if (last < 0) return;
  const bool all = dense();
  // Per scope (ids_ is name-sorted) its non-empty rows and a cursor: a merge over buckets, so
  // nothing is allocated per bucket.
  struct Cursor {
    std::string name;
    std::vector<Row> rows;
    std::size_t next = 0;
  };
  std::vector<Cursor> table;
  for (const auto& [name, id] : ids_) table.push_back({csv_field(name), sparse_rows(scopes_[id], last), 0});
  const Row zero{};
  std::string line;
  std::int64_t b = 0;
  while (b <= last) {
    if (!all) {
      // Jump to the next bucket any scope has a row for.
      std::int64_t next = last + 1;
      for (const Cursor& c : table)
        if (c.next < c.rows.size()) next = std::min(next, c.rows[c.next].bucket);
      if (next > last) break;
      b = next;
    }
    const Time bucket_start = b * width_;  // relative to origin
    Time covered = width_;
    if (end_ > origin_) {
      const Time remaining = end_ - origin_ - bucket_start;
      if (remaining > 0 && remaining < width_) covered = remaining;
    }
    const auto per_sec = [covered](std::uint64_t v) {
      return format_ratio(static_cast<unsigned __int128>(v) * kNsPerSec,
                          static_cast<unsigned __int128>(covered), 3);
    };
    const std::string t_ms =
        format_ratio(static_cast<unsigned __int128>(bucket_start), kMillisecond, 6);
    for (Cursor& c : table) {
      const bool has = c.next < c.rows.size() && c.rows[c.next].bucket == b;
      if (!has && !all) continue;
      const Row& r = has ? c.rows[c.next++] : zero;
      line = fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", t_ms, c.name, per_sec(r.read_ios),
                         per_sec(r.write_ios), per_sec(r.read_bytes), per_sec(r.write_bytes),
                         r.lat_p50, r.lat_p99, r.lat_max, r.ios(), r.err_ios);
      out << line;
    }
    ++b;
  }
}

std::string TimeSeries::csv() const {
  std::ostringstream out;
  write_csv(out);
  return out.str();
}

}  // namespace sim::metrics
