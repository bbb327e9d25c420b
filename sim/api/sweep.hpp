#pragma once
// A parameter sweep: one scenario, read and checked once, run for every combination of a grid of
// --set values times a list of seeds, each run in a child forked from this process (start_forked,
// at most `jobs` at once, no threads). `nvmsim sweep` (tools/cli/sweep.cpp) and the Python
// bindings are shells over this. Outputs and CSV columns: docs/cli.md, "nvmsim sweep".
//
//   SweepSpec spec{.file = "s.yaml", .sets = {"duration=1s"},
//                  .grid = {parse_grid("hosts.0.iopolicy=numa,round-robin")},
//                  .seeds = parse_seeds("1..3")};
//   SweepPlan plan = plan_sweep(spec);            // InputError: a bad grid value, before any run
//   SweepOutcome o = run_sweep(spec, plan, {.jobs = 2, .out_dir = "out"});
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/api/api.hpp"
#include "sim/scenario/loader.hpp"

namespace sim::api {

// One --grid key.path=v1,v2,...: a key and the values it takes, each applied as --set key=value.
struct GridAxis {
  std::string arg;                     // the argument as given, for messages
  std::string key;                     // key.path
  std::vector<std::string> values;     // YAML text of each value, in the order given
  std::vector<std::size_t> value_pos;  // where each value starts in `arg` (0-based)
};

// Splits at the commas outside brackets, braces and quotes, so `cpus=[0,1],[2,3]` has two
// values. Throws scenario::InputError at `--grid:1:COLUMN`.
GridAxis parse_grid(const std::string& arg);
// `N` is the seeds 1..N, `A..B` the seeds A to B (inclusive). Throws scenario::InputError.
std::vector<std::uint64_t> parse_seeds(const std::string& arg);

struct SweepSpec {
  std::string file;                  // the scenario, as given (it is in every replay line)
  std::vector<std::string> sets;     // --set, applied to every run before the grid's values
  std::vector<GridAxis> grid;        // --grid, in the order given
  std::vector<std::uint64_t> seeds;  // empty: every run keeps the scenario's own seed
};

// One run of the sweep: one value of every axis and a seed.
struct SweepPoint {
  std::size_t index = 0;              // its place in the sweep: DIR/run-NNNN, the CSV's `run`
  std::vector<std::size_t> values;    // values[a] indexes grid[a].values
  std::optional<std::uint64_t> seed;  // none: the scenario's seed
};

// The cartesian product of the axes times the seeds, in odometer order: the last --grid varies
// fastest, the seed faster still, the first --grid slowest.
std::vector<SweepPoint> expand(const SweepSpec& spec);

// A point's --set values: spec.sets, then `key=value` per axis (the seed is not one of them).
// What sim::api::Options::overrides gets, so results.json matches `nvmsim run` with these --set.
std::vector<std::string> point_overrides(const SweepSpec& spec, const SweepPoint& p);
// `nvmsim run FILE --seed N --set ...`: the replay line of results.json, for any point.
std::string point_replay(const SweepSpec& spec, const SweepPoint& p, std::uint64_t seed);

struct SweepPlan {
  scenario::Document doc;  // the file and its includes, read once
  std::vector<SweepPoint> points;
  std::vector<std::string> warnings;  // topology warnings of every combination, each once
};

// Reads the scenario once and interprets and checks every grid combination (as `nvmsim run`
// would before simulating), so that a bad value stops the sweep before any run. The error is
// the loader's (a grid value's position is `--grid:1:COLUMN` in its --grid argument), followed by
// a `note:` line naming the grid values of the combination. Throws scenario::InputError.
SweepPlan plan_sweep(const SweepSpec& spec);

// The scenario of one point, with exactly the semantics of `nvmsim run FILE --set ... --seed N`.
scenario::Scenario load_point(const SweepSpec& spec, const SweepPlan& plan, const SweepPoint& p);

struct SweepOptions {
  int jobs = 1;         // children at once
  std::string out_dir;  // DIR: run-NNNN/ per run and sweep.csv
  // Called in run order as each run's row is written (a run that has finished and all before it),
  // with the seed the run used.
  std::function<void(const SweepPoint&, std::uint64_t seed, const Result&, const std::string& row)>
      on_row;
  // Polled between events (at least every 100 ms): true stops the sweep, killing the children.
  std::function<bool()> should_stop;
};

struct SweepOutcome {
  int exit_code = 0;         // the largest exit code of the runs
  std::size_t finished = 0;  // runs that ended (rows in sweep.csv)
  bool stopped = false;      // should_stop() ended it early
};

// Runs every point of the plan, writing DIR/run-NNNN/ (what `nvmsim run --out` writes, or
// error.txt for a run that ended without results) and DIR/sweep.csv. Throws std::runtime_error
// when DIR cannot be written.
SweepOutcome run_sweep(const SweepSpec& spec, const SweepPlan& plan, const SweepOptions& opts);

// sweep.csv: the header and one run's row (CSV, RFC 4180 quoting), both ending in "\n".
std::string csv_header(const SweepSpec& spec);
std::string csv_row(const SweepSpec& spec, const SweepPoint& p, std::uint64_t seed,
                    const Result& r);
// run-0000 ... : four digits, more when the sweep has more than 10000 runs.
std::string run_dir_name(std::size_t index, std::size_t count);

}  // namespace sim::api
