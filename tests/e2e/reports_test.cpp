// What the reports say about failures, against closed forms from the scenario's constants:
// failed I/O is not throughput, a gap still open at the end counts, I/O outstanding at the end
// counts in max_io_stall (with what it waits on), a path switch is measured from requests sent
// after the fault, and the replay command replays (overrides included).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "e2e_util.hpp"
#include "sim/scenario/loader.hpp"

namespace {

using sim::kMillisecond;
using sim::kSecond;
using sim::Time;

// Two TCP paths (25 Gb/s, 10 us), numa policy (everything on the first path while it is
// optimized), no jitter; one QD 1 4 KiB randread job starting at 1 ms.
std::string topology(const std::string& duration, const std::string& nvme, const std::string& faults,
                     const std::string& extra = "") {
  return R"(
nvmsim: 1
name: t
duration: )" + duration + R"(
hosts:
  - name: h1
    iopolicy: numa
    nvme: )" + nvme + R"(
subsystems:
  - nqn: nqn.2026-01.io.nvmsim:t
    ports:
      - {id: 1, transport: tcp, ana: {1: optimized}}
      - {id: 2, transport: tcp, ana: {1: optimized}}
    namespaces: [{nsid: 1, size: 1g, lba_size: 4k, ana_group: 1}]
    controller: {cmd_overhead: 2us}
    media: {read_latency: 80us, write_latency: 20us, bandwidth: 8GB/s, parallelism: 256, jitter: {dist: none}}
links:
  - {name: a, host: h1, subsystem: nqn.2026-01.io.nvmsim:t, port: 1, latency: 10us, bandwidth: 25Gbps}
  - {name: b, host: h1, subsystem: nqn.2026-01.io.nvmsim:t, port: 2, latency: 10us, bandwidth: 25Gbps}
workloads:
  - {name: j, host: h1, target: nvme0n1, rw: randread, bs: 4k, iodepth: 1, size: 1g, start: 1ms}
faults:
)" + faults + extra;
}

// QD 1 read latency: 72 B command capsule at 3.125 GB/s (23.04 -> 24 ns) + 10 us link + 2 us
// command overhead + 80 us media + 4096 B data + 24 B response at 3.125 GB/s (1318.4 -> 1319 ns)
// + 10 us link (steady_state_test's Qd1LatencyMatchesConstants).
constexpr Time kL = 24 + 10'000 + 2'000 + 80'000 + 1'319 + 10'000;  // 103343 ns
constexpr Time kStart = kMillisecond;
// Submission time of the I/O in flight at t: the job submits its k-th I/O at kStart + k * kL.
constexpr Time in_flight_at(Time t) { return kStart + (t - kStart) / kL * kL; }

// Both paths lost silently at 1 s, no fast fail, ctrl_loss_tmo never, run ends at E = 30 s: the
// one bio in flight (submitted at s = in_flight_at(1 s)) is failed over when the keep-alive
// times out and stays parked on the head to the end: max_io_stall = E - s exactly, and the gap
// since the last completion (at s) is still open at the end.
TEST(Reports, OutstandingAtEndCountsInMaxIoStall) {
  const std::string y = topology("30s", "{kato: 5s, reconnect_delay: 10s, ctrl_loss_tmo: never}",
                                 "  - {at: 1s, action: link-down, link: a, mode: silent}\n"
                                 "  - {at: 1s, action: link-down, link: b, mode: silent}\n");
  const Time E = 30 * kSecond, s = in_flight_at(kSecond);
  static_assert(in_flight_at(kSecond) == 999'913'438);
  auto r = e2e::run_text(y);
  const auto& nv = r.nv();
  EXPECT_EQ(nv.at("outstanding_at_end"), 1);
  EXPECT_EQ(nv.at("max_io_stall_ns").get<Time>(), E - s);
  EXPECT_EQ(nv.at("max_completed_io_stall_ns").get<Time>(), kL);
  ASSERT_EQ(nv.at("outstanding_oldest").size(), 1u);
  const auto& o = nv.at("outstanding_oldest").at(0);
  EXPECT_EQ(o.at("submitted_ns").get<Time>(), s);
  EXPECT_EQ(o.at("age_ns").get<Time>(), E - s);
  EXPECT_EQ(o.at("state"), "parked");
  EXPECT_EQ(o.at("head"), "h1/nvme0n1");
  // Keep Alive every kato/2 = 2.5 s: the first after the fault goes at 2.5 s, times out at
  // 7.5 s, noticed by the whole-second timeout timer at 8 s, when the bio is failed over.
  EXPECT_EQ(o.at("since_ns").get<Time>(), 8 * kSecond);
  EXPECT_EQ(o.at("waits_on"), "parked on head h1/nvme0n1's requeue list since 8.000000s");
  const auto& h = nv.at("heads").at(0);
  EXPECT_EQ(h.at("longest_gap_ns").get<Time>(), E - s);
  EXPECT_EQ(h.at("longest_gap_from_ns").get<Time>(), s);
  EXPECT_TRUE(h.at("longest_gap_open_at_end").get<bool>());
  EXPECT_NE(r.result.summary.find("longest I/O: 29.000087s (still outstanding)"), std::string::npos)
      << r.result.summary;

  // The expect.max_io_stall verdict agrees with the figure: 29.0000866 s fails a 10 s bound and
  // holds under 30 s.
  auto strict = sim::api::run_forked(sim::scenario::load_string(y + "expect: {max_io_stall: 10s}\n", "t.yaml"));
  EXPECT_EQ(strict.exit_code, 1);
  auto sj = nlohmann::json::parse(strict.results_json);
  ASSERT_EQ(sj.at("nvmsim").at("expect").size(), 1u);
  EXPECT_FALSE(sj.at("nvmsim").at("expect").at(0).at("ok").get<bool>());
  EXPECT_EQ(sj.at("nvmsim").at("max_io_stall_ns").get<Time>(), E - s);
  auto loose = sim::api::run_forked(sim::scenario::load_string(y + "expect: {max_io_stall: 30s}\n", "t.yaml"));
  EXPECT_EQ(loose.exit_code, 0) << loose.summary;
}

