// Scenario loader errors, one category at a time: each asserts the exact line, column, key and
// (where the loader gives one) hint, because the error is the user interface. Columns are written
// as "the first occurrence of <token> on line N" so that each expectation reads as what it means.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenario_test_support.hpp"
#include "sim/scenario/loader.hpp"

namespace sim::scenario {
namespace {

using testing::load_yaml;
using testing::Want;
using testing::yaml_fails_as;

// 1-based column of the first `token` on 1-based `line` of `doc`; 0 if absent (fails the test).
int column_of(const std::string& doc, int line, const std::string& token) {
  std::istringstream in(doc);
  std::string text;
  for (int i = 0; i < line && std::getline(in, text); ++i) {
  }
  const std::size_t pos = text.find(token);
  return pos == std::string::npos ? 0 : static_cast<int>(pos) + 1;
}

// `doc` must fail pointing at `token` on `line`.
::testing::AssertionResult fails_at(const std::string& doc, int line, const std::string& token,
                                    const std::string& key, const std::string& message,
                                    std::optional<std::string> hint = std::nullopt) {
  const int column = column_of(doc, line, token);
  if (column == 0) return ::testing::AssertionFailure() << "'" << token << "' not on line " << line;
  return yaml_fails_as(doc, Want{line, column, key, message, std::move(hint)});
}

// 10 lines; tests append from line 11.
const std::string kTopo = R"(nvmsim: 1
duration: 10s
hosts:
  - {name: h1, cpus: 4}
subsystems:
  - nqn: nqn.2026-01.io.nvmsim:a1
    ports: [{id: 1}, {id: 2}]
links:
  - {name: a, host: h1, subsystem: nqn.2026-01.io.nvmsim:a1, port: 1}
  - {name: b, host: h1, subsystem: nqn.2026-01.io.nvmsim:a1, port: 2}
)";

// One host; `body` adds its keys from line 5.
std::string host_with(const std::string& body) {
  return "nvmsim: 1\nduration: 1s\nhosts:\n  - name: h1\n" + body;
}

// One subsystem; `body` adds its keys from line 5.
std::string subsystem_with(const std::string& body) {
  return "nvmsim: 1\nduration: 1s\nsubsystems:\n  - nqn: nqn.a:b\n" + body;
}

// kTopo plus one fault on line 12.
std::string fault(const std::string& entry) { return kTopo + "faults:\n  - " + entry + "\n"; }

// kTopo plus one workload whose keys start on line 15.
std::string workload_with(const std::string& body) {
  return kTopo + "workloads:\n  - name: w\n    host: h1\n    target: nvme0n1\n" + body;
}

TEST(ScenarioLoaderErrors, FixturesAreValid) {
  EXPECT_NO_THROW(load_yaml(kTopo));
  EXPECT_NO_THROW(load_yaml(fault("{at: 1s, action: link-down, link: a}")));
  EXPECT_NO_THROW(load_yaml(host_with("    cpus: 2\n")));
  EXPECT_NO_THROW(load_yaml(subsystem_with("    kas: 1s\n")));
  EXPECT_NO_THROW(load_yaml(workload_with("    bs: 4k\n")));
}

TEST(ScenarioLoaderErrors, YamlSyntax) {
  EXPECT_TRUE(fails_at("nvmsim: 1\nduration: 5s\n  seed: 2\n", 3, ":", "",
                       "YAML syntax error: illegal map value",
                       "check the indentation of this line against the one above, or quote a "
                       "value that contains ': '"));
  // yaml-cpp notices an unclosed flow list at the end of the input.
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\nhosts: [{name: h1}\n",
                            {3, 1, "", "YAML syntax error: end of sequence flow not found",
                             "a '[' or '{' opened earlier is never closed"}));
  EXPECT_TRUE(fails_at("nvmsim: 1\n---\nduration: 5s\n", 3, "duration", "",
                       "a scenario is a single YAML document",
                       "remove the '---' separator or split the file"));
  EXPECT_TRUE(
      fails_at("- nvmsim: 1\n", 1, "-", "", "a scenario file is a map of sections, got a list"));
}

TEST(ScenarioLoaderErrors, Version) {
  EXPECT_TRUE(fails_at("duration: 1s\n", 1, "duration", "nvmsim", "missing required key 'nvmsim'",
                       "start the file with 'nvmsim: 1' (the format version)"));
  EXPECT_TRUE(yaml_fails_as("", {1, 1, "nvmsim", "missing required key 'nvmsim'"}));
  EXPECT_TRUE(fails_at("nvmsim: 2\nduration: 1s\n", 1, "2", "nvmsim",
                       "unsupported format version 2",
                       "this nvmsim reads format version 1 ('nvmsim: 1')"));
  EXPECT_TRUE(fails_at("nvmsim: one\n", 1, "one", "nvmsim", "expected an integer, got 'one'"));
}

