// nvmsim: the command-line shell over sim::api.
//   nvmsim run --fio JOB.fio --scenario FILE [...]   the job file's jobs on FILE's topology
//   nvmsim run FILE [--out DIR] [--seed N] [--set key.path=value]... [--host-core C] [--quiet]
//                   [--decision-trace FILE [--decision-trace-io all|paths|control]]
//   nvmsim validate FILE [--set ...]        print the fully defaulted scenario
//   nvmsim topology FILE [--at T] [-o json] [--sysfs DIR]   what `nvme list-subsys` would show at
//                                           time T (and the host's sysfs for the real one)
//   nvmsim sweep FILE [--set ...] [--grid key.path=v1,v2,...]... [--seeds N|A..B] [--jobs J]
//                --out DIR                  every combination, forked from one process (sweep.cpp)
//   nvmsim explore FILE --runs N [--seed S] [--jobs J] [--out DIR] [--time-budget T] [--set ...]
//                                            random fault schedules, shrunk failures (explore.cpp)
// Exit codes: 0 ok, 1 an expectation was violated, 2 bad input, 3 internal error.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "sim/api/api.hpp"
#include "sim/scenario/loader.hpp"
#include "sim/scenario/units.hpp"
#include "sim/version.hpp"
#include "tools/cli/explore.hpp"
#include "tools/cli/sweep.hpp"

namespace {

// fio-like status line on a terminal, once the run has taken more than two wall-seconds.
class StatusLine {
 public:
  explicit StatusLine(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO)) {}
  void update(const sim::world::Progress& p) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    const double wall = std::chrono::duration<double>(now - t0_).count();
    if (wall < 2.0) return;
    const double pct = p.end > 0 ? 100.0 * static_cast<double>(p.now) / static_cast<double>(p.end) : 0;
    std::fprintf(stderr, "\rnvmsim: [sim %.3fs / %.3fs, %5.1f%% done] [%.2fM I/O per wall-s] [eta %.0fs]   ",
                 static_cast<double>(p.now) * 1e-9, static_cast<double>(p.end) * 1e-9, pct, static_cast<double>(p.ios) / wall / 1e6,
                 pct > 0 ? wall * (100.0 - pct) / pct : 0.0);
    shown_ = true;
  }
  void finish() {
    if (shown_) std::fprintf(stderr, "\n");
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
};

int report_error(const std::string& msg, int code) {
  std::cerr << msg << "\n";
  return code;
}

// `--fio JOB`: the scenario's workloads become the job file's jobs, on its only host, through
// the override `workloads=[{fio: '/abs/JOB', host: H}]` (so the replay command carries it).
struct FioSet {
  std::string set, error;
};
FioSet fio_override(const std::string& scenario_file, const std::string& fio_file, std::vector<std::string> sets) {
  sets.push_back("workloads=[]");  // only the hosts are wanted here; the run's own load checks the rest
  sets.push_back("duration=1s");
  sim::scenario::Scenario topo;
  try {
    topo = sim::scenario::load_file(scenario_file, sets);
  } catch (const sim::scenario::InputError& e) {
    return {"", e.format()};
  }
  if (topo.hosts.size() != 1)
    return {"", fmt::format("--fio: {} has {} hosts; with several, name the host in the scenario instead: "
                            "workloads: [{{fio: {}, host: HOST}}]",
                            scenario_file, topo.hosts.size(), fio_file)};
  const std::string path = std::filesystem::absolute(fio_file).lexically_normal().string();
  std::string yaml = path;  // plain when it can be, else single-quoted
  if (path.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-+") != std::string::npos) {
    yaml = "'";
    for (char c : path) yaml += c == '\'' ? "''" : std::string(1, c);
    yaml += "'";
  }
  return {fmt::format("workloads=[{{fio: {}, host: {}}}]", yaml, topo.hosts[0].name), ""};
}

}  // namespace

