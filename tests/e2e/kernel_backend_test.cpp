// core: linux, the kernel's own multipath.c in the loop (host/kernel/). Without the backend in
// the build only the refusal is tested; the kernel preset (CI) runs the rest for every built
// version. scripts/differential (ctest label `differential`) compares whole scenarios; these
// tests pin single kernel behaviours to numbers derived from the scenario's constants.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "e2e_util.hpp"
#include "host/kernel_core.hpp"

namespace {

using nlohmann::json;

bool built(const std::string& v) {
  const auto vs = host::kernel_core_versions();
  return std::find(vs.begin(), vs.end(), v) != vs.end();
}

// Two TCP paths, ANA group 1 optimized on both, one namespace; `faults` and host keys appended.
std::string two_paths(const std::string& kernel, const std::string& latency, const std::string& faults,
                      const std::string& host_extra = "", const std::string& nvme = "{kato: 5s, reconnect_delay: 2s}") {
  return "nvmsim: 1\nname: k\nduration: 8s\nhosts:\n  - name: h1\n    iopolicy: round-robin\n    kernel: \"" + kernel +
         "\"\n    core: linux\n    nvme: " + nvme + "\n" + host_extra +
         "subsystems:\n  - nqn: nqn.2026-01.io.nvmsim:k\n    ports:\n"
         "      - {id: 1, transport: tcp, ana: {1: optimized}}\n"
         "      - {id: 2, transport: tcp, ana: {1: optimized}}\n"
         "    anatt: 2s\n    namespaces: [{nsid: 1, size: 1g, lba_size: 4k, ana_group: 1}]\n"
         "links:\n"
         "  - {name: a, host: h1, subsystem: nqn.2026-01.io.nvmsim:k, port: 1, latency: " + latency + "}\n"
         "  - {name: b, host: h1, subsystem: nqn.2026-01.io.nvmsim:k, port: 2, latency: " + latency + "}\n"
         "workloads:\n  - {name: w, host: h1, target: nvme0n1, rw: randread, bs: 4k, iodepth: 2, rate_iops: 2000, size: 256m}\n"
         "faults:\n" + faults;
}

const json& path_states(const e2e::Run& r, const std::string& name) {
  for (const auto& p : r.nv().at("paths"))
    if (p.at("name") == name) return p.at("states");
  ADD_FAILURE() << "no path " << name;
  static const json none = json::array();
  return none;
}

sim::Time first_state(const e2e::Run& r, const std::string& path, const std::string& state) {
  for (const auto& s : path_states(r, path))
    if (s.at("state") == state) return s.at("t_ns").get<sim::Time>();
  return -1;
}

class KernelBackend : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!built(GetParam())) GTEST_SKIP() << "kernel " << GetParam() << " not in this build (NVMSIM_KERNEL_BACKEND)";
  }
};

// Without the backend (or for a version not built) core: linux is bad input, exit 2.
TEST(KernelBackendSelection, RefusedWhenNotBuilt) {
  const std::string k = host::kernel_core_versions().empty() ? "6.12" : "6.17";
  const auto s = sim::scenario::load_string(two_paths(k, "10us", "  []\n"), "t.yaml");
  const auto r = sim::api::run_forked(s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("t.yaml:5:5"), std::string::npos) << r.error;
  if (host::kernel_core_versions().empty())
    EXPECT_NE(r.error.find("NVMSIM_KERNEL_BACKEND"), std::string::npos) << r.error;
  else
    EXPECT_NE(r.error.find("no kernel 6.17"), std::string::npos) << r.error;
}