TEST(ScenarioLoaderErrors, UnknownKeys) {
  EXPECT_TRUE(fails_at("nvmsim: 1\nduration: 1s\nseeds: 3\n", 3, "seeds", "seeds",
                       "unknown key 'seeds'", "did you mean 'seed'?"));
  EXPECT_TRUE(fails_at(host_with("    iopolcy: numa\n"), 5, "iopolcy", "hosts[0].iopolcy",
                       "unknown key 'iopolcy'", "did you mean 'iopolicy'?"));
  EXPECT_TRUE(fails_at(host_with("    kato: 5s\n"), 5, "kato", "hosts[0].kato",
                       "unknown key 'kato'",
                       "'kato' belongs in hosts[].nvme; valid keys here: name, numa_nodes, cpus, "
                       "multipath, iopolicy, kernel, core, variant, nvme, hostid"));
  EXPECT_TRUE(fails_at(subsystem_with("    cmic: {foo: true}\n"), 5, "foo",
                       "subsystems[0].cmic.foo", "unknown key 'foo'",
                       "valid keys: multi_port, multi_ctrl, ana"));
  EXPECT_TRUE(fails_at(host_with("    nvme:\n      kato: 1s\n      kato: 2s\n"), 7, "kato",
                       "hosts[0].nvme.kato", "duplicate key 'kato'",
                       "first given at line 6, column 7"));
  EXPECT_TRUE(fails_at("nvmsim: 1\nduration: 1s\nexpect: {app_error: 0}\n", 3, "app_error",
                       "expect.app_error", "unknown key 'app_error'",
                       "did you mean 'app_errors'?"));
  EXPECT_TRUE(fails_at(kTopo + "hosts2: 1\n", 11, "hosts2", "hosts2", "unknown key 'hosts2'",
                       "did you mean 'hosts'?"));
}

TEST(ScenarioLoaderErrors, WrongTypes) {
  EXPECT_TRUE(fails_at(host_with("    cpus: [1]\n"), 5, "[", "hosts[0].cpus",
                       "expected an integer, got a list", ""));
  EXPECT_TRUE(fails_at(host_with("    cpus: abc\n"), 5, "abc", "hosts[0].cpus",
                       "expected an integer, got 'abc'", ""));
  EXPECT_TRUE(fails_at(host_with("    nvme: 5\n"), 5, "5", "hosts[0].nvme",
                       "expected a map of keys, got '5'"));
  EXPECT_TRUE(fails_at(host_with("    nvme: {queue_if_no_path: yes}\n"), 5, "yes",
                       "hosts[0].nvme.queue_if_no_path", "expected true or false, got 'yes'"));
  EXPECT_TRUE(fails_at("nvmsim: 1\nduration: 1s\nhosts: {name: h1}\n", 3, "{", "hosts",
                       "hosts must be a list, got a map",
                       "write one item per '-' line, e.g. '- name: h1'"));
  EXPECT_TRUE(fails_at("nvmsim: 1\nduration: 1s\nhosts:\n  - name: [h1]\n", 4, "[", "hosts[0].name",
                       "expected a string, got a list"));
  // An empty value is reported at its key: yaml-cpp would place it on the next line.
  EXPECT_TRUE(
      fails_at(host_with("    cpus:\n"), 5, "cpus", "hosts[0].cpus", "missing value for 'cpus'"));
  EXPECT_TRUE(fails_at(host_with("    variant: BP-01\n"), 5, "BP-01", "hosts[0].variant",
                       "variant must be a list, got 'BP-01'"));
}

TEST(ScenarioLoaderErrors, Units) {
  const std::string duration_hint =
      "a duration is a number with a unit ns, us, ms, s or m, e.g. 5s, 80us, 1.5ms, in whole "
      "nanoseconds";
  EXPECT_TRUE(fails_at(host_with("    nvme: {kato: 5 sec}\n"), 5, "5 sec", "hosts[0].nvme.kato",
                       "invalid duration '5 sec'", duration_hint));
  EXPECT_TRUE(fails_at("nvmsim: 1\nduration: 10xs\n", 2, "10xs", "duration",
                       "invalid duration '10xs'", duration_hint));
  EXPECT_TRUE(fails_at("nvmsim: 1\nduration: 10\n", 2, "10", "duration", "invalid duration '10'",
                       "add a unit, e.g. '10s' or '10ms'; " + duration_hint));
  EXPECT_TRUE(fails_at(host_with("    nvme: {ctrl_loss_tmo: forever}\n"), 5, "forever",
                       "hosts[0].nvme.ctrl_loss_tmo", "invalid duration 'forever'",
                       duration_hint + ", or 'never'"));
  EXPECT_TRUE(fails_at(workload_with("    start: 0.1ns\n"), 15, "0.1ns", "workloads[0].start",
                       "invalid duration '0.1ns'"));
  EXPECT_TRUE(fails_at(subsystem_with("    media: {bandwidth: 25Gbit}\n"), 5, "25Gbit",
                       "subsystems[0].media.bandwidth", "invalid bandwidth '25Gbit'",
                       "e.g. 25Gbps (bits, decimal), 3GB/s or 100MB/s (bytes, decimal), 3GiB/s "
                       "(bytes, binary), or a plain number of bytes per second"));
  EXPECT_TRUE(fails_at(subsystem_with("    namespaces: [{size: 4kb}]\n"), 5, "4kb",
                       "subsystems[0].namespaces[0].size", "invalid size '4kb'",
                       "a size is a byte count with an optional binary multiplier: 512, 4k or "
                       "4KiB, 1m, 1g, 1t"));
  EXPECT_TRUE(fails_at(workload_with("    rate_iops: 2kk\n"), 15, "2kk", "workloads[0].rate_iops",
                       "invalid rate '2kk'",
                       "a count per second with an optional decimal multiplier: 1000, 200k, 1.5m"));
}

