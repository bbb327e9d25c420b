// `nvmsim explore FILE --runs N [--seed S] [--jobs J] [--out DIR] [--time-budget T] [--set
// K=V]...`: options, the progress line, writing failing runs and their shrunk forms, the summary.
// The exploration itself is sim::explore (sim/explore/explore.hpp). Reference: docs/explore.md.
#include "tools/cli/explore.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "sim/explore/explore.hpp"
#include "sim/scenario/error.hpp"
#include "tools/cli/stop_signal.hpp"
#include "sim/scenario/loader.hpp"
#include "sim/scenario/units.hpp"
#include "sim/world/world.hpp"

namespace tools::cli {
namespace {

namespace fs = std::filesystem;

int default_jobs() {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(std::min<long>(n, 1024)) : 1;
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  if (!(f << text)) throw std::runtime_error("cannot write " + p.string());
}

std::string kinds_text(const sim::explore::Verdict& v) {
  std::string out;
  for (const auto& k : v.kinds) out += (out.empty() ? "" : ", ") + k;
  if (!v.error.empty()) out += ": " + v.error;
  return out;
}

std::size_t fault_count(const sim::scenario::Scenario& base, const sim::explore::Schedule& s) {
  return sim::explore::to_faults(base, s).size();
}

// "ctrl-hang+link-down": the actions of a (shrunk) schedule, each once, sorted.
std::string signature(const sim::explore::Schedule& s) {
  std::vector<std::string> a;
  for (const auto& ep : s.episodes) a.push_back(ep.action);
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  std::string out;
  for (const auto& x : a) out += (out.empty() ? "" : "+") + x;
  return out.empty() ? "(no fault)" : out;
}

}  // namespace

CLI::App* add_explore(CLI::App& app, ExploreArgs& a) {
  auto* ex = app.add_subcommand(
      "explore", "run a scenario under many random fault schedules and shrink the failures");
  ex->add_option("FILE", a.file, "scenario YAML with an explore section")->required();
  ex->add_option("--runs", a.runs, "runs to draw (default 100)")->check(CLI::Range(1, 100000000));
  ex->add_option("--seed", a.seed, "exploration seed S: run i uses hash(S, i) (default 1)");
  ex->add_option("-j,--jobs", a.jobs, "simulations at once (forked children; default: the cores)")
      ->check(CLI::Range(1, 1024));
  ex->add_option("--out", a.out_dir,
                 "write fail-NNNN.yaml and fail-NNNN-shrunk.yaml here (default out/explore)");
  ex->add_option("--time-budget", a.time_budget,
                 "wall time after which no new run starts, e.g. 60s");
  ex->add_option("--set", a.sets, "override a value: key.path=value (repeatable)");
  ex->add_flag("--stop-at-first", a.stop_at_first, "stop at the first failing run");
  ex->add_flag("--no-shrink", a.no_shrink, "write the failing runs as drawn, without shrinking");
  ex->add_flag("-q,--quiet", a.quiet, "no progress line");
  return ex;
}

int explore_main(const ExploreArgs& a) {
  sim::scenario::Scenario s;
  std::uint64_t seed = 1;
  std::optional<double> budget;
  try {
    if (!a.seed.empty()) {
      if (a.seed.find_first_not_of("0123456789") != std::string::npos || a.seed.size() > 20)
        throw std::invalid_argument("");
      seed = std::stoull(a.seed);
    }
  } catch (const std::exception&) {
    std::cerr << "--seed: expected an integer from 0 to 18446744073709551615, got '" << a.seed
              << "'\n";
    return 2;
  }
  if (!a.time_budget.empty()) {
    const auto t = sim::scenario::parse_duration(a.time_budget);
    if (!t || *t <= 0) {
      std::cerr << "--time-budget: expected a duration such as 60s or 10m, got '" << a.time_budget
                << "'\n";
      return 2;
    }
    budget = static_cast<double>(*t) * 1e-9;
  }
  try {
    s = sim::scenario::load_file(a.file, a.sets);
    if (!s.explore) {
      std::cerr << a.file << ": error: no explore section: nothing to draw\n"
                << "  hint: add e.g. 'explore: {faults: {link-down: 1}, liveness: 30s}' "
                   "(docs/explore.md)\n";
      return 2;
    }
    sim::world::check_topology(s);
    // One drawn run checked as `nvmsim run` would, before any child starts.
    auto probe =
        sim::explore::materialize(s, sim::explore::draw(s, sim::explore::run_seed(seed, 0)), 0);
    sim::world::check_topology(probe);
  } catch (const sim::scenario::InputError& e) {
    std::cerr << e.format() << "\n";
    return 2;
  }
  const int jobs = a.jobs > 0 ? a.jobs : default_jobs();
  const fs::path out = a.out_dir.empty() ? fs::path("out/explore") : fs::path(a.out_dir);
  const bool tty = isatty(STDERR_FILENO) != 0;

  sim::explore::ExploreOptions o;
  o.seed = seed;
  o.runs = a.runs;
  o.jobs = jobs;
  o.time_budget = budget;
  o.stop_at_first = a.stop_at_first;
  o.should_stop = [] { return g_stop_signal != 0; };
  std::size_t step = std::max<std::size_t>(1, a.runs / 10), next_line = step;
  o.progress = [&](std::size_t done, std::size_t failed, double wall) {
    if (a.quiet) return;
    const std::string line =
        fmt::format("explore: {}/{} runs, {} violation(s), {:.1f} runs/s", done, a.runs, failed,
                    wall > 0 ? static_cast<double>(done) / wall : 0.0);
    if (tty) {
      std::cerr << "\r" << line << "   " << std::flush;
    } else if (done >= next_line || done == a.runs) {
      std::cerr << line << "\n";
      while (next_line <= done) next_line += step;
    }
  };
  catch_stop_signals();
  sim::explore::ExploreOutcome res;
  try {
    res = sim::explore::explore(s, o);
  } catch (const std::exception& e) {
    std::cerr << "nvmsim: " << e.what() << "\n";
    return 3;
  }
  if (tty && !a.quiet) std::cerr << "\n";

  std::cout << fmt::format(
      "explore {} seed {}: {} run(s) in {:.1f} s ({:.1f} runs/s, {} job(s)){}: {} failed\n", a.file,
      seed, res.done, res.wall, res.wall > 0 ? static_cast<double>(res.done) / res.wall : 0.0, jobs,
      res.budget_hit ? ", stopped early" : "", res.failures.size());
  if (res.failures.empty()) return g_stop_signal != 0 ? 128 + g_stop_signal : 0;

  try {
    fs::create_directories(out);
    const std::size_t width = std::max<std::size_t>(4, std::to_string(a.runs - 1).size());
    // Grouped by primary kind; the first run of each kind is shrunk.
    std::map<std::string, std::vector<const sim::explore::RunRecord*>> groups;
    for (const auto& r : res.failures) groups[r.verdict.primary()].push_back(&r);
    for (const auto& [kind, runs] : groups) {
      std::cout << fmt::format("\n{}: {} run(s), first: run {}\n", kind, runs.size(),
                               runs.front()->index);
      bool first = true;
      for (const auto* r : runs) {
        const std::string name = fmt::format("fail-{:0{}}", r->index, width);
        const fs::path file = out / (name + ".yaml");
        const std::string replay =
            fmt::format("nvmsim run {} --seed {}", sim::world::shell_quote(file.string()), r->seed);
        if (first && !a.no_shrink && g_stop_signal == 0) {
          const auto sh = sim::explore::shrink(s, *r, jobs);
          const fs::path sfile = out / (name + "-shrunk.yaml");
          const std::string sreplay = fmt::format("nvmsim run {} --seed {}",
                                                  sim::world::shell_quote(sfile.string()), r->seed);
          write_file(sfile, sim::explore::run_yaml(
                                sh.base, sh.run,
                                fmt::format("nvmsim explore {} --seed {}: run {}, shrunk ({})",
                                            a.file, seed, r->index, signature(sh.run.schedule)),
                                sreplay));
          std::cout << fmt::format(
              "  shrunk: {} episode(s), {} fault(s) -> {} episode(s), {} fault(s); simulated {} -> "
              "{}; {} candidate run(s) in {:.1f} s\n",
              r->schedule.episodes.size(), fault_count(s, r->schedule),
              sh.run.schedule.episodes.size(), fault_count(sh.base, sh.run.schedule),
              sim::scenario::format_duration(sim::explore::run_length(s, r->schedule)),
              sim::scenario::format_duration(sim::explore::run_length(sh.base, sh.run.schedule)),
              sh.candidates, sh.wall);
          std::cout << fmt::format("  after: {}; violated: {}\n", signature(sh.run.schedule),
                                   kinds_text(sh.run.verdict));
          std::cout << "  replay: " << sreplay << "\n";
        }
        write_file(file, sim::explore::run_yaml(s, *r,
                                                fmt::format("nvmsim explore {} --seed {}: run {}",
                                                            a.file, seed, r->index),
                                                replay));
        std::cout << fmt::format("  run {} ({}): {}\n    replay: {}\n", r->index,
                                 kinds_text(r->verdict), signature(r->schedule), replay);
        first = false;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "nvmsim: " << e.what() << "\n";
    return 3;
  }
  return g_stop_signal != 0 ? 128 + g_stop_signal : 1;
}

}  // namespace tools::cli
