// No input may stop simulated time. The all-paths-lost family (fast-fail, controller deletion,
// 6.17 queue_if_no_path) with closed-loop jobs once hung forever: the head failed every new bio
// inside its own submission and the job resubmitted it in the same instant. Each run here must
// finish with the closed-form error count and stall, for every iopolicy and queue depth.
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "e2e_util.hpp"

namespace {

using sim::Time;
using sim::kMillisecond;
using sim::kSecond;

constexpr Time kLoss = 100 * kMillisecond;  // both links silently lost (faults 0 and 1 moved here)

// Time of the n-th (0-based) entry of controller record `ctrl` into state `to`; -1 if none.
Time entered(const e2e::Run& r, std::size_t ctrl, const std::string& to, int n = 0) {
  for (const auto& t : r.nv().at("controllers").at(ctrl).at("transitions"))
    if (t.at("to") == to && n-- == 0) return t.at("t_ns").get<Time>();
  return -1;
}
// Fast-fail expires fast_io_fail_tmo (5 s) after the controller starts reconnecting (its second
// entry into CONNECTING; the first is the initial connect).
Time fast_fail_at(const e2e::Run& r) { return entered(r, 0, "connecting", 1) + 5 * kSecond; }

std::vector<std::string> closed_loop(int qd, const std::string& policy, std::vector<std::string> more = {}) {
  std::vector<std::string> o = {"workloads.0.rate_iops=0", "workloads.0.iodepth=" + std::to_string(qd),
                                "hosts.0.iopolicy=" + policy, "faults.0.at=100ms", "faults.1.at=100ms",
                                "report.timeseries=off"};
  o.insert(o.end(), more.begin(), more.end());
  return o;
}

using Param = std::tuple<int, std::string>;
class AllPathsLost : public ::testing::TestWithParam<Param> {};

// fast_io_fail_tmo 5 s after the controllers start reconnecting, every parked bio fails; with
// fio's default continue_on_error=none the job stops there: exactly iodepth errors, and the
// longest I/O is the oldest parked one, submitted within one I/O latency before the loss.
TEST_P(AllPathsLost, FastFailEndsTheJobWithIodepthErrors) {
  const auto [qd, policy] = GetParam();
  auto r = e2e::run_file(e2e::scenario_path("failover/all-paths-lost-fast-fail.yaml"), closed_loop(qd, policy));
  ASSERT_EQ(r.result.exit_code, 0) << r.result.error;
  const Time ff = fast_fail_at(r);
  ASSERT_GT(ff, 5 * kSecond);
  EXPECT_EQ(r.nv().at("app_errors").get<int>(), qd);
  EXPECT_EQ(r.nv().at("outstanding_at_end").get<int>(), 0);
  const Time stall = r.nv().at("max_io_stall_ns").get<Time>();
  EXPECT_GE(stall, ff - kLoss);
  EXPECT_LE(stall, ff - kLoss + kMillisecond);
}

// Without fast-fail the bios wait for the controllers' deletion (ctrl_loss_tmo), then fail.
TEST_P(AllPathsLost, DeletionEndsTheJobWithIodepthErrors) {
  const auto [qd, policy] = GetParam();
  auto r = e2e::run_file(e2e::scenario_path("failover/all-paths-lost.yaml"), closed_loop(qd, policy));
  ASSERT_EQ(r.result.exit_code, 0) << r.result.error;
  const Time del = entered(r, 0, "deleting");
  ASSERT_GT(del, kSecond);
  EXPECT_EQ(r.nv().at("app_errors").get<int>(), qd);
  EXPECT_EQ(r.nv().at("outstanding_at_end").get<int>(), 0);
  const Time stall = r.nv().at("max_io_stall_ns").get<Time>();
  EXPECT_GE(stall, del - kLoss);
  EXPECT_LE(stall, del - kLoss + kMillisecond);
}

// 6.17 queue_if_no_path: the head stays and parks everything until path A is reconnected at 45 s;
// nothing fails, and the parked bios complete within the reconnect's setup time of 45 s.
TEST_P(AllPathsLost, QueueIfNoPathParksUntilTheReconnect) {
  const auto [qd, policy] = GetParam();
  auto r = e2e::run_file(e2e::scenario_path("failover/queue-if-no-path.yaml"),
                         closed_loop(qd, policy, {"duration=45100ms"}));
  ASSERT_EQ(r.result.exit_code, 0) << r.result.error;
  EXPECT_EQ(r.nv().at("app_errors").get<int>(), 0);
  const Time stall = r.nv().at("max_io_stall_ns").get<Time>();
  EXPECT_GE(stall, 45 * kSecond - kLoss);
  EXPECT_LE(stall, 45 * kSecond - kLoss + 5 * kMillisecond);
}

INSTANTIATE_TEST_SUITE_P(QdPolicy, AllPathsLost,
                         ::testing::Combine(::testing::Values(1, 32, 256),
                                            ::testing::Values("numa", "round-robin", "queue-depth")),
                         [](const auto& info) {
                           std::string p = std::get<1>(info.param);
                           for (char& c : p)
                             if (c == '-') c = '_';
                           return "qd" + std::to_string(std::get<0>(info.param)) + "_" + p;
                         });

// continue_on_error=all: the job survives every error and resubmits one replacement per
// error_resubmit_delay (10 us): iodepth errors at the fast-fail instant, then one for each
// k >= 1 with ff + k * 10us before the end.
TEST(AllPathsLostContinue, ErrorsAccrueAtTheResubmitRate) {
  for (const std::string policy : {"numa", "round-robin", "queue-depth"}) {
    auto r = e2e::run_file(e2e::scenario_path("failover/all-paths-lost-fast-fail.yaml"),
                           closed_loop(32, policy, {"workloads.0.continue_on_error=all", "duration=13500ms"}));
    ASSERT_EQ(r.result.exit_code, 0) << r.result.error;
    const Time ff = fast_fail_at(r);
    const Time end = 13500 * kMillisecond;
    ASSERT_LT(ff, end);
    const Time d = 10 * sim::kMicrosecond;
    EXPECT_EQ(r.nv().at("app_errors").get<Time>(), 32 + (end - ff - 1) / d) << policy;
  }
  // A slower resubmission rate scales the count.
  auto r = e2e::run_file(e2e::scenario_path("failover/all-paths-lost-fast-fail.yaml"),
                         closed_loop(32, "numa", {"workloads.0.continue_on_error=all", "duration=13500ms",
                                                  "workloads.0.error_resubmit_delay=1ms"}));
  const Time ff = fast_fail_at(r);
  EXPECT_EQ(r.nv().at("app_errors").get<Time>(), 32 + (13500 * kMillisecond - ff - 1) / kMillisecond);
}

// continue_on_error=read on a write-only job is no cover: the first write error ends it.
TEST(AllPathsLostContinue, AnUncoveredErrorEndsTheJob) {
  auto r = e2e::run_file(e2e::scenario_path("failover/all-paths-lost-fast-fail.yaml"),
                         closed_loop(8, "numa", {"workloads.0.continue_on_error=read", "workloads.0.rw=randwrite"}));
  EXPECT_EQ(r.nv().at("app_errors").get<int>(), 8);
}

// The guard itself, end to end: a closed loop of iodepth 4096 submits 4096 bios in its first
// instant; with limits.events_per_instant below that the run stops with exit 3 and names the job.
TEST(Livelock, GuardStopsTheRunAndNamesTheSource) {
  const auto s = sim::scenario::load_file(e2e::scenario_path("basic-2path.yaml"),
                                          {"workloads.0.iodepth=4096", "limits.events_per_instant=1000"});
  const auto r = sim::api::run_forked(s);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.error.find("zero-time livelock"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("bio submission"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("replay: nvmsim run"), std::string::npos) << r.error;
  // The default bound leaves that burst alone.
  const auto ok = sim::api::run_forked(sim::scenario::load_file(e2e::scenario_path("basic-2path.yaml"),
                                                                {"workloads.0.iodepth=4096", "duration=50ms"}));
  EXPECT_EQ(ok.exit_code, 0) << ok.error;
}

}  // namespace
