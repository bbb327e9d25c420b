// Whole-world checks that belong in the unit label because they only fail under ASan+UBSan (the
// Release build's sibling-call optimisation hides unbounded recursion).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/api/api.hpp"
#include "sim/scenario/loader.hpp"

namespace {

// Once the head is gone every new bio fails inside its own submission; an open-loop job with a
// backlog (10k IOPS owed over a 17 s stall) must issue it in a loop, not by recursing once per
// failed bio (that overflowed the stack under ASan).
TEST(WorldFailover, InstantFailuresDoNotRecurse) {
  const auto s = sim::scenario::load_file(
      std::string(NVMSIM_SOURCE_DIR) + "/scenarios/failover/all-paths-lost.yaml",
      {"hosts.0.nvme.ctrl_loss_tmo=10s", "duration=20500ms", "workloads.0.rate_iops=10000",
       "report.timeseries=off"});
  const auto r = sim::api::run_forked(s);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const auto j = nlohmann::json::parse(r.results_json);
  EXPECT_GT(j.at("nvmsim").at("app_errors").get<std::uint64_t>(), 150'000u);
}

}  // namespace
