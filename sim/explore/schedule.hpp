#pragma once
// Random fault schedules as data (`nvmsim explore`, docs/explore.md). A schedule is a list of
// episodes, each one drawn action on one target with its own undo (link-down .. link-up,
// ctrl-hang .. ctrl-resume, ...): the unit the shrinker drops, shortens and moves. to_faults()
// spells an episode out as the same scenario::Fault structs `faults[]` gives, and materialize()
// turns scenario + schedule into the standalone scenario one run simulates (and a failing run's
// YAML file holds). Pure functions of their arguments: same inputs, same schedule, on any machine
// (sim::Rng, no wall clock, no unordered iteration).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/time.hpp"

namespace sim::explore {

struct Episode {
  std::string action;  // one of scenario's explore vocabulary (loader_explore.cpp)
  Time at = 0;
  Time length = 0;         // 0 for an instant action (ctrl-reset, ctrl-fatal, inject-status)
  std::string link;        // link-down, link-degrade, host-disconnect
  int port = 0;            // port-down, ctrl-*, ana-change, inject-status, ns-detach
  int group = 0;           // ana-change
  std::uint32_t nsid = 0;  // ns-detach
  scenario::LinkDownMode mode = scenario::LinkDownMode::Silent;
  Time latency = 0;  // link-degrade
  scenario::AnaState state = scenario::AnaState::Inaccessible;
  bool via_change = true;
  bool aen = true;
  std::uint16_t status = 0;  // inject-status
  int inject_count = 0;
  scenario::IoPolicy iopolicy = scenario::IoPolicy::Numa;

  bool operator==(const Episode&) const = default;
};

struct Schedule {
  std::vector<Episode> episodes;  // in drawing order
  Time until = 0;                 // heal time: every episode is undone by then

  bool operator==(const Schedule&) const = default;
};

// The seed of run `i` of an exploration with seed `s` (splitmix64 of both): the run's schedule
// and its scenario seed.
std::uint64_t run_seed(std::uint64_t s, std::uint64_t i);

// Draws the schedule of one run. `s.explore` must be set.
Schedule draw(const scenario::Scenario& s, std::uint64_t seed);

// The faults of a schedule, sorted by time (stable): each episode's action at `at` and its undo
// at min(at + length, until).
std::vector<scenario::Fault> to_faults(const scenario::Scenario& s, const Schedule& sch);

// Whether the schedule makes application errors legitimate, and how many: nullopt = any number
// (every path of the subsystem is lost at once for longer than fast_io_fail_tmo, or past
// ctrl_loss_tmo), otherwise the most non-path error statuses could produce (inject-status counts).
std::optional<std::int64_t> allowed_app_errors(const scenario::Scenario& s, const Schedule& sch);

// The scenario one run simulates: `s` with the schedule's faults after its own, no `explore`,
// seed `seed`, workloads cut at `until` (no new I/O in the heal phase), the run ending at
// until + liveness, and the exploring expectations for every `expect` key the file leaves out:
// no_lost_io, no_partial_completion, linearizable, app_errors (allowed_app_errors),
// max_io_stall = until - from + liveness (with it the liveness checks), max_outstanding_at_end 0.
scenario::Scenario materialize(const scenario::Scenario& s, const Schedule& sch,
                               std::uint64_t seed);

// Simulated length of a materialized run (its end time).
Time run_length(const scenario::Scenario& s, const Schedule& sch);

}  // namespace sim::explore
