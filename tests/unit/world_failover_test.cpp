// Whole-world checks that belong in the unit label because they only fail under ASan+UBSan (the
// Release build's sibling-call optimisation hides unbounded recursion).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/api/api.hpp"
#include "sim/scenario/loader.hpp"

namespace {

// Once the head is gone every new bio fails inside its own submission; an open-loop job with a
// backlog (10k IOPS owed over a 17 s stall) that survives errors (continue_on_error: all) must
// issue it without recursing once per failed bio (that overflowed the stack under ASan) and
// without issuing it all in zero time.
TEST(WorldFailover, InstantFailuresDoNotRecurse) {
  const auto s = sim::scenario::load_file(
      std::string(NVMSIM_SOURCE_DIR) + "/scenarios/failover/all-paths-lost.yaml",
      {"hosts.0.nvme.ctrl_loss_tmo=10s", "duration=20500ms", "workloads.0.rate_iops=10000",
       "workloads.0.continue_on_error=all",
       "report.timeseries=off"});
  const auto r = sim::api::run_forked(s);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const auto j = nlohmann::json::parse(r.results_json);
  // Controllers deleted at 20 s: the 8 parked bios fail then; the 170k owed I/Os are resubmitted
  // one per error_resubmit_delay (10 us) until the end at 20.5 s (49,999 of them), and every
  // rate tick (100 us, 5,000) fails too: 8 + 49,999 + 5,000.
  EXPECT_EQ(j.at("nvmsim").at("app_errors").get<std::uint64_t>(), 55'007u);
}

}  // namespace
