// The failover scenarios of scenarios/failover/: each timeline is derived from the configured
// constants (KATO, keep-alive period, reconnect_delay, ctrl_loss_tmo, fast_io_fail_tmo, link
// latency) and asserted on results.json.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>

#include "e2e_util.hpp"

namespace {

using sim::kMillisecond;
using sim::kSecond;
using sim::Time;

const Time kSetupSlack = kMillisecond;  // a reconnect's Connect/Identify/... round trips take < 1 ms

// blk-mq fires request timeouts from one queue timer rounded up to a whole second
// (blk_add_timer -> round_jiffies_up): a deadline d is noticed at ceil_s(d).
Time ceil_s(Time d) { return (d + kSecond - 1) / kSecond * kSecond; }

e2e::Run run(const std::string& name, const std::vector<std::string>& sets = {}) {
  return e2e::run_file(e2e::scenario_path("failover/" + name + ".yaml"), sets);
}

const nlohmann::json& ctrl(const e2e::Run& r, std::size_t record) { return r.nv().at("controllers").at(record); }

// Time of the n-th (0-based) transition of controller record `rec` into state `to`; -1 if none.
Time entered(const e2e::Run& r, std::size_t rec, const std::string& to, int n = 0) {
  for (const auto& t : ctrl(r, rec).at("transitions"))
    if (t.at("to") == to && n-- == 0) return t.at("t_ns").get<Time>();
  return -1;
}

int count_entered(const e2e::Run& r, std::size_t rec, const std::string& to) {
  int n = 0;
  for (const auto& t : ctrl(r, rec).at("transitions")) n += t.at("to") == to ? 1 : 0;
  return n;
}

struct FailoverSummary {
  std::uint64_t requests = 0, bios = 0;
  Time first = -1, last = -1;
  std::set<std::string> statuses;
};
FailoverSummary failovers(const e2e::Run& r, const std::string& path = "") {
  FailoverSummary s;
  for (const auto& f : r.nv().at("failovers")) {
    if (!path.empty() && f.at("path") != path) continue;
    ++s.requests;
    s.bios += f.at("bios").get<std::uint64_t>();
    const Time t = f.at("t_ns");
    if (s.first < 0) s.first = t;
    s.last = t;
    s.statuses.insert(f.at("status").get<std::string>());
  }
  return s;
}

// Requests completed through `path` in the timeseries buckets [from, to).
std::uint64_t path_ios_between(const e2e::Run& r, const std::string& path, Time from, Time to) {
  std::istringstream in(r.result.timeseries_csv);
  std::string line;
  std::getline(in, line);  // header
  std::uint64_t n = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
    if (f.size() < 10 || f[1] != "path:h1/" + path) continue;
    const Time t = std::stoll(f[0]) * kMillisecond;
    if (t >= from && t < to) n += std::stoull(f[9]);
  }
  return n;
}