// Model-only knobs are refused with the kernel's code: variants and failover holds.
TEST(KernelBackendSelection, ModelOnlyKnobsRefused) {
  if (!built("6.12")) GTEST_SKIP() << "no kernel backend";
  const auto variant = sim::api::run_forked(
      sim::scenario::load_string(two_paths("6.12", "10us", "  []\n", "    variant: [BP-13]\n"), "t.yaml"));
  EXPECT_EQ(variant.exit_code, 2);
  EXPECT_NE(variant.error.find("variant"), std::string::npos) << variant.error;
  const auto hold = sim::api::run_forked(sim::scenario::load_string(
      two_paths("6.12", "10us", "  []\n", "", "{kato: 5s, failover_hold: kato+cqt}"), "t.yaml"));
  EXPECT_EQ(hold.exit_code, 2);
  EXPECT_NE(hold.error.find("failover hold"), std::string::npos) << hold.error;
}

// An ANA change AEN makes the kernel's ana_work read the log over the admin queue: the path turns
// inaccessible one AEN delivery plus one Get Log Page round trip after the change, so the time
// grows with the link latency (1 ms one way: at least 3 ms). The model reads it the same way.
TEST_P(KernelBackend, AnaLogReadTakesFabricTime) {
  const std::string f =
      "  - {at: 2s, action: ana-change, subsystem: nqn.2026-01.io.nvmsim:k, port: 1, group: 1, state: inaccessible, via_change: false, aen: true}\n";
  const auto fast = e2e::run_text(two_paths(GetParam(), "10us", f));
  const auto slow = e2e::run_text(two_paths(GetParam(), "1ms", f));
  const sim::Time t_fast = first_state(fast, "nvme0c0n1", "live inaccessible") - 2 * sim::kSecond;
  const sim::Time t_slow = first_state(slow, "nvme0c0n1", "live inaccessible") - 2 * sim::kSecond;
  EXPECT_GE(t_fast, 30 * sim::kMicrosecond);
  EXPECT_LT(t_fast, 100 * sim::kMicrosecond);
  EXPECT_GE(t_slow, 3 * sim::kMillisecond);
  EXPECT_LT(t_slow, 4 * sim::kMillisecond);
  // Same numbers from the model host.
  const auto model = e2e::run_text(two_paths(GetParam(), "1ms", f), {"hosts.0.core=model"});
  EXPECT_EQ(first_state(model, "nvme0c0n1", "live inaccessible"), t_slow + 2 * sim::kSecond);
  EXPECT_EQ(slow.job().at("error").get<int>(), 0);
}

// The log read is an admin command like any other: a transport reset just after the AEN aborts
// it, ana_work reports the failure, and the new state is only learnt when the reconnected
// controller reads the log again (reconnect_delay 2 s later). The model fails the read the same way.
TEST_P(KernelBackend, AnaLogReadCanFail) {
  const std::string f =
      "  - {at: 2s, action: ana-change, subsystem: nqn.2026-01.io.nvmsim:k, port: 1, group: 1, state: non-optimized, "
      "via_change: false, aen: true}\n"
      "  - {at: 2000015us, action: link-down, link: a, mode: reset}\n"
      "  - {at: 2100ms, action: link-up, link: a}\n";
  const auto r = e2e::run_text(two_paths(GetParam(), "10us", f));
  EXPECT_NE(r.result.summary.find("Failed to get ANA log"), std::string::npos) << r.result.summary;
  const sim::Time t = first_state(r, "nvme0c0n1", "live non-optimized");
  EXPECT_GT(t, 4 * sim::kSecond);
  EXPECT_LT(t, 4 * sim::kSecond + sim::kMillisecond);
  const auto model = e2e::run_text(two_paths(GetParam(), "10us", f), {"hosts.0.core=model"});
  EXPECT_EQ(path_states(model, "nvme0c0n1").dump(), path_states(r, "nvme0c0n1").dump());
}

