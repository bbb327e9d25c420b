// nvmsim_bench: the performance figures of issue 12, each beside a floor measured in the same
// process, printed as one JSON document (bench/README.md says what each figure is).
//
//   build/release/bench/nvmsim_bench [--json FILE] [--quick] [--reps N] [--only 1,2,5c,...]
//
// This file holds the figures (struct Bench) and main(). The floor, a plain C++ binary-heap event
// loop, is in floor.hpp; running the scenarios, the interleaving of repetitions and the figures'
// JSON are in harness.hpp, which says how the figures are measured.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "floor.hpp"
#include "harness.hpp"
#include "sim/api/api.hpp"
#include "sim/version.hpp"

namespace bench {
namespace {

struct Config {
  bool quick = false;
  int reps = 5;
  std::uint64_t floor_ios = 2'000'000;
  std::set<std::string> only;  // figure ids ("1", "5c", ...) or numbers ("5"); empty = all
  bool wants(const std::string& id) const {
    if (only.empty()) return true;
    return only.contains(id) || only.contains(id.substr(0, id.find_first_not_of("0123456789")));
  }
  bool wants_any(std::initializer_list<const char*> ids) const {
    for (const char* id : ids)
      if (wants(id)) return true;
    return false;
  }
};

struct Bench {
  Config cfg;
  json figures = json::array();
  std::vector<double> all_floor;  // every floor sample of the process

  void add_floor(const std::vector<FloorSample>& f) {
    for (const auto& x : f) all_floor.push_back(x.ios_per_s);
  }

  // Runs `body`; on an exception every figure in `ids` is reported as failed.
  void guarded(const std::vector<std::pair<std::string, std::string>>& ids, const std::vector<Goal>& goals,
               const std::function<void()>& body) {
    try {
      body();
    } catch (const std::exception& e) {
      say(std::string("error: ") + e.what());
      for (std::size_t i = 0; i < ids.size(); ++i)
        figures.push_back(failed_figure(ids[i].first, ids[i].second, goals[i], e.what()));
    }
  }

  // Figures 1, 2, 5a, 5b: the 2-path and 16-path QD-32 random reads, with and without oracles.
  void paths() {
    const std::string d = cfg.quick ? "duration=100ms" : "duration=500ms";
    const Goal g1{">=", 0.25, ">= 0.25"}, g2{">=", 0.35, ">= 0.35"}, g5{"<=", 0.10, "<= +10%"};
    const std::vector<std::pair<std::string, std::string>> ids = {
        {"1", "2-path QD-32 4 KiB randread, every oracle on, / floor"},
        {"2", "2-path QD-32 4 KiB randread, no oracles, / floor"},
        {"5a", "wall ns per I/O, 16 paths vs 2 (QD 32 total, no oracles): relative increase"},
        {"5b", "wall ns per I/O, 16 paths vs 2 (QD 32 total, every oracle on): relative increase"}};
    guarded(ids, {g1, g2, g5, g5}, [&] {
      std::vector<Arm> arms = {{"2path_oracles", "bench/bench-2path-qd32.yaml", {d, kExpect}},
                               {"2path", "bench/bench-2path-qd32.yaml", {d}},
                               {"16path", "bench/bench-16path-qd32.yaml", {d}},
                               {"16path_oracles", "bench/bench-16path-qd32.yaml", {d, kExpect}}};
      const Series s = interleave(arms, cfg.reps, cfg.floor_ios, "figures 1, 2, 5a, 5b");
      add_floor(s.floor);
      const auto fl = floor_rates(s.floor);
      const double fm = median(fl);
      json common = {{"floor", floor_json(s.floor)}};
      for (std::size_t i = 0; i < arms.size(); ++i) common[arms[i].name] = arm_json(arms[i], s.arms[i]);
      auto ratio_fig = [&](const std::pair<std::string, std::string>& id, std::size_t arm, const Goal& g) {
        const auto r = paired(rates(s.arms[arm]), fl);
        json m = {{"paired_ratios", r}, {"floor", common["floor"]}, {arms[arm].name, common[arms[arm].name]}};
        figures.push_back(figure(id.first, id.second, median(r), "ratio", g, fm, m));
        add_cpu_view(figures.back(), paired(rates(s.arms[arm], true), floor_rates(s.floor, true)), g);
      };
      if (cfg.wants("1")) ratio_fig(ids[0], 0, g1);
      if (cfg.wants("2")) ratio_fig(ids[1], 1, g2);
      auto rel_fig = [&](const std::pair<std::string, std::string>& id, std::size_t base, std::size_t arm) {
        auto r = paired(costs(s.arms[arm]), costs(s.arms[base]));
        for (double& x : r) x -= 1;
        json m = {{"paired_relative_increase", r}, {"floor", common["floor"]},
                  {arms[base].name, common[arms[base].name]}, {arms[arm].name, common[arms[arm].name]}};
        figures.push_back(figure(id.first, id.second, median(r), "relative increase", g5, fm, m));
        add_cpu_view(figures.back(), paired(costs(s.arms[arm], true), costs(s.arms[base], true)), g5, -1);
      };
      if (cfg.wants("5a")) rel_fig(ids[2], 1, 2);
      if (cfg.wants("5b")) rel_fig(ids[3], 0, 3);
    });
  }

