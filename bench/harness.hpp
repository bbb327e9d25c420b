// The harness of nvmsim_bench: timing helpers, the scenario arms, running them (through
// sim::api::run_forked, or fork+exec of the CLI for peak RSS), the interleaved series, and the
// JSON of arms and figures.
//
// Throughput and cost figures run the scenario through sim::api::run_forked (SimGrid allows one
// engine per process) and use the child's own wall_seconds, which covers the simulation only
// (not fork, scenario checks or the result's transfer; figure 9 measures those). Repetitions are
// interleaved (floor, A, B, floor, A, B, ...) so that load from other processes hits every arm
// alike, and each figure is the median over the repetitions of the ratio within a repetition.
// Memory figures fork+exec the CLI (tools/nvmsim) and read the child's peak RSS from wait4().
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "floor.hpp"
#include "sim/scenario/loader.hpp"

namespace bench {

using Clock = std::chrono::steady_clock;

inline double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double thread_cpu_s();
double children_cpu_s();  // user + system time of every waited-for child so far
double median(std::vector<double> v);
double mean(const std::vector<double>& v);
json stats(const std::vector<double>& v);  // {median, samples}
void say(const std::string& msg);          // a progress line on stderr

// ---------------------------------------------------------------------------------------------
// Scenarios.

inline const std::string kExpect =
    "expect={no_lost_io: true, no_partial_completion: true, linearizable: true, "
    "durable_after_flush: true, max_io_stall: 1s}";
inline const std::string kNqn = "nqn.2026-01.io.nvmsim:bench";

extern std::string g_source_dir;  // the source tree holding bench/ and scenarios/ (--source-dir)
extern std::string g_cli;         // the nvmsim CLI (--cli)
extern std::string g_tmp;         // scratch directory for the CLI's outputs

std::string shell_quote(const std::string& s);

struct Arm {
  std::string name;
  std::string file;  // relative to the source tree
  std::vector<std::string> overrides;
  bool oracles = false;
  sim::scenario::Scenario s;  // loaded once

  Arm(std::string n, std::string f, std::vector<std::string> o)
      : name(std::move(n)), file(std::move(f)), overrides(std::move(o)) {
    for (const auto& x : overrides)
      if (x.rfind("expect=", 0) == 0) oracles = true;
  }
  std::string path() const { return g_source_dir + "/" + file; }
  void load() { s = sim::scenario::load_file(path(), overrides); }
  std::string replay() const {
    std::string r = "nvmsim run " + file;
    for (const auto& o : overrides) r += " --set " + shell_quote(o);
    return r;
  }
  json describe() const { return {{"file", file}, {"overrides", overrides}, {"replay", replay()}, {"oracles", oracles}}; }
};

// ---------------------------------------------------------------------------------------------
// Running.

struct SimSample {
  double wall = 0;  // the child's wall_seconds (the simulation itself)
  double cpu = 0;   // the child's CPU time, its whole life (also fork, checks, the result's transfer)
  std::uint64_t ios = 0, events = 0;
  double time(bool by_cpu) const { return by_cpu ? cpu : wall; }
  double ios_per_s(bool by_cpu = false) const { return time(by_cpu) > 0 ? static_cast<double>(ios) / time(by_cpu) : 0; }
  double ns_per_io(bool by_cpu = false) const { return ios ? time(by_cpu) * 1e9 / static_cast<double>(ios) : 0; }
};

SimSample run_sim(const Arm& a);  // throws if the run fails or its oracles did not run

struct ProcResult {
  int status = 0;
  double wall = 0;
  long max_rss_kb = 0;
};

long self_rss_kb();  // current RSS, what a forked child starts with
ProcResult spawn(const std::vector<std::string>& argv);

struct CliSample {
  ProcResult proc;
  json results;  // results.json
};

CliSample run_cli(const Arm& a, bool read_results);  // throws unless the CLI exits 0
// `nvmsim sweep FILE --set ... --seeds N --out DIR --quiet` as one process; throws unless it
// exits 0 and sweep.csv has N rows.
ProcResult run_sweep_cli(const Arm& a, int n);

// One interleaved series: per repetition the floor, then every arm once.
struct Series {
  std::vector<FloorSample> floor;
  std::vector<std::vector<SimSample>> arms;  // [arm][rep]
};

Series interleave(std::vector<Arm>& arms, int reps, std::uint64_t floor_ios, const std::string& what);

std::vector<double> rates(const std::vector<SimSample>& v, bool by_cpu = false);
std::vector<double> costs(const std::vector<SimSample>& v, bool by_cpu = false);
std::vector<double> paired(const std::vector<double>& a, const std::vector<double>& b);  // a[i] / b[i]

json arm_json(const Arm& a, const std::vector<SimSample>& v);

// ---------------------------------------------------------------------------------------------
// Figures.

struct Goal {
  std::string op;  // ">=" or "<=", or "" for an informational figure (goal and goal_met null)
  double bound;
  std::string text;
  bool met(double v) const { return op == ">=" ? v >= bound : v <= bound; }
  json met_json(double v) const { return op.empty() ? json(nullptr) : json(met(v)); }
  json text_json() const { return op.empty() ? json(nullptr) : json(text); }
};
inline const Goal kNoGoal{"", 0, ""};

json figure(const std::string& id, const std::string& name, double value, const std::string& unit,
            const Goal& goal, double floor_ios_per_s, json measurements);

// The same figure from CPU times instead of wall times (the child's whole-life user + system time;
// the floor's thread CPU time): less sensitive to other processes on the machine.
void add_cpu_view(json& fig, const std::vector<double>& paired_by_cpu, const Goal& goal, double offset = 0);

json failed_figure(const std::string& id, const std::string& name, const Goal& goal, const std::string& error);

}  // namespace bench
