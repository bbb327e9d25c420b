#pragma once
// fio's per-job log files (write_lat_log, write_bw_log, write_iops_log) with log_avg_msec, so
// fio2gnuplot, fio_generate_plots and anything else that reads fio logs read ours.
//
// One line per sample: "time, value, ddir, bs, prio" ("%lu, %ld, %u, %llu, %u" in fio 3.33's
// flush_samples, iolog.c), time in ms since the job started, ddir 0 read / 1 write / 2 trim.
// With log_avg_msec every line is a window's average, so bs is 0 and prio 0 (fio's
// __add_stat_to_log passes neither), and there is no offset column (log_offset off).
//   - lat, clat, slat (ns): per direction, each completion joins the direction's window; the
//     completion whose elapsed ms is at least log_avg_msec past the window start closes it (it
//     counts in it) and prints the window's mean rounded half up at its own elapsed ms; the next
//     window starts at that ms rounded down to a multiple of log_avg_msec (fio's add_log_sample).
//     At the end of the job every direction's open window prints at the job's end (finalize_logs).
//   - bw (KiB/s) and iops: at every full window boundary k * log_avg_msec, per direction that
//     completed I/O in the window, bytes * 1000 / ms / 1024 and ios * 1000 / ms (fio's
//     __add_samples, integer division); a window with no I/O in a direction prints no line for
//     it, and the last, partial window prints nothing (fio samples only whole windows).
// Only successful completions are logged (fio keeps failed I/O out of its latency and rates).
// Flushes are not logged (fio's ddir_rw). Everything is integer: same input, same bytes.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/metrics/stats.hpp"
#include "sim/time.hpp"

namespace sim::report {

class FioJobLog {
 public:
  // `avg` is log_avg_msec (a positive whole number of milliseconds).
  explicit FioJobLog(Time avg);

  // One successful completion; `elapsed` = completion time - job start (ns, non-decreasing).
  void add(metrics::Dir dir, Time elapsed, std::uint64_t bytes, Time slat, Time clat);
  // Closes the open lat/clat/slat windows at `elapsed` (the job's runtime) and the bw/iops
  // windows that ended by then. Idempotent.
  void finish(Time elapsed);

  // The five files' text, in fio's line layout.
  const std::string& lat() const { return lat_.text; }
  const std::string& clat() const { return clat_.text; }
  const std::string& slat() const { return slat_.text; }
  const std::string& bw() const { return bw_; }
  const std::string& iops() const { return iops_; }

 private:
  struct Window {
    std::uint64_t sum = 0;
    std::uint64_t n = 0;
  };
  // One averaged latency log (fio's inline lat/clat/slat logs).
  struct LatLog {
    Window open[3];
    std::int64_t last_ms[3] = {0, 0, 0};
    std::string text;
    void add(int ddir, std::int64_t ms, std::uint64_t value, std::int64_t avg_ms);
    void flush(int ddir, std::int64_t ms);
  };
  void close_rate_windows(std::int64_t upto_window);

  std::int64_t avg_ms_;
  LatLog lat_, clat_, slat_;
  // The rate window being filled (index since the job start) and its per-direction counts.
  std::int64_t rate_window_ = 0;
  std::uint64_t win_bytes_[3] = {0, 0, 0};
  std::uint64_t win_ios_[3] = {0, 0, 0};
  std::string bw_, iops_;
  bool finished_ = false;
};

// fio's log file name: "<jobname>_<type>.<thread_number>.log" (init.c gen_log_name with
// per_job_logs), thread_number counting the jobs of the run from 1.
std::string fio_log_name(const std::string& jobname, const std::string& type, int thread_number);

// The five (file name, text) pairs of one job: lat, clat, slat, iops, bw.
std::vector<std::pair<std::string, std::string>> fio_log_files(const FioJobLog& log,
                                                               const std::string& jobname,
                                                               int thread_number);

}  // namespace sim::report