  // Figure 3: scenarios/basic-2path.yaml (70/30 randrw) with every oracle and verify: true.
  void basic() {
    const Goal g{">=", 0.15, ">= 0.15"};
    const std::pair<std::string, std::string> id = {
        "3", "scenarios/basic-2path.yaml (70/30 randrw), every oracle on and verify: true, / floor"};
    guarded({id}, {g}, [&] {
      const std::string d = cfg.quick ? "duration=200ms" : "duration=1s";
      std::vector<Arm> arms = {{"basic_2path_oracles_verify", "scenarios/basic-2path.yaml",
                                {d, kExpect, "workloads.0.verify=true"}}};
      const Series s = interleave(arms, cfg.reps, cfg.floor_ios, "figure 3");
      add_floor(s.floor);
      const auto fl = floor_rates(s.floor);
      const auto r = paired(rates(s.arms[0]), fl);
      figures.push_back(figure(id.first, id.second, median(r), "ratio", g, median(fl),
                               {{"paired_ratios", r}, {"floor", floor_json(s.floor)},
                                {arms[0].name, arm_json(arms[0], s.arms[0])}}));
      add_cpu_view(figures.back(), paired(rates(s.arms[0], true), floor_rates(s.floor, true)), g);
    });
  }

  // Figure 4: 100 faults that change nothing (set-iopolicy to the policy already in force).
  void faults() {
    const Goal g{">=", 0.98, ">= 0.98"};
    const std::pair<std::string, std::string> id = {
        "4", "simulated IOPS per wall-second with 100 no-op faults (set-iopolicy round-robin) / without"};
    guarded({id}, {g}, [&] {
      // 200 ms in both modes: in this build each fault leaves a pump timer chain behind that makes
      // every later instant cost more, so a 1 s run with faults takes tens of seconds.
      const sim::Time dur = 200 * sim::kMillisecond;
      const sim::Time every = dur * 9 / 1000;  // 100 occurrences over the first 90% of the run
      const std::string d = "duration=" + std::to_string(dur / sim::kMicrosecond) + "us";
      const std::string f = "faults=[{every: " + std::to_string(every / sim::kMicrosecond) +
                            "us, count: 100, action: set-iopolicy, host: h1, subsystem: \"" + kNqn +
                            "\", iopolicy: round-robin}]";
      std::vector<Arm> arms = {{"no_faults", "bench/bench-2path-qd32.yaml", {d}},
                               {"100_noop_faults", "bench/bench-2path-qd32.yaml", {d, f}}};
      const Series s = interleave(arms, cfg.reps, cfg.floor_ios, "figure 4");
      add_floor(s.floor);
      const auto r = paired(rates(s.arms[1]), rates(s.arms[0]));
      figures.push_back(figure(id.first, id.second, median(r), "ratio", g, median(floor_rates(s.floor)),
                               {{"paired_ratios", r}, {"floor", floor_json(s.floor)},
                                {arms[0].name, arm_json(arms[0], s.arms[0])},
                                {arms[1].name, arm_json(arms[1], s.arms[1])},
                                {"same_simulated_ios", s.arms[0][0].ios == s.arms[1][0].ios}}));
      add_cpu_view(figures.back(), paired(rates(s.arms[1], true), rates(s.arms[0], true)), g);
    });
  }

