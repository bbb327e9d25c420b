// Running a sweep: at most `jobs` forked children at once, polled from this one thread; each
// run's reports in DIR/run-NNNN/ and its row in DIR/sweep.csv, rows in run order whatever order
// the runs finish in. Columns: docs/cli.md "sweep.csv".
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "sim/api/sweep.hpp"
#include "sim/scenario/error.hpp"

namespace sim::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kPollMs = 100;  // should_stop() is asked at least this often
// Everything a run may leave in its directory; removed first so that a directory reused from an
// earlier sweep holds this run's files only.
constexpr const char* kRunFiles[] = {"summary.txt", "results.json", "timeseries.csv",
                                     "violations.json", "error.txt"};

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos &&
      (s.empty() || (s.front() != ' ' && s.back() != ' ')))
    return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// A multi-line error (a hint, a livelock report) as one line: its lines joined by " | ".
std::string one_line(const std::string& s) {
  std::string out;
  std::size_t begin = 0;
  while (begin <= s.size()) {
    std::size_t end = s.find('\n', begin);
    if (end == std::string::npos) end = s.size();
    std::string line = s.substr(begin, end - begin);
    line.erase(0, line.find_first_not_of(' '));
    if (!line.empty()) out += (out.empty() ? "" : " | ") + line;
    begin = end + 1;
  }
  return out;
}

// The key figures of sweep.csv, read from the run's results.json and violations.json.
struct Figures {
  std::string iops, clat_p99_ns, max_io_stall_ns, failovers, first_failover_ns, app_errors;
  std::string expect_failed, violations;
};

Figures figures_of(const Result& r) {
  Figures f;
  if (r.results_json.empty()) return f;
  const json j = json::parse(r.results_json);
  double iops = 0;
  std::int64_t p99 = -1;
  for (const auto& job : j.at("jobs")) {
    for (const char* d : {"read", "write", "trim"}) {
      const auto& x = job.at(d);
      iops += x.at("iops").get<double>();
      const auto& pct = x.at("clat_ns").value("percentile", json::object());
      if (x.at("total_ios").get<std::uint64_t>() > 0 && pct.contains("99.000000"))
        p99 = std::max(p99, pct.at("99.000000").get<std::int64_t>());
    }
  }
  const auto& nv = j.at("nvmsim");
  f.iops = fmt::format("{:.1f}", iops);
  if (p99 >= 0) f.clat_p99_ns = std::to_string(p99);
  f.max_io_stall_ns = std::to_string(nv.at("max_io_stall_ns").get<std::int64_t>());
  f.failovers = std::to_string(nv.at("failover_count").get<std::uint64_t>());
  if (!nv.at("failovers").empty())
    f.first_failover_ns = std::to_string(nv.at("failovers").at(0).at("t_ns").get<std::int64_t>());
  f.app_errors = std::to_string(nv.at("app_errors").get<std::uint64_t>());
  for (const auto& e : nv.at("expect"))
    if (!e.at("ok").get<bool>())
      f.expect_failed += (f.expect_failed.empty() ? "" : ";") + e.at("key").get<std::string>();
  if (!r.violations_json.empty()) {
    for (const auto& [kind, n] : json::parse(r.violations_json).at("counts").items())
      f.violations +=
          fmt::format("{}{}={}", f.violations.empty() ? "" : ";", kind, n.get<std::uint64_t>());
  }
  return f;
}

const char* verdict(int exit_code) {
  if (exit_code == 0) return "ok";
  if (exit_code == 1) return "violated";
  return "error";
}

void write_run_dir(const Result& r, const fs::path& dir) {
  fs::create_directories(dir);
  for (const char* f : kRunFiles) fs::remove(dir / f);
  if (!r.results_json.empty()) {
    write_outputs(r, dir.string());
    return;
  }
  std::ofstream f(dir / "error.txt", std::ios::binary);
  if (!(f << r.error << "\n"))
    throw std::runtime_error("cannot write " + (dir / "error.txt").string());
}

struct Running {
  const SweepPoint* point;
  std::uint64_t seed;
  ForkedRun child;
};

struct Finished {
  std::uint64_t seed;
  Result result;
};

// The pool and the ordered writing of rows; run_sweep drives it.
class Pool {
 public:
  Pool(const SweepSpec& spec, const SweepPlan& plan, const SweepOptions& opts)
      : spec_(spec),
        plan_(plan),
        opts_(opts),
        csv_(fs::path(opts.out_dir) / "sweep.csv", std::ios::binary) {
    if (!(csv_ << csv_header(spec_) << std::flush))
      throw std::runtime_error("cannot write " + (fs::path(opts.out_dir) / "sweep.csv").string());
  }
  ~Pool() { kill_all(); }

  bool done() const { return written_ == plan_.points.size(); }

  void start_more() {
    const std::size_t jobs = static_cast<std::size_t>(std::max(1, opts_.jobs));
    while (running_.size() < jobs && next_ < plan_.points.size()) start(plan_.points[next_++]);
  }

