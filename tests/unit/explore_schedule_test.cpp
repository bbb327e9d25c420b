// sim/explore/schedule.*: drawing fault schedules is deterministic, stays in its window, follows
// the weights, undoes every episode by the heal, and derives the legitimate app errors.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "sim/explore/schedule.hpp"
#include "sim/scenario/loader.hpp"
#include "tests/unit/scenario_test_support.hpp"

namespace {

using sim::kMillisecond;
using sim::kSecond;
using sim::scenario::testing::load_yaml;
namespace ex = sim::explore;

const char* const kBase = R"(nvmsim: 1
duration: 3s
hosts: [{name: h1, nvme: {kato: 1s, reconnect_delay: 500ms, ctrl_loss_tmo: 3s}}]
subsystems:
  - {nqn: "nqn.2026-01.io.nvmsim:a", ports: [{id: 1}, {id: 2}]}
links:
  - {name: a, host: h1, subsystem: "nqn.2026-01.io.nvmsim:a", port: 1}
  - {name: b, host: h1, subsystem: "nqn.2026-01.io.nvmsim:a", port: 2}
workloads: [{name: w, host: h1, target: nvme0n1, rate_iops: 1000}]
)";

sim::scenario::Scenario with(const std::string& explore) {
  return load_yaml(std::string(kBase) + "explore:\n" + explore);
}

TEST(ExploreSchedule, SameSeedSameScheduleOtherSeedOther) {
  const auto s =
      with("  faults: {link-down: 1, ctrl-hang: 1, ana-change: 1}\n  count: {min: 3, max: 8}\n");
  EXPECT_EQ(ex::draw(s, 42), ex::draw(s, 42));
  EXPECT_NE(ex::draw(s, 42), ex::draw(s, 43));
  EXPECT_NE(ex::run_seed(1, 0), ex::run_seed(1, 1));
  EXPECT_NE(ex::run_seed(1, 0), ex::run_seed(2, 0));
  EXPECT_EQ(ex::run_seed(7, 9), ex::run_seed(7, 9));
}

TEST(ExploreSchedule, EpisodesInTheWindowAndHealedByUntil) {
  const auto s = with(
      "  faults: {link-down: 1, port-down: 1, ctrl-hang: 1, ana-change: 1, link-degrade: 1,"
      " power-loss: 1, host-disconnect: 1, set-iopolicy: 1, ns-detach: 1}\n"
      "  from: 500ms\n  until: 2s\n  count: {min: 5, max: 10}\n");
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    const auto sch = ex::draw(s, seed);
    EXPECT_EQ(sch.until, 2 * kSecond);
    ASSERT_FALSE(sch.episodes.empty());
    for (const auto& ep : sch.episodes) {
      EXPECT_GE(ep.at, 500 * kMillisecond) << ep.action;
      EXPECT_LT(ep.at, 2 * kSecond) << ep.action;
      EXPECT_LE(ep.at + ep.length, 2 * kSecond) << ep.action;
    }
    // Every target's last fault is an undo: after `until` everything is as it was.
    std::map<std::string, bool> undone;  // state key -> whether its last fault was an undo
    for (const auto& f : ex::to_faults(s, sch)) {
      EXPECT_LE(f.at, 2 * kSecond);
      const std::string& a = f.action;
      const std::string port = std::to_string(f.port.value_or(0));
      if (a == "link-down" || a == "link-up") undone["link " + f.link] = a == "link-up";
      if (a == "host-disconnect" || a == "host-connect")
        undone["conn " + f.link] = a == "host-connect";
      if (a == "link-degrade") undone["degrade " + f.link] = f.loss.has_value();
      if (a == "port-down" || a == "port-up") undone["port " + port] = a == "port-up";
      if (a == "ctrl-hang" || a == "ctrl-resume") undone["ctrl " + port] = a == "ctrl-resume";
      if (a == "ns-detach" || a == "ns-attach") undone["ns " + port] = a == "ns-attach";
      if (a == "power-loss" || a == "power-restore") undone["power"] = a == "power-restore";
      if (a == "ana-change") undone["ana " + port] = *f.state == sim::scenario::AnaState::Optimized;
      if (a == "set-iopolicy") undone["iopolicy"] = *f.iopolicy == sim::scenario::IoPolicy::Numa;
    }
    EXPECT_FALSE(undone.empty());
    for (const auto& [k, v] : undone) EXPECT_TRUE(v) << "seed " << seed << ": " << k;
  }
}
TEST(ExploreSchedule, WeightsAreRespectedRoughly) {
  const auto s =
      with("  faults: {link-down: 3, ctrl-reset: 1}\n  count: 4\n  durations: {down: 1ms}\n");
  std::map<std::string, int> n;
  for (std::uint64_t seed = 1; seed <= 500; ++seed)
    for (const auto& ep : ex::draw(s, seed).episodes) ++n[ep.action];
  const double share = static_cast<double>(n["link-down"]) / (n["link-down"] + n["ctrl-reset"]);
  EXPECT_GT(share, 0.68);
  EXPECT_LT(share, 0.82);
  EXPECT_EQ(n.size(), 2u);
}