  // Figures 5c, 5d: QD 4096 vs QD 32, same queues (bench-2path-qd4096.yaml).
  void depth() {
    const Goal g{"<=", 0.25, "<= +25%"};
    const std::vector<std::pair<std::string, std::string>> ids = {
        {"5c", "wall ns per I/O, QD 4096 vs 32 (no oracles): relative increase"},
        {"5d", "wall ns per I/O, QD 4096 vs 32 (every oracle on): relative increase"}};
    guarded(ids, {g, g}, [&] {
      // QD 4096 simulates about 4x the I/O per simulated second: a shorter run gives both arms
      // similar wall time per sample (the figure is per I/O).
      const std::string d32 = cfg.quick ? "duration=80ms" : "duration=400ms";
      const std::string d4096 = cfg.quick ? "duration=20ms" : "duration=100ms";
      const std::string f = "bench/bench-2path-qd4096.yaml", qd32 = "workloads.0.iodepth=8";
      std::vector<Arm> arms = {{"qd32", f, {d32, qd32}},
                               {"qd4096", f, {d4096}},
                               {"qd32_oracles", f, {d32, qd32, kExpect}},
                               {"qd4096_oracles", f, {d4096, kExpect}}};
      const Series s = interleave(arms, cfg.reps, cfg.floor_ios, "figures 5c, 5d");
      add_floor(s.floor);
      const double fm = median(floor_rates(s.floor));
      for (std::size_t k = 0; k < 2; ++k) {
        if (!cfg.wants(ids[k].first)) continue;
        const std::size_t base = 2 * k, arm = 2 * k + 1;
        auto r = paired(costs(s.arms[arm]), costs(s.arms[base]));
        for (double& x : r) x -= 1;
        figures.push_back(figure(ids[k].first, ids[k].second, median(r), "relative increase", g, fm,
                                 {{"paired_relative_increase", r}, {"floor", floor_json(s.floor)},
                                  {arms[base].name, arm_json(arms[base], s.arms[base])},
                                  {arms[arm].name, arm_json(arms[arm], s.arms[arm])}}));
        add_cpu_view(figures.back(), paired(costs(s.arms[arm], true), costs(s.arms[base], true)), g, -1);
      }
    });
  }