// A group stuck in CHANGE: the kernel's anatt_timer (2 x ANATT from the read that saw CHANGE, in
// jiffies) expires and nvme_anatt_timeout resets the controller through our transport.
TEST_P(KernelBackend, AnattTimerResetsController) {
  const std::string f =
      "  - {at: 2s, action: ana-change, subsystem: nqn.2026-01.io.nvmsim:k, port: 1, group: 1, state: change, aen: true}\n";
  const auto r = e2e::run_text(two_paths(GetParam(), "10us", f));
  const sim::Time read = first_state(r, "nvme0c0n1", "live change");
  ASSERT_GT(read, 2 * sim::kSecond);
  sim::Time reset = -1;
  for (const auto& c : r.nv().at("controllers"))
    if (c.at("name") == "nvme0")
      for (const auto& t : c.at("transitions"))
        if (t.at("to") == "resetting" && reset < 0) reset = t.at("t_ns");
  // HZ = 1000: the timer is armed at jiffies(read) + 2 x 2 s and fires on that jiffy. The read
  // at the end of the first scan is the last one that saw CHANGE.
  EXPECT_EQ(reset % sim::kMillisecond, 0);
  EXPECT_GE(reset, read + 4 * sim::kSecond - sim::kMillisecond);
  EXPECT_LE(reset, read + 4 * sim::kSecond);
  // The model arms its timer the same way.
  const auto model = e2e::run_text(two_paths(GetParam(), "10us", f), {"hosts.0.core=model"});
  EXPECT_EQ(model.nv().at("controllers").at(0).at("transitions").dump(),
            r.nv().at("controllers").at(0).at("transitions").dump());
}

// The queue-depth policy runs on the kernel's nr_active counters (6.12 only): with one path 50x
// slower, it gets a small share of the I/O.
TEST_P(KernelBackend, QueueDepthFollowsNrActive) {
  if (GetParam() != "6.12") GTEST_SKIP() << "queue-depth came in 6.11";
  std::string y = two_paths(GetParam(), "10us", "  []\n");
  y.replace(y.find("round-robin"), 11, "queue-depth");
  y.replace(y.find("port: 2, latency: 10us"), 22, "port: 2, latency: 500us");
  y.replace(y.find("iodepth: 2, rate_iops: 2000"), 27, "iodepth: 16");
  const auto r = e2e::run_text(y);
  const auto a = r.path_ios("nvme0c0n1"), b = r.path_ios("nvme0c1n1");
  EXPECT_GT(a, 5 * b) << a << " vs " << b;
  EXPECT_GT(b, 0u);
  // Round-robin ignores the latency: about half each.
  y.replace(y.find("queue-depth"), 11, "round-robin");
  const auto rr = e2e::run_text(y);
  EXPECT_LT(rr.path_ios("nvme0c0n1"), 2 * rr.path_ios("nvme0c1n1"));
  // And the model's queue-depth makes the same choices.
  const auto model = e2e::run_text(y.replace(y.find("round-robin"), 11, "queue-depth"), {"hosts.0.core=model"});
  EXPECT_EQ(model.path_ios("nvme0c0n1"), a);
  EXPECT_EQ(model.path_ios("nvme0c1n1"), b);
}

// Same scenario, same seed: byte-identical results from the kernel's code too.
TEST_P(KernelBackend, Deterministic) {
  const std::string f =
      "  - {at: 1s, action: link-down, link: a}\n  - {at: 3s, action: link-up, link: a}\n";
  auto strip = [](json j) {
    j.at("nvmsim").erase("wall");
    return j.dump();
  };
  const auto r1 = e2e::run_text(two_paths(GetParam(), "10us", f));
  const auto r2 = e2e::run_text(two_paths(GetParam(), "10us", f));
  EXPECT_EQ(strip(r1.json), strip(r2.json));
  EXPECT_GT(r1.nv().at("failover_count").get<int>(), 0);
}

INSTANTIATE_TEST_SUITE_P(Versions, KernelBackend, ::testing::Values("6.1", "6.12"),
                         [](const auto& info) { return "k" + std::string(info.param == "6.1" ? "6_1" : "6_12"); });

}  // namespace
