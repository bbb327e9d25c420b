#include "sim/report/fio_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>

namespace sim::report {

using metrics::DirStats;
using metrics::JobStats;
using metrics::LatencyHistogram;
using json = nlohmann::ordered_json;

namespace {

constexpr std::uint64_t kNsPerSec = 1'000'000'000;
constexpr const char* kDirNames[3] = {"read", "write", "trim"};

// fio reports latency percentiles in ascending order, each once.
std::vector<double> sorted_percentiles(std::vector<double> ps) {
  std::erase_if(ps, [](double p) { return !(p > 0.0 && p <= 100.0); });
  std::sort(ps.begin(), ps.end());
  ps.erase(std::unique(ps.begin(), ps.end()), ps.end());
  return ps;
}

// One of slat_ns / clat_ns / lat_ns (and sync's lat_ns). An empty histogram prints zeros and no
// percentile object, exactly like fio's idle direction.
json lat_json(const LatencyHistogram& h, bool with_percentiles, const std::vector<double>& ps,
              bool plus_bins) {
  json o = json::object();
  o["min"] = h.min();
  o["max"] = h.max();
  o["mean"] = h.mean();
  o["stddev"] = h.stddev();
  o["N"] = h.count();
  if (!with_percentiles || h.empty() || ps.empty()) return o;
  json pct = json::object();
  const std::vector<std::int64_t> values = h.percentiles(ps);
  for (std::size_t i = 0; i < ps.size(); ++i) pct[fio_percentile_key(ps[i])] = values[i];
  o["percentile"] = std::move(pct);
  if (plus_bins) {
    // Keys ascend and are distinct: append them (operator[] on an ordered object searches every
    // key before each insertion, quadratic in the bins: 13 % of a 100 ms run at QD 4096).
    json bins = json::object();
    auto& slots = bins.get_ref<json::object_t&>();
    auto add = [&slots](std::int64_t value, std::uint64_t n) {
      slots.json::object_t::Container::emplace_back(std::to_string(value), n);
    };
    std::uint64_t folded = 0;  // samples beyond fio's last bucket
    h.for_each_bin([&](std::int64_t value, std::uint64_t n) {
      if (value >= kFioMaxBinNs) {
        folded += n;
      } else {
        add(value, n);
      }
    });
    if (folded != 0) add(kFioMaxBinNs, folded);
    o["bins"] = std::move(bins);
  }
  return o;
}

// fio's stat_calc_dist / stat_calc_lat: percent of total, with a floor so a non-zero bucket never
// shows as 0.
double percent_with_floor(std::uint64_t n, std::uint64_t total, double floor) {
  if (total == 0) return 0.0;
  const double pct = static_cast<double>(n) / static_cast<double>(total) * 100.0;
  return (n != 0 && pct < floor) ? floor : pct;
}

json dir_json(const DirStats& d, const JobStats& job, std::uint64_t group_agg_bytes_per_s,
              const FioJsonOptions& opt, const std::vector<double>& ps) {
  const bool has_io = d.io_bytes() != 0;
  const Time runtime = has_io ? std::max<Time>(job.runtime_ns, 0) : 0;
  std::uint64_t bw_bytes = 0;
  double iops = 0.0;
  if (runtime > 0) {
    bw_bytes = static_cast<std::uint64_t>(static_cast<unsigned __int128>(d.io_bytes()) * kNsPerSec /
                                          static_cast<std::uint64_t>(runtime));
    iops = static_cast<double>(d.total_ios()) * 1e9 / static_cast<double>(runtime);
  }
  json o = json::object();
  o["io_bytes"] = d.io_bytes();
  o["io_kbytes"] = d.io_bytes() >> 10;
  o["bw_bytes"] = bw_bytes;
  o["bw"] = bw_bytes / 1024;
  o["iops"] = iops;
  o["runtime"] = runtime / kMillisecond;
  o["total_ios"] = d.total_ios();
  o["short_ios"] = d.short_ios();
  o["drop_ios"] = d.drop_ios();
  o["slat_ns"] = lat_json(d.slat(), opt.slat_percentiles, ps, opt.plus_bins);
  o["clat_ns"] = lat_json(d.clat(), opt.clat_percentiles, ps, opt.plus_bins);
  o["lat_ns"] = lat_json(d.lat(), opt.lat_percentiles, ps, opt.plus_bins);

  const metrics::SampleSummary bw = d.bw_summary();
  double p_of_agg = 0.0;
  if (bw.samples != 0) {
    // fio's convert_agg_kbytes_percent: the job's mean window bandwidth against its group's.
    p_of_agg = 100.0;
    if (group_agg_bytes_per_s > 1024) {
      p_of_agg =
          std::min(100.0, bw.mean * 100.0 / (static_cast<double>(group_agg_bytes_per_s) / 1024.0));
    }
  }
  o["bw_min"] = bw.min;
  o["bw_max"] = bw.max;
  o["bw_agg"] = p_of_agg;
  o["bw_mean"] = bw.mean;
  o["bw_dev"] = bw.stddev;
  o["bw_samples"] = bw.samples;
  const metrics::SampleSummary io = d.iops_summary();
  o["iops_min"] = io.min;
  o["iops_max"] = io.max;
  o["iops_mean"] = io.mean;
  o["iops_stddev"] = io.stddev;
  o["iops_samples"] = io.samples;
  return o;
}

json options_json(const std::vector<std::pair<std::string, std::string>>& options) {
  json o = json::object();
  for (const auto& [name, value] : options) o[name] = value;
  return o;
}

json depth_json(const std::array<std::uint64_t, metrics::kDepthBuckets>& counts,
                const char* const (&keys)[metrics::kDepthBuckets]) {
  std::uint64_t total = 0;
  for (std::uint64_t c : counts) total += c;
  json o = json::object();
  for (std::size_t i = 0; i < counts.size(); ++i) {
    o[keys[i]] = percent_with_floor(counts[i], total, 0.1);
  }
  return o;
}

json latency_dist_json(const std::array<std::uint64_t, metrics::kLatencyDistBuckets>& counts,
                       std::uint64_t total, std::size_t first, std::size_t n) {
  static constexpr const char* kKeys[12] = {"2",   "4",   "10",  "20",   "50",   "100",
                                            "250", "500", "750", "1000", "2000", ">=2000"};
  json o = json::object();
  for (std::size_t i = 0; i < n; ++i) {
    o[kKeys[i]] = percent_with_floor(counts[first + i], total, 0.01);
  }
  return o;
}

void dump_value(const json& j, int level, std::string& out);

void indent(int level, std::string& out) { out.append(static_cast<std::size_t>(level) * 2, ' '); }

void dump_value(const json& j, int level, std::string& out) {
  switch (j.type()) {
    case json::value_t::object: {
      if (j.empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += ",\n";
        first = false;
        indent(level + 1, out);
        out += json(it.key()).dump();
        out += " : ";
        dump_value(it.value(), level + 1, out);
      }
      out += "\n";
      indent(level, out);
      out += "}";
      return;
    }
    case json::value_t::array: {
      if (j.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      bool first = true;
      for (const json& v : j) {
        if (!first) out += ",\n";
        first = false;
        indent(level + 1, out);
        dump_value(v, level + 1, out);
      }
      out += "\n";
      indent(level, out);
      out += "]";
      return;
    }
    case json::value_t::number_float: {
      const double v = j.get<double>();
      out += std::isfinite(v) ? fmt::format("{:.6f}", v) : std::string("null");
      return;
    }
    default:
      out += j.dump();  // strings (escaped), integers, booleans, null
      return;
  }
}

}  // namespace

const std::vector<double>& fio_default_percentiles() {
  static const std::vector<double> kList = {1.0,  5.0,  10.0, 20.0, 30.0, 40.0, 50.0,  60.0, 70.0,
                                            80.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99};
  return kList;
}

std::string fio_percentile_key(double p) { return fmt::format("{:f}", p); }

std::string fio_time_string(std::int64_t timestamp_s) {
  const auto t = static_cast<std::time_t>(timestamp_s);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return {};
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tm);
  return std::string(buf, n);
}

namespace {

// fio's group aggregate over any set of jobs: bytes of the group / its longest runtime.
template <typename JobRange>
FioGroupAgg group_agg_of(const JobRange& jobs, int groupid) {
  FioGroupAgg agg;
  for (int d = 0; d < 3; ++d) {
    unsigned __int128 bytes = 0;
    Time max_run = 0;
    for (const JobStats* job : jobs) {
      if (job->groupid != groupid) continue;
      const DirStats& ds = job->dir(static_cast<metrics::Dir>(d));
      if (ds.io_bytes() == 0) continue;
      bytes += ds.io_bytes();
      max_run = std::max(max_run, job->runtime_ns);
    }
    if (max_run > 0) {
      agg.bytes_per_s[d] =
          static_cast<std::uint64_t>(bytes * kNsPerSec / static_cast<std::uint64_t>(max_run));
    }
  }
  return agg;
}

}  // namespace

FioGroupAgg fio_group_agg(const std::vector<JobStats>& jobs, int groupid) {
  std::vector<const JobStats*> ptrs;
  ptrs.reserve(jobs.size());
  for (const JobStats& job : jobs) ptrs.push_back(&job);
  return group_agg_of(ptrs, groupid);
}

json fio_job_json(const JobStats& job, const std::vector<double>& percentiles, bool plus_bins) {
  FioJsonOptions opt;
  opt.percentiles = percentiles;
  opt.plus_bins = plus_bins;
  return fio_job_json(job, opt, nullptr);
}

json fio_job_json(const JobStats& job, const FioJsonOptions& options, const FioGroupAgg* group) {
  const std::vector<double> ps = sorted_percentiles(options.percentiles);
  const FioGroupAgg own =
      group ? *group : group_agg_of(std::vector<const JobStats*>{&job}, job.groupid);
  const Time job_end = job.job_start + std::max<Time>(job.runtime_ns, 0);

  json j = json::object();
  j["jobname"] = job.jobname;
  j["groupid"] = job.groupid;
  j["job_start"] = job.job_start / kMillisecond;
  j["error"] = job.error;
  j["eta"] = 0;
  // fio: whole seconds since start, rounded up.
  j["elapsed"] = (std::max<Time>(job_end, 0) + kSecond - 1) / kSecond;
  j["job options"] = options_json(job.job_options);
  for (int d = 0; d < 3; ++d) {
    j[kDirNames[d]] =
        dir_json(job.dir(static_cast<metrics::Dir>(d)), job, own.bytes_per_s[d], options, ps);
  }
  json sync = json::object();
  sync["total_ios"] = job.sync_lat.count();
  sync["lat_ns"] = lat_json(job.sync_lat, options.clat_percentiles || options.lat_percentiles, ps,
                            options.plus_bins);
  j["sync"] = std::move(sync);

  j["job_runtime"] = std::max<Time>(job.runtime_ns, 0) / kMillisecond;
  j["usr_cpu"] = 0.0;
  j["sys_cpu"] = 0.0;
  j["ctx"] = 0;
  j["majf"] = 0;
  j["minf"] = 0;
  static constexpr const char* kLevelKeys[metrics::kDepthBuckets] = {"1",  "2",  "4",   "8",
                                                                     "16", "32", ">=64"};
  static constexpr const char* kBatchKeys[metrics::kDepthBuckets] = {"0",  "4",  "8",   "16",
                                                                     "32", "64", ">=64"};
  j["iodepth_level"] = depth_json(job.iodepth_level, kLevelKeys);
  j["iodepth_submit"] = depth_json(job.iodepth_submit, kBatchKeys);
  j["iodepth_complete"] = depth_json(job.iodepth_complete, kBatchKeys);

  std::array<std::uint64_t, metrics::kLatencyDistBuckets> dist{};
  std::uint64_t total_ios = 0;
  for (int d = 0; d < 3; ++d) {
    const DirStats& ds = job.dir(static_cast<metrics::Dir>(d));
    total_ios += ds.total_ios();
    for (std::size_t i = 0; i < dist.size(); ++i) dist[i] += ds.latency_dist()[i];
  }
  j["latency_ns"] = latency_dist_json(dist, total_ios, 0, 10);
  j["latency_us"] = latency_dist_json(dist, total_ios, 10, 10);
  j["latency_ms"] = latency_dist_json(dist, total_ios, 20, 12);
  j["latency_depth"] = job.iodepth;
  j["latency_target"] = 0;
  j["latency_percentile"] = 100.0;
  j["latency_window"] = 0;
  // fio writes these two with continue_on_error; nvmsim always does. total_err: I/Os completed
  // with an error (none of them is in io_bytes, total_ios, iops, bw or the latencies above).
  j["total_err"] = job.total_err;
  j["first_error"] = job.total_err != 0 ? metrics::kEio : 0;
  return j;
}

json fio_root_json(const std::vector<JobStats>& jobs, const std::vector<double>& percentiles,
                   std::string_view version_string, std::int64_t timestamp_s, bool plus_bins) {
  FioJsonOptions opt;
  opt.percentiles = percentiles;
  opt.plus_bins = plus_bins;
  return fio_root_json(jobs, opt, version_string, timestamp_s);
}

json fio_root_json(const std::vector<JobStats>& jobs, const FioJsonOptions& options,
                   std::string_view version_string, std::int64_t timestamp_s,
                   const std::vector<std::pair<std::string, std::string>>& global_options) {
  json root = json::object();
  root["fio version"] = std::string(version_string);
  root["timestamp"] = timestamp_s;
  root["timestamp_ms"] = timestamp_s * 1000;
  root["time"] = fio_time_string(timestamp_s);
  root["global options"] = options_json(global_options);
  std::map<int, FioGroupAgg> groups;
  for (const JobStats& job : jobs) {
    if (!groups.contains(job.groupid)) groups[job.groupid] = fio_group_agg(jobs, job.groupid);
  }
  json arr = json::array();
  for (const JobStats& job : jobs) arr.push_back(fio_job_json(job, options, &groups[job.groupid]));
  root["jobs"] = std::move(arr);
  root["disk_util"] = json::array();
  return root;
}

std::string fio_json_dump(const json& j) {
  std::string out;
  dump_value(j, 0, out);
  out += "\n";
  return out;
}

}  // namespace sim::report