  // Figure 6: memory per in-flight I/O with the oracles, from the CLI's peak RSS.
  void inflight_memory() {
    const Goal g{"<=", 192, "<= 192 B"};
    const std::pair<std::string, std::string> id = {
        "6", "memory per in-flight I/O, every oracle on: (peak RSS at QD 4096 - at QD 32) / 4064"};
    guarded({id}, {g}, [&] {
      const std::string d = cfg.quick ? "duration=20ms" : "duration=50ms";
      const std::string f = "bench/bench-2path-qd4096.yaml", qd32 = "workloads.0.iodepth=8";
      std::vector<Arm> arms = {{"qd32_oracles", f, {d, qd32, kExpect}},
                               {"qd4096_oracles", f, {d, kExpect}},
                               {"qd32", f, {d, qd32}},
                               {"qd4096", f, {d}}};
      const int reps = cfg.quick ? 1 : 3;
      std::vector<std::vector<double>> rss(arms.size());
      std::vector<double> outstanding(arms.size()), parent_rss, fl;
      std::vector<FloorSample> floors;
      for (int rep = 0; rep < reps; ++rep) {
        say("figure 6: repetition " + std::to_string(rep + 1) + "/" + std::to_string(reps));
        floors.push_back(run_floor(cfg.floor_ios));
        for (std::size_t i = 0; i < arms.size(); ++i) {
          parent_rss.push_back(static_cast<double>(self_rss_kb()));
          const auto c = run_cli(arms[i], rep == 0);
          rss[i].push_back(static_cast<double>(c.proc.max_rss_kb) * 1024);
          if (rep == 0) outstanding[i] = c.results["nvmsim"]["outstanding_at_end"].get<double>();
        }
      }
      add_floor(floors);
      auto per_io = [&](std::size_t lo, std::size_t hi) {
        return (median(rss[hi]) - median(rss[lo])) / (outstanding[hi] - outstanding[lo]);
      };
      json m = {{"floor", floor_json(floors)},
                {"bytes_per_inflight_io_without_oracles", per_io(2, 3)},
                {"parent_rss_bytes_at_spawn", stats([&] {
                   std::vector<double> v;
                   for (double x : parent_rss) v.push_back(x * 1024);
                   return v;
                 }())}};
      for (std::size_t i = 0; i < arms.size(); ++i) {
        json a = arms[i].describe();
        a["peak_rss_bytes"] = stats(rss[i]);
        a["outstanding_at_end"] = outstanding[i];
        m[arms[i].name] = a;
      }
      figures.push_back(figure(id.first, id.second, per_io(0, 1), "bytes", g, median(floor_rates(floors)), m));
    });
  }

  // Figure 7: the checker's memory on 1 GiB over a long and a short run.
  void checker_memory() {
    const Goal ga{"<=", 1.05, "<= 1.05x"}, gb{"<=", 48, "<= 48 B/LBA"};
    const std::string sl = cfg.quick ? "5s" : "10s", ll = cfg.quick ? "10s" : "100s";
    const std::vector<std::pair<std::string, std::string>> ids = {
        {"7a", "checker memory: peak RSS, rw on 1 GiB, every oracle on, " + ll + " simulated / " + sl},
        {"7b", "checker memory: (peak RSS with oracles - without) / distinct LBAs written, " + ll + " run"}};
    guarded(ids, {ga, gb}, [&] {
      const std::string f = "bench/bench-checker-1g.yaml";
      std::vector<Arm> arms = {{"short_oracles", f, {"duration=" + sl, kExpect}},
                               {"long_oracles", f, {"duration=" + ll, kExpect}},
                               {"short", f, {"duration=" + sl}},
                               {"long", f, {"duration=" + ll}}};
      std::vector<FloorSample> floors;
      json m = json::object();
      std::vector<double> rss(arms.size()), lbas(arms.size());
      const double lbas_in_region = static_cast<double>((1ull << 30) / 4096);
      for (std::size_t i = 0; i < arms.size(); ++i) {
        say("figure 7: " + arms[i].name);
        floors.push_back(run_floor(cfg.floor_ios));
        const long parent = self_rss_kb();
        const auto c = run_cli(arms[i], true);
        rss[i] = static_cast<double>(c.proc.max_rss_kb) * 1024;
        const auto& job = c.results["jobs"][0];
        const double wbytes = job["write"]["io_bytes"].get<double>();
        lbas[i] = std::min(lbas_in_region, wbytes / 4096);
        json a = arms[i].describe();
        a["peak_rss_bytes"] = rss[i];
        a["parent_rss_bytes_at_spawn"] = static_cast<double>(parent) * 1024;
        a["wall_s"] = c.proc.wall;
        a["reads"] = job["read"]["total_ios"];
        a["writes"] = job["write"]["total_ios"];
        a["lbas_written"] = wbytes / 4096;
        a["distinct_lbas_written"] = lbas[i];
        m[arms[i].name] = a;
      }
      add_floor(floors);
      m["floor"] = floor_json(floors);
      const double fm = median(floor_rates(floors));
      m["checker_bytes_per_lba_short_run"] = (rss[0] - rss[2]) / lbas[0];
      if (cfg.wants("7a"))
        figures.push_back(figure(ids[0].first, ids[0].second, rss[1] / rss[0], "ratio", ga, fm, m));
      if (cfg.wants("7b"))
        figures.push_back(figure(ids[1].first, ids[1].second, (rss[1] - rss[3]) / lbas[1], "bytes per LBA", gb, fm, m));
    });
  }