// Silent loss with KATO k and keep-alives every k/2 from t = 0 (6.12 starts them at admin-queue
// setup): the first Keep Alive after the fault at 3 s is sent at ceil(3 / 2.5) x 2.5 = 5 s and
// times out k later, at 10 s (already a whole second): recovery starts 7 s after the fault,
// inside (k, 1.5k].
TEST(Failover, SilentLinkLossIsDetectedByKeepAlive) {
  auto r = run("silent-link-loss");
  const Time fault = 3 * kSecond, kato = 5 * kSecond, period = kato / 2;
  const Time ka_after = (fault + period - 1) / period * period;
  const Time detect = entered(r, 0, "resetting");
  EXPECT_EQ(detect, ceil_s(ka_after + kato));
  EXPECT_GT(detect - fault, kato);
  EXPECT_LE(detect - fault, kato + kato / 2);
  // Everything in flight on path A (the job's whole queue depth, stuck since 3 s) fails over at the
  // detection instant, with HOST_ABORTED_CMD, and nothing fails over before.
  const auto fo = failovers(r);
  EXPECT_EQ(fo.bios, 8u);
  EXPECT_EQ(fo.first, detect);
  EXPECT_EQ(fo.last, detect);
  EXPECT_EQ(fo.statuses, (std::set<std::string>{"0x371"}));
  EXPECT_EQ(r.nv().at("failover_count"), fo.requests);
  // Reconnect attempts every reconnect_delay (10 s): at 20 s (link still down: fails), at 30 s.
  EXPECT_EQ(ctrl(r, 0).at("reconnect_attempts"), 2);
  const Time live = entered(r, 0, "live", 1);
  EXPECT_GE(live, detect + 2 * 10 * kSecond);
  EXPECT_LT(live, detect + 2 * 10 * kSecond + kSetupSlack);
  EXPECT_EQ(r.nv().at("app_errors"), 0);
  // The head's longest gap runs from the last completion before the fault to the failover.
  const auto& head = r.nv().at("heads").at(0);
  EXPECT_GE(head.at("longest_gap_ns").get<Time>(), detect - fault);
  EXPECT_LT(head.at("longest_gap_ns").get<Time>(), detect - fault + kMillisecond);
  const auto& sw = r.nv().at("path_switches").at(0);
  EXPECT_EQ(sw.at("from"), "nvme0c0n1");
  EXPECT_EQ(sw.at("to"), "nvme0c1n1");
  EXPECT_GE(sw.at("switch_ns").get<Time>(), detect - fault);
  EXPECT_LT(sw.at("switch_ns").get<Time>(), detect - fault + kMillisecond);
}

// 6.1 starts keep-alive when the controller goes LIVE and runs it synchronously: recovery waits
// for the timed-out Keep Alive's second expiry, so I/O fails over one KATO after detection. The
// KA sent at 5.000178 s times out at 10.000178 s, noticed at 11 s (whole-second timer); the
// re-armed timeout expires at 16 s.
TEST(Failover, SilentLinkLossOnKernel61FailsOverOneKatoLater) {
  auto r = run("silent-link-loss", {"hosts.0.kernel=\"6.1\""});
  const Time fault = 3 * kSecond, kato = 5 * kSecond, period = kato / 2;
  const Time live = entered(r, 0, "live");
  const Time ka_after = live + ((fault - live) + period - 1) / period * period;
  const Time detect = entered(r, 0, "resetting");
  EXPECT_EQ(detect, ceil_s(ka_after + kato));
  EXPECT_EQ(entered(r, 0, "connecting", 1), ceil_s(detect + kato));
  const auto fo = failovers(r);
  EXPECT_EQ(fo.bios, 8u);
  EXPECT_EQ(fo.first, ceil_s(detect + kato));
  EXPECT_EQ(r.nv().at("app_errors"), 0);
}

// A transport reset is seen at once: recovery and failover in the same instant as the fault.
TEST(Failover, TransportResetFailsOverAtOnce) {
  auto r = run("transport-reset");
  const Time fault = 3 * kSecond;
  EXPECT_EQ(entered(r, 0, "resetting"), fault);
  const auto fo = failovers(r);
  EXPECT_EQ(fo.first, fault);
  EXPECT_EQ(fo.last, fault);
  EXPECT_EQ(fo.bios, 4u);  // closed loop at QD 4, all on the optimized path
  // reconnect_delay 2 s: 5 s fails (link down until 6 s), 7 s succeeds.
  EXPECT_EQ(ctrl(r, 0).at("reconnect_attempts"), 2);
  const Time live = entered(r, 0, "live", 1);
  EXPECT_GE(live, fault + 2 * 2 * kSecond);
  EXPECT_LT(live, fault + 2 * 2 * kSecond + kSetupSlack);
  EXPECT_EQ(r.nv().at("app_errors"), 0);
  // The switch to the other path takes one round trip of the resubmitted bios, not a timeout.
  EXPECT_LT(r.nv().at("path_switches").at(0).at("switch_ns").get<Time>(), kMillisecond);
}