TEST(ScenarioLoaderErrors, EnumValues) {
  EXPECT_TRUE(fails_at(host_with("    iopolicy: round-robbin\n"), 5, "round-robbin",
                       "hosts[0].iopolicy", "unknown iopolicy 'round-robbin'",
                       "did you mean 'round-robin'? (valid: numa, round-robin, queue-depth)"));
  EXPECT_TRUE(fails_at(host_with("    multipath: yes\n"), 5, "yes", "hosts[0].multipath",
                       "unknown multipath mode 'yes'", "valid: native, off"));
  EXPECT_TRUE(fails_at(subsystem_with("    ports: [{transport: tpc}]\n"), 5, "tpc",
                       "subsystems[0].ports[0].transport", "unknown transport 'tpc'",
                       "did you mean 'tcp'? (valid: tcp, rdma, fc, pcie)"));
  EXPECT_TRUE(fails_at(workload_with("    rw: randomread\n"), 15, "randomread", "workloads[0].rw",
                       "unknown rw mode 'randomread'",
                       "did you mean 'randread'? (valid: read, write, randread, randwrite, rw, "
                       "randrw, trim)"));
  EXPECT_TRUE(fails_at(host_with("    nvme: {failover_hold: kato}\n"), 5, "kato}",
                       "hosts[0].nvme.failover_hold", "unknown failover_hold 'kato'",
                       "valid: none, kato+cqt, 2kato+cqt, ccr"));
  EXPECT_TRUE(fails_at("nvmsim: 1\nduration: 1s\nkernel: 5.4\n", 3, "5.4", "kernel",
                       "unknown kernel profile '5.4'"));
}

TEST(ScenarioLoaderErrors, HostRanges) {
  EXPECT_TRUE(fails_at("nvmsim: 1\nseed: -1\nduration: 1s\n", 2, "-1", "seed",
                       "seed must be between 0 and 18446744073709551615, got -1"));
  EXPECT_TRUE(fails_at("nvmsim: 1\nduration: 0s\n", 2, "0s", "duration",
                       "duration must be greater than 0, got 0s"));
  EXPECT_TRUE(fails_at(host_with("    numa_nodes: 65\n"), 5, "65", "hosts[0].numa_nodes",
                       "numa_nodes must be between 1 and 64, got 65"));
  EXPECT_TRUE(fails_at(host_with("    cpus: 1025\n"), 5, "1025", "hosts[0].cpus",
                       "cpus must be between 1 and 1024, got 1025"));
  EXPECT_TRUE(fails_at(host_with("    numa_nodes: 4\n    cpus: 2\n"), 6, "2", "hosts[0].cpus",
                       "cpus (2) must be at least numa_nodes (4)",
                       "every numa node needs at least one cpu"));
  // cpus left at its default (4): the numa_nodes value is what to change.
  EXPECT_TRUE(fails_at(host_with("    numa_nodes: 8\n"), 5, "8", "hosts[0].numa_nodes",
                       "cpus (4) must be at least numa_nodes (8)"));
  EXPECT_TRUE(fails_at(host_with("    nvme: {kato: 1500us}\n"), 5, "1500us", "hosts[0].nvme.kato",
                       "kato must be a multiple of 1ms, got 1500us"));
  EXPECT_TRUE(fails_at(host_with("    nvme: {max_retries: 1001}\n"), 5, "1001",
                       "hosts[0].nvme.max_retries",
                       "max_retries must be between 0 and 1000, got 1001"));
  EXPECT_TRUE(fails_at(host_with("    nvme: {reconnect_delay: 0s}\n"), 5, "0s",
                       "hosts[0].nvme.reconnect_delay",
                       "reconnect_delay must be greater than 0, got 0s"));
  EXPECT_TRUE(fails_at(host_with("    variant: [BP-1]\n"), 5, "BP-1", "hosts[0].variant[0]",
                       "invalid bug-pattern id 'BP-1'",
                       "ids look like BP-07 (see linux-mpath-semantics.md)"));
  EXPECT_TRUE(fails_at("nvmsim: 1\nduration: 1s\nhosts:\n  - name: h 1\n", 4, "h 1",
                       "hosts[0].name", "invalid name 'h 1'",
                       "names use letters, digits and '_', '-', '.', ':' (they appear in reports "
                       "and file names)"));
}

