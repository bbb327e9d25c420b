// Issue 11, "Verdicts you can trust": late landings judged however long after their
// acknowledgement, and a target that honours its Keep Alive Timer expiry on resume.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "e2e_util.hpp"

namespace {

// The zombie copies land 2.5 s (>= 250,000 acknowledged writes) after their acknowledgement: the
// checker used to have forgotten the write and passed the run ("all held", exit 0).
TEST(CheckerVerdicts, GhostLandingAfterMoreThan64KLaterWritesIsFlagged) {
  const std::string f = e2e::scenario_path("checker/ghost-write-late.yaml");
  auto r = sim::api::run_forked(sim::scenario::load_file(f));
  EXPECT_EQ(r.exit_code, 1) << r.summary;
  const auto v = nlohmann::json::parse(r.violations_json).at("violations");
  ASSERT_FALSE(v.empty()) << r.summary;
  const auto& first = v.at(0);
  EXPECT_EQ(first.at("kind"), "ghost_write");
  // Bio ids count up per host: the write it landed over came more than 65,536 bios later.
  const std::string msg = first.at("message");
  const auto at = msg.find("over bio 0x");
  ASSERT_NE(at, std::string::npos) << msg;
  const std::uint64_t zombie = std::stoull(first.at("bio").get<std::string>(), nullptr, 16);
  const std::uint64_t newer = std::stoull(msg.substr(at + 9), nullptr, 16);
  EXPECT_GT(newer, zombie + 65536) << msg;
  EXPECT_NE(r.summary.find("FAIL linearizable"), std::string::npos) << r.summary;
}

// ctrl-hang, silent link-down, resume 18 s later with zombie_window 0: the target's Keep Alive
// Timer expired by the clock at ~7.1 s, so on resume it tears the association down and runs none of
// the writes the hang held (they used to land at 20 s over newer data: ghost_write).
TEST(CheckerVerdicts, TargetHonoursKeepAliveExpiryOnResume) {
  const std::string f = e2e::scenario_path("regression/hang-linkdown-resume-zw0.yaml");
  for (const std::string hold : {"none", "kato+cqt"}) {
    auto r = sim::api::run_forked(sim::scenario::load_file(f, {"hosts.0.nvme.failover_hold=" + hold}));
    EXPECT_EQ(r.exit_code, 0) << hold << "\n" << r.summary;
    EXPECT_NE(r.summary.find("20.000000s  target port 1 ctrl 1 keep-alive timer expired"), std::string::npos)
        << hold << "\n" << r.summary;
    EXPECT_EQ(r.summary.find("late write landed"), std::string::npos) << hold << "\n" << r.summary;
  }
}

}  // namespace