// Every path down, back before the reconnect: bios park (controllers are CONNECTING, so a path may
// come back), nothing fails, and they complete once the first reconnect succeeds.
TEST(Failover, AllPathsDownThenBackParksAndResumes) {
  auto r = run("all-paths-down-then-back");
  const Time fault = 3 * kSecond, detect = 10 * kSecond, delay = 10 * kSecond;
  for (std::size_t c : {0u, 1u}) {
    EXPECT_EQ(entered(r, c, "resetting"), detect);
    EXPECT_EQ(ctrl(r, c).at("reconnect_attempts"), 1);
    EXPECT_GE(entered(r, c, "live", 1), detect + delay);
    EXPECT_LT(entered(r, c, "live", 1), detect + delay + kSetupSlack);
  }
  EXPECT_EQ(r.nv().at("app_errors"), 0);
  // The longest wait: a bio sent just before the links died, completed after the reconnect.
  const Time stall = r.nv().at("max_io_stall_ns");
  EXPECT_GT(stall, detect + delay - fault);
  EXPECT_LT(stall, detect + delay - fault + kSetupSlack);
  EXPECT_EQ(failovers(r).bios, 8u);  // QD 8 split over both paths, all stuck, all failed over
}

// Lost for good, no fast fail: ceil(ctrl_loss_tmo / reconnect_delay) = 3 attempts, then deletion;
// parked bios fail only then.
TEST(Failover, AllPathsLostFailsParkedBiosAtDeletion) {
  auto r = run("all-paths-lost");
  const Time fault = 3 * kSecond, detect = 10 * kSecond, delay = 10 * kSecond;
  const int attempts = static_cast<int>(std::ceil(30.0 / 10.0));
  for (std::size_t c : {0u, 1u}) {
    EXPECT_EQ(ctrl(r, c).at("reconnect_attempts"), attempts);
    EXPECT_EQ(entered(r, c, "deleting"), detect + attempts * delay);
    EXPECT_EQ(entered(r, c, "deleting (no IO)"), detect + attempts * delay);
    EXPECT_EQ(count_entered(r, c, "live"), 1);
  }
  EXPECT_GT(r.nv().at("app_errors").get<int>(), 0);
  // The longest wait: the first bio submitted after the fault (one every 1 ms at 1000 IOPS).
  const Time stall = r.nv().at("max_io_stall_ns");
  EXPECT_GT(stall, detect + attempts * delay - fault - kMillisecond);
  EXPECT_LE(stall, detect + attempts * delay - fault);
}

// With fast_io_fail_tmo f, parked bios fail f after CONNECTING starts, long before deletion.
TEST(Failover, FastIoFailFailsParkedBiosEarly) {
  auto r = run("all-paths-lost-fast-fail");
  const Time fault = 3 * kSecond, connecting = 10 * kSecond, f = 5 * kSecond;
  EXPECT_EQ(entered(r, 0, "connecting", 1), connecting);
  const Time stall = r.nv().at("max_io_stall_ns");
  EXPECT_GT(stall, connecting + f - fault - kMillisecond);
  EXPECT_LE(stall, connecting + f - fault);
  EXPECT_GT(r.nv().at("app_errors").get<int>(), 0);
  EXPECT_EQ(entered(r, 0, "deleting"), connecting + 3 * 10 * kSecond);  // ctrl_loss_tmo still applies
}

// Three flaps: each one resets the transport (recovery at once) and reconnects one
// reconnect_delay later; no bio fails while path B is there.
TEST(Failover, FlappingLinkRecoversEachTime) {
  auto r = run("flapping-link");
  for (int i = 0; i < 3; ++i) {
    const Time down = 2 * kSecond + i * 4 * kSecond;
    EXPECT_EQ(entered(r, 0, "resetting", i), down);
    const Time live = entered(r, 0, "live", i + 1);
    EXPECT_GE(live, down + kSecond);
    EXPECT_LT(live, down + kSecond + kSetupSlack);
  }
  EXPECT_EQ(ctrl(r, 0).at("reconnect_attempts"), 3);
  EXPECT_EQ(r.nv().at("faults").size(), 6u);
  for (const auto& f : r.nv().at("failovers")) {
    const Time t = f.at("t_ns");
    EXPECT_TRUE(t == 2 * kSecond || t == 6 * kSecond || t == 10 * kSecond) << t;
  }
  EXPECT_EQ(r.nv().at("app_errors"), 0);
}

