#include "sim/report/fio_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace sim::report {

using metrics::DirStats;
using metrics::JobStats;
using metrics::LatencyHistogram;

namespace {

constexpr std::uint64_t kNsPerSec = 1'000'000'000;
constexpr int kSigFigs = 4;  // fio's sig_figs default

int decimal_digits(std::uint64_t v) {
  int n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

// Decimal places a percentile needs (99.95 -> 2, 50 -> 0); fio sizes its table by the largest.
int decimals_needed(double p) {
  double scale = 1.0;
  for (int k = 0; k < 6; ++k, scale *= 10.0) {
    const double scaled = p * scale;
    if (std::fabs(scaled - std::round(scaled)) <= scaled * 1e-12) return k;
  }
  return 6;
}

std::uint64_t per_second(std::uint64_t count, Time runtime) {
  if (runtime <= 0) return 0;
  return static_cast<std::uint64_t>(static_cast<unsigned __int128>(count) * kNsPerSec /
                                    static_cast<std::uint64_t>(runtime));
}

// "    clat (usec): min=..., max=..., avg=..., stdev=..." with fio's unit choice: usec/msec only
// when min, max and stdev are all large enough for the smaller unit to be noise.
void append_lat_line(std::string& out, const char* name, const LatencyHistogram& h) {
  if (h.empty()) return;
  auto min = static_cast<std::uint64_t>(h.min());
  auto max = static_cast<std::uint64_t>(h.max());
  double mean = h.mean();
  double dev = h.stddev();
  const char* unit = "nsec";
  if (min > 2'000'000 && max > 99'999'999 && dev > 1e6) {
    min /= 1'000'000;
    max /= 1'000'000;
    mean /= 1e6;
    dev /= 1e6;
    unit = "msec";
  } else if (min > 2'000 && max > 99'999 && dev > 1e3) {
    min /= 1'000;
    max /= 1'000;
    mean /= 1e3;
    dev /= 1e3;
    unit = "usec";
  }
  out +=
      fmt::format("    {} ({}): min={}, max={}, avg={:5.2f}, stdev={:5.2f}\n", name, unit,
                  fio_num2str(min, 6, 1, false, ""), fio_num2str(max, 6, 1, false, ""), mean, dev);
}

// fio's percentile table: the unit follows the smallest and largest reported value, values are
// rounded up into it, and as many entries go on a line as fit in 80 columns.
void append_percentiles(std::string& out, const char* name, const LatencyHistogram& h,
                        const std::vector<double>& ps, int precision) {
  if (h.empty() || ps.empty()) return;
  std::vector<std::int64_t> values = h.percentiles(ps);
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  const auto minv = static_cast<std::uint64_t>(*lo);
  const auto maxv = static_cast<std::uint64_t>(*hi);
  int scale_down = 0;
  std::uint64_t divisor = 1;
  const char* unit = "nsec";
  if (minv > 2'000'000 && maxv > 99'999'999) {
    scale_down = 2;
    divisor = 1'000'000;
    unit = "msec";
  } else if (minv > 2'000 && maxv > 99'999) {
    scale_down = 1;
    divisor = 1'000;
    unit = "usec";
  }
  out += fmt::format("    {} percentiles ({}):\n     |", name, unit);
  const std::uint64_t top = maxv / divisor;
  const int width = top == 0 ? 5 : std::max(5, decimal_digits(top));
  const int per_line = std::max(1, (80 - 7) / (precision + 10 + width));
  for (std::size_t j = 0; j < values.size(); ++j) {
    if (j != 0 && j % static_cast<std::size_t>(per_line) == 0) out += "     |";
    auto v = static_cast<std::uint64_t>(values[j]);
    for (int i = 0; i < scale_down; ++i) v = (v + 999) / 1000;
    const bool last = j + 1 == values.size();
    out += fmt::format(" {:{}.{}f}th=[{:{}}]{}", ps[j], precision + 3, precision, v, width,
                       last ? '\n' : ',');
    if (last) break;
    if (j % static_cast<std::size_t>(per_line) == static_cast<std::size_t>(per_line) - 1) {
      out += "\n";
    }
  }
}

void append_bw_iops(std::string& out, const DirStats& d, std::uint64_t group_bytes_per_s) {
  const metrics::SampleSummary bw = d.bw_summary();
  if (bw.samples != 0) {
    double per = 100.0;
    if (group_bytes_per_s > 1024) {
      per = std::min(100.0, bw.mean * 100.0 / (static_cast<double>(group_bytes_per_s) / 1024.0));
    }
    std::uint64_t min = bw.min;
    std::uint64_t max = bw.max;
    double mean = bw.mean;
    double dev = bw.stddev;
    const char* unit = "KiB";
    if (mean > 1024.0 * 1024.0) {
      min /= 1024;
      max /= 1024;
      mean /= 1024.0;
      dev /= 1024.0;
      unit = "MiB";
    }
    out += fmt::format(
        "   bw ({:>5}/s): min={:5}, max={:5}, per={:3.2f}%, avg={:5.2f}, stdev={:5.2f}, "
        "samples={}\n",
        unit, min, max, per, mean, dev, bw.samples);
  }
  const metrics::SampleSummary io = d.iops_summary();
  if (io.samples != 0) {
    out +=
        fmt::format("   iops        : min={:5}, max={:5}, avg={:5.2f}, stdev={:5.2f}, samples={}\n",
                    io.min, io.max, io.mean, io.stddev, io.samples);
  }
}

void append_dir(std::string& out, int dir, const DirStats& d, const JobStats& job,
                const FioTextOptions& opt, const std::vector<double>& ps, int precision) {
  static constexpr const char* kNames[3] = {"read", "write", "trim"};
  const char* name = kNames[dir];
  const Time runtime = job.runtime_ns;
  if (d.io_bytes() == 0 || runtime <= 0) return;
  const std::uint64_t bw = per_second(d.io_bytes(), runtime);
  const std::uint64_t iops = per_second(d.total_ios(), runtime);
  out += fmt::format(
      "  {}: IOPS={}, BW={} ({})({}/{}msec)\n", name, fio_num2str(iops, kSigFigs, 1, false, ""),
      fio_num2str(bw, kSigFigs, 1, true, "B/s"), fio_num2str(bw, kSigFigs, 1, false, "B/s"),
      fio_num2str(d.io_bytes(), kSigFigs, 1, true, "B"), runtime / kMillisecond);
  append_lat_line(out, "slat", d.slat());
  append_lat_line(out, "clat", d.clat());
  append_lat_line(out, " lat", d.lat());
  if (opt.slat_percentiles) append_percentiles(out, "slat", d.slat(), ps, precision);
  if (opt.clat_percentiles) append_percentiles(out, "clat", d.clat(), ps, precision);
  if (opt.lat_percentiles) append_percentiles(out, "lat", d.lat(), ps, precision);
  append_bw_iops(out, d, opt.group ? opt.group->bytes_per_s[dir] : bw);
}

// "  lat (usec)   : 2=30.68%, 4=3.72%, ..." : non-empty buckets only, five per line.
void append_latency_dist(std::string& out, const JobStats& job) {
  std::array<std::uint64_t, metrics::kLatencyDistBuckets> dist{};
  std::uint64_t total = 0;
  for (const DirStats* d : {&job.read, &job.write, &job.trim}) {
    total += d->total_ios();
    for (std::size_t i = 0; i < dist.size(); ++i) dist[i] += d->latency_dist()[i];
  }
  if (total == 0) return;
  static constexpr const char* kRanges[12] = {"2",   "4",   "10",  "20",   "50",   "100",
                                              "250", "500", "750", "1000", "2000", ">=2000"};
  struct Unit {
    const char* name;
    std::size_t first;
    std::size_t count;
  };
  for (const Unit u : {Unit{"nsec", 0, 10}, Unit{"usec", 10, 10}, Unit{"msec", 20, 12}}) {
    int on_line = 0;
    bool any = false;
    for (std::size_t i = 0; i < u.count; ++i) {
      const std::uint64_t n = dist[u.first + i];
      if (n == 0) continue;
      double pct = static_cast<double>(n) / static_cast<double>(total) * 100.0;
      if (pct < 0.01) pct = 0.01;
      if (on_line == 0) {
        if (any) out += "\n";
        out += fmt::format("  lat ({})   : ", u.name);
      } else {
        out += ", ";
      }
      out += fmt::format("{}={:3.2f}%", kRanges[i], pct);
      any = true;
      on_line = (on_line + 1) % 5;
    }
    if (any) out += "\n";
  }
}

void append_depths(std::string& out, const char* label,
                   const std::array<std::uint64_t, metrics::kDepthBuckets>& counts,
                   const char* const (&keys)[metrics::kDepthBuckets]) {
  std::uint64_t total = 0;
  for (std::uint64_t c : counts) total += c;
  if (total == 0) return;
  out += label;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    double pct = static_cast<double>(counts[i]) / static_cast<double>(total) * 100.0;
    if (counts[i] != 0 && pct < 0.1) pct = 0.1;
    out += fmt::format("{}{}={:3.1f}%", i == 0 ? "" : ", ", keys[i], pct);
  }
  out += "\n";
}

}  // namespace