TEST(ScenarioLoaderErrors, SubsystemRanges) {
  EXPECT_TRUE(fails_at("nvmsim: 1\nduration: 1s\nsubsystems:\n  - nqn: array1\n", 4, "array1",
                       "subsystems[0].nqn", "invalid NQN 'array1': an NQN starts with 'nqn.'",
                       "e.g. nqn.2026-01.io.nvmsim:array1"));
  EXPECT_TRUE(fails_at(subsystem_with("    serial: ABCDEFGHIJKLMNOPQRSTU\n"), 5, "ABC",
                       "subsystems[0].serial", "serial is 21 characters long, the limit is 20"));
  EXPECT_TRUE(fails_at(subsystem_with("    anatt: 256s\n"), 5, "256s", "subsystems[0].anatt",
                       "anatt must be at most 255s, got 256s"));
  EXPECT_TRUE(fails_at(subsystem_with("    anatt: 1500ms\n"), 5, "1500ms", "subsystems[0].anatt",
                       "anatt must be a multiple of 1s, got 1500ms"));
  EXPECT_TRUE(fails_at(subsystem_with("    kas: 150ms\n"), 5, "150ms", "subsystems[0].kas",
                       "kas must be a multiple of 100ms, got 150ms"));
  EXPECT_TRUE(fails_at(subsystem_with("    cqt: 66s\n"), 5, "66s", "subsystems[0].cqt",
                       "cqt must be at most 65535ms, got 66s"));
  EXPECT_TRUE(fails_at(subsystem_with("    ports: []\n"), 5, "[]", "subsystems[0].ports",
                       "a subsystem needs at least one port"));
  EXPECT_TRUE(fails_at(subsystem_with("    ports: [{id: 1}, {id: 3}, {id: 3}]\n"), 5, "3}]",
                       "subsystems[0].ports[2].id", "duplicate port id 3 in subsystem 'nqn.a:b'",
                       "first used at test.yaml:5:27"));
  EXPECT_TRUE(fails_at(subsystem_with("    ports: [{ana: {0: optimized}}]\n"), 5,
                       "0:", "subsystems[0].ports[0].ana.0",
                       "ANA group id must be between 1 and 255, got 0"));
  EXPECT_TRUE(fails_at(subsystem_with("    ports: [{ana: {1: fast}}]\n"), 5, "fast",
                       "subsystems[0].ports[0].ana.1", "unknown ANA state 'fast'",
                       "valid: optimized, non-optimized, inaccessible, persistent-loss, change"));
  EXPECT_TRUE(fails_at(subsystem_with("    namespaces: [{nsid: 0}]\n"), 5, "0}",
                       "subsystems[0].namespaces[0].nsid",
                       "nsid must be between 1 and 4294967294, got 0"));
  EXPECT_TRUE(fails_at(subsystem_with("    namespaces: [{nsid: 2}, {nsid: 2}]\n"), 5, "2}]",
                       "subsystems[0].namespaces[1].nsid",
                       "duplicate nsid 2 in subsystem 'nqn.a:b'", "first used at test.yaml:5:25"));
  EXPECT_TRUE(fails_at(subsystem_with("    namespaces: [{lba_size: 1000}]\n"), 5, "1000",
                       "subsystems[0].namespaces[0].lba_size",
                       "lba_size must be a power of two between 512 and 64k, got 1000"));
  EXPECT_TRUE(fails_at(subsystem_with("    namespaces: [{size: 6k, lba_size: 4k}]\n"), 5, "6k",
                       "subsystems[0].namespaces[0].size",
                       "namespace size must be a positive multiple of lba_size (4k), got 6k"));
  EXPECT_TRUE(fails_at(subsystem_with("    namespaces: [{ana_group: 256}]\n"), 5, "256",
                       "subsystems[0].namespaces[0].ana_group",
                       "ana_group must be between 1 and 255, got 256"));
  EXPECT_TRUE(fails_at(subsystem_with("    controller: {mdts: 2k}\n"), 5, "2k",
                       "subsystems[0].controller.mdts",
                       "mdts must be a power of two of at least 4k, got 2k",
                       "MDTS is reported as a power of two of the 4k memory page"));
  EXPECT_TRUE(fails_at(subsystem_with("    controller: {queue_depth: 1}\n"), 5, "1}",
                       "subsystems[0].controller.queue_depth",
                       "queue_depth must be between 2 and 65536, got 1"));
  EXPECT_TRUE(fails_at(subsystem_with("    controller: {max_io_queues: 0}\n"), 5, "0}",
                       "subsystems[0].controller.max_io_queues",
                       "max_io_queues must be between 1 and 65535, got 0"));
  EXPECT_TRUE(fails_at(subsystem_with("    media: {parallelism: 0}\n"), 5, "0}",
                       "subsystems[0].media.parallelism",
                       "parallelism must be between 1 and 65536, got 0"));
  EXPECT_TRUE(fails_at(subsystem_with("    media: {bandwidth: 0}\n"), 5, "0}",
                       "subsystems[0].media.bandwidth", "bandwidth must be greater than 0"));
  EXPECT_TRUE(fails_at(subsystem_with("    media: {jitter: {dist: lognormal, sigma: 5}}\n"), 5,
                       "5}", "subsystems[0].media.jitter.sigma",
                       "sigma must be at least 0 and at most 2, got 5"));
}