int run_main(int argc, char** argv) {
  CLI::App app{"nvmsim: simulator of multi-ported NVMe subsystems and Linux native multipath"};
  app.set_version_flag("--version", std::string("nvmsim ") + sim::kVersion);
  app.require_subcommand(1);

  std::string file, out_dir, fmt_out = "text", at, host_core, trace_file, trace_io = "all";
  std::vector<std::string> sets;
  std::string seed;  // checked by the loader as `seed` (0 .. 2^64-1)
  bool quiet = false;

  auto* run = app.add_subcommand("run", "run a scenario and write its reports");
  std::string fio_file;
  auto* run_file = run->add_option("FILE", file, "scenario YAML");
  auto* run_scenario = run->add_option("--scenario", file, "scenario YAML (the same as FILE; for --fio)");
  run_file->excludes(run_scenario);
  run->add_option("--fio", fio_file,
                  "run this fio job file's jobs on the scenario's host instead of its workloads");
  run->add_option("--out", out_dir, "write summary.txt, results.json, timeseries.csv here");
  run->add_option("--seed", seed, "override the scenario's seed (0 .. 18446744073709551615)");
  run->add_option("--set", sets, "override a value: key.path=value (repeatable)");
  run->add_flag("-q,--quiet", quiet, "print nothing but errors");
  auto* trace_opt = run->add_option("--decision-trace", trace_file, "write the host's decisions as JSON Lines to FILE");
  run->add_option("--decision-trace-io", trace_io, "per-I/O lines in the decision trace: all, paths or control")
      ->check(CLI::IsMember({"all", "paths", "control"}))
      ->needs(trace_opt);

  auto* validate = app.add_subcommand("validate", "check a scenario and print it with every default");
  validate->add_option("FILE", file, "scenario YAML")->required();
  validate->add_option("--set", sets, "override a value: key.path=value (repeatable)");

  auto* topo = app.add_subcommand("topology", "print what `nvme list-subsys` would show");
  topo->add_option("FILE", file, "scenario YAML")->required();
  topo->add_option("--at", at, "simulated time to look at (default: after connect, 1s)");
  topo->add_option("-o,--output-format", fmt_out, "text or json")->check(CLI::IsMember({"text", "json"}));
  topo->add_option("--set", sets, "override a value: key.path=value (repeatable)");
  std::string sysfs_dir;
  topo->add_option("--sysfs", sysfs_dir, "also write the hosts' NVMe sysfs (what nvme-cli reads) into DIR");

  tools::cli::SweepArgs sweep_args;
  auto* sweep = tools::cli::add_sweep(app, sweep_args);
  tools::cli::ExploreArgs explore_args;
  auto* explore = tools::cli::add_explore(app, explore_args);

  for (auto* sub : {run, validate, topo})
    sub->add_option("--host-core", host_core, "set `core` of every host: model or linux")
        ->check(CLI::IsMember({"model", "linux"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (*sweep) return tools::cli::sweep_main(sweep_args);
  if (*explore) return tools::cli::explore_main(explore_args);

  if (*run && file.empty()) return report_error("run: give the scenario as FILE or --scenario FILE", 2);
  if (!fio_file.empty()) {
    auto fio_set = fio_override(file, fio_file, sets);
    if (!fio_set.error.empty()) return report_error(fio_set.error, 2);
    sets.insert(sets.begin(), fio_set.set);  // first: a --set of workloads.0.target still applies
  }
  const std::vector<std::string> user_sets = sets;  // for the replay command (results.json)
  if (!seed.empty()) {
    if (seed.find_first_not_of("0123456789") != std::string::npos)
      return report_error("--seed: expected an integer from 0 to 18446744073709551615, got '" + seed + "'", 2);
    sets.push_back("seed=" + seed);  // the range is the loader's, as for `seed:` in the file
  }
  sim::scenario::Scenario s;
  try {
    s = sim::scenario::load_file(file, sets);
    if (!host_core.empty()) {
      // Through --set, so the loader checks the value as if the file said it, on every host.
      for (std::size_t i = 0; i < s.hosts.size(); ++i) sets.push_back(fmt::format("hosts.{}.core={}", i, host_core));
      s = sim::scenario::load_file(file, sets);
    }
  } catch (const sim::scenario::InputError& e) {
    return report_error(e.format(), 2);
  }

  if (*validate || *run) {
    // Device names that depend on which connect finishes first: said before anything runs.
    for (const auto& w : sim::world::topology_warnings(s)) std::cerr << "warning: " << w << "\n";
  }
  if (*validate) {
    try {
      sim::world::check_topology(s);
    } catch (const sim::scenario::InputError& e) {
      return report_error(e.format(), 2);
    }
    std::cout << sim::scenario::dump_yaml(s);
    return 0;
  }

  if (*topo) {
    sim::Time t = sim::kSecond;
    if (!at.empty()) {
      auto parsed = sim::scenario::parse_duration(at);
      if (!parsed || *parsed <= 0) return report_error("--at: expected a duration such as 1s or 250ms, got '" + at + "'", 2);
      t = *parsed;
    }
    s.duration = t;
    for (auto& w : s.workloads)
      if (w.runtime && w.start + *w.runtime > t) w.runtime = std::max<sim::Time>(0, t - w.start);
    std::error_code ec;
    if (!sysfs_dir.empty() && std::filesystem::exists(sysfs_dir, ec) && !std::filesystem::is_empty(sysfs_dir, ec))
      return report_error("--sysfs " + sysfs_dir + ": the directory is not empty", 2);
    sim::api::Options topo_opts;
    topo_opts.sysfs_dir = sysfs_dir;
    const auto r = sim::api::run(s, topo_opts);
    if (r.exit_code >= 2) return report_error(r.error, r.exit_code);
    std::cout << (fmt_out == "json" ? r.topology_json : r.topology_text);
    return 0;
  }

  // `run` simulates the scenario's own faults only; the explore section is for `nvmsim explore`.
  if (s.explore && !quiet)
    std::cerr << "note: " << file << ": the explore section is ignored by run (only the scenario's own faults apply); use nvmsim explore\n";
  StatusLine status(!quiet);
  sim::api::Options opts;
  opts.overrides = user_sets;
  opts.host_core = host_core;
  opts.progress = [&](const sim::world::Progress& p) { status.update(p); };
  if (!trace_file.empty()) {
    opts.decision_trace.file = trace_file;
    sim::world::parse_trace_io(trace_io, opts.decision_trace.io);
  }
  const auto r = sim::api::run(s, opts);
  status.finish();
  if (r.exit_code >= 2) return report_error(r.error, r.exit_code);
  if (!out_dir.empty()) {
    try {
      sim::api::write_outputs(r, out_dir);
    } catch (const std::exception& e) {
      return report_error(std::string("nvmsim: ") + e.what(), 3);
    }
  }
  if (!quiet) std::cout << r.summary;
  return r.exit_code;
}

// Every way out of nvmsim is an exit code with a message: an exception that escapes (a bug, or
// memory running out) is exit 3, never std::terminate's SIGABRT.
int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fputs("nvmsim: internal error: out of memory\n", stderr);
  } catch (const sim::scenario::InputError& e) {
    // Input errors are caught where they arise; one that gets here still is the user's.
    std::cerr << e.format() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "nvmsim: internal error: " << e.what() << "\n";
  } catch (...) {
    std::fputs("nvmsim: internal error: unknown exception\n", stderr);
  }
  return 3;
}