// nvme disconnect deletes the controller cleanly (no failover, no error); nvme connect makes a new
// controller that takes the lowest free instance, nvme0, and its path rejoins the head.
TEST(Failover, DisconnectAndConnectAgain) {
  auto r = run("disconnect-connect");
  EXPECT_EQ(entered(r, 0, "deleting"), 3 * kSecond);
  EXPECT_EQ(entered(r, 0, "deleting (no IO)"), 3 * kSecond);
  EXPECT_EQ(ctrl(r, 0).at("state"), "deleting (no IO)");
  ASSERT_EQ(r.nv().at("controllers").size(), 3u);
  EXPECT_EQ(ctrl(r, 2).at("name"), "nvme0");
  EXPECT_GE(entered(r, 2, "live"), 6 * kSecond);
  EXPECT_LT(entered(r, 2, "live"), 6 * kSecond + kSetupSlack);
  EXPECT_EQ(r.nv().at("failover_count"), 0);
  EXPECT_EQ(r.nv().at("app_errors"), 0);
  EXPECT_EQ(path_ios_between(r, "nvme0c0n1", 3100 * kMillisecond, 6 * kSecond), 0u);
  EXPECT_GT(path_ios_between(r, "nvme0c0n1", 6500 * kMillisecond, 8 * kSecond), 0u);
  EXPECT_GT(path_ios_between(r, "nvme0c1n1", 3100 * kMillisecond, 6 * kSecond), 0u);
}

// A run-time iopolicy change clears the cursors: numa puts every new bio on the first optimized
// path at once; queue-depth spreads them again.
TEST(Failover, IopolicySwitchUnderLoad) {
  auto r = run("iopolicy-switch");
  const auto a1 = path_ios_between(r, "nvme0c0n1", 0, kSecond), b1 = path_ios_between(r, "nvme0c1n1", 0, kSecond);
  EXPECT_LE(a1 > b1 ? a1 - b1 : b1 - a1, 16u);  // round-robin alternates
  EXPECT_EQ(path_ios_between(r, "nvme0c1n1", 1100 * kMillisecond, 2 * kSecond), 0u);
  EXPECT_GT(path_ios_between(r, "nvme0c0n1", 1100 * kMillisecond, 2 * kSecond), 15000u);
  EXPECT_GT(path_ios_between(r, "nvme0c1n1", 2 * kSecond, 3 * kSecond), 1000u);
  EXPECT_EQ(r.nv().at("app_errors"), 0);
  // 6.1 stores the policy without clearing cursors; queue-depth does not exist there.
  auto old = run("iopolicy-switch", {"hosts.0.kernel=\"6.1\"", "faults.1.iopolicy=round-robin"});
  EXPECT_EQ(old.result.exit_code, 0);
}

}  // namespace

namespace {

// States a path went through, in order.
std::vector<std::pair<Time, std::string>> states(const e2e::Run& r, std::size_t path_record) {
  std::vector<std::pair<Time, std::string>> out;
  for (const auto& s : r.nv().at("paths").at(path_record).at("states"))
    out.emplace_back(s.at("t_ns").get<Time>(), s.at("state").get<std::string>());
  return out;
}

const Time kLink = 10 * sim::kMicrosecond;  // every failover scenario's link latency

// An ANA change announced by AEN: the host re-reads the log and stops using path A within one
// AEN + Get Log Page exchange (a few link round trips); commands that hit the inaccessible
// group in between fail over with 0x302, none reach the application.
TEST(Failover, AnaChangeByAen) {
  auto r = run("ana-change-aen");
  const auto a = states(r, 0);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].second, "live inaccessible");
  EXPECT_GT(a[1].first, 2 * kSecond + 2 * kLink);  // AEN to the host, then the log read's round trip
  EXPECT_LT(a[1].first, 2 * kSecond + 10 * kLink);
  EXPECT_EQ(a[2].second, "live optimized");
  EXPECT_GT(a[2].first, 4 * kSecond);
  EXPECT_LT(a[2].first, 4 * kSecond + 10 * kLink);
  for (const auto& f : r.nv().at("failovers")) EXPECT_EQ(f.at("status"), "0x302");
  EXPECT_EQ(path_ios_between(r, "nvme0c0n1", 2100 * kMillisecond, 4 * kSecond), 0u);
  EXPECT_GT(path_ios_between(r, "nvme0c0n1", 4100 * kMillisecond, 5 * kSecond), 0u);
  EXPECT_EQ(r.nv().at("app_errors"), 0);
}