TEST(ScenarioLoaderErrors, References) {
  EXPECT_TRUE(fails_at(kTopo + "  - {name: c, host: h2, subsystem: nqn.2026-01.io.nvmsim:a1}\n", 11,
                       "h2", "links[2].host", "unknown host 'h2'",
                       "did you mean 'h1'? (valid: h1)"));
  EXPECT_TRUE(
      fails_at(kTopo + "  - {name: c, host: h1, subsystem: nqn.2026-01.io.nvmsim:a2}\n", 11, "nqn.",
               "links[2].subsystem", "unknown subsystem 'nqn.2026-01.io.nvmsim:a2'",
               "did you mean 'nqn.2026-01.io.nvmsim:a1'? (valid: nqn.2026-01.io.nvmsim:a1)"));
  EXPECT_TRUE(fails_at(
      kTopo + "  - {name: c, host: h1, subsystem: nqn.2026-01.io.nvmsim:a1, port: 3}\n", 11, "3}",
      "links[2].port", "subsystem 'nqn.2026-01.io.nvmsim:a1' has no port 3", "its ports: 1, 2"));
  EXPECT_TRUE(fails_at(kTopo + "  - {name: a, host: h1, subsystem: nqn.2026-01.io.nvmsim:a1}\n", 11,
                       "a,", "links[2].name", "duplicate link 'a'",
                       "first defined at test.yaml:9:5"));
  EXPECT_TRUE(fails_at(kTopo + "connect: [{link: c}]\n", 11, "c}", "connect[0].link",
                       "unknown link 'c'", "valid: a, b"));
  const std::string two_hosts = R"(nvmsim: 1
duration: 1s
hosts: [{name: h1}, {name: h2}]
subsystems: [{nqn: nqn.a:b}]
links: [{name: a, host: h1, subsystem: nqn.a:b}]
connect: [{host: h2, link: a}]
)";
  EXPECT_TRUE(fails_at(two_hosts, 6, "h2", "connect[0].host",
                       "link 'a' belongs to host 'h1', not 'h2'",
                       "drop host: (it follows from the link) or pick a link of 'h2'"));
  EXPECT_TRUE(fails_at(kTopo + "connect: [{link: a}, {link: a}]\n", 11, "a}]", "connect[1].link",
                       "link 'a' is already connected by connect[0]"));
  EXPECT_TRUE(fails_at(kTopo + "connect: [{link: a, numa_node: 1}]\n", 11, "1}",
                       "connect[0].numa_node", "numa_node 1 does not exist on host 'h1'",
                       "its numa nodes are 0..0 (-1: none)"));
  EXPECT_TRUE(fails_at(kTopo + "connect: [{link: a, queue_size: 1}]\n", 11, "1}",
                       "connect[0].queue_size", "queue_size must be between 2 and 1024, got 1"));
  EXPECT_TRUE(fails_at(kTopo + "workloads: [{name: w, host: h9, target: nvme0n1}]\n", 11, "h9",
                       "workloads[0].host", "unknown host 'h9'"));
  EXPECT_TRUE(fails_at(kTopo + "workloads:\n  - {name: w, host: h1, target: nvme0n1}\n"
                               "  - {name: w, host: h1, target: nvme0n1}\n",
                       13, "w,", "workloads[1].name", "duplicate workload 'w'",
                       "first defined at test.yaml:12:5"));
  EXPECT_TRUE(fails_at("nvmsim: 1\nduration: 1s\nsubsystems: [{nqn: nqn.a:b}, {nqn: nqn.a:b}]\n", 3,
                       "nqn.a:b}]", "subsystems[1].nqn", "duplicate subsystem NQN 'nqn.a:b'",
                       "first defined at test.yaml:3:14"));
}

TEST(ScenarioLoaderErrors, Workloads) {
  EXPECT_TRUE(fails_at(kTopo + "workloads:\n  - {name: w, host: h1, target: sda}\n", 12, "sda",
                       "workloads[0].target", "invalid target 'sda'",
                       "a block device name such as nvme0n1 (head) or nvme0c1n1 (path)"));
  EXPECT_TRUE(fails_at(kTopo + "workloads:\n  - {name: w, host: h1}\n", 12, "{",
                       "workloads[0].target", "missing required key 'target'"));
  EXPECT_TRUE(fails_at(workload_with("    iodepth: 0\n"), 15, "0", "workloads[0].iodepth",
                       "iodepth must be between 1 and 65536, got 0"));
  EXPECT_TRUE(fails_at(workload_with("    numjobs: 2000\n"), 15, "2000", "workloads[0].numjobs",
                       "numjobs must be between 1 and 1024, got 2000"));
  EXPECT_TRUE(fails_at(workload_with("    rwmixread: 101\n"), 15, "101", "workloads[0].rwmixread",
                       "rwmixread must be between 0 and 100, got 101"));
  EXPECT_TRUE(fails_at(workload_with("    bs: 1000\n"), 15, "1000", "workloads[0].bs",
                       "block size 1000 is not a positive multiple of 512"));
  EXPECT_TRUE(fails_at(workload_with("    bs: 4k/50:64k/40\n"), 15, "4k", "workloads[0].bs",
                       "bs split percentages add up to 90, not 100"));
  EXPECT_TRUE(fails_at(workload_with("    bs: 4k/50:64k\n"), 15, "4k", "workloads[0].bs",
                       "invalid bs split entry '64k' in '4k/50:64k'"));
  EXPECT_TRUE(fails_at(workload_with("    cpus: [0, 4]\n"), 15, "4", "workloads[0].cpus[1]",
                       "cpu 4 does not exist on host 'h1'", "its cpus are 0..3"));
  EXPECT_TRUE(fails_at(workload_with("    offset: 100\n"), 15, "100", "workloads[0].offset",
                       "offset must be a multiple of 512, got 100"));
  EXPECT_TRUE(fails_at(workload_with("    size: 2k\n    bs: 4k\n"), 15, "2k", "workloads[0].size",
                       "size 2k is smaller than the block size 4k"));
  EXPECT_TRUE(fails_at(workload_with("    runtime: 0s\n"), 15, "0s", "workloads[0].runtime",
                       "runtime must be greater than 0, got 0s"));
}

