// Errors that only the assembled topology reveals still name file:line:column and exit 2, and
// features of later work are refused, never ignored.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "e2e_util.hpp"

namespace {

const char* kBase = R"(nvmsim: 1
duration: 10ms
hosts:
  - {name: h1}
subsystems:
  - nqn: nqn.x:s
    ports: [{id: 1}, {id: 2}]
    namespaces: [{nsid: 1, size: 1g, lba_size: 4k}]
links:
  - {name: a, host: h1, subsystem: nqn.x:s, port: 1}
  - {name: b, host: h1, subsystem: nqn.x:s, port: 2}
workloads:
  - {name: w, host: h1, target: nvme0n1}
)";

sim::api::Result run_with(const std::vector<std::string>& sets, const std::string& extra = "") {
  const auto s = sim::scenario::load_string(std::string(kBase) + extra, "t.yaml", sets);
  return sim::api::run_forked(s);
}

TEST(RuntimeErrors, BaseScenarioRuns) { EXPECT_EQ(run_with({}).exit_code, 0); }

TEST(RuntimeErrors, UnknownTargetDeviceListsTheRealOnes) {
  const auto r = run_with({"workloads.0.target=nvme3n1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("t.yaml:13:5"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("its devices will be: nvme0n1"), std::string::npos) << r.error;
}

TEST(RuntimeErrors, HiddenPathDeviceIsRefused) {
  const auto r = run_with({"workloads.0.target=nvme0c1n1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("hidden path device"), std::string::npos) << r.error;
}

TEST(RuntimeErrors, BlockSizeMustFitTheLbaSize) {
  const auto r = run_with({"workloads.0.bs=512"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("not a multiple of nvme0n1's logical block size 4096"), std::string::npos) << r.error;
}

TEST(RuntimeErrors, LaterFeaturesAreRefusedNotIgnored) {
  auto r = run_with({"report.trace=true"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("not supported by this build yet"), std::string::npos) << r.error;
}

// Settings a kernel profile does not have are input errors at the host entry, not silent defaults.
TEST(RuntimeErrors, KernelProfileLimitsAreChecked) {
  auto r = run_with({"hosts.0.kernel=\"6.1\"", "hosts.0.iopolicy=queue-depth"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("t.yaml:4:5"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("kernel 6.1 has no iopolicy 'queue-depth'"), std::string::npos) << r.error;
  r = run_with({"hosts.0.kernel=\"4.15\"", "hosts.0.nvme.fast_io_fail_tmo=5s"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("kernel 4.15 has no fast_io_fail_tmo"), std::string::npos) << r.error;
  r = run_with({"hosts.0.nvme.queue_if_no_path=true"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("use kernel \"6.17\""), std::string::npos) << r.error;
  r = run_with({"hosts.0.iopolicy=round-robin"},
               "faults:\n  - {at: 1ms, action: set-iopolicy, host: h1, subsystem: nqn.x:s, iopolicy: queue-depth}\n");
  EXPECT_EQ(r.exit_code, 0) << r.error;
  r = run_with({"hosts.0.kernel=\"6.1\""},
               "faults:\n  - {at: 1ms, action: set-iopolicy, host: h1, subsystem: nqn.x:s, iopolicy: queue-depth}\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("t.yaml:15:5"), std::string::npos) << r.error;
}

}  // namespace

namespace {

// `nvmsim validate` reports topology errors too (exit 2, file:line:column), but not the features
// this build refuses at run time: the file itself is valid.
int cli(const std::string& args, std::string* err) {
  const std::string errfile = std::string(NVMSIM_BINARY_DIR) + "/cli_err.txt";
  const int rc = std::system((std::string(NVMSIM_CLI) + " " + args + " >/dev/null 2>" + errfile).c_str());
  std::ifstream f(errfile);
  err->assign(std::istreambuf_iterator<char>(f), {});
  return WEXITSTATUS(rc);
}

TEST(CliValidate, TopologyErrorExitsTwoWithLocation) {
  const std::string file = std::string(NVMSIM_SOURCE_DIR) + "/scenarios/basic-2path.yaml";
  std::string err;
  EXPECT_EQ(cli("validate " + file + " --set workloads.0.target=nvme9n1", &err), 2);
  EXPECT_NE(err.find(file + ":40:5: error: host 'h1' will have no block device 'nvme9n1'"), std::string::npos) << err;
  EXPECT_EQ(cli("validate " + file, &err), 0) << err;
}

}  // namespace
