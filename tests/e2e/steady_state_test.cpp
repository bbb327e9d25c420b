// End-to-end checks of steady-state behaviour against closed forms derived from the scenario's
// constants. Each simulation runs in a forked child.
#include <gtest/gtest.h>

#include <cmath>

#include "e2e_util.hpp"

namespace {

// A one-host, one-subsystem topology with N TCP paths; {LAT_B} is the second link's latency.
std::string topology(const std::string& policy, const std::string& lat_b = "10us",
                     const std::string& ana_b = "optimized", const std::string& extra_host = "") {
  return R"(
nvmsim: 1
name: t
seed: 1
duration: 500ms
hosts:
  - name: h1
    cpus: 4
    iopolicy: )" + policy + "\n" + extra_host + R"(
subsystems:
  - nqn: nqn.2026-01.io.nvmsim:t
    ports:
      - {id: 1, transport: tcp, ana: {1: optimized}}
      - {id: 2, transport: tcp, ana: {1: )" + ana_b + R"(}}
    namespaces:
      - {nsid: 1, size: 16g, lba_size: 4k, ana_group: 1}
    controller: {cmd_overhead: 2us}
    media: {read_latency: 80us, write_latency: 20us, bandwidth: 8GB/s, parallelism: 256, jitter: {dist: none}}
links:
  - {name: a, host: h1, subsystem: nqn.2026-01.io.nvmsim:t, port: 1, latency: 10us, bandwidth: 25Gbps}
  - {name: b, host: h1, subsystem: nqn.2026-01.io.nvmsim:t, port: 2, latency: )" + lat_b + R"(, bandwidth: 25Gbps}
)";
}

std::string job(const std::string& rw, int qd, const std::string& bs = "4k", const std::string& extra = "") {
  return R"(
workloads:
  - {name: j, host: h1, target: nvme0n1, rw: )" + rw + ", bs: " + bs + ", iodepth: " +
         std::to_string(qd) + ", size: 1g" + extra + "}\n";
}

// Little's law for a closed loop: N = X * R. With iodepth N always in flight (no think time, no
// tag shortage), throughput X times mean latency R must give back N.
TEST(SteadyState, ClosedLoopLittlesLaw) {
  for (int qd : {1, 8, 32}) {
    auto r = e2e::run_text(topology("round-robin") + job("randread", qd));
    const auto& rd = r.job().at("read");
    const double iops = rd.at("iops");
    const double mean_lat_s = static_cast<double>(rd.at("lat_ns").at("mean")) * 1e-9;
    EXPECT_NEAR(iops * mean_lat_s, qd, qd * 0.01) << "qd " << qd;
  }
}

// QD 1 latency from the constants: command capsule 72 B + 4 KiB read data + 24 B response over
// 25 Gb/s (3.125 GB/s) links of 10 us each way, 2 us command overhead, 80 us media, 4 KiB through
// the 8 GB/s media pipe in parallel with the 80 us (so it adds nothing).
TEST(SteadyState, Qd1LatencyMatchesConstants) {
  auto r = e2e::run_text(topology("numa") + job("randread", 1));
  const double mean = r.job().at("read").at("clat_ns").at("mean");
  const double expect = std::ceil(72 * 1e9 / 3.125e9) + 10'000 + 2'000 + 80'000 +
                        std::ceil((4096 + 24) * 1e9 / 3.125e9) + 10'000;
  EXPECT_NEAR(mean, expect, 2.0);
}

// Round-robin alternates between two optimized paths: their request counts differ by at most one.
TEST(SteadyState, RoundRobinSplitsEvenly) {
  auto r = e2e::run_text(topology("round-robin") + job("randread", 16));
  const auto a = r.path_ios("nvme0c0n1"), b = r.path_ios("nvme0c1n1");
  EXPECT_GT(a, 10000u);
  EXPECT_LE(a > b ? a - b : b - a, 1u) << a << " vs " << b;
}

// numa with controllers that have no NUMA node (TCP) means "first optimized path": path B idle.
TEST(SteadyState, NumaWithoutNodesUsesFirstPath) {
  auto r = e2e::run_text(topology("numa") + job("randread", 16));
  EXPECT_GT(r.path_ios("nvme0c0n1"), 10000u);
  EXPECT_EQ(r.path_ios("nvme0c1n1"), 0u);
}

// A non-optimized path is only a fallback: round-robin keeps to the optimized one.
TEST(SteadyState, NonOptimizedPathIsNotUsed) {
  auto r = e2e::run_text(topology("round-robin", "10us", "non-optimized") + job("randread", 16));
  EXPECT_EQ(r.path_ios("nvme0c1n1"), 0u);
}

// queue-depth sends more to the faster path and beats round-robin when paths are asymmetric.
TEST(SteadyState, QueueDepthPrefersFasterPath) {
  auto qd = e2e::run_text(topology("queue-depth", "400us") + job("randread", 32));
  auto rr = e2e::run_text(topology("round-robin", "400us") + job("randread", 32));
  EXPECT_GT(qd.path_ios("nvme0c0n1"), 2 * qd.path_ios("nvme0c1n1"));
  const double iops_qd = qd.job().at("read").at("iops"), iops_rr = rr.job().at("read").at("iops");
  EXPECT_GT(iops_qd, 1.3 * iops_rr);
}

// A link-bound sequential read saturates the link and never exceeds it: payload share of
// 128 KiB + 24 B response per request, at 3.125 GB/s.
TEST(SteadyState, LinkBoundRunSaturatesLinkRate) {
  auto r = e2e::run_text(topology("numa") + job("read", 64, "128k"));
  const double bw = r.job().at("read").at("bw_bytes");
  const double cap = 3.125e9 * 131072.0 / (131072.0 + 24.0);
  EXPECT_LE(bw, cap * 1.0001);
  EXPECT_GE(bw, cap * 0.97);
}

TEST(SteadyState, SameSeedSameResults) {
  auto strip = [](const std::string& text) {
    auto j = nlohmann::json::parse(text);
    j["nvmsim"].erase("wall");
    return j.dump();
  };
  const std::string y = topology("round-robin") + job("randrw", 8) +
                        "\n";
  auto a = e2e::run_text(y), b = e2e::run_text(y), c = e2e::run_text(y, {"seed=2"});
  EXPECT_EQ(strip(a.result.results_json), strip(b.result.results_json));
  EXPECT_EQ(a.result.timeseries_csv, b.result.timeseries_csv);
  EXPECT_NE(strip(a.result.results_json), strip(c.result.results_json));
}

}  // namespace
