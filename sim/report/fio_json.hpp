#pragma once
// fio-compatible JSON (--output-format=json / json+) from JobStats.
//
// Key names, nesting and order follow fio 3.x's stat.c JSON writer, so tools written for fio
// (fio-plot, fio_jsonplus_clat2csv, dashboards that read "jobs"[i]["read"]["clat_ns"]) read our
// results unchanged. Differences, all deliberate:
//   - "job_start" (sim time, ms) is emitted after "groupid" as newer fio (3.36+) does.
//   - "global options", "job options" and "disk_util" are always present (possibly empty), so
//     consumers can index them without checks; fio drops the first two when empty.
//   - Percentiles come from LatencyHistogram (<= 0.05 % error, clamped to [min, max]) instead of
//     fio's 64-per-octave buckets (~1.6 %). json+ "bins" keys are our bucket midpoints; bins
//     above fio's top bucket (kFioMaxBinNs, ~17.1 s) are folded into it exactly like fio does,
//     which also keeps fio_jsonplus_clat2csv working (it loops forever on larger keys).
//   - bw_bytes / iops are computed from the runtime in ns, not fio's truncated ms.
//   - usr_cpu, sys_cpu, ctx, majf, minf are 0 (nothing runs on a CPU).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/metrics/stats.hpp"

namespace sim::report {

// fio's default percentile_list: 1 5 10 20 30 40 50 60 70 80 90 95 99 99.5 99.9 99.95 99.99.
const std::vector<double>& fio_default_percentiles();

// Value of fio's last latency bucket (FIO_IO_U_PLAT_NR - 1) in ns.
inline constexpr std::int64_t kFioMaxBinNs = 17'112'760'320;

struct FioJsonOptions {
  std::vector<double> percentiles = fio_default_percentiles();
  bool plus_bins = false;  // json+: "bins" next to every "percentile" object
  // Which latencies get "percentile" (and "bins"); the defaults are fio's defaults.
  bool slat_percentiles = false;
  bool clat_percentiles = true;
  bool lat_percentiles = false;
};

// Aggregate bandwidth of a reporting group per direction in bytes/s (fio's rs->agg): the group's
// bytes divided by its longest runtime. Drives "bw_agg" (a job's share of its group, in %).
struct FioGroupAgg {
  std::uint64_t bytes_per_s[3] = {0, 0, 0};  // read, write, trim
};
FioGroupAgg fio_group_agg(const std::vector<metrics::JobStats>& jobs, int groupid);

// One element of "jobs". Without a group, the job is its own group (bw_agg from its own bw).
nlohmann::ordered_json fio_job_json(const metrics::JobStats& job,
                                    const std::vector<double>& percentiles, bool plus_bins);
nlohmann::ordered_json fio_job_json(const metrics::JobStats& job, const FioJsonOptions& options,
                                    const FioGroupAgg* group = nullptr);

// The whole document: "fio version", "timestamp", "timestamp_ms", "time", "global options",
// "jobs", "disk_util". "time" is timestamp_s in ctime layout, UTC (deterministic, unlike fio's
// local time).
nlohmann::ordered_json fio_root_json(const std::vector<metrics::JobStats>& jobs,
                                     const std::vector<double>& percentiles,
                                     std::string_view version_string, std::int64_t timestamp_s,
                                     bool plus_bins = false);
nlohmann::ordered_json fio_root_json(
    const std::vector<metrics::JobStats>& jobs, const FioJsonOptions& options,
    std::string_view version_string, std::int64_t timestamp_s,
    const std::vector<std::pair<std::string, std::string>>& global_options = {});

// Serializes in fio's own layout: two-space indent, `"key" : value`, floats as "%f" (six
// decimals), so a results.json diffs cleanly against real fio output. Ends with a newline.
// Empty objects/arrays print as {} / []. Non-finite floats print as null.
std::string fio_json_dump(const nlohmann::ordered_json& j);

// "Sat Nov 28 01:01:00 2026" (ctime layout, UTC).
std::string fio_time_string(std::int64_t timestamp_s);

// "%f" of a percentile, as fio names percentile keys ("99.900000").
std::string fio_percentile_key(double p);

}  // namespace sim::report