  // Figure 8: control plane only, simulated seconds per wall-second.
  void control_plane() {
    const Goal g{">=", 100000, ">= 100000x"};
    const std::string d = cfg.quick ? "60m" : "1440m";
    const std::pair<std::string, std::string> id = {
        "8", "control plane only (keep-alive, reconnects, a link-down/up pair every minute, no I/O), " + d +
                 " simulated: simulated seconds per wall-second"};
    guarded({id}, {g}, [&] {
      const std::string f = "bench/bench-control-plane-24h.yaml";
      Arm arm{"control_plane", f, {"duration=" + d}};
      arm.load();
      const double sim_s = static_cast<double>(arm.s.end_time()) / 1e9;
      std::vector<FloorSample> floors;
      std::vector<double> speed, walls, events;
      // Five repetitions, unless one takes so long that they would blow the time budget.
      for (int rep = 0; rep < cfg.reps; ++rep) {
        say("figure 8: repetition " + std::to_string(rep + 1));
        floors.push_back(run_floor(cfg.floor_ios));
        const SimSample x = run_sim(arm);
        speed.push_back(sim_s / x.wall);
        walls.push_back(x.wall);
        events.push_back(static_cast<double>(x.events));
        if (x.wall > 5) break;
      }
      add_floor(floors);
      json m = arm.describe();
      m["simulated_s"] = sim_s;
      m["wall_s"] = walls;
      m["events"] = events;
      m["sim_s_per_wall_s"] = stats(speed);
      m["floor"] = floor_json(floors);
      m["repetitions"] = speed.size();
      if (!cfg.quick) {  // how the speed depends on the window (constant if the cost is linear)
        json scaling = json::array();
        for (const char* w : {"60m", "120m", "240m"}) {
          Arm a{std::string("control_plane_") + w, f, {std::string("duration=") + w}};
          a.load();
          const SimSample x = run_sim(a);
          const double ss = static_cast<double>(a.s.end_time()) / 1e9;
          scaling.push_back({{"duration", w}, {"wall_s", x.wall}, {"events", x.events}, {"sim_s_per_wall_s", ss / x.wall}});
        }
        m["window_scaling"] = scaling;
      }
      figures.push_back(figure(id.first, id.second, median(speed), "simulated s per wall s", g,
                               median(floor_rates(floors)), m));
    });
  }

