// Faults that change nothing cost nothing: a run with N no-op faults (set-iopolicy to the policy
// already in force) executes the same I/O and the same calendar events as the run without them,
// plus one calendar call per fault, and at most two SimGrid round trips (engine_pumps) per fault.
// Before the pump fix (sim/engine/engine.cpp arm_pump), the first fault started a second pump
// chain that made every later calendar timestamp a round trip of its own and halved throughput.
#include <gtest/gtest.h>

#include <string>

#include "e2e_util.hpp"

namespace {

const char* kTwoPaths = R"(
nvmsim: 1
name: no-op-faults
duration: 200ms
hosts:
  - {name: h1, cpus: 1, iopolicy: round-robin}
subsystems:
  - nqn: nqn.2026-01.io.nvmsim:a
    ports:
      - {id: 1, transport: rdma}
      - {id: 2, transport: rdma}
    namespaces:
      - {nsid: 1, size: 1g, lba_size: 4k, ana_group: 1}
    media: {read_latency: 10us, parallelism: 64, bandwidth: 20GB/s, jitter: {dist: uniform, spread: 0.5}}
links:
  - {name: a, host: h1, subsystem: nqn.2026-01.io.nvmsim:a, port: 1, latency: 10us, bandwidth: 10GB/s}
  - {name: b, host: h1, subsystem: nqn.2026-01.io.nvmsim:a, port: 2, latency: 10us, bandwidth: 10GB/s}
workloads:
  - {name: r, host: h1, target: nvme0n1, rw: randread, bs: 4k, iodepth: 32}
report: {timeseries: off}
)";

std::string with_faults(int n) {
  std::string y = kTwoPaths;
  if (n > 0)
    y += "faults:\n  - {at: 10ms, every: 1ms, count: " + std::to_string(n) +
         ", action: set-iopolicy, host: h1, subsystem: \"nqn.2026-01.io.nvmsim:a\", iopolicy: round-robin}\n";
  return y;
}

TEST(NoOpFaults, SameWorkSameEventsAtMostTwoRoundTripsEach) {
  const auto none = e2e::run_text(with_faults(0));
  const auto ios = none.job().at("read").at("total_ios").get<std::uint64_t>();
  const auto events = none.nv().at("events").get<std::uint64_t>();
  const auto pumps = none.nv().at("engine_pumps").get<std::uint64_t>();
  ASSERT_GT(ios, 100'000u);
  EXPECT_LE(pumps, 2u);
  for (const int n : {1, 3, 100}) {
    const auto r = e2e::run_text(with_faults(n));
    EXPECT_EQ(r.job().at("read").at("total_ios").get<std::uint64_t>(), ios) << n << " faults";
    EXPECT_EQ(r.nv().at("events").get<std::uint64_t>(), events + static_cast<std::uint64_t>(n)) << n << " faults";
    EXPECT_EQ(r.nv().at("faults").size(), static_cast<std::size_t>(n));
    EXPECT_LE(r.nv().at("engine_pumps").get<std::uint64_t>(), pumps + 2u * static_cast<std::uint64_t>(n))
        << n << " faults";
  }
}

}  // namespace