// ANA change of port 1 to inaccessible (with AEN) at T = s + 30 us, s = in_flight_at(T): the
// I/O in flight on A arrived at the target at s + 10024 ns < T and completes there at s + L,
// 73 us after T, long after the AEN's ANA log read (a few link round trips), so the next I/O,
// submitted at s + L, goes to B and completes at s + 2L: switch = s + 2L - T = 2L - 30 us. The
// completion on A at s + L was sent before the fault and does not decide (it used to, and the
// report said "no completion on another path").
TEST(Reports, PathSwitchIsMeasuredFromRequestsSentAfterTheFault) {
  const Time T = kStart + 9000 * kL + 30'000;  // 931.117 ms
  static_assert(in_flight_at(kStart + 9000 * kL + 30'000) == kStart + 9000 * kL);
  auto r = e2e::run_text(topology("2s", "{}",
                                  "  - {at: " + std::to_string(T) +
                                      "ns, action: ana-change, subsystem: nqn.2026-01.io.nvmsim:t, port: 1, "
                                      "group: 1, state: inaccessible, via_change: false, aen: true}\n"));
  const auto& sw = r.nv().at("path_switches");
  ASSERT_EQ(sw.size(), 1u);
  EXPECT_EQ(sw.at(0).at("from"), "nvme0c0n1");
  EXPECT_EQ(sw.at(0).at("to"), "nvme0c1n1");
  EXPECT_EQ(sw.at(0).at("switch_ns").get<Time>(), 2 * kL - 30'000);
  EXPECT_FALSE(sw.at(0).at("stayed").get<bool>());
  EXPECT_EQ(r.path_ios("nvme0c0n1"), 9001u);  // I/Os 0 .. 9000 on A
}

// Every path lost at 3 s with fast_io_fail_tmo 5 s (scenarios/failover): the 1000 IOPS job
// completes 3000 I/Os before the fault; every I/O after it fails. Failed I/O is in total_err and
// fio's error (continue_on_error none), never in I/O counts, bandwidth or latency.
TEST(Reports, FailedIoIsNotThroughput) {
  auto r = e2e::run_file(e2e::scenario_path("failover/all-paths-lost-fast-fail.yaml"));
  const auto& j = r.job();
  const std::uint64_t ok = j.at("read").at("total_ios").get<std::uint64_t>() +
                           j.at("write").at("total_ios").get<std::uint64_t>();
  EXPECT_EQ(ok, 3000u);
  EXPECT_EQ(r.nv().at("heads").at(0).at("completions"), 3000);
  EXPECT_EQ(j.at("read").at("io_bytes").get<std::uint64_t>() + j.at("write").at("io_bytes").get<std::uint64_t>(),
            3000u * 4096);
  const std::uint64_t errors = j.at("total_err");
  EXPECT_GT(errors, 0u);
  EXPECT_EQ(errors, r.nv().at("app_errors").get<std::uint64_t>());
  EXPECT_EQ(j.at("error"), 5);
  // Only successful latencies: a read takes 103343 ns here (10 us links at the TCP default
  // bandwidth), not the seconds the failed ones waited.
  EXPECT_LT(j.at("read").at("clat_ns").at("max").get<Time>(), 200'000);
  EXPECT_EQ(j.at("read").at("clat_ns").at("N").get<std::uint64_t>(), j.at("read").at("total_ios").get<std::uint64_t>());
  // The head's gap since its last completion (just before 3 s) is open until the end (50 s).
  const auto& h = r.nv().at("heads").at(0);
  EXPECT_TRUE(h.at("longest_gap_open_at_end").get<bool>());
  EXPECT_EQ(h.at("longest_gap_ns").get<Time>() + h.at("longest_gap_from_ns").get<Time>(), 50 * kSecond);
  EXPECT_LT(h.at("longest_gap_from_ns").get<Time>(), 3 * kSecond);
  // timeseries.csv: the job's err_ios add up to total_err; after 3 s no bucket has a completion.
  std::istringstream in(r.result.timeseries_csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.substr(line.rfind(',') + 1), "err_ios");
  std::uint64_t ts_err = 0, ts_ios_late = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
    ASSERT_EQ(f.size(), 11u) << line;
    if (f[1] != "job:oltp") continue;
    ts_err += std::stoull(f[10]);
    if (std::stoll(f[0]) >= 3000) ts_ios_late += std::stoull(f[9]);
  }
  EXPECT_EQ(ts_err, errors);
  EXPECT_EQ(ts_ios_late, 0u);
  EXPECT_NE(r.result.summary.find("oltp: (groupid=0, jobs=1): err= 5 ("), std::string::npos);
  EXPECT_NE(r.result.summary.find("     errors    : total=" + std::to_string(errors) + ", "), std::string::npos);
}

// Shell words of a replay command (plain words and '...' quoting, as shell_quote writes them).
std::vector<std::string> shell_words(const std::string& cmd) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false, quoted = false;
  for (std::size_t i = 0; i < cmd.size(); ++i) {
    const char c = cmd[i];
    if (quoted) {
      if (c == '\'') quoted = false;
      else cur += c;
    } else if (c == '\'') {
      quoted = in_word = true;
    } else if (c == '\\' && i + 1 < cmd.size()) {
      cur += cmd[++i];
      in_word = true;
    } else if (c == ' ') {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(cur);
  return out;
}

// The replay command carries the seed, every --set in order and --host-core, the way the CLI
// applies them: running what it says gives the same verdict and the same results.json.
TEST(Reports, ReplayCommandReplays) {
  const std::string file = e2e::scenario_path("ghost-write.yaml");
  const std::vector<std::string> sets = {"hosts.0.nvme.failover_hold=kato+cqt", "hosts.0.kernel=\"6.12\"",
                                         "workloads.0.rate_iops=1000"};
  sim::api::Options opts;
  opts.overrides = sets;
  opts.host_core = "model";
  std::vector<std::string> all = sets;
  all.push_back("seed=7");
  all.push_back("hosts.0.core=model");
  const auto s = sim::scenario::load_file(file, all);
  const auto a = sim::api::run_forked(s, opts);
  ASSERT_EQ(a.exit_code, 0) << a.error << a.summary;
  const auto aj = nlohmann::json::parse(a.results_json);
  const std::string replay = aj.at("nvmsim").at("replay");
  EXPECT_EQ(replay, "nvmsim run " + file +
                        " --seed 7 --set hosts.0.nvme.failover_hold=kato+cqt --set 'hosts.0.kernel=\"6.12\"' "
                        "--set workloads.0.rate_iops=1000 --host-core model");
  EXPECT_EQ(aj.at("nvmsim").at("overrides"), nlohmann::json(sets));
  EXPECT_EQ(aj.at("nvmsim").at("host_core"), "model");
  EXPECT_EQ(aj.at("nvmsim").at("scenario_effective"), sim::scenario::dump_yaml(s));
  EXPECT_NE(a.summary.find("replay: " + replay + "\n"), std::string::npos);

  // Parse the command as the CLI would: --set values in order, then seed, then --host-core.
  const auto w = shell_words(replay);
  ASSERT_GE(w.size(), 3u);
  EXPECT_EQ(w[0], "nvmsim");
  EXPECT_EQ(w[1], "run");
  std::vector<std::string> rsets;
  std::string seed, core;
  for (std::size_t i = 3; i + 1 < w.size(); i += 2) {
    if (w[i] == "--set") rsets.push_back(w[i + 1]);
    else if (w[i] == "--seed") seed = w[i + 1];
    else if (w[i] == "--host-core") core = w[i + 1];
    else ADD_FAILURE() << "unexpected word " << w[i];
  }
  EXPECT_EQ(rsets, sets);
  sim::api::Options ropts;
  ropts.overrides = rsets;
  ropts.host_core = core;
  std::vector<std::string> rall = rsets;
  rall.push_back("seed=" + seed);
  rall.push_back("hosts.0.core=" + core);
  const auto b = sim::api::run_forked(sim::scenario::load_file(w[2], rall), ropts);
  EXPECT_EQ(b.exit_code, a.exit_code);
  auto bj = nlohmann::json::parse(b.results_json);
  auto aj2 = aj;
  aj2["nvmsim"].erase("wall");
  bj["nvmsim"].erase("wall");
  EXPECT_EQ(aj2.dump(), bj.dump());
}

// The reported bug, through the real command line and a real shell: ghost-write with the
// kato+cqt hold exits 0, and so does the replay command it prints.
TEST(Reports, GhostWriteReplayThroughTheShell) {
  const auto dir = std::filesystem::temp_directory_path() / ("nvmsim_replay_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  const std::string cli = NVMSIM_CLI;
  const std::string run = "cd " + std::string(NVMSIM_SOURCE_DIR) + " && " + cli +
                          " run scenarios/ghost-write.yaml --set hosts.0.nvme.failover_hold=kato+cqt -q --out " +
                          (dir / "a").string();
  ASSERT_EQ(std::system(run.c_str()), 0);
  std::ifstream f(dir / "a" / "results.json");
  const auto j = nlohmann::json::parse(f);
  const std::string replay = j.at("nvmsim").at("replay");
  EXPECT_EQ(replay, "nvmsim run scenarios/ghost-write.yaml --seed 1 --set hosts.0.nvme.failover_hold=kato+cqt");
  const std::string again = "cd " + std::string(NVMSIM_SOURCE_DIR) + " && " + cli + replay.substr(6) + " -q --out " +
                            (dir / "b").string();
  EXPECT_EQ(std::system(again.c_str()), 0);
  std::ifstream g(dir / "b" / "results.json");
  auto a = j;
  auto b = nlohmann::json::parse(g);
  a["nvmsim"].erase("wall");
  b["nvmsim"].erase("wall");
  EXPECT_EQ(a.dump(), b.dump());
  std::filesystem::remove_all(dir);
}

// report.timeseries: 1ns on a 20 ms run: 2e7 buckets x 4 scopes would be 8e7 rows; only the
// rows with a completion are written (each completion has its own nanosecond).
TEST(Reports, NanosecondTimeSeriesIsBoundedByTheWork) {
  auto r = e2e::run_text(topology("20ms", "{}", "  []\n", "report: {timeseries: 1ns}\n"));
  ASSERT_EQ(r.result.exit_code, 0);
  const std::uint64_t ios = r.job().at("read").at("total_ios");
  // QD 1 from 1 ms: floor((20 ms - 1 ms) / L) = 183 completions.
  EXPECT_EQ(ios, static_cast<std::uint64_t>((20 * kMillisecond - kStart) / kL));
  std::size_t lines = 0;
  for (char c : r.result.timeseries_csv) lines += c == '\n';
  EXPECT_EQ(lines, 1 + 3 * ios);  // header + total, job:j and path:h1/nvme0c0n1 per completion
  // A healthy run ends with its one I/O in flight, younger than one I/O: listed, not shown.
  EXPECT_EQ(r.nv().at("outstanding_at_end"), 1);
  ASSERT_EQ(r.nv().at("outstanding_oldest").size(), 1u);
  const auto& o = r.nv().at("outstanding_oldest").at(0);
  EXPECT_EQ(o.at("state"), "in flight");
  EXPECT_EQ(o.at("path"), "h1/nvme0c0n1");
  EXPECT_EQ(o.at("submitted_ns").get<Time>(), kStart + static_cast<Time>(ios) * kL);
  EXPECT_LT(o.at("age_ns").get<Time>(), kL);
  EXPECT_EQ(r.nv().at("max_io_stall_ns").get<Time>(), kL);
  EXPECT_EQ(r.result.summary.find("Outstanding at end"), std::string::npos);
  EXPECT_TRUE(r.nv().at("overrides").empty());
}

}  // namespace