TEST(ScenarioLoaderErrors, DurationRequiredUnlessEveryWorkloadHasARuntime) {
  EXPECT_TRUE(
      fails_at(R"(nvmsim: 1
hosts: [{name: h1}]
workloads:
  - {name: w1, host: h1, target: nvme0n1, runtime: 5s}
  - {name: w2, host: h1, target: nvme0n1}
)",
               5, "{", "duration", "duration is required: workload 'w2' has no runtime",
               "add e.g. 'duration: 60s' at the top level, or a runtime to every workload"));
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\n", {1, 1, "duration", "missing required key 'duration'"}));
}

TEST(ScenarioLoaderErrors, FaultActionsAndFields) {
  EXPECT_TRUE(fails_at(fault("{at: 1s, action: link-dwn, link: a}"), 12, "link-dwn",
                       "faults[0].action", "unknown fault action 'link-dwn'",
                       "did you mean 'link-down'? (valid: link-down, link-up, link-degrade, "
                       "port-down, port-up, ctrl-reset, ctrl-hang, ctrl-resume, ctrl-fatal, "
                       "ana-change, inject-status, power-loss, power-restore, host-disconnect, "
                       "host-connect, set-iopolicy, ns-detach, ns-attach)"));
  EXPECT_TRUE(fails_at(fault("{at: 1s, action: link-up, link: a, mode: reset}"), 12, "mode",
                       "faults[0].mode", "'mode' does not apply to action 'link-up'",
                       "link-up takes link"));
  // Missing fields are reported at the fault entry.
  EXPECT_TRUE(fails_at(fault("{at: 1s, action: port-down, subsystem: nqn.2026-01.io.nvmsim:a1}"),
                       12, "{", "faults[0].port", "action 'port-down' needs 'port'",
                       "port-down takes subsystem, port"));
  EXPECT_TRUE(fails_at(fault("{at: 1s, action: ctrl-reset, subsystem: nqn.2026-01.io.nvmsim:a1}"),
                       12, "{", "faults[0].port", "action 'ctrl-reset' needs 'port' or 'cntlid'",
                       "ctrl-reset takes subsystem and one of port, cntlid"));
  EXPECT_TRUE(fails_at(
      fault("{at: 1s, action: ctrl-hang, subsystem: nqn.2026-01.io.nvmsim:a1, port: 1, cntlid: 3}"),
      12, "3}", "faults[0].cntlid", "give either port or cntlid, not both",
      "port selects every controller behind it, cntlid one controller"));
  EXPECT_TRUE(fails_at(fault("{at: 1s, action: link-degrade, link: a}"), 12, "{",
                       "faults[0].latency",
                       "link-degrade needs at least one of latency, bandwidth, loss",
                       "link-degrade takes link and at least one of latency, bandwidth, loss"));
  EXPECT_TRUE(fails_at(fault("{at: 1s, action: link-degrade, link: a, loss: 1.5}"), 12, "1.5",
                       "faults[0].loss", "loss must be at least 0 and at most 1, got 1.5"));
  EXPECT_TRUE(fails_at(fault("{action: link-up, link: a}"), 12, "{", "faults[0].at",
                       "a fault needs 'at' (or 'every' and 'count')", "e.g. at: 5s"));
  EXPECT_TRUE(fails_at(fault("{every: 1s, action: link-up, link: a}"), 12, "{", "faults[0].count",
                       "a repeating fault needs 'count' next to 'every'"));
  EXPECT_TRUE(fails_at(fault("{at: 1s, count: 2, action: link-up, link: a}"), 12, "2,",
                       "faults[0].count", "count repeats a fault and needs 'every'",
                       "e.g. every: 10s, count: 3"));
  EXPECT_TRUE(fails_at(fault("{at: 1s, action: link-down, link: a, mode: loud}"), 12, "loud",
                       "faults[0].mode", "unknown link-down mode 'loud'", "valid: silent, reset"));
}

TEST(ScenarioLoaderErrors, FaultReferences) {
  const std::string sub = "subsystem: nqn.2026-01.io.nvmsim:a1";
  EXPECT_TRUE(fails_at(fault("{at: 1s, action: link-up, link: z}"), 12, "z}", "faults[0].link",
                       "unknown link 'z'", "valid: a, b"));
  EXPECT_TRUE(fails_at(fault("{at: 1s, action: host-connect, host: h1, link: c}"), 12, "c}",
                       "faults[0].link", "unknown link 'c'"));
  EXPECT_TRUE(fails_at(fault("{at: 1s, action: port-up, " + sub + ", port: 9}"), 12, "9}",
                       "faults[0].port", "subsystem 'nqn.2026-01.io.nvmsim:a1' has no port 9",
                       "its ports: 1, 2"));
  EXPECT_TRUE(fails_at(fault("{at: 1s, action: power-loss, subsystem: nqn.x}"), 12, "nqn.x",
                       "faults[0].subsystem", "unknown subsystem 'nqn.x'"));
  EXPECT_TRUE(fails_at(
      fault("{at: 1s, action: ana-change, " + sub + ", port: 1, group: 4, state: inaccessible}"),
      12, "4,", "faults[0].group", "subsystem 'nqn.2026-01.io.nvmsim:a1' has no ANA group 4",
      "its groups: 1"));
  EXPECT_TRUE(fails_at(fault("{at: 1s, action: ns-detach, " + sub + ", nsid: 2, port: 1}"), 12,
                       "2,", "faults[0].nsid",
                       "subsystem 'nqn.2026-01.io.nvmsim:a1' has no namespace 2", "its nsids: 1"));
  EXPECT_TRUE(
      fails_at(fault("{at: 1s, action: set-iopolicy, host: h2, " + sub + ", iopolicy: numa}"), 12,
               "h2", "faults[0].host", "unknown host 'h2'"));
}