// Without the AEN the host learns from the first I/O that gets 0x302: failover, ANA pending, log
// re-read, and the path is known inaccessible one Get Log Page round trip after that failover.
TEST(Failover, AnaChangeByError) {
  auto r = run("ana-change-error");
  const auto fo = failovers(r);
  ASSERT_GE(fo.requests, 1u);
  EXPECT_EQ(fo.statuses, (std::set<std::string>{"0x302"}));
  EXPECT_GT(fo.first, 2 * kSecond);
  EXPECT_LT(fo.first, 2 * kSecond + kMillisecond);
  const auto a = states(r, 0);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[1].second, "live inaccessible");
  EXPECT_GT(a[1].first, fo.first + 2 * kLink);
  EXPECT_LT(a[1].first, fo.first + 10 * kLink);
  EXPECT_EQ(r.nv().at("app_errors"), 0);
}

// Through CHANGE: path A is in change from ~2 s and non-optimized from ~2 s + ANATT/2 = 3 s; the
// host's ANATT timer (2 x ANATT = 4 s) is disarmed by the read that no longer shows CHANGE, so the
// controller is never reset.
TEST(Failover, AnaTransitionThroughChange) {
  auto r = run("ana-transition");
  const auto a = states(r, 0);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].second, "live change");
  EXPECT_LT(a[1].first - 2 * kSecond, kMillisecond);
  EXPECT_EQ(a[2].second, "live non-optimized");
  EXPECT_GT(a[2].first, 3 * kSecond);
  EXPECT_LT(a[2].first, 3 * kSecond + kMillisecond);
  const auto b = states(r, 1);
  EXPECT_EQ(b.back().second, "live optimized");
  EXPECT_EQ(count_entered(r, 0, "resetting"), 0);
  for (const auto& f : r.nv().at("failovers")) EXPECT_EQ(f.at("status"), "0x303");
  EXPECT_EQ(r.nv().at("app_errors"), 0);
}

// Target-side reset / fatal error / port down all close the connection: the host hears of it one
// link latency later, fails over at that instant, and reconnects reconnect_delay (2 s) later to a
// new controller.
TEST(Failover, TargetClosesTheAssociation) {
  for (const std::string name : {"ctrl-reset", "ctrl-fatal", "port-down"}) {
    SCOPED_TRACE(name);
    auto r = run(name);
    const Time seen = 2 * kSecond + kLink;
    EXPECT_EQ(entered(r, 0, "resetting"), seen);
    const auto fo = failovers(r);
    if (fo.requests) {
      EXPECT_EQ(fo.first, seen);
      EXPECT_EQ(fo.last, seen);
    }
    // port-down refuses the attempt at 4 s; the port is back at 5 s, so the one at 6 s succeeds.
    const int attempts = name == "port-down" ? 2 : 1;
    EXPECT_EQ(ctrl(r, 0).at("reconnect_attempts"), attempts);
    const Time live = entered(r, 0, "live", 1);
    EXPECT_GE(live, seen + attempts * 2 * kSecond);
    EXPECT_LT(live, seen + attempts * 2 * kSecond + kSetupSlack);
    EXPECT_NE(ctrl(r, 0).at("cntlid"), 1);  // a new controller on the target
    EXPECT_EQ(r.nv().at("app_errors"), 0);
  }
}

// A hang is silent: detection by Keep Alive timeout, as for silent link loss. The Keep Alive sent
// at 2.5 s times out at 7.5 s, noticed at 8 s by the whole-second timer: 6 s after the hang, in
// (k, 1.5k + 1 s] (the rounding can add up to a second to the keep-alive bound).
TEST(Failover, ControllerHangIsDetectedByKeepAlive) {
  auto r = run("ctrl-hang");
  const Time fault = 2 * kSecond, kato = 5 * kSecond, period = kato / 2;
  const Time detect = entered(r, 0, "resetting");
  EXPECT_EQ(detect, ceil_s((fault + period - 1) / period * period + kato));
  EXPECT_GT(detect - fault, kato);
  EXPECT_LE(detect - fault, kato + kato / 2 + kSecond);
  EXPECT_EQ(failovers(r).first, detect);
  EXPECT_EQ(failovers(r).bios, 4u);  // the job's queue depth, stuck in the hung controller
  EXPECT_EQ(r.nv().at("app_errors"), 0);
}

