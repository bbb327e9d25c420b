#pragma once
// fio-like human-readable report blocks (what fio prints with --output-format=normal), used in
// summary.txt so anyone who reads fio output reads ours without a legend.
//
// Layout, number formatting (fio's num2str: 4 significant figures for IOPS/BW/sizes, 6 for
// latency min/max) and unit choice (nsec/usec/msec picked from the values, as fio does) follow
// fio 3.x. Left out on purpose: pid and wall-clock time in the header, the "cpu" line (nothing
// runs on a CPU) and the "latency target" line (no latency_target support); "IO depths",
// "submit" and "complete" lines appear only when the depth counters were recorded.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/metrics/stats.hpp"
#include "sim/report/fio_json.hpp"

namespace sim::report {

struct FioTextOptions {
  std::vector<double> percentiles;  // empty = fio's default list
  bool clat_percentiles = true;
  bool lat_percentiles = false;
  bool slat_percentiles = false;
  // The job's reporting group (fio_group_agg) for the bw line's "per=" share; unset = the job is
  // its own group.
  std::optional<FioGroupAgg> group;
};

// The block for one job:
//   oltp: (groupid=0, jobs=1): err= 0
//     read: IOPS=2720k, BW=10.4GiB/s (11.1GB/s)(31.9MiB/3msec)
//       slat (nsec): min=..., max=..., avg=..., stdev=...
//       clat (usec): ...
//        lat (usec): ...
//       clat percentiles (usec):
//        |  1.00th=[   10],  5.00th=[   10], 10.00th=[   10], 20.00th=[   10],
//        ...
//      bw (  KiB/s): min=..., max=..., per=100.00%, avg=..., stdev=..., samples=N
//      iops        : min=..., max=..., avg=..., stdev=..., samples=N
//     lat (usec)   : 2=30.68%, 4=3.72%, ...
//     issued rwts: total=...,...,...,... short=...,...,...,0 dropped=...,...,...,0
std::string fio_text_job(const metrics::JobStats& job, const std::vector<double>& percentiles);
std::string fio_text_job(const metrics::JobStats& job, const FioTextOptions& options);

// fio's closing "Run status group N (all jobs):" block for every group in `jobs`.
std::string fio_text_run_status(const std::vector<metrics::JobStats>& jobs);

// fio's num2str(): `value` (times `base`) with at most `max_digits` digits (a '.' counts) and an
// SI (k, M, ...) or IEC (Ki, Mi, ...) prefix, then `unit`. E.g. (16388096, 4, 1, true, "B") ->
// "15.6MiB", (8189953, 4, 1, false, "B/s") -> "8190kB/s".
std::string fio_num2str(std::uint64_t value, int max_digits, std::uint64_t base, bool pow2,
                        const char* unit);

}  // namespace sim::report