TEST(ExploreSchedule, TargetsLimitWhatIsHit) {
  const auto s = with(
      "  faults: {link-down: 1, port-down: 1}\n  targets: {links: [b], ports: [2]}\n  count: 5\n");
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    for (const auto& ep : ex::draw(s, seed).episodes) {
      if (ep.action == "link-down") {
        EXPECT_EQ(ep.link, "b");
      }
      if (ep.action == "port-down") {
        EXPECT_EQ(ep.port, 2);
      }
    }
  }
}

TEST(ExploreSchedule, AppErrorsLegitimateOnlyWhenEveryPathIsLost) {
  const auto s = with("  faults: {link-down: 1}\n");
  ex::Schedule sch;
  sch.until = 2 * kSecond;
  ex::Episode a;
  a.action = "link-down";
  a.link = "a";
  a.at = 100 * kMillisecond;
  a.length = 500 * kMillisecond;
  sch.episodes = {a};
  EXPECT_EQ(ex::allowed_app_errors(s, sch), 0);  // b stays up
  ex::Episode b = a;
  b.link = "b";
  b.at = 200 * kMillisecond;
  sch.episodes = {a, b};
  // Both down at once, but no fast_io_fail_tmo and shorter than ctrl_loss_tmo (3s): I/O waits.
  EXPECT_EQ(ex::allowed_app_errors(s, sch), 0);
  auto fast = s;
  fast.hosts[0].nvme.fast_io_fail_tmo = 100 * kMillisecond;
  EXPECT_EQ(ex::allowed_app_errors(fast, sch), std::nullopt);
  // Past ctrl_loss_tmo both controllers are deleted: errors are legitimate.
  a.length = b.length = 1700 * kMillisecond;
  auto tight = s;
  tight.hosts[0].nvme.ctrl_loss_tmo = 1 * kSecond;
  sch.episodes = {a, b};
  EXPECT_EQ(ex::allowed_app_errors(tight, sch), std::nullopt);
  // A generic error status allows as many errors as commands it hits.
  ex::Episode inj;
  inj.action = "inject-status";
  inj.port = 1;
  inj.status = 0x281;
  inj.inject_count = 6;
  sch.episodes = {inj};
  EXPECT_EQ(ex::allowed_app_errors(s, sch), 6);
  inj.status = 0x302;  // a path error fails over
  sch.episodes = {inj};
  EXPECT_EQ(ex::allowed_app_errors(s, sch), 0);
}

TEST(ExploreSchedule, MaterializeIsStandalone) {
  const auto s = with("  faults: {link-down: 1}\n  until: 2s\n  liveness: 5s\n  count: 2\n");
  const auto sch = ex::draw(s, 3);
  const auto m = ex::materialize(s, sch, 77);
  EXPECT_FALSE(m.explore);
  EXPECT_EQ(m.seed, 77u);
  EXPECT_EQ(*m.duration, 7 * kSecond);
  EXPECT_EQ(*m.workloads[0].runtime, 2 * kSecond);  // no new I/O in the heal phase
  EXPECT_EQ(m.faults.size(), 2 * sch.episodes.size());
  EXPECT_TRUE(*m.expect.no_lost_io);
  EXPECT_TRUE(*m.expect.linearizable);
  EXPECT_EQ(*m.expect.max_outstanding_at_end, 0);
  EXPECT_EQ(*m.expect.max_io_stall, 7 * kSecond);
  // Written out and read back: the same scenario (what a failing run's file replays).
  const auto again = sim::scenario::load_string(sim::scenario::dump_yaml(m), "again.yaml");
  ASSERT_EQ(again.faults.size(), m.faults.size());
  for (std::size_t i = 0; i < m.faults.size(); ++i) {
    EXPECT_EQ(again.faults[i].action, m.faults[i].action);
    EXPECT_EQ(again.faults[i].at, m.faults[i].at);
    EXPECT_EQ(again.faults[i].link, m.faults[i].link);
  }
  EXPECT_EQ(again.expect.app_errors, m.expect.app_errors);
  EXPECT_FALSE(again.explore);
}

TEST(ExploreLoader, DefaultsAndDumpRoundTrip) {
  const auto s = with("  liveness: 5s\n");
  ASSERT_TRUE(s.explore);
  EXPECT_EQ(s.explore->until, 3 * kSecond);  // the scenario's end
  EXPECT_EQ(s.explore->subsystem, "nqn.2026-01.io.nvmsim:a");
  EXPECT_EQ(s.explore->faults.size(), 5u);
  const auto again = sim::scenario::load_string(sim::scenario::dump_yaml(s), "again.yaml");
  ASSERT_TRUE(again.explore);
  auto x = *again.explore, y = *s.explore;
  x.loc = y.loc = {};
  EXPECT_EQ(x, y);
}

}  // namespace
