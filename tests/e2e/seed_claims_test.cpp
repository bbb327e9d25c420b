// The claims of the 2017 native-multipath design, one scenario each (scenarios/seed-claims/):
// every scenario holds its own expectations, and the claims the format cannot express (topology,
// cost) are asserted here.
#include <gtest/gtest.h>

#include <cmath>

#include "e2e_util.hpp"

namespace {

e2e::Run claim(const std::string& name, const std::vector<std::string>& sets = {}) {
  auto r = e2e::run_file(e2e::scenario_path("seed-claims/" + name + ".yaml"), sets);
  EXPECT_EQ(r.result.exit_code, 0) << r.result.summary;
  return r;
}

std::vector<std::pair<std::string, std::string>> path_heads(const e2e::Run& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : r.nv().at("paths")) out.emplace_back(p.at("name"), p.at("head"));
  return out;
}

TEST(SeedClaims, PathsAreLinkedBySubsystemNqnAndNamespaceIds) {
  auto r = claim("01-paths-by-nqn-and-nsid");
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(path_heads(r), (P{{"nvme0c0n1", "nvme0n1"}, {"nvme0c1n1", "nvme0n1"}, {"nvme2c2n1", "nvme2n1"}}));
}

TEST(SeedClaims, AvailabilityFollowsControllerStateKeptFreshByKeepAlive) {
  auto r = claim("02-availability-follows-keepalive");
  const auto& sw = r.nv().at("path_switches").at(0);
  EXPECT_EQ(sw.at("to"), "nvme0c1n1");
  // KA at 2 s (every KATO/2 = 1 s) times out at 4 s: 3 s after the fault, and not before KATO.
  EXPECT_GT(sw.at("switch_ns").get<sim::Time>(), 2 * sim::kSecond);
  EXPECT_LE(sw.at("switch_ns").get<sim::Time>(), 3 * sim::kSecond + sim::kMillisecond);
}

TEST(SeedClaims, PathErrorsStealBiosWithoutCloning) {
  auto r = claim("03-failover-steals-bios");
  EXPECT_EQ(r.nv().at("failover_count"), 16);
  std::uint64_t bios = 0;
  for (const auto& f : r.nv().at("failovers")) bios += f.at("bios").get<std::uint64_t>();
  EXPECT_EQ(bios, 16u);  // each request's own bios, once
}

TEST(SeedClaims, MultiBioRequestsFailOverWhole) {
  auto r = claim("04-no-partial-completion");
  std::uint64_t requests = 0, bios = 0;
  for (const auto& f : r.nv().at("failovers")) {
    ++requests;
    bios += f.at("bios").get<std::uint64_t>();
  }
  EXPECT_GE(requests, 1u);
  EXPECT_GT(bios, requests);  // merged requests: several bios each, all moved together
}

TEST(SeedClaims, MultipathCostsNothingOverASingleController) {
  auto mp = claim("05-no-cost-multipath");
  auto off = claim("05-no-cost-multipath", {"hosts.0.multipath=off"});
  EXPECT_EQ(path_heads(mp).at(0).second, "nvme0n1");
  EXPECT_EQ(path_heads(mp).at(0).first, "nvme0c0n1");  // behind a head
  EXPECT_EQ(path_heads(off).at(0).first, "nvme0n1");   // the disk itself
  const double iops_mp = mp.job().at("read").at("iops"), iops_off = off.job().at("read").at("iops");
  const double lat_mp = mp.job().at("read").at("lat_ns").at("mean"),
               lat_off = off.job().at("read").at("lat_ns").at("mean");
  EXPECT_LT(std::abs(iops_mp - iops_off) / iops_off, 0.01);
  EXPECT_LT(std::abs(lat_mp - lat_off) / lat_off, 0.01);
}

TEST(SeedClaims, NoMultipathNodeForASingleControllerSubsystem) {
  auto r = claim("06-single-controller-no-head");
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(path_heads(r), (P{{"nvme0n1", "nvme0n1"}}));
  EXPECT_EQ(r.result.topology_text.find("nvme0c0n1"), std::string::npos);
}

TEST(SeedClaims, MultipathCanBeSwitchedOff) {
  auto r = claim("07-multipath-off");
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(path_heads(r), (P{{"nvme0n1", "nvme0n1"}, {"nvme1n1", "nvme1n1"}}));
  EXPECT_EQ(r.nv().at("failover_count"), 0);
  // The I/O of the reset controller waited for its reconnect (reconnect_delay 1 s).
  EXPECT_GT(r.nv().at("max_io_stall_ns").get<sim::Time>(), sim::kSecond);
}

// The ghost-write hazard (issue: mainline flags, the fences pass).
TEST(GhostWrite, MainlineFlagsItTheFencesPreventIt) {
  const std::string f = e2e::scenario_path("ghost-write.yaml");
  auto mainline = sim::api::run_forked(sim::scenario::load_file(f));
  EXPECT_EQ(mainline.exit_code, 1);
  EXPECT_NE(mainline.violations_json.find("\"kind\": \"ghost_write\""), std::string::npos) << mainline.violations_json;
  EXPECT_NE(mainline.violations_json.find("nvmsim run " + f + " --seed 1"), std::string::npos);
  EXPECT_NE(mainline.summary.find("[ghost_write]"), std::string::npos);
  // Same scenario, same seed: the same violations, byte for byte.
  auto again = sim::api::run_forked(sim::scenario::load_file(f));
  EXPECT_EQ(again.violations_json, mainline.violations_json);
  for (const std::string hold : {"kato+cqt", "ccr"}) {
    auto r = sim::api::run_forked(sim::scenario::load_file(f, {"hosts.0.nvme.failover_hold=" + hold}));
    EXPECT_EQ(r.exit_code, 0) << hold << "\n" << r.summary;
  }
}

}  // namespace

namespace {

// BP-18 and BP-19 are how mainline behaves; these scenarios show it (their expectations hold).
TEST(MainlineProperties, FailoversAreUnboundedButDnrStopsThem) {
  const std::string f = e2e::scenario_path("mainline-properties/bp18-ping-pong.yaml");
  auto r = e2e::run_file(f);
  EXPECT_GT(r.nv().at("failover_count").get<int>(), 1000);
  EXPECT_EQ(r.nv().at("outstanding_at_end"), 1);  // the one bio, still bouncing
  auto dnr = sim::api::run_forked(sim::scenario::load_file(f, {"faults.0.dnr=true", "faults.1.dnr=true"}));
  const auto j = nlohmann::json::parse(dnr.results_json).at("nvmsim");
  EXPECT_EQ(j.at("failover_count"), 0);
  EXPECT_EQ(j.at("app_errors"), 100);  // every write from 1 s (1000 IOPS x 0.1 s)
}

TEST(MainlineProperties, RoundRobinSolePathIgnoresAnaState) {
  const std::string f = e2e::scenario_path("mainline-properties/bp19-rr-sole-path.yaml");
  auto rr = e2e::run_file(f);
  EXPECT_EQ(rr.nv().at("failover_count"), 1);
  EXPECT_EQ(rr.nv().at("failovers").at(0).at("status"), "0x302");
  auto numa = sim::api::run_forked(sim::scenario::load_file(f, {"hosts.0.iopolicy=numa"}));
  EXPECT_EQ(nlohmann::json::parse(numa.results_json).at("nvmsim").at("failover_count"), 0);
}

}  // namespace