TEST(ScenarioLoaderErrors, InjectStatus) {
  const std::string head =
      "{at: 1s, action: inject-status, subsystem: nqn.2026-01.io.nvmsim:a1, port: 1, ";
  EXPECT_NO_THROW(load_yaml(fault(head + "status: 0x302}")));
  EXPECT_TRUE(fails_at(fault(head + "status: 0xZZ}"), 12, "0xZZ", "faults[0].status",
                       "expected an integer (decimal or 0x hex), got '0xZZ'"));
  EXPECT_TRUE(fails_at(fault(head + "status: 0x800}"), 12, "0x800", "faults[0].status",
                       "status must be between 1 and 2047, got 0x800"));
  EXPECT_TRUE(fails_at(fault(head + "status: 2, match: {opcode: append}}"), 12, "append",
                       "faults[0].match.opcode", "invalid opcode 'append'",
                       "read, write, flush or a number 0..255"));
  EXPECT_TRUE(fails_at(fault(head + "status: 2, match: {lba_range: [5, 1]}}"), 12, "1]",
                       "faults[0].match.lba_range[1]", "lba_range last (1) is before first (5)"));
  EXPECT_TRUE(fails_at(fault(head + "status: 2, every: 1s}"), 12, "1s}", "faults[0].every",
                       "inject-status cannot repeat with every"));
}

TEST(ScenarioLoaderErrors, ExpectAndReport) {
  const std::string top = "nvmsim: 1\nduration: 1s\n";
  EXPECT_TRUE(fails_at(top + "expect: {app_errors: -1}\n", 3, "-1", "expect.app_errors",
                       "app_errors must be at least 0, got -1"));
  EXPECT_TRUE(fails_at(top + "expect: {failovers: {min: 3, max: 1}}\n", 3, "1}",
                       "expect.failovers.max", "max (1) is less than min (3)"));
  EXPECT_TRUE(fails_at(top + "expect: {failovers: {}}\n", 3, "{}", "expect.failovers",
                       "give min, max or both", "e.g. {min: 1} or {min: 0, max: 3}"));
  EXPECT_TRUE(fails_at(top + "expect: {failovers: {least: 1}}\n", 3, "least",
                       "expect.failovers.least", "unknown key 'least'", "valid keys: min, max"));
  EXPECT_TRUE(fails_at(top + "expect: {max_io_stall: never}\n", 3, "never", "expect.max_io_stall",
                       "invalid duration 'never'"));
  EXPECT_TRUE(fails_at(top + "report: {percentiles: [50, 100]}\n", 3, "100",
                       "report.percentiles[1]",
                       "percentiles[1] must be greater than 0 and less than 100, got 100"));
  EXPECT_TRUE(fails_at(top + "report: {percentiles: [99, 50]}\n", 3, "50", "report.percentiles[1]",
                       "percentiles must be in increasing order without repeats, got 50 after 99"));
  EXPECT_TRUE(fails_at(top + "report: {timeseries: 0s}\n", 3, "0s", "report.timeseries",
                       "timeseries must be greater than 0, got 0s"));
  EXPECT_TRUE(
      fails_at(top + "report: [trace]\n", 3, "[", "report", "report must be a map, got a list"));
}


// Input limits (scenario-format.md, "How the file is read"): each of these used to crash, hang or
// exhaust memory.
TEST(ScenarioLoaderLimits, OnlyRegularFilesAreRead) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("nvmsim-limits-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string fifo = (dir / "fifo.yaml").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // A FIFO nobody writes to would block forever; /dev/zero would never end.
  EXPECT_TRUE(fails_as([&] { load_file(fifo); },
                       Want{0, 0, "", "it is a FIFO (named pipe), not a regular file", "", fifo}));
  EXPECT_TRUE(fails_as([&] { load_file("/dev/zero"); },
                       Want{0, 0, "", "it is a character device, not a regular file", "",
                            "/dev/zero"}));
  const std::string main = (dir / "main.yaml").string();
  std::ofstream(main) << "nvmsim: 1\ninclude: [fifo.yaml]\nduration: 1s\n";
  EXPECT_TRUE(fails_as([&] { load_file(main); },
                       Want{2, 11, "include[0]", "cannot read included file", "", main}));
  // Larger than 16 MiB (a sparse file: nothing is written).
  const std::string big = (dir / "big.yaml").string();
  std::ofstream(big) << "nvmsim: 1\n";
  fs::resize_file(big, (std::uintmax_t{16} << 20) + 1);
  EXPECT_TRUE(fails_as([&] { load_file(big); },
                       Want{0, 0, "", "it is larger than 16 MiB", "", big}));
  fs::resize_file(big, std::uintmax_t{16} << 20);  // exactly the cap is read (and is NUL bytes)
  EXPECT_TRUE(fails_as([&] { load_file(big); }, Want{2, 1, "", "NUL byte", std::nullopt, big}));
  fs::remove_all(dir);
}