// Power loss: silent for the host (both controllers time out), reconnects are refused while the
// power is off; the parked bios complete after the first reconnect that finds power.
TEST(Failover, PowerLossParksUntilPowerComes) {
  auto r = run("power-loss");
  const Time detect = ceil_s(2500 * kMillisecond + 5 * kSecond);
  for (std::size_t c : {0u, 1u}) {
    EXPECT_EQ(entered(r, c, "resetting"), detect);
    EXPECT_EQ(ctrl(r, c).at("reconnect_attempts"), 2);  // 10 s refused (power back at 11 s), 12 s works
    EXPECT_GE(entered(r, c, "live", 1), detect + 2 * 2 * kSecond);
    EXPECT_LT(entered(r, c, "live", 1), detect + 2 * 2 * kSecond + kSetupSlack);
  }
  EXPECT_EQ(r.nv().at("app_errors"), 0);
  EXPECT_GT(r.nv().at("max_io_stall_ns").get<Time>(), detect + 2 * 2 * kSecond - 2 * kSecond - kMillisecond);
}

// A non-path error is retried on the same path (the application never sees it); DNR goes straight
// to the application, no retry, no failover.
TEST(Failover, InjectedStatusesFollowTheDisposition) {
  auto r = run("inject-status");
  EXPECT_EQ(r.nv().at("app_errors"), 2);
  EXPECT_EQ(r.nv().at("failover_count"), 0);
  EXPECT_EQ(r.path_ios("nvme0c1n1"), 0u);
  // Without DNR the Write Fault is retried too: no application error at all.
  auto nodnr = run("inject-status", {"faults.1.dnr=false"});
  EXPECT_EQ(nodnr.nv().at("app_errors"), 0);
}

// Detach: the AEN-driven rescan removes path A (its disk goes); attach brings a new path back.
TEST(Failover, NamespaceDetachAndAttach) {
  auto r = run("ns-detach-attach");
  const auto a = states(r, 0);
  EXPECT_EQ(a.back().second, "removed");
  EXPECT_LT(a.back().first - 2 * kSecond, kMillisecond);
  ASSERT_EQ(r.nv().at("paths").size(), 3u);
  EXPECT_EQ(r.nv().at("paths").at(2).at("name"), "nvme0c0n1");
  EXPECT_LT(states(r, 2).front().first - 4 * kSecond, kMillisecond);
  EXPECT_EQ(path_ios_between(r, "nvme0c1n1", 0, 2 * kSecond), 0u);
  EXPECT_GT(path_ios_between(r, "nvme0c1n1", 2100 * kMillisecond, 4 * kSecond), 15000u);
  // Only commands that reached port 1 inside the detach -> removal window can fail (DNR).
  EXPECT_LE(r.nv().at("app_errors").get<int>(), 2);
}

TEST(Failover, DegradedLinkLosesItsShareUnderQueueDepth) {
  auto r = run("link-degrade");
  const auto a_before = path_ios_between(r, "nvme0c0n1", 0, kSecond);
  const auto a_after = path_ios_between(r, "nvme0c0n1", 1100 * kMillisecond, 2 * kSecond);
  const auto b_after = path_ios_between(r, "nvme0c1n1", 1100 * kMillisecond, 2 * kSecond);
  EXPECT_GT(a_before, 10000u);
  EXPECT_LT(a_after * 10, b_after);
  EXPECT_EQ(r.nv().at("failover_count"), 0);
  EXPECT_EQ(r.nv().at("app_errors"), 0);
}