  // Figures 9a, 9b, 9c: the cost of one tiny run, through the API, amortised in `nvmsim sweep`,
  // and as one fork+exec of `nvmsim run` (informational: ns-3's static initialisers in Debian's
  // libsimgrid take most of its ~30 ms before main(), bench/README.md).
  void startup() {
    const Goal g{"<=", 10, "<= 10 ms"};
    const int n = cfg.quick ? 5 : 20;
    const std::vector<std::pair<std::string, std::string>> ids = {
        {"9a", "startup per run in a sweep: load_file + run_forked of a 1 ms scenario, mean of " +
                   std::to_string(n) + " in one process"},
        {"9b", "startup per run in a sweep: nvmsim sweep --seeds " + std::to_string(n) +
                   " of the same scenario, the sweep process's wall time / " + std::to_string(n) +
                   ", median of the repetitions"},
        {"9c", "one fork+exec of the CLI (nvmsim run ... --quiet) on the same scenario, mean of " +
                   std::to_string(n) + " (informational)"}};
    guarded(ids, {g, g, kNoGoal}, [&] {
      Arm arm{"tiny", "bench/bench-2path-qd32.yaml", {"duration=1ms"}};
      std::vector<double> api_ms, load_ms, inner_ms, cli_ms, sweep_ms, sweep_total_ms;
      std::string cli_error, sweep_error;
      const auto floor = run_floor(cfg.floor_ios);
      say("figures 9a, 9c: " + std::to_string(n) + " runs each");
      for (int i = 0; i < n; ++i) {
        auto t0 = Clock::now();
        arm.load();
        const double load = since(t0);
        const auto r = sim::api::run_forked(arm.s);
        const double total = since(t0);
        if (r.exit_code != 0) throw std::runtime_error("tiny run: " + r.error);
        api_ms.push_back(total * 1e3);
        load_ms.push_back(load * 1e3);
        inner_ms.push_back(r.wall_seconds * 1e3);
        if (!cli_error.empty()) continue;
        try {
          cli_ms.push_back(run_cli(arm, false).proc.wall * 1e3);
        } catch (const std::exception& e) {
          cli_error = e.what();
        }
      }
      say("figure 9b: " + std::to_string(cfg.reps) + " sweeps of " + std::to_string(n) + " runs");
      for (int rep = 0; rep < cfg.reps && sweep_error.empty(); ++rep) {
        try {
          const double wall = run_sweep_cli(arm, n).wall;
          sweep_total_ms.push_back(wall * 1e3);
          sweep_ms.push_back(wall * 1e3 / n);
        } catch (const std::exception& e) {
          sweep_error = e.what();
        }
      }
      add_floor({floor});
      json fj = floor_json({floor});
      json common = arm.describe();
      common["runs"] = n;
      json ma = common, mb = common, mc = common;
      ma["ms"] = {{"mean", mean(api_ms)}, {"median", median(api_ms)}, {"samples", api_ms}};
      ma["load_file_ms"] = stats(load_ms);
      ma["simulation_ms"] = stats(inner_ms);
      std::vector<double> outside;
      for (std::size_t i = 0; i < api_ms.size(); ++i) outside.push_back(api_ms[i] - inner_ms[i]);
      ma["outside_simulation_ms"] = {{"mean", mean(outside)}, {"median", median(outside)}, {"samples", outside}};
      ma["floor"] = fj;
      mb["command"] = "nvmsim sweep bench/bench-2path-qd32.yaml --set duration=1ms --seeds " + std::to_string(n) +
                      " --out DIR --quiet";
      mb["ms_per_run"] = stats(sweep_ms);
      mb["sweep_wall_ms"] = stats(sweep_total_ms);
      mb["floor"] = fj;
      mc["command"] = "nvmsim run bench/bench-2path-qd32.yaml --set duration=1ms --out DIR --quiet";
      mc["ms"] = {{"mean", mean(cli_ms)}, {"median", median(cli_ms)}, {"samples", cli_ms}};
      mc["floor"] = fj;
      if (cfg.wants("9a")) figures.push_back(figure(ids[0].first, ids[0].second, mean(api_ms), "ms", g, floor.ios_per_s, ma));
      if (cfg.wants("9b")) {
        if (sweep_error.empty())
          figures.push_back(figure(ids[1].first, ids[1].second, median(sweep_ms), "ms", g, floor.ios_per_s, mb));
        else
          figures.push_back(failed_figure(ids[1].first, ids[1].second, g, sweep_error));
      }
      if (cfg.wants("9c")) {
        if (cli_error.empty())
          figures.push_back(figure(ids[2].first, ids[2].second, mean(cli_ms), "ms", kNoGoal, floor.ios_per_s, mc));
        else
          figures.push_back(failed_figure(ids[2].first, ids[2].second, kNoGoal, cli_error));
      }
    });
  }
};

std::string read_first_line(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  return line;
}

int usage(const char* argv0, int code) {
  (code ? std::cerr : std::cout)
      << "usage: " << argv0 << " [--json FILE] [--quick] [--reps N] [--only IDS] [--cli PATH] [--source-dir DIR]\n"
      << "  --json FILE   write the JSON document to FILE (default: stdout)\n"
      << "  --quick       short runs and fewer repetitions: a smoke run, not a measurement\n"
      << "  --reps N      interleaved repetitions per figure (default 5, quick 3)\n"
      << "  --only IDS    comma-separated figures, e.g. 1,2,5c or 5 (all of 5a..5d)\n"
      << "  --cli PATH    the nvmsim CLI for figures 6, 7, 9b, 9c (default: the one built with this bench)\n"
      << "  --source-dir  the source tree holding bench/ and scenarios/ (default: the one built from)\n";
  return code;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  Bench b;
  std::string json_file;
  int reps = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--json") json_file = value();
      else if (a == "--quick") b.cfg.quick = true;
      else if (a == "--reps") reps = std::stoi(value());
      else if (a == "--cli") g_cli = value();
      else if (a == "--source-dir") g_source_dir = value();
      else if (a == "--only") {
        std::stringstream ss(value());
        for (std::string id; std::getline(ss, id, ',');)
          if (!id.empty()) b.cfg.only.insert(id);
      } else if (a == "-h" || a == "--help") return usage(argv[0], 0);
      else {
        std::cerr << "nvmsim_bench: unknown argument '" << a << "'\n";
        return usage(argv[0], 2);
      }
    } catch (const std::exception& e) {
      std::cerr << "nvmsim_bench: " << e.what() << "\n";
      return usage(argv[0], 2);
    }
  }
  if (b.cfg.quick) {
    b.cfg.reps = 3;
    b.cfg.floor_ios = 500'000;
  }
  if (reps > 0) b.cfg.reps = reps;