std::string fio_num2str(std::uint64_t value, int max_digits, std::uint64_t base, bool pow2,
                        const char* unit) {
  static constexpr const char* kSi[] = {"", "k", "M", "G", "T", "P", "E"};
  static constexpr const char* kIec[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  constexpr int kPrefixes = 7;
  const std::uint64_t thousand = pow2 ? 1024 : 1000;
  const char* const* prefix = pow2 ? kIec : kSi;
  int post = 0;
  for (; base > 1; ++post) base /= thousand;
  std::uint64_t num = value;
  std::int64_t modulo = -1;
  bool carry = false;
  while (post < kPrefixes && decimal_digits(num) > max_digits) {
    modulo = static_cast<std::int64_t>(num % thousand);
    num /= thousand;
    carry = static_cast<std::uint64_t>(modulo) >= thousand / 2;
    ++post;
  }
  if (post >= kPrefixes) post = 0;
  if (modulo < 0) return fmt::format("{}{}{}", num, prefix[post], unit);
  const int room = max_digits - decimal_digits(num);
  if (room <= 1) {
    // No space for a fraction: round to the nearest whole unit.
    if (carry) ++num;
    return fmt::format("{}{}{}", num, prefix[post], unit);
  }
  const std::string frac =
      fmt::format("{:.{}f}", static_cast<double>(modulo) / static_cast<double>(thousand), room - 1);
  if (frac[0] == '1') ++num;  // the fraction rounded up to a whole unit
  return fmt::format("{}.{}{}{}", num, frac.substr(2), prefix[post], unit);
}

std::string fio_text_job(const JobStats& job, const std::vector<double>& percentiles) {
  FioTextOptions opt;
  opt.percentiles = percentiles;
  return fio_text_job(job, opt);
}

std::string fio_text_job(const JobStats& job, const FioTextOptions& options) {
  std::vector<double> ps =
      options.percentiles.empty() ? fio_default_percentiles() : options.percentiles;
  std::erase_if(ps, [](double p) { return !(p > 0.0 && p <= 100.0); });
  std::sort(ps.begin(), ps.end());
  ps.erase(std::unique(ps.begin(), ps.end()), ps.end());
  int precision = 0;
  for (double p : ps) precision = std::max(precision, decimals_needed(p));

  std::string out;
  if (job.error == 0) {
    out += fmt::format("{}: (groupid={}, jobs=1): err={:2}\n", job.jobname, job.groupid, 0);
  } else {
    out += fmt::format("{}: (groupid={}, jobs=1): err={:2} ({})\n", job.jobname, job.groupid,
                       job.error, job.error_text);
  }
  for (int d = 0; d < 3; ++d) {
    append_dir(out, d, job.dir(static_cast<metrics::Dir>(d)), job, options, ps, precision);
  }
  append_latency_dist(out, job);
  if (!job.sync_lat.empty()) {
    out += "  fsync/fdatasync/sync_file_range:\n";
    append_lat_line(out, "sync", job.sync_lat);
    if (options.clat_percentiles || options.lat_percentiles) {
      append_percentiles(out, "sync", job.sync_lat, ps, precision);
    }
  }
  static constexpr const char* kLevelKeys[metrics::kDepthBuckets] = {"1",  "2",  "4",   "8",
                                                                     "16", "32", ">=64"};
  static constexpr const char* kBatchKeys[metrics::kDepthBuckets] = {"0",  "4",  "8",   "16",
                                                                     "32", "64", ">=64"};
  append_depths(out, "  IO depths    : ", job.iodepth_level, kLevelKeys);
  append_depths(out, "     submit    : ", job.iodepth_submit, kBatchKeys);
  append_depths(out, "     complete  : ", job.iodepth_complete, kBatchKeys);
  // Issued = completed successfully + completed with an error (fio counts at issue).
  out += fmt::format("     issued rwts: total={},{},{},{} short={},{},{},0 dropped={},{},{},0\n",
                     job.read.total_ios() + job.read.err_ios(),
                     job.write.total_ios() + job.write.err_ios(),
                     job.trim.total_ios() + job.trim.err_ios(), job.sync_lat.count() + job.sync_err,
                     job.read.short_ios(), job.write.short_ios(), job.trim.short_ios(),
                     job.read.drop_ios(), job.write.drop_ios(), job.trim.drop_ios());
  // fio's continue_on_error line; nvmsim prints it whenever an I/O failed, with the count per
  // direction after it.
  if (job.total_err != 0) {
    out += fmt::format(
        "     errors    : total={}, first_error={}/<Input/output error> (read={}, write={}, "
        "trim={}, flush={})\n",
        job.total_err, metrics::kEio, job.read.err_ios(), job.write.err_ios(),
        job.trim.err_ios(), job.sync_err);
  }
  return out;
}

std::string fio_text_run_status(const std::vector<JobStats>& jobs) {
  std::map<int, std::vector<const JobStats*>> groups;
  for (const JobStats& job : jobs) groups[job.groupid].push_back(&job);
  static constexpr const char* kNames[3] = {"READ", "WRITE", "TRIM"};
  std::string out;
  for (const auto& [groupid, members] : groups) {
    out += fmt::format("\nRun status group {} (all jobs):\n", groupid);
    for (int d = 0; d < 3; ++d) {
      std::uint64_t bytes = 0;
      std::uint64_t min_bw = UINT64_MAX;
      std::uint64_t max_bw = 0;
      Time min_run = 0;
      Time max_run = 0;
      for (const JobStats* job : members) {
        const DirStats& ds = job->dir(static_cast<metrics::Dir>(d));
        if (ds.io_bytes() == 0 || job->runtime_ns <= 0) continue;
        bytes += ds.io_bytes();
        const std::uint64_t bw = per_second(ds.io_bytes(), job->runtime_ns);
        min_bw = std::min(min_bw, bw);
        max_bw = std::max(max_bw, bw);
        min_run = min_run == 0 ? job->runtime_ns : std::min(min_run, job->runtime_ns);
        max_run = std::max(max_run, job->runtime_ns);
      }
      if (max_run == 0) continue;
      const std::uint64_t agg = per_second(bytes, max_run);
      out += fmt::format(
          "{:>7}: bw={} ({}), {}-{} ({}-{}), io={} ({}), run={}-{}msec\n", kNames[d],
          fio_num2str(agg, kSigFigs, 1, true, "B/s"), fio_num2str(agg, kSigFigs, 1, false, "B/s"),
          fio_num2str(min_bw, kSigFigs, 1, true, "B/s"),
          fio_num2str(max_bw, kSigFigs, 1, true, "B/s"),
          fio_num2str(min_bw, kSigFigs, 1, false, "B/s"),
          fio_num2str(max_bw, kSigFigs, 1, false, "B/s"),
          fio_num2str(bytes, kSigFigs, 1, true, "B"), fio_num2str(bytes, kSigFigs, 1, false, "B"),
          min_run / kMillisecond, max_run / kMillisecond);
    }
  }
  return out;
}

}  // namespace sim::report