  // Waits up to kPollMs for children to send, and collects those that finished.
  void poll_children() {
    std::vector<pollfd> fds;
    for (const auto& r : running_) fds.push_back({r.child.fd, POLLIN, 0});
    if (fds.empty()) return;
    if (poll(fds.data(), fds.size(), kPollMs) <= 0)
      return;  // timeout, or EINTR: the caller decides
    for (std::size_t i = fds.size(); i-- > 0;) {
      if (fds[i].revents == 0 || read_forked(running_[i].child)) continue;
      Running r = std::move(running_[i]);
      running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(i));
      finish(*r.point, r.seed, finish_forked(r.child));
    }
    write_rows(false);
  }

  // Ends the sweep early: children killed and reaped, every finished run's row written.
  void stop() {
    kill_all();
    write_rows(true);
  }

  SweepOutcome outcome(bool stopped) const { return {exit_code_, written_, stopped}; }

 private:
  void start(const SweepPoint& p) {
    scenario::Scenario s;
    try {
      s = load_point(spec_, plan_, p);
    } catch (const scenario::InputError& e) {  // plan_sweep checked it: not expected
      Result r;
      r.exit_code = 2;
      r.error = e.format();
      finish(p, p.seed.value_or(0), r);
      return;
    }
    Options o;
    o.overrides = point_overrides(spec_, p);
    running_.push_back({&p, s.seed, start_forked(s, o)});
  }

  void finish(const SweepPoint& p, std::uint64_t seed, Result r) {
    write_run_dir(r, fs::path(opts_.out_dir) / run_dir_name(p.index, plan_.points.size()));
    exit_code_ = std::max(exit_code_, r.exit_code);
    finished_.emplace(p.index, Finished{seed, std::move(r)});
  }

  // Rows in run order as far as the runs have finished; with `all`, the rest too (gaps left).
  void write_rows(bool all) {
    while (!finished_.empty() && (all || finished_.begin()->first == next_row_)) {
      auto node = finished_.extract(finished_.begin());
      const SweepPoint& p = plan_.points[node.key()];
      const std::string row = csv_row(spec_, p, node.mapped().seed, node.mapped().result);
      if (!(csv_ << row << std::flush)) throw std::runtime_error("cannot write sweep.csv");
      if (opts_.on_row) opts_.on_row(p, node.mapped().seed, node.mapped().result, row);
      next_row_ = node.key() + 1;
      ++written_;
    }
  }

  void kill_all() {
    for (auto& r : running_) kill(r.child.pid, SIGKILL);
    for (auto& r : running_) (void)finish_forked(r.child);
    running_.clear();
  }

  const SweepSpec& spec_;
  const SweepPlan& plan_;
  const SweepOptions& opts_;
  std::ofstream csv_;
  std::vector<Running> running_;
  std::map<std::size_t, Finished> finished_;  // finished, row not written yet
  std::size_t next_ = 0;                      // next point to start
  std::size_t next_row_ = 0;                  // next row to write
  std::size_t written_ = 0;
  int exit_code_ = 0;
};

}  // namespace

std::string run_dir_name(std::size_t index, std::size_t count) {
  const std::size_t width =
      std::max<std::size_t>(4, std::to_string(count > 0 ? count - 1 : 0).size());
  return fmt::format("run-{:0{}}", index, width);
}

std::string csv_header(const SweepSpec& spec) {
  std::string h = "run";
  for (const GridAxis& g : spec.grid) h += "," + csv_field(g.key);
  return h +
         ",seed,exit_code,verdict,expect_failed,violations,iops,clat_p99_ns,max_io_stall_ns,"
         "failovers,"
         "first_failover_ns,app_errors,error,replay\n";
}

std::string csv_row(const SweepSpec& spec, const SweepPoint& p, std::uint64_t seed,
                    const Result& r) {
  const Figures f = figures_of(r);
  std::string row = std::to_string(p.index);
  for (std::size_t a = 0; a < spec.grid.size(); ++a)
    row += "," + csv_field(spec.grid[a].values[p.values[a]]);
  row += fmt::format(",{},{},{}", seed, r.exit_code, verdict(r.exit_code));
  for (const std::string* x :
       {&f.expect_failed, &f.violations, &f.iops, &f.clat_p99_ns, &f.max_io_stall_ns, &f.failovers,
        &f.first_failover_ns, &f.app_errors})
    row += "," + csv_field(*x);
  const std::string error = r.exit_code >= 2 ? one_line(r.error) : "";
  return row + "," + csv_field(error) + "," + csv_field(point_replay(spec, p, seed)) + "\n";
}

SweepOutcome run_sweep(const SweepSpec& spec, const SweepPlan& plan, const SweepOptions& opts) {
  fs::create_directories(opts.out_dir);
  Pool pool(spec, plan, opts);
  while (!pool.done()) {
    if (opts.should_stop && opts.should_stop()) {
      pool.stop();
      return pool.outcome(true);
    }
    pool.start_more();
    pool.poll_children();
  }
  return pool.outcome(false);
}

}  // namespace sim::api
