// `nvmsim sweep FILE [--set k=v]... [--grid k=v1,v2,...]... [--seeds N|A..B] [--jobs J] --out DIR`:
// option parsing, signals (Ctrl-C ends the sweep cleanly) and the progress lines; the sweep itself
// is sim::api::run_sweep. Reference: docs/cli.md "nvmsim sweep".
#include "tools/cli/sweep.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

#include "sim/api/sweep.hpp"
#include "sim/scenario/error.hpp"
#include "tools/cli/stop_signal.hpp"

namespace tools::cli {
namespace {

sim::api::SweepSpec spec_of(const SweepArgs& a) {
  sim::api::SweepSpec spec;
  spec.file = a.file;
  spec.sets = a.sets;
  for (const auto& g : a.grid) spec.grid.push_back(sim::api::parse_grid(g));
  if (!a.seeds.empty()) spec.seeds = sim::api::parse_seeds(a.seeds);
  return spec;
}

// "run-0002  exit 1 (violated)  hosts.0.iopolicy=numa seed=3"
std::string progress_line(const sim::api::SweepSpec& spec, std::size_t runs,
                          const sim::api::SweepPoint& p, const sim::api::Result& r,
                          std::uint64_t seed) {
  std::string line = fmt::format("{}  exit {}", sim::api::run_dir_name(p.index, runs), r.exit_code);
  if (r.exit_code == 1) line += " (violated)";
  line += " ";
  for (std::size_t a = 0; a < spec.grid.size(); ++a)
    line += " " + spec.grid[a].key + "=" + spec.grid[a].values[p.values[a]];
  line += fmt::format(" seed={}", seed);
  if (r.exit_code >= 2) line += "  " + r.error.substr(0, r.error.find('\n'));
  return line;
}

}  // namespace

CLI::App* add_sweep(CLI::App& app, SweepArgs& a) {
  auto* sweep = app.add_subcommand("sweep", "run a scenario over a grid of --set values and seeds");
  sweep->add_option("FILE", a.file, "scenario YAML")->required();
  sweep->add_option("--set", a.sets, "override a value in every run: key.path=value (repeatable)");
  sweep->add_option("--grid", a.grid,
                    "sweep a value: key.path=v1,v2,... (repeatable: the cartesian product)");
  sweep->add_option("--seeds", a.seeds, "run every combination with seeds 1..N (N) or A..B");
  sweep->add_option("-j,--jobs", a.jobs, "simulations at once (forked children, default 1)")
      ->check(CLI::Range(1, 1024));
  sweep->add_option("--out", a.out_dir, "write run-NNNN/ per run and sweep.csv here")->required();
  sweep->add_flag("-q,--quiet", a.quiet, "print nothing but errors");
  return sweep;
}

int sweep_main(const SweepArgs& a) {
  sim::api::SweepSpec spec;
  std::optional<sim::api::SweepPlan> planned;
  try {
    spec = spec_of(a);
    planned = sim::api::plan_sweep(spec);
  } catch (const sim::scenario::InputError& e) {
    std::cerr << e.format() << "\n";
    return 2;
  }
  const sim::api::SweepPlan& plan = *planned;
  for (const auto& w : plan.warnings) std::cerr << "warning: " << w << "\n";

  const std::size_t runs = plan.points.size();
  std::map<int, std::size_t> by_code;
  sim::api::SweepOptions opts;
  opts.jobs = a.jobs;
  opts.out_dir = a.out_dir;
  opts.should_stop = [] { return g_stop_signal != 0; };
  opts.on_row = [&](const sim::api::SweepPoint& p, std::uint64_t seed, const sim::api::Result& r,
                    const std::string&) {
    ++by_code[r.exit_code];
    if (r.exit_code >= 2)
      std::cerr << "nvmsim: " << progress_line(spec, runs, p, r, seed) << "\n";
    else if (!a.quiet)
      std::cout << progress_line(spec, runs, p, r, seed) << std::endl;
  };
  catch_stop_signals();
  const auto t0 = std::chrono::steady_clock::now();
  sim::api::SweepOutcome out;
  try {
    out = sim::api::run_sweep(spec, plan, opts);
  } catch (const std::exception& e) {
    std::cerr << "nvmsim: " << e.what() << "\n";
    return 3;
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (out.stopped) {
    std::cerr << fmt::format(
        "nvmsim: sweep interrupted by signal {}: {} of {} runs finished, in {}/sweep.csv\n",
        static_cast<int>(g_stop_signal), out.finished, runs, a.out_dir);
    return 128 + g_stop_signal;
  }
  if (!a.quiet) {
    std::string codes;
    for (const auto& [code, n] : by_code)
      codes += fmt::format("{}exit {}: {}", codes.empty() ? "" : ", ", code, n);
    std::cout << fmt::format("sweep: {} runs ({}) in {:.3f} s, {:.1f} ms per run; {}/sweep.csv\n",
                             runs, codes, wall, wall * 1e3 / static_cast<double>(runs), a.out_dir);
  }
  return out.exit_code;
}

}  // namespace tools::cli