  char tmpl[] = "/tmp/nvmsim_bench.XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::cerr << "nvmsim_bench: cannot create a scratch directory\n";
    return 3;
  }
  g_tmp = tmpl;

  const auto t0 = Clock::now();
  const std::time_t started = std::time(nullptr);
  const std::string load_before = read_first_line("/proc/loadavg");
  // Memory first, while this process is small: a forked child starts with its parent's RSS.
  if (b.cfg.wants("6")) b.inflight_memory();
  if (b.cfg.wants_any({"7a", "7b"})) b.checker_memory();
  if (b.cfg.wants_any({"1", "2", "5a", "5b"})) b.paths();
  if (b.cfg.wants("3")) b.basic();
  if (b.cfg.wants("4")) b.faults();
  if (b.cfg.wants_any({"5c", "5d"})) b.depth();
  if (b.cfg.wants_any({"9a", "9b", "9c"})) b.startup();
  if (b.cfg.wants("8")) b.control_plane();

  std::error_code ec;
  std::filesystem::remove_all(g_tmp, ec);

  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&started));
  int met = 0, measured = 0, informational = 0;
  for (const auto& f : b.figures) {
    if (f["goal"].is_null()) ++informational;
    if (!f["value"].is_null()) ++measured;
    if (f["goal_met"].is_boolean() && f["goal_met"].get<bool>()) ++met;
  }
  const json doc = {
      {"nvmsim_bench", 1},
      {"nvmsim_version", sim::kVersion},
      {"started", when},
      {"quick", b.cfg.quick},
      {"repetitions", b.cfg.reps},
      {"bench_wall_s", since(t0)},
      {"machine",
       {{"online_cpus", sysconf(_SC_NPROCESSORS_ONLN)},
        {"loadavg_before", load_before},
        {"loadavg_after", read_first_line("/proc/loadavg")}}},
      {"floor",
       {{"what", "plain C++ binary-heap event loop: POD {int64 t, uint64 seq, uint32 kind, req} in "
                 "std::priority_queue by (t, seq); 3 events per I/O (arrive, service end, completion "
                 "arrive); closed loop QD 32; xorshift64 service time in [5, 15] us; fixed 10 us latency"},
        {"ios_per_sample", b.cfg.floor_ios},
        {"ios_per_wall_s", stats(b.all_floor)}}},
      {"summary",
       {{"figures", b.figures.size()},
        {"measured", measured},
        {"goals_met", met},
        {"informational", informational}}},
      {"figures", b.figures}};
  const std::string text = doc.dump(2) + "\n";
  if (json_file.empty()) {
    std::cout << text;
  } else {
    std::ofstream f(json_file);
    if (!(f << text)) {
      std::cerr << "nvmsim_bench: cannot write " << json_file << "\n";
      return 3;
    }
    say("wrote " + json_file);
  }
  return 0;
}
