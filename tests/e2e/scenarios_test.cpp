// The example scenarios shipped in scenarios/ run and show what their comments promise.
#include <gtest/gtest.h>

#include "e2e_util.hpp"

namespace {

TEST(Scenarios, Basic2PathSplitsOverBothPaths) {
  auto r = e2e::run_file(e2e::scenario_path("basic-2path.yaml"));
  const auto a = r.path_ios("nvme0c0n1"), b = r.path_ios("nvme0c1n1");
  EXPECT_GT(a, 100000u);
  // Issued alternately; completed counts differ at most by what was in flight at the end (QD 32).
  EXPECT_LE(a > b ? a - b : b - a, 32u);
  EXPECT_EQ(r.nv().at("app_errors"), 0);
  EXPECT_NE(r.result.topology_text.find("nvme-subsys0 - NQN=nqn.2026-01.io.nvmsim:array1"), std::string::npos);
}

// numa: each node's cursor goes to the nearest optimized path, first in discovery order on ties.
TEST(Scenarios, NumaPicksTheLocalNodesPath) {
  auto r = e2e::run_file(e2e::scenario_path("numa-4path.yaml"));
  const std::uint64_t node0 = r.job(0).at("read").at("total_ios");
  const std::uint64_t node1 = r.job(1).at("read").at("total_ios");
  EXPECT_EQ(r.path_ios("nvme0c0n1"), node0);  // adapter on node 0, first in list
  EXPECT_EQ(r.path_ios("nvme0c1n1"), node1);  // adapter on node 1, first in list
  EXPECT_EQ(r.path_ios("nvme0c2n1"), 0u);
  EXPECT_EQ(r.path_ios("nvme0c3n1"), 0u);
  // Turning the node-1 job onto a cpu of node 0 moves it to node 0's path.
  auto moved = e2e::run_file(e2e::scenario_path("numa-4path.yaml"), {"workloads.1.cpus=[2]"});
  EXPECT_EQ(moved.path_ios("nvme0c1n1"), 0u);
}

TEST(Scenarios, AsymmetricPathsQueueDepthBeatsRoundRobin) {
  auto qd = e2e::run_file(e2e::scenario_path("asymmetric-paths.yaml"));
  auto rr = e2e::run_file(e2e::scenario_path("asymmetric-paths.yaml"), {"hosts.0.iopolicy=round-robin"});
  const double iops_qd = qd.job().at("read").at("iops"), iops_rr = rr.job().at("read").at("iops");
  EXPECT_GT(iops_qd, 1.3 * iops_rr);
  EXPECT_GT(qd.path_ios("nvme0c0n1"), 2 * qd.path_ios("nvme0c1n1"));
  // Round-robin alternates once both are live; the slow path connects ~8 round trips later.
  EXPECT_GT(rr.path_ios("nvme0c1n1"), rr.path_ios("nvme0c0n1") * 9 / 10);
}

// No multipath node for a single-controller subsystem: the path disk is nvme0n1 itself.
TEST(Scenarios, SingleControllerHasNoHeadDisk) {
  auto r = e2e::run_file(e2e::scenario_path("single-controller.yaml"));
  const auto& paths = r.nv().at("paths");
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(paths[0].at("name"), "nvme0n1");
  EXPECT_EQ(paths[0].at("head"), "nvme0n1");
  // 1 MiB writes split at MDTS 256 KiB: four requests per bio (plus the 4 KiB reads, one each).
  const std::uint64_t writes = r.job(0).at("write").at("total_ios");
  const std::uint64_t reads = r.job(1).at("read").at("total_ios");
  const std::uint64_t requests = paths[0].at("ios");
  EXPECT_GE(requests, 4 * writes + reads);
  EXPECT_LE(requests, 4 * writes + reads + 4 * 8 + 32);  // what was in flight at the end
}

TEST(Scenarios, MultipathOffGivesOneDiskPerController) {
  auto r = e2e::run_file(e2e::scenario_path("multipath-off.yaml"));
  EXPECT_GT(r.path_ios("nvme0n1"), 10000u);
  EXPECT_GT(r.path_ios("nvme1n1"), 10000u);
  // Each disk carries exactly its own job's requests (no multipath, no sharing).
  EXPECT_EQ(r.path_ios("nvme0n1"), r.job(0).at("read").at("total_ios").get<std::uint64_t>());
  EXPECT_EQ(r.path_ios("nvme1n1"), r.job(1).at("read").at("total_ios").get<std::uint64_t>());
}

}  // namespace
