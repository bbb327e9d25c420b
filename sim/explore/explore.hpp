#pragma once
// `nvmsim explore`: many runs of one scenario, each with its own random fault schedule
// (schedule.hpp), checked by the oracles, at most `jobs` forked children at a time (no threads;
// sim::api::start_forked), and the failures shrunk to a local minimum (shrink.cpp).
// tools/cli/explore.cpp is the command over this; docs/explore.md the user's side.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/api/api.hpp"
#include "sim/explore/schedule.hpp"
#include "sim/scenario/scenario.hpp"

namespace sim::explore {

// What a run's result says: exit code and the violation kinds (violations.json counts, then the
// failed `expect` keys that no violation kind names, e.g. app_errors, max_outstanding_at_end),
// sorted; exit 3 gives the kind "livelock" (a zero-time livelock) or "internal-error", exit 2
// "bad-input", with the message's first line in `error`.
struct Verdict {
  int exit_code = 0;
  std::vector<std::string> kinds;
  std::string error;
  bool failed() const { return exit_code != 0; }
  // The kind a shrunk run must keep: the first violation kind, else the first failed key.
  std::string primary() const { return kinds.empty() ? std::string() : kinds.front(); }
};
Verdict verdict_of(const api::Result& r);

// Runs each scenario (materialized: no explore section) in a forked child, `jobs` at a time; the
// verdicts in the order given. `stop` (polled between children) cuts the batch short: the
// scenarios not started get exit code -1.
std::vector<Verdict> run_batch(const std::vector<scenario::Scenario>& runs, int jobs,
                               const std::function<bool()>& stop = {});

struct ExploreOptions {
  std::uint64_t seed = 1;  // run i uses run_seed(seed, i)
  std::size_t runs = 100;
  int jobs = 1;
  std::optional<double> time_budget;  // wall seconds: no new run starts after it
  bool stop_at_first = false;  // stop at the first failure (the lowest failing index is exact)
  std::function<void(std::size_t done, std::size_t failed, double wall)> progress;
  std::function<bool()> should_stop;  // a signal: stop like the time budget
};

struct RunRecord {
  std::size_t index = 0;
  std::uint64_t seed = 0;
  Schedule schedule;
  Verdict verdict;
};

struct ExploreOutcome {
  std::size_t done = 0;             // runs that finished (indexes 0 .. done-1 unless stopped)
  std::vector<RunRecord> failures;  // by index
  double wall = 0;
  bool budget_hit = false;
};

// `s` must have an explore section.
ExploreOutcome explore(const scenario::Scenario& s, const ExploreOptions& o);

// Shrinking (shrink.cpp): a local minimum of `failing` that still fails with the kind
// `failing.verdict.primary()`: episodes dropped, intervals shortened, times moved earlier, the
// heal (until) brought forward, iodepth and numjobs lowered, workloads and links that take no
// part dropped. `base` may come back changed (workloads, links); the result's seed is unchanged.
struct Shrunk {
  scenario::Scenario base;     // with explore
  RunRecord run;               // the smallest failing run found
  std::size_t candidates = 0;  // runs tried
  double wall = 0;
};
Shrunk shrink(const scenario::Scenario& base, const RunRecord& failing, int jobs,
              const std::function<void(const std::string&)>& log = {});

// The standalone YAML of a run (faults[] spelled out, no explore), with a header naming what it
// is and the command that replays it.
std::string run_yaml(const scenario::Scenario& base, const RunRecord& r, const std::string& title,
                     const std::string& replay);

}  // namespace sim::explore