// The stale-write fence: with kato+cqt the cancelled writes are released at detection + KATO + CQT
// (8 + 5 + 5 = 18 s), after the zombie window closed (8 s + 5 s); mainline releases them at once;
// CCR releases them one round trip through controller B later, and kills the zombies.
TEST(Failover, StaleWriteFences) {
  const Time detect = 8 * kSecond;
  auto hold = run("stale-write-hold");
  for (const auto& f : hold.nv().at("failovers")) {
    EXPECT_EQ(f.at("t_ns").get<Time>(), detect);
    EXPECT_EQ(f.at("release_ns").get<Time>(), detect + 5 * kSecond + 5 * kSecond);
  }
  EXPECT_EQ(hold.nv().at("late_writes"), 4);  // the hung controller's writes land at the resume (8.5 s)
  EXPECT_GT(hold.nv().at("max_io_stall_ns").get<Time>(), 18 * kSecond - 2 * kSecond - kMillisecond);

  auto mainline = run("stale-write-hold", {"hosts.0.nvme.failover_hold=none"});
  for (const auto& f : mainline.nv().at("failovers")) EXPECT_EQ(f.at("release_ns").get<Time>(), detect);
  EXPECT_EQ(mainline.nv().at("late_writes"), 4);  // landing after their retries: the ghost-write hazard
  EXPECT_LT(mainline.nv().at("max_io_stall_ns").get<Time>(), detect - 2 * kSecond + kMillisecond);

  auto twice = run("stale-write-hold", {"hosts.0.nvme.failover_hold=2kato+cqt"});
  for (const auto& f : twice.nv().at("failovers"))
    EXPECT_EQ(f.at("release_ns").get<Time>(), detect + 2 * 5 * kSecond + 5 * kSecond);

  auto ccr = run("stale-write-ccr");
  EXPECT_EQ(ccr.nv().at("late_writes"), 0);
  EXPECT_LT(ccr.nv().at("max_io_stall_ns").get<Time>(), detect - 2 * kSecond + kMillisecond);
  // CCR asked but not supported by the subsystem: falls back to the KATO + CQT hold.
  auto nocr = run("stale-write-ccr", {"subsystems.0.ccr=false"});
  for (const auto& f : nocr.nv().at("failovers"))
    EXPECT_EQ(f.at("release_ns").get<Time>(), detect + 5 * kSecond + 5 * kSecond);
}

}  // namespace