TEST(ScenarioLoaderLimits, AliasesDepthAndTags) {
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\nx: &s [*s]\n", Want{2, 4, "", "nests deeper than 64"}));
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\nx: &s {a: *s}\n", Want{2, 8, "", "nests deeper than 64"}));
  std::string bomb = "nvmsim: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += (j ? ", *a" : "*a") + std::to_string(i - 1);
    bomb += "]\n";
  }
  EXPECT_TRUE(yaml_fails_as(bomb, Want{2, 13, "", "more than 1000000 values"}));
  const std::string deep = "nvmsim: 1\nname: " + std::string(64, '[') + std::string(64, ']') + "\n";
  try {  // 64 levels are allowed: the error is the list where a name should be
    load_yaml(deep);
    ADD_FAILURE() << "loaded";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()).find("nests"), std::string::npos) << e.format();
  }
  const std::string deeper = "nvmsim: 1\nname: " + std::string(65, '[') + std::string(65, ']') + "\n";
  EXPECT_TRUE(yaml_fails_as(deeper, Want{2, 71, "", "nests deeper than 64 levels"}));
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\nname: !!str x\n",
                            Want{2, 7, "", "YAML tag '!!str' is not supported"}));
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\nhosts: !!seq []\n",
                            Want{2, 8, "", "YAML tag '!!seq' is not supported"}));
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\n,\n", Want{2, 1, "", "YAML syntax error"}));
  EXPECT_TRUE(yaml_fails_as(",", Want{1, 1, "", "YAML syntax error"}));
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\nname: \"a\xc3\"\n", Want{2, 9, "", "invalid UTF-8 (byte 0xC3)"}));
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\nname: \xed\xa0\x80\n", Want{2, 7, "", "invalid UTF-8"}));
  EXPECT_TRUE(yaml_fails_as(std::string("nvmsim: 1\n\0", 12), Want{2, 1, "", "NUL byte"}));
  // Multi-byte characters count as one column, as in yaml-cpp.
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\nname: \xc2\xb5\xff\n", Want{2, 8, "", "invalid UTF-8 (byte 0xFF)"}));
}

TEST(ScenarioLoaderLimits, NumbersOutOfRange) {
  const std::string top = "nvmsim: 1\nduration: 1s\n";
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\nduration: 9223372036854775807ms\n",
                            Want{2, 11, "duration", "duration must be at most 525600m (365 days)"}));
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\nduration: 1000000000s\n",
                            Want{2, 11, "duration", "duration must be at most 525600m (365 days)"}));
  EXPECT_TRUE(yaml_fails_as("nvmsim: 1\nduration: 100000000000000000000000000000000s\n",
                            Want{2, 11, "duration", "duration must be at most 525600m"}));
  EXPECT_EQ(load_yaml("nvmsim: 1\nduration: 525600m\n").duration, 365 * 24 * 60 * kMinute);
  EXPECT_TRUE(yaml_fails_as(top + "seed: 18446744073709551616\n",
                            Want{3, 7, "seed", "seed must be between 0 and 18446744073709551615"}));
  EXPECT_EQ(load_yaml(top + "seed: 18446744073709551615\n").seed, UINT64_MAX);
  EXPECT_TRUE(yaml_fails_as(top, Want{1, 6, "seed", "seed must be between 0 and 18446744073709551615", std::nullopt, "--set"},
                            {"seed=99999999999999999999"}));
  EXPECT_TRUE(yaml_fails_as(top, Want{1, 6, "seed", "expected an integer", std::nullopt, "--set"}, {"seed=1e3"}));
  EXPECT_EQ(load_yaml(top, {"seed=18446744073709551615"}).seed, UINT64_MAX);
  std::string path = "a";
  for (int i = 0; i < 64; ++i) path += ".a";
  EXPECT_TRUE(yaml_fails_as(top, Want{1, 129, "", "--set path is longer than 64 keys", std::nullopt, "--set"},
                            {path + "=1"}));
}

TEST(ScenarioLoaderLimits, RepeatedFaultsStayInsideTheTimeline) {
  // Used to overflow at + i * every in the run (signed overflow, SIGABRT).
  EXPECT_TRUE(fails_at(kTopo + "faults:\n  - {every: 100000000m, count: 3, action: link-down, link: a}\n",
                       12, "100000000m", "faults[0].every", "every must be at most 525600m"));
  EXPECT_TRUE(fails_at(kTopo + "faults:\n  - {every: 1m, count: 1000000, action: link-down, link: a}\n",
                       12, "1000000", "faults[0].count",
                       "the last occurrence (at + (count - 1) x every) would be past 525600m"));
  EXPECT_TRUE(fails_at(kTopo + "faults:\n  - {at: 525600m, every: 1ns, count: 2, action: link-down, link: a}\n",
                       12, "2,", "faults[0].count", "the last occurrence"));
  EXPECT_NO_THROW(load_yaml(kTopo + "faults:\n  - {at: 525599m, every: 1m, count: 2, action: link-down, link: a}\n"));
}

}  // namespace
}  // namespace sim::scenario
