#pragma once
// The public entry point: run a scenario, get its reports. The CLI and the Python bindings are
// thin shells over this. SimGrid allows one engine per process, so every simulation after the
// first in a process runs in a forked child (run() decides; run_forked() always forks).
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/world/world.hpp"

namespace sim::api {

struct Options {
  std::function<void(const world::Progress&)> progress;
  world::DecisionTraceOptions decision_trace;  // --decision-trace: file empty = no trace
  // How the scenario was loaded, for the replay command and results.json (nvmsim.overrides,
  // nvmsim.host_core): the user's --set values in order (without the seed, which the scenario
  // holds) and --host-core ("" = none). The scenario itself must already include them.
  std::vector<std::string> overrides;
  std::string host_core;
  // `nvmsim topology --sysfs DIR`: write the hosts' NVMe sysfs at the end of the run into DIR
  // (sim/world/sysfs.hpp); "" = none.
  std::string sysfs_dir;
};

struct Result {
  int exit_code = 0;          // 0 ok, 1 expectation violated, 2 bad input, 3 internal error
  std::string error;          // message for exit codes 2 and 3
  std::string results_json;   // results.json text (fio layout, with the nvmsim object)
  std::string summary;        // summary.txt
  std::string timeseries_csv; // timeseries.csv ("" when report.timeseries is off)
  std::string violations_json; // violations.json ("" when the scenario has no expect)
  // fio's <job>_{lat,clat,slat,iops,bw}.N.log (report.fio_logs): (file name, text)
  std::vector<std::pair<std::string, std::string>> fio_logs;
  std::string topology_text;  // what `nvme list-subsys` shows at the end of the run
  std::string topology_json;
  double wall_seconds = 0;
  std::uint64_t events = 0;
  std::uint64_t ios = 0;
};

Result run(const scenario::Scenario& s, const Options& opts = {});
Result run_forked(const scenario::Scenario& s, const Options& opts = {});

// run_forked() in three steps, for a caller that keeps several children going without threads
// (nvmsim sweep, sim/api/sweep.hpp): start_forked() forks and returns at once; the caller polls
// `fd` and calls read_forked() while it is readable, until it returns false (end of the result);
// finish_forked() then reaps the child and decodes what it sent. A child the caller kills (by
// `pid`) still has to be finished, to reap it.
struct ForkedRun {
  pid_t pid = -1;
  int fd = -1;       // read end of the child's result pipe
  std::string text;  // what the child has sent so far
};
ForkedRun start_forked(const scenario::Scenario& s, const Options& opts = {});
bool read_forked(ForkedRun& run);  // one read(); false at the end (or a read error)
Result finish_forked(ForkedRun& run);

// Writes summary.txt, results.json and timeseries.csv into `dir` (created if missing).
// Throws std::runtime_error when a file cannot be written.
void write_outputs(const Result& r, const std::string& dir);

}  // namespace sim::api
