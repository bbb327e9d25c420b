// Scenario loader: a rich file parsed to exact values, defaults, include merging, --set overrides,
// the dump/load round trip, and the tests/malformed corpus. Error categories one by one are in
// scenario_loader_errors_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "scenario_test_support.hpp"
#include "sim/fabric/transport.hpp"
#include "sim/api/api.hpp"
#include "sim/scenario/loader.hpp"

namespace sim::scenario {
namespace {

namespace fs = std::filesystem;
using testing::fails_as;
using testing::load_yaml;
using testing::Want;
using testing::yaml_fails_as;

constexpr const char* kNqn1 = "nqn.2026-01.io.nvmsim:array1";
constexpr const char* kNqn2 = "nqn.2026-01.io.nvmsim:array2";

// Every section and every key of the format, most with non-default values.
constexpr const char* kRich = R"(nvmsim: 1
name: rich
description: every section and key
seed: 7
duration: 2m
kernel: "6.17"
hosts:
  - name: h1
    numa_nodes: 2
    cpus: 8
    multipath: native
    iopolicy: queue-depth
    core: model
    variant: [BP-01, BP-07]
    nvme:
      kato: 10s
      io_timeout: 15s
      admin_timeout: 20s
      max_retries: 3
      reconnect_delay: 2s
      ctrl_loss_tmo: never
      fast_io_fail_tmo: 5s
      failover_hold: 2kato+cqt
      queue_if_no_path: true
  - name: h2
    kernel: "4.15"
    multipath: off
    core: linux
    nvme: {ctrl_loss_tmo: 30s, fast_io_fail_tmo: off}
subsystems:
  - nqn: nqn.2026-01.io.nvmsim:array1
    model: "test array"
    serial: SN123
    firmware: "2.1"
    cmic: {multi_port: true, multi_ctrl: false, ana: true}
    anatt: 5s
    cqt: 250ms
    kas: 1s
    tbkas: true
    ccr: true
    vwc: false
    ports:
      - id: 1
        transport: tcp
        ana: {1: optimized, 2: non-optimized}
      - {id: 2, transport: rdma, ana: {2: inaccessible}}
    namespaces:
      - {nsid: 1, size: 64g, lba_size: 4k, ana_group: 1}
      - {nsid: 5, size: 1m, lba_size: 512, ana_group: 2}
    controller:
      max_io_queues: 8
      queue_depth: 256
      mdts: 1m
      cmd_overhead: 3us
      abort_limit: 8
      zombie_window: 50ms
    media:
      read_latency: 90us
      write_latency: 15us
      flush_latency: 1ms
      bandwidth: 6GB/s
      parallelism: 64
      jitter: {dist: uniform, sigma: 0.5, spread: 0.1}
  - nqn: nqn.2026-01.io.nvmsim:array2
    ports: [{id: 7, transport: pcie}]
links:
  - {name: a, host: h1, subsystem: nqn.2026-01.io.nvmsim:array1, port: 1, latency: 12us, bandwidth: 40Gbps}
  - {name: b, host: h1, subsystem: nqn.2026-01.io.nvmsim:array1, port: 2}
  - {name: c, host: h2, subsystem: nqn.2026-01.io.nvmsim:array2, port: 7}
connect:
  - {host: h1, link: a, nr_io_queues: 4, queue_size: 64, at: 0s, numa_node: 1}
  - {link: b, at: 1s}
workloads:
  - name: oltp
    host: h1
    target: nvme0n1
    rw: randrw
    rwmixread: 70
    bs: 4k/50:64k/50
    iodepth: 32
    numjobs: 2
    cpus: [0, 5]
    size: 1g
    offset: 1m
    rate_iops: 200k
    start: 1s
    runtime: 100s
    fua: true
    flush_every: 16
    verify: true
  - {name: scan, host: h2, target: nvme0c0n1, rw: read, bs: 128k}
faults:
  - {at: 10s, action: link-down, link: a, mode: silent}
  - {at: 20s, action: link-up, link: a}
  - {at: 21s, action: link-degrade, link: b, latency: 1ms, bandwidth: 1GB/s, loss: 0.01}
  - {at: 22s, action: port-down, subsystem: nqn.2026-01.io.nvmsim:array1, port: 2}
  - {at: 23s, action: port-up, subsystem: nqn.2026-01.io.nvmsim:array1, port: 2}
  - {at: 24s, action: ctrl-reset, subsystem: nqn.2026-01.io.nvmsim:array1, port: 1}
  - {every: 5s, count: 3, action: ctrl-hang, subsystem: nqn.2026-01.io.nvmsim:array1, cntlid: 2}
  - {at: 25s, action: ctrl-resume, subsystem: nqn.2026-01.io.nvmsim:array1, cntlid: 2}
  - {at: 26s, action: ctrl-fatal, subsystem: nqn.2026-01.io.nvmsim:array1, port: 1}
  - {at: 27s, action: ana-change, subsystem: nqn.2026-01.io.nvmsim:array1, port: 1, group: 2, state: change, via_change: false, aen: false}
  - {at: 28s, action: inject-status, subsystem: nqn.2026-01.io.nvmsim:array1, port: 1, status: "0x302", dnr: true, count: 5, match: {opcode: write, lba_range: [0, 255]}}
  - {at: 29s, action: inject-status, subsystem: nqn.2026-01.io.nvmsim:array1, port: 2, status: 6, match: {opcode: 0x7c}}
  - {at: 30s, action: power-loss, subsystem: nqn.2026-01.io.nvmsim:array2}
  - {at: 31s, action: power-restore, subsystem: nqn.2026-01.io.nvmsim:array2}
  - {at: 32s, action: host-disconnect, host: h1, link: b}
  - {at: 33s, action: host-connect, host: h1, link: b}
  - {at: 34s, action: set-iopolicy, host: h1, subsystem: nqn.2026-01.io.nvmsim:array1, iopolicy: round-robin}
  - {at: 35s, action: ns-detach, subsystem: nqn.2026-01.io.nvmsim:array1, nsid: 5, port: 2}
  - {at: 36s, action: ns-attach, subsystem: nqn.2026-01.io.nvmsim:array1, nsid: 5, port: 2}
expect:
  no_lost_io: true
  no_partial_completion: true
  linearizable: false
  durable_after_flush: true
  app_errors: 0
  max_io_stall: 40s
  failovers: {min: 1, max: 4}
  path_switch_within: 12s
  max_outstanding_at_end: 0
report:
  percentiles: [50, 99, 99.99]
  timeseries: 250ms
  trace: true
)";

TEST(ScenarioLoader, RichTopLevelAndHosts) {
  const Scenario s = load_yaml(kRich);
  EXPECT_EQ(s.file, "test.yaml");
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(s.name, "rich");
  EXPECT_EQ(s.description, "every section and key");
  EXPECT_EQ(s.seed, 7u);
  EXPECT_EQ(s.duration, 2 * kMinute);
  EXPECT_EQ(s.end_time(), 2 * kMinute);
  EXPECT_EQ(s.kernel, KernelProfile::K6_17);
  ASSERT_EQ(s.hosts.size(), 2u);

  const Host& h1 = s.hosts[0];
  EXPECT_EQ(h1.loc, (SourceLoc{"test.yaml", 8, 5}));
  EXPECT_EQ(h1.name, "h1");
  EXPECT_EQ(h1.numa_nodes, 2);
  EXPECT_EQ(h1.cpus, 8);
  EXPECT_EQ(h1.multipath, Multipath::Native);
  EXPECT_EQ(h1.iopolicy, IoPolicy::QueueDepth);
  EXPECT_EQ(h1.kernel, KernelProfile::K6_17);  // from the top-level default
  EXPECT_EQ(h1.core, HostCore::Model);
  EXPECT_EQ(h1.variant, (std::vector<std::string>{"BP-01", "BP-07"}));
  EXPECT_EQ(h1.nvme.kato, 10 * kSecond);
  EXPECT_EQ(h1.nvme.io_timeout, 15 * kSecond);
  EXPECT_EQ(h1.nvme.admin_timeout, 20 * kSecond);
  EXPECT_EQ(h1.nvme.max_retries, 3);
  EXPECT_EQ(h1.nvme.reconnect_delay, 2 * kSecond);
  EXPECT_EQ(h1.nvme.ctrl_loss_tmo, std::nullopt);
  EXPECT_EQ(h1.nvme.fast_io_fail_tmo, 5 * kSecond);
  EXPECT_EQ(h1.nvme.failover_hold, FailoverHold::TwoKato_Cqt);
  EXPECT_TRUE(h1.nvme.queue_if_no_path);

  const Host& h2 = s.hosts[1];
  EXPECT_EQ(h2.kernel, KernelProfile::K4_15);
  EXPECT_EQ(h2.multipath, Multipath::Off);
  EXPECT_EQ(h2.core, HostCore::Linux);
  EXPECT_EQ(h2.nvme.ctrl_loss_tmo, 30 * kSecond);
  EXPECT_EQ(h2.nvme.fast_io_fail_tmo, std::nullopt);
  EXPECT_EQ(h2.nvme.kato, 5 * kSecond);
}

TEST(ScenarioLoader, RichSubsystems) {
  const Scenario s = load_yaml(kRich);
  ASSERT_EQ(s.subsystems.size(), 2u);
  const Subsystem& a = s.subsystems[0];
  EXPECT_EQ(a.nqn, kNqn1);
  EXPECT_EQ(a.model, "test array");
  EXPECT_EQ(a.serial, "SN123");
  EXPECT_EQ(a.firmware, "2.1");
  EXPECT_TRUE(a.cmic.multi_port);
  EXPECT_FALSE(a.cmic.multi_ctrl);
  EXPECT_TRUE(a.cmic.ana);
  EXPECT_EQ(a.anatt, 5 * kSecond);
  EXPECT_EQ(a.cqt, 250 * kMillisecond);
  EXPECT_EQ(a.kas, kSecond);
  EXPECT_TRUE(a.tbkas);
  EXPECT_TRUE(a.ccr);
  EXPECT_FALSE(a.vwc);
  ASSERT_EQ(a.ports.size(), 2u);
  EXPECT_EQ(a.ports[0].id, 1);
  EXPECT_EQ(a.ports[0].transport, Transport::Tcp);
  EXPECT_EQ(a.ports[0].ana,
            (std::map<int, AnaState>{{1, AnaState::Optimized}, {2, AnaState::NonOptimized}}));
  EXPECT_EQ(a.ports[1].transport, Transport::Rdma);
  // Group 1 is not in port 2's map: filled in as optimized.
  EXPECT_EQ(a.ports[1].ana,
            (std::map<int, AnaState>{{1, AnaState::Optimized}, {2, AnaState::Inaccessible}}));
  ASSERT_EQ(a.namespaces.size(), 2u);
  EXPECT_EQ(a.namespaces[1].nsid, 5u);
  EXPECT_EQ(a.namespaces[1].size, 1u << 20);
  EXPECT_EQ(a.namespaces[1].lba_size, 512u);
  EXPECT_EQ(a.namespaces[1].ana_group, 2);
  EXPECT_EQ(a.namespaces[0].size, 64ull << 30);
  EXPECT_EQ(a.controller.max_io_queues, 8);
  EXPECT_EQ(a.controller.queue_depth, 256);
  EXPECT_EQ(a.controller.mdts, 1u << 20);
  EXPECT_EQ(a.controller.cmd_overhead, 3 * kMicrosecond);
  EXPECT_EQ(a.controller.abort_limit, 8);
  EXPECT_EQ(a.controller.zombie_window, 50 * kMillisecond);
  EXPECT_EQ(a.media.read_latency, 90 * kMicrosecond);
  EXPECT_EQ(a.media.write_latency, 15 * kMicrosecond);
  EXPECT_EQ(a.media.flush_latency, kMillisecond);
  EXPECT_EQ(a.media.bandwidth, 6'000'000'000u);
  EXPECT_EQ(a.media.parallelism, 64);
  EXPECT_EQ(a.media.jitter.dist, JitterDist::Uniform);
  EXPECT_EQ(a.media.jitter.sigma, 0.5);
  EXPECT_EQ(a.media.jitter.spread, 0.1);

  const Subsystem& b = s.subsystems[1];
  ASSERT_EQ(b.ports.size(), 1u);
  EXPECT_EQ(b.ports[0].id, 7);
  EXPECT_EQ(b.ports[0].transport, Transport::Pcie);
}

TEST(ScenarioLoader, RichLinksConnectWorkloads) {
  const Scenario s = load_yaml(kRich);
  ASSERT_EQ(s.links.size(), 3u);
  EXPECT_EQ(s.links[0].latency, 12 * kMicrosecond);
  EXPECT_EQ(s.links[0].bandwidth, 5'000'000'000u);
  // Not given: the transport of the port decides.
  EXPECT_EQ(s.links[1].latency, fabric::transport_defaults(Transport::Rdma).link_latency);
  EXPECT_EQ(s.links[1].bandwidth, fabric::transport_defaults(Transport::Rdma).link_bandwidth);
  EXPECT_EQ(s.links[2].latency, fabric::transport_defaults(Transport::Pcie).link_latency);
  EXPECT_EQ(s.links[2].subsystem, kNqn2);
  EXPECT_EQ(s.links[2].port, 7);

  // An explicit connect section: link c is not connected at start.
  ASSERT_EQ(s.connect.size(), 2u);
  EXPECT_EQ(s.connect[0].nr_io_queues, 4);
  EXPECT_EQ(s.connect[0].queue_size, 64);
  EXPECT_EQ(s.connect[0].numa_node, 1);
  EXPECT_EQ(s.connect[1].numa_node, -1);
  EXPECT_EQ(s.connect[1].host, "h1");  // follows from the link
  EXPECT_EQ(s.connect[1].link, "b");
  EXPECT_EQ(s.connect[1].at, kSecond);
  EXPECT_EQ(s.connect[1].queue_size, 128);

  ASSERT_EQ(s.workloads.size(), 2u);
  const Workload& w = s.workloads[0];
  EXPECT_EQ(w.rw, RwMode::RandRw);
  EXPECT_EQ(w.rwmixread, 70);
  ASSERT_EQ(w.bs.size(), 2u);
  EXPECT_EQ(w.bs[0].bs, 4096u);
  EXPECT_EQ(w.bs[0].percent, 50);
  EXPECT_EQ(w.bs[1].bs, 65536u);
  EXPECT_EQ(w.iodepth, 32);
  EXPECT_EQ(w.numjobs, 2);
  EXPECT_EQ(w.cpus, (std::vector<int>{0, 5}));
  EXPECT_EQ(w.size, 1ull << 30);
  EXPECT_EQ(w.offset, 1u << 20);
  EXPECT_EQ(w.rate_iops, 200'000u);
  EXPECT_EQ(w.start, kSecond);
  EXPECT_EQ(w.runtime, 100 * kSecond);
  EXPECT_TRUE(w.fua);
  EXPECT_EQ(w.flush_every, 16u);
  EXPECT_TRUE(w.verify);
  const Workload& scan = s.workloads[1];
  EXPECT_EQ(scan.target, "nvme0c0n1");
  EXPECT_EQ(scan.rw, RwMode::Read);
  EXPECT_EQ(scan.bs.size(), 1u);
  EXPECT_EQ(scan.bs[0].bs, 128u * 1024);
  EXPECT_EQ(scan.runtime, std::nullopt);
}

TEST(ScenarioLoader, RichFaultsExpectReport) {
  const Scenario s = load_yaml(kRich);
  ASSERT_EQ(s.faults.size(), 19u);
  const Fault& degrade = s.faults[2];
  EXPECT_EQ(degrade.action, "link-degrade");
  EXPECT_EQ(degrade.latency, kMillisecond);
  EXPECT_EQ(degrade.bandwidth, 1'000'000'000u);
  EXPECT_EQ(degrade.loss, 0.01);
  const Fault& hang = s.faults[6];
  EXPECT_EQ(hang.at, 5 * kSecond);  // repeating without `at`: first one period in
  EXPECT_EQ(hang.every, 5 * kSecond);
  EXPECT_EQ(hang.count, 3);
  EXPECT_EQ(hang.cntlid, 2);
  EXPECT_EQ(hang.port, std::nullopt);
  const Fault& ana = s.faults[9];
  EXPECT_EQ(ana.group, 2);
  EXPECT_EQ(ana.state, AnaState::Change);
  EXPECT_FALSE(ana.via_change);
  EXPECT_FALSE(ana.aen);
  const Fault& inject = s.faults[10];
  EXPECT_EQ(inject.status, 0x302);
  EXPECT_TRUE(inject.dnr);
  EXPECT_EQ(inject.inject_count, 5);
  EXPECT_EQ(inject.count, 1);
  EXPECT_EQ(inject.match_opcode, 0x01);
  EXPECT_EQ(inject.match_lba_range, (std::pair<std::uint64_t, std::uint64_t>{0, 255}));
  EXPECT_EQ(s.faults[11].status, 6);
  EXPECT_EQ(s.faults[11].match_opcode, 0x7c);
  EXPECT_EQ(s.faults[11].inject_count, std::nullopt);
  EXPECT_EQ(s.faults[16].iopolicy, IoPolicy::RoundRobin);
  EXPECT_EQ(s.faults[17].nsid, 5u);
  EXPECT_EQ(s.faults[17].port, 2);
  EXPECT_EQ(s.faults[0].mode, LinkDownMode::Silent);
  EXPECT_EQ(s.faults[0].loc, (SourceLoc{"test.yaml", 93, 5}));

  const Expect& e = s.expect;
  EXPECT_EQ(e.no_lost_io, true);
  EXPECT_EQ(e.no_partial_completion, true);
  EXPECT_EQ(e.linearizable, false);
  EXPECT_EQ(e.durable_after_flush, true);
  ASSERT_TRUE(e.app_errors);
  EXPECT_EQ(e.app_errors->min, std::nullopt);
  EXPECT_EQ(e.app_errors->max, 0);
  EXPECT_EQ(e.max_io_stall, 40 * kSecond);
  ASSERT_TRUE(e.failovers);
  EXPECT_EQ(e.failovers->min, 1);
  EXPECT_EQ(e.failovers->max, 4);
  EXPECT_EQ(e.path_switch_within, 12 * kSecond);
  EXPECT_EQ(e.max_outstanding_at_end, 0);

  EXPECT_EQ(s.report.percentiles, (std::vector<double>{50, 99, 99.99}));
  EXPECT_EQ(s.report.timeseries, 250 * kMillisecond);
  EXPECT_TRUE(s.report.trace);
}

TEST(ScenarioLoader, Defaults) {
  const Scenario s = load_yaml(R"(nvmsim: 1
duration: 1s
kernel: "6.1"
hosts: [{name: h}]
subsystems: [{nqn: nqn.2026-01.io.nvmsim:d}]
links: [{name: l, host: h, subsystem: nqn.2026-01.io.nvmsim:d}]
)");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.name, "");
  ASSERT_EQ(s.hosts.size(), 1u);
  EXPECT_EQ(s.hosts[0].kernel, KernelProfile::K6_1);
  EXPECT_EQ(s.hosts[0].cpus, 4);
  EXPECT_EQ(s.hosts[0].numa_nodes, 1);
  EXPECT_EQ(s.hosts[0].iopolicy, IoPolicy::Numa);
  EXPECT_TRUE(s.hosts[0].nvme == NvmeOptions{});
  const Subsystem& sub = s.subsystems[0];
  ASSERT_EQ(sub.ports.size(), 1u);
  EXPECT_EQ(sub.ports[0].id, 1);
  EXPECT_EQ(sub.ports[0].transport, Transport::Tcp);
  EXPECT_EQ(sub.ports[0].ana, (std::map<int, AnaState>{{1, AnaState::Optimized}}));
  ASSERT_EQ(sub.namespaces.size(), 1u);
  EXPECT_EQ(sub.namespaces[0].nsid, 1u);
  EXPECT_EQ(sub.namespaces[0].size, 64ull << 30);
  EXPECT_EQ(sub.namespaces[0].lba_size, 4096u);
  EXPECT_TRUE(sub.controller == ControllerConfig{});
  EXPECT_TRUE(sub.media == Media{});
  EXPECT_TRUE(sub.cmic == Cmic{});
  EXPECT_EQ(sub.model, "nvmsim array");
  ASSERT_EQ(sub.serial.size(), 18u) << sub.serial;
  EXPECT_EQ(sub.serial.substr(0, 6), "NVMSIM");
  EXPECT_EQ(sub.serial.find_first_not_of("0123456789ABCDEF", 6), std::string::npos) << sub.serial;
  EXPECT_EQ(s.links[0].port, 1);
  EXPECT_EQ(s.links[0].latency, 10 * kMicrosecond);
  EXPECT_EQ(s.links[0].bandwidth, 3'125'000'000u);
  // No connect section: one connect per link at t=0.
  ASSERT_EQ(s.connect.size(), 1u);
  EXPECT_EQ(s.connect[0].host, "h");
  EXPECT_EQ(s.connect[0].link, "l");
  EXPECT_EQ(s.connect[0].at, 0);
  EXPECT_EQ(s.connect[0].nr_io_queues, 0);
  EXPECT_TRUE(s.expect.empty());
  EXPECT_TRUE(s.report == Report{});
  EXPECT_TRUE(s.faults.empty());
}

TEST(ScenarioLoader, SerialIsDerivedFromTheNqnDeterministically) {
  auto serial = [](const std::string& nqn) {
    return load_yaml("nvmsim: 1\nduration: 1s\nsubsystems: [{nqn: " + nqn + "}]\n")
        .subsystems[0]
        .serial;
  };
  EXPECT_EQ(serial("nqn.a:1"), serial("nqn.a:1"));
  EXPECT_NE(serial("nqn.a:1"), serial("nqn.a:2"));
  EXPECT_LE(serial("nqn.a:1").size(), 20u);
}

TEST(ScenarioLoader, DurationMayComeFromWorkloadRuntimes) {
  const Scenario s = load_yaml(R"(nvmsim: 1
hosts: [{name: h}]
workloads:
  - {name: a, host: h, target: nvme0n1, runtime: 5s}
  - {name: b, host: h, target: nvme0n1, start: 2s, runtime: 10s}
)");
  EXPECT_EQ(s.duration, std::nullopt);
  EXPECT_EQ(s.end_time(), 12 * kSecond);
}

TEST(ScenarioLoader, EmptyConnectSectionConnectsNothing) {
  const Scenario s = load_yaml(R"(nvmsim: 1
duration: 1s
hosts: [{name: h}]
subsystems: [{nqn: nqn.x:y}]
links: [{name: l, host: h, subsystem: nqn.x:y}]
connect: []
)");
  EXPECT_TRUE(s.connect.empty());
}

// ---- round trip -------------------------------------------------------------------------------

// Places differ between a file and its dump; everything else must not.
Scenario without_locations(Scenario s) {
  s.file.clear();
  for (Host& h : s.hosts) h.loc = {};
  for (Subsystem& sub : s.subsystems) {
    sub.loc = {};
    for (Port& p : sub.ports) p.loc = {};
    for (Namespace& ns : sub.namespaces) ns.loc = {};
  }
  for (Link& l : s.links) l.loc = {};
  for (Connect& c : s.connect) c.loc = {};
  for (Workload& w : s.workloads) w.loc = {};
  for (Fault& f : s.faults) f.loc = {};
  s.expect.loc = {};
  return s;
}

void expect_round_trip(const std::string& yaml) {
  const Scenario first = load_yaml(yaml);
  const std::string dumped = dump_yaml(first);
  ASSERT_EQ(dumped.rfind("nvmsim: 1\n", 0), 0u) << dumped;
  const Scenario second = load_string(dumped, "dump.yaml");
  EXPECT_TRUE(without_locations(first) == without_locations(second)) << dumped;
  EXPECT_EQ(dump_yaml(second), dumped);
}

TEST(ScenarioLoader, DumpRoundTripsTheRichScenario) { expect_round_trip(kRich); }

TEST(ScenarioLoader, DumpRoundTripsEdgeCases) {
  expect_round_trip(R"(nvmsim: 1
name: "quotes: 'and' \"more\" # not a comment"
description: "multi\nline"
hosts: [{name: h, cpus: 3}]
subsystems: [{nqn: "nqn.x:y", namespaces: [], firmware: "007"}]
links: [{name: l, host: h, subsystem: "nqn.x:y", bandwidth: 12345678901}]
connect: []
workloads: [{name: w, host: h, target: nvme0n1, runtime: 1500us, bs: 512/33:1k/67}]
faults:
  - {at: 1ns, action: link-degrade, link: l, loss: 0.1}
  - {at: 1ns, action: link-degrade, link: l, loss: 1e-5, bandwidth: 3GiB/s}
  - {at: 2s, action: inject-status, subsystem: "nqn.x:y", port: 1, status: 0x7FF, match: {opcode: 255}}
expect: {failovers: 2, app_errors: {min: 1, max: 3}}
report: {percentiles: [], timeseries: off}
)");
}

TEST(ScenarioLoader, DumpOfDefaultsIsStable) {
  const Scenario s = load_yaml("nvmsim: 1\nduration: 1s\n");
  EXPECT_EQ(dump_yaml(s), dump_yaml(load_string(dump_yaml(s), "dump.yaml")));
  EXPECT_NE(dump_yaml(s).find("percentiles: [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, "
                              "99.5, 99.9, 99.95, 99.99]"),
            std::string::npos)
      << dump_yaml(s);
}

// ---- --set ------------------------------------------------------------------------------------

constexpr const char* kSmall = R"(nvmsim: 1
duration: 1s
hosts: [{name: h1, cpus: 4}]
subsystems: [{nqn: nqn.x:y, ports: [{id: 1}]}]
links: [{name: a, host: h1, subsystem: nqn.x:y}]
workloads: [{name: w, host: h1, target: nvme0n1}]
)";

TEST(ScenarioLoader, OverridesApplyBeforeValidation) {
  const Scenario s =
      load_yaml(kSmall, {"hosts.0.iopolicy=round-robin", "workloads.0.cpus=[0, 3]", "seed=9",
                         "hosts.0.nvme.kato=1s", "subsystems.0.ports.0.ana.1=inaccessible",
                         "report.timeseries=off", "name=a=b"});
  EXPECT_EQ(s.hosts[0].iopolicy, IoPolicy::RoundRobin);
  EXPECT_EQ(s.workloads[0].cpus, (std::vector<int>{0, 3}));
  EXPECT_EQ(s.seed, 9u);
  EXPECT_EQ(s.hosts[0].nvme.kato, kSecond);
  EXPECT_EQ(s.subsystems[0].ports[0].ana.at(1), AnaState::Inaccessible);
  EXPECT_EQ(s.report.timeseries, std::nullopt);
  EXPECT_EQ(s.name, "a=b");  // the first '=' separates path and value
}

TEST(ScenarioLoader, OverrideErrorsPointIntoTheOverride) {
  auto at = [](int column, std::string key, std::string message) {
    return Want{1, column, std::move(key), std::move(message), std::nullopt, "--set"};
  };
  EXPECT_TRUE(yaml_fails_as(kSmall, at(1, "", "--set expects key.path=value"), {"seed"}));
  EXPECT_TRUE(
      yaml_fails_as(kSmall, at(7, "hosts[5]", "item 5 does not exist"), {"hosts.5.cpus=2"}));
  EXPECT_TRUE(
      yaml_fails_as(kSmall, at(7, "hosts", "expected an item number"), {"hosts.h1.cpus=2"}));
  EXPECT_TRUE(yaml_fails_as(kSmall, at(10, "duration", "it is a single value"), {"duration.x=1"}));
  EXPECT_TRUE(yaml_fails_as(
      kSmall, at(14, "subsystems[0].namespaces", "namespaces must be a list, got a map"),
      {"subsystems.0.namespaces.0.nsid=2"}));
  EXPECT_TRUE(yaml_fails_as(kSmall, at(7, "", "empty key"), {"hosts..cpus=1"}));
  EXPECT_TRUE(yaml_fails_as(kSmall, at(1, "include", "include cannot be changed"), {"include=x"}));
  // Values are validated like file values, located in the override string.
  EXPECT_TRUE(yaml_fails_as(kSmall, at(14, "hosts[0].cpus", "cpus must be between 1 and 1024"),
                            {"hosts.0.cpus=2000"}));
  EXPECT_TRUE(yaml_fails_as(kSmall, at(18, "hosts[0].iopolicy", "unknown iopolicy 'fifo'"),
                            {"hosts.0.iopolicy=fifo"}));
  EXPECT_TRUE(yaml_fails_as(kSmall, at(1, "sed", "unknown key 'sed'"), {"sed=3"}));
  // `nvme` is created by the override; the unknown key is reported where it is written.
  EXPECT_TRUE(yaml_fails_as(kSmall, at(14, "hosts[0].nvme.kaot", "unknown key 'kaot'"),
                            {"hosts.0.nvme.kaot=1s"}));
  EXPECT_TRUE(yaml_fails_as(kSmall, at(6, "", "YAML syntax error"), {"seed=[1"}));
}

// ---- include ----------------------------------------------------------------------------------

class ScenarioInclude : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) / (std::string("nvmsim_include_") + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string path(const std::string& name) const {
    return (dir_ / name).lexically_normal().string();
  }

  fs::path dir_;
};

TEST_F(ScenarioInclude, SectionsMergeIncludedFirst) {
  write("base.yaml", R"(seed: 3
name: base
hosts:
  - name: h1
subsystems:
  - nqn: nqn.2026-01.io.nvmsim:s
expect:
  no_lost_io: true
  app_errors: 0
report:
  trace: true
)");
  const std::string main = write("main.yaml", R"(nvmsim: 1
include: [base.yaml]
name: main
duration: 5s
hosts:
  - name: h2
links:
  - {name: a, host: h1, subsystem: nqn.2026-01.io.nvmsim:s}
expect:
  app_errors: 2
)");
  const Scenario s = load_file(main);
  ASSERT_EQ(s.hosts.size(), 2u);
  EXPECT_EQ(s.hosts[0].name, "h1");
  EXPECT_EQ(s.hosts[0].loc.file, path("base.yaml"));
  EXPECT_EQ(s.hosts[1].name, "h2");
  EXPECT_EQ(s.name, "main");  // the including file wins
  EXPECT_EQ(s.seed, 3u);      // only the included file says
  EXPECT_EQ(s.expect.no_lost_io, true);
  EXPECT_EQ(s.expect.app_errors->max, 2);
  EXPECT_TRUE(s.report.trace);
}

TEST_F(ScenarioInclude, ErrorsNameTheIncludedFile) {
  write("topo/hosts.yaml", "hosts:\n  - name: h1\n    iopolcy: numa\n");
  const std::string main =
      write("main.yaml", "nvmsim: 1\nduration: 1s\ninclude: [topo/hosts.yaml]\n");
  EXPECT_TRUE(fails_as([&] { load_file(main); },
                       Want{3, 5, "hosts[0].iopolcy", "unknown key 'iopolcy'",
                            "did you mean 'iopolicy'?", path("topo/hosts.yaml")}));
}

TEST_F(ScenarioInclude, LaterErrorsAboutIncludedItemsNameThatFile) {
  write("topo.yaml", "hosts:\n  - name: h1\n");
  const std::string main = write("main.yaml", R"(nvmsim: 1
duration: 1s
include: [topo.yaml]
hosts:
  - name: h1
)");
  EXPECT_TRUE(fails_as([&] { load_file(main); },
                       Want{5, 11, "hosts[1].name", "duplicate host 'h1'",
                            "first defined at " + path("topo.yaml") + ":2:5", main}));
}

TEST_F(ScenarioInclude, NestedIncludesAreRelativeToTheirFile) {
  write("lib/a.yaml", "include: [b.yaml]\nhosts: [{name: from_a}]\n");
  write("lib/b.yaml", "nvmsim: 1\nhosts: [{name: from_b}]\n");
  write("lib/c.yaml", "include: [b.yaml]\n");  // b reached twice: merged once
  const std::string main =
      write("main.yaml", "nvmsim: 1\nduration: 1s\ninclude: [lib/a.yaml, lib/c.yaml]\n");
  const Scenario s = load_file(main);
  ASSERT_EQ(s.hosts.size(), 2u);
  EXPECT_EQ(s.hosts[0].name, "from_b");
  EXPECT_EQ(s.hosts[1].name, "from_a");
}

TEST_F(ScenarioInclude, CyclesAndMissingFilesAreErrors) {
  write("a.yaml", "include: [b.yaml]\n");
  write("b.yaml", "hosts: []\ninclude: [a.yaml]\n");
  const std::string main = write("main.yaml", "nvmsim: 1\ninclude: [a.yaml]\n");
  EXPECT_TRUE(fails_as([&] { load_file(main); },
                       Want{2, 11, "include[0]", "include cycle: a.yaml -> b.yaml -> a.yaml",
                            std::nullopt, path("b.yaml")}));
  const std::string missing = write("missing.yaml", "nvmsim: 1\ninclude:\n  - nope.yaml\n");
  EXPECT_TRUE(
      fails_as([&] { load_file(missing); },
               Want{3, 5, "include[0]", "cannot read included file", std::nullopt, missing}));
  const std::string v2 = write("v2.yaml", "nvmsim: 2\n");
  const std::string main2 = write("main2.yaml", "nvmsim: 1\nduration: 1s\ninclude: v2.yaml\n");
  EXPECT_TRUE(fails_as([&] { load_file(main2); },
                       Want{1, 9, "nvmsim", "unsupported format version 2", std::nullopt, v2}));
}

TEST(ScenarioLoaderFiles, UnreadableFile) {
  EXPECT_TRUE(
      fails_as([] { load_file("/nonexistent/x.yaml"); },
               Want{0, 0, "", "cannot read scenario file", std::nullopt, "/nonexistent/x.yaml"}));
}

// ---- the malformed corpus ---------------------------------------------------------------------

TEST(ScenarioMalformed, EveryFileFailsWhereItsHeaderSays) {
  const fs::path dir = fs::path(NVMSIM_SOURCE_DIR) / "tests" / "malformed";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  EXPECT_GE(files.size(), 25u);
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    std::ifstream in(file);
    std::string first;
    std::getline(in, first);
    // "# expect-error: LINE:COL: substring"
    int line = 0;
    int column = 0;
    int consumed = 0;
    const bool ok =
        std::sscanf(first.c_str(), "# expect-error: %d:%d: %n", &line, &column, &consumed) == 2 &&
        consumed > 0 && static_cast<std::size_t>(consumed) < first.size();
    ASSERT_TRUE(ok) << "bad header: " << first;
    const std::string substring = first.substr(static_cast<std::size_t>(consumed));
    try {
      load_file(file.string());
      ADD_FAILURE() << "loaded without error";
    } catch (const InputError& e) {
      EXPECT_EQ(e.loc().file, file.string());
      EXPECT_EQ(e.loc().line, line) << e.format();
      EXPECT_EQ(e.loc().column, column) << e.format();
      EXPECT_NE(e.format().find(substring), std::string::npos)
          << "'" << substring << "' not in: " << e.format();
    }
  }
}

// Two links from one host to one port are two controllers through the same port, legal in
// NVMe-oF. SimGrid has one route per host pair; the run used to abort with "route already exists".
TEST(ScenarioTwoLinksOnePort, RunsWithTwoControllers) {
  const Scenario s = load_string(R"(nvmsim: 1
duration: 200ms
hosts: [{name: h1}]
subsystems: [{nqn: "nqn.2026-01.io.nvmsim:a1", ports: [{id: 1}]}]
links:
  - {name: a, host: h1, subsystem: "nqn.2026-01.io.nvmsim:a1", port: 1}
  - {name: b, host: h1, subsystem: "nqn.2026-01.io.nvmsim:a1", port: 1}
workloads: [{name: w, host: h1, target: nvme0n1, rw: randread, iodepth: 4}]
faults:
  - {at: 50ms, action: link-down, link: b}
  - {at: 100ms, action: link-up, link: b}
expect: {app_errors: {max: 0}}
)", "two-links.yaml");
  const auto r = sim::api::run(s);
  EXPECT_EQ(r.exit_code, 0) << r.error << r.summary;
  // Both links end at port 1 of the first subsystem: its default address, 192.168.1.1:4420.
  EXPECT_NE(r.topology_text.find("nvme0 tcp traddr=192.168.1.1,trsvcid=4420 live"), std::string::npos) << r.topology_text;
  EXPECT_NE(r.topology_text.find("nvme1 tcp traddr=192.168.1.1,trsvcid=4420 live"), std::string::npos) << r.topology_text;
}

}  // namespace
}  // namespace sim::scenario
