#include "sim/report/fio_log.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace sim::report {
namespace {

// "time, value, ddir, bs, prio": bs and prio are 0 in an averaged log.
void append_line(std::string& out, std::int64_t ms, std::uint64_t value, int ddir) {
  fmt::format_to(std::back_inserter(out), "{}, {}, {}, 0, 0\n", ms, value, ddir);
}

int ddir_of(metrics::Dir d) { return static_cast<int>(d); }

}  // namespace

FioJobLog::FioJobLog(Time avg) : avg_ms_(avg / kMillisecond) {
  if (avg <= 0 || avg % kMillisecond != 0)
    throw std::invalid_argument("log_avg_msec must be a positive whole number of milliseconds");
}

void FioJobLog::LatLog::add(int ddir, std::int64_t ms, std::uint64_t value, std::int64_t avg_ms) {
  auto& w = open[ddir];
  w.sum += value;
  ++w.n;
  if (ms < last_ms[ddir] || ms - last_ms[ddir] < avg_ms) return;
  flush(ddir, ms);
  last_ms[ddir] = ms - ms % avg_ms;
}

// The window's mean, rounded half up (fio: mean + 0.50, truncated), at `ms`.
void FioJobLog::LatLog::flush(int ddir, std::int64_t ms) {
  auto& w = open[ddir];
  if (w.n == 0) return;
  append_line(text, ms, (2 * w.sum + w.n) / (2 * w.n), ddir);
  w = Window{};
}

void FioJobLog::add(metrics::Dir dir, Time elapsed, std::uint64_t bytes, Time slat, Time clat) {
  if (finished_ || dir == metrics::Dir::Flush) return;
  const int d = ddir_of(dir);
  const std::int64_t ms = elapsed / kMillisecond;
  close_rate_windows(ms / avg_ms_);
  win_bytes_[d] += bytes;
  ++win_ios_[d];
  // fio adds clat, then slat, then lat per completion; each log has its own windows.
  clat_.add(d, ms, static_cast<std::uint64_t>(clat), avg_ms_);
  slat_.add(d, ms, static_cast<std::uint64_t>(slat), avg_ms_);
  lat_.add(d, ms, static_cast<std::uint64_t>(slat + clat), avg_ms_);
}

// Prints the rate windows before `upto_window` (each once: only the one with counts prints).
void FioJobLog::close_rate_windows(std::int64_t upto_window) {
  if (upto_window <= rate_window_) return;
  const std::int64_t at = (rate_window_ + 1) * avg_ms_;
  for (int d = 0; d < 3; ++d) {
    if (win_bytes_[d] == 0 && win_ios_[d] == 0) continue;
    append_line(bw_, at, win_bytes_[d] * 1000 / static_cast<std::uint64_t>(avg_ms_) / 1024, d);
    append_line(iops_, at, win_ios_[d] * 1000 / static_cast<std::uint64_t>(avg_ms_), d);
    win_bytes_[d] = 0;
    win_ios_[d] = 0;
  }
  rate_window_ = upto_window;
}

void FioJobLog::finish(Time elapsed) {
  if (finished_) return;
  finished_ = true;
  const std::int64_t ms = elapsed / kMillisecond;
  close_rate_windows(ms / avg_ms_);
  for (LatLog* l : {&clat_, &slat_, &lat_})
    for (int d = 0; d < 3; ++d) l->flush(d, ms);
}

std::string fio_log_name(const std::string& jobname, const std::string& type, int thread_number) {
  return fmt::format("{}_{}.{}.log", jobname, type, thread_number);
}

std::vector<std::pair<std::string, std::string>> fio_log_files(const FioJobLog& log,
                                                               const std::string& jobname,
                                                               int thread_number) {
  return {{fio_log_name(jobname, "lat", thread_number), log.lat()},
          {fio_log_name(jobname, "clat", thread_number), log.clat()},
          {fio_log_name(jobname, "slat", thread_number), log.slat()},
          {fio_log_name(jobname, "iops", thread_number), log.iops()},
          {fio_log_name(jobname, "bw", thread_number), log.bw()}};
}

}  // namespace sim::report