namespace {

// PCIe has no keep-alive: a hung controller is noticed by the I/O timeout. The oldest stuck
// request was sent just after the hang; its deadline (sent + 30 s) is noticed at the next whole
// second; the reset fails the stuck bios over and brings the controller straight back (no delay).
TEST(Failover, PcieHangIsDetectedByIoTimeout) {
  auto r = run("pcie-timeout");
  const Time hang = 2 * kSecond, io_timeout = 30 * kSecond;
  const Time detect = entered(r, 0, "resetting");
  EXPECT_EQ(detect, ceil_s(hang + io_timeout + kMillisecond));  // sent within 1 ms of the hang
  EXPECT_EQ(ctrl(r, 0).at("transitions").at(2).at("reason"), "I/O timeout");
  const auto fo = failovers(r);
  EXPECT_EQ(fo.bios, 4u);
  EXPECT_EQ(fo.first, detect);
  EXPECT_LT(entered(r, 0, "live", 1) - detect, kMillisecond);
  EXPECT_EQ(ctrl(r, 0).at("reconnect_attempts"), 0);
  EXPECT_EQ(r.nv().at("app_errors"), 0);
}

// 6.17 keeps a pathless head (queue_if_no_path): the bios parked at 3 s survive the deletion of
// both controllers at 40 s and complete on the path reconnected at 45 s. 6.12 fails them at 40 s.
TEST(Failover, QueueIfNoPathKeepsBiosAcrossControllerDeletion) {
  auto r = run("queue-if-no-path");
  EXPECT_EQ(entered(r, 0, "deleting"), 40 * kSecond);
  EXPECT_EQ(entered(r, 1, "deleting"), 40 * kSecond);
  EXPECT_EQ(r.nv().at("app_errors"), 0);
  ASSERT_EQ(r.nv().at("controllers").size(), 3u);
  EXPECT_GE(entered(r, 2, "live"), 45 * kSecond);
  const Time stall = r.nv().at("max_io_stall_ns");
  EXPECT_GT(stall, 42 * kSecond);
  EXPECT_LT(stall, 42 * kSecond + kMillisecond);

  auto k612 = run("queue-if-no-path", {"hosts.0.kernel=\"6.12\"", "hosts.0.nvme.queue_if_no_path=false"});
  EXPECT_GT(k612.nv().at("app_errors").get<int>(), 0);
  EXPECT_LE(k612.nv().at("max_io_stall_ns").get<Time>(), 37 * kSecond);
}

// 4.15 had no ANA: an ANA error is just an I/O error, which it failed over (blk_path_error) -
// and every failover also reset the controller.
TEST(Failover, Kernel415FailsOverAndResetsOnAnyIoError) {
  auto r = run("ana-change-error", {"kernel=\"4.15\"", "hosts.0.kernel=\"4.15\""});
  const auto fo = failovers(r);
  ASSERT_GE(fo.requests, 1u);
  EXPECT_EQ(entered(r, 0, "resetting"), fo.first);
  EXPECT_EQ(ctrl(r, 0).at("transitions").at(2).at("reason"), "failover");
  // No ANA on the host: the path is never seen inaccessible, whatever the target reports.
  for (const auto& st : r.nv().at("paths").at(0).at("states")) EXPECT_EQ(st.at("state").get<std::string>().find("inaccessible"), std::string::npos);
}

// Same scenario, same seed: byte-identical results, failover timeline included.
TEST(Failover, SameSeedSameFailoverTimeline) {
  auto a = run("flapping-link");
  auto b = run("flapping-link");
  auto strip = [](nlohmann::json j) {
    j["nvmsim"].erase("wall");
    return j.dump();
  };
  EXPECT_EQ(strip(a.json), strip(b.json));
  EXPECT_EQ(a.result.summary.substr(0, a.result.summary.find("wall:")),
            b.result.summary.substr(0, b.result.summary.find("wall:")));
}

}  // namespace

namespace {

// CRD: a retried status with CRD n waits CRDTn x 100 ms, but only if the host enabled ACRE, which
// it does only when the controller reports a non-zero CRDT1 (nvme_configure_host_options).
TEST(Failover, CommandRetryDelayFromCrdt) {
  auto r = run("retry-delay");
  const Time stall = r.nv().at("max_io_stall_ns");
  EXPECT_GE(stall, 500 * kMillisecond);
  EXPECT_LT(stall, 500 * kMillisecond + kMillisecond);
  EXPECT_EQ(r.nv().at("app_errors"), 0);
  EXPECT_EQ(r.nv().at("failover_count"), 0);
  auto second = run("retry-delay", {"faults.0.crd=2", "duration=3s"});
  EXPECT_GE(second.nv().at("max_io_stall_ns").get<Time>(), kSecond);
  EXPECT_LT(second.nv().at("max_io_stall_ns").get<Time>(), kSecond + kMillisecond);
  auto no_acre = run("retry-delay", {"subsystems.0.crdt=[0, 0, 0]"});
  EXPECT_LT(no_acre.nv().at("max_io_stall_ns").get<Time>(), kMillisecond);
}

}  // namespace

namespace {

// RDMA and FC recover like TCP (the transports' error recovery is structurally the same): the
// same keep-alive detection, the same failover instant, the same reconnect schedule.
TEST(Failover, SilentLinkLossSameOnEveryFabric) {
  auto tcp = run("silent-link-loss");
  for (const std::string tp : {"rdma", "fc"}) {
    SCOPED_TRACE(tp);
    auto r = run("silent-link-loss",
                 {"subsystems.0.ports.0.transport=" + tp, "subsystems.0.ports.1.transport=" + tp});
    EXPECT_EQ(entered(r, 0, "resetting"), entered(tcp, 0, "resetting"));
    EXPECT_EQ(failovers(r).first, failovers(tcp).first);
    EXPECT_EQ(failovers(r).bios, 8u);
    EXPECT_EQ(ctrl(r, 0).at("reconnect_attempts"), 2);
    EXPECT_EQ(r.nv().at("app_errors"), 0);
  }
}

}  // namespace
