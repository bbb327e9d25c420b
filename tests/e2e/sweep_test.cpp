// `nvmsim sweep` end to end, through the CLI: a run of the sweep is the run `nvmsim run` gives
// for its replay line, --jobs 2 writes the same bytes as --jobs 1, a bad grid value stops
// everything before any run, a failing or crashing run is a row (and the sweep's exit code is
// the largest), and an interrupt kills the children and keeps the finished rows.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const std::string kBasic = std::string(NVMSIM_SOURCE_DIR) + "/scenarios/basic-2path.yaml";

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// A fresh scratch directory per test.
fs::path scratch() {
  const auto* t = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path d = fs::path(NVMSIM_BINARY_DIR) / "sweep_test" /
                     (std::string(t->test_suite_name()) + "." + t->name());
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Runs `nvmsim ARGS` through the shell (`prefix` can set limits), stderr into *err; the exit code.
int cli(const std::string& args, std::string* err, const std::string& prefix = "") {
  const std::string errfile = (fs::path(NVMSIM_BINARY_DIR) / "sweep_test" / "stderr.txt").string();
  const std::string cmd =
      prefix + std::string(NVMSIM_CLI) + " " + args + " >/dev/null 2>" + errfile;
  const int rc = std::system(cmd.c_str());
  if (err) *err = read(errfile);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// results.json without its wall-clock part, summary.txt without its last (wall:) line.
std::string results_without_wall(const fs::path& dir) {
  auto j = nlohmann::json::parse(read(dir / "results.json"));
  j["nvmsim"].erase("wall");
  return j.dump();
}
std::string summary_without_wall(const fs::path& dir) {
  std::string s = read(dir / "summary.txt");
  const std::size_t last = s.rfind("\nwall: ");
  EXPECT_NE(last, std::string::npos);
  return s.substr(0, last);
}

// The CSV's columns for one row, split naively (the rows compared here have no quoted commas
// before the replay column, which is last).
std::vector<std::string> fields(const std::string& row, std::size_t n) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  while (out.size() + 1 < n) {
    const std::size_t comma = row.find(',', begin);
    out.push_back(row.substr(begin, comma - begin));
    begin = comma + 1;
  }
  out.push_back(row.substr(begin));
  return out;
}

const std::string kGrid =
    " --set duration=20ms --grid hosts.0.iopolicy=numa,round-robin --grid workloads.0.iodepth=4,16 "
    "--seeds 2";

// Run 5 is iopolicy=round-robin, iodepth=4, seed 2: its replay line, given to `nvmsim run`,
// writes the same reports; the CSV's replay and key figures are those of results.json.
TEST(Sweep, ARunIsTheRunOfItsReplayLine) {
  const fs::path d = scratch();
  std::string err;
  ASSERT_EQ(cli("sweep " + kBasic + kGrid + " --out " + (d / "s").string(), &err), 0) << err;
  const auto csv = lines(read(d / "s" / "sweep.csv"));
  ASSERT_EQ(csv.size(), 1u + 8u);
  EXPECT_EQ(csv[0],
            "run,hosts.0.iopolicy,workloads.0.iodepth,seed,exit_code,verdict,expect_failed,"
            "violations,iops,"
            "clat_p99_ns,max_io_stall_ns,failovers,first_failover_ns,app_errors,error,replay");
  const auto row = fields(csv[6], 16);
  EXPECT_EQ(std::vector<std::string>(row.begin(), row.begin() + 6),
            (std::vector<std::string>{"5", "round-robin", "4", "2", "0", "ok"}));
  const std::string replay = row[15];
  EXPECT_EQ(replay, "nvmsim run " + kBasic +
                        " --seed 2 --set duration=20ms --set hosts.0.iopolicy=round-robin --set "
                        "workloads.0.iodepth=4");
  ASSERT_EQ(
      cli(replay.substr(std::string("nvmsim ").size()) + " --quiet --out " + (d / "r").string(),
          &err),
      0)
      << err;
  const fs::path run5 = d / "s" / "run-0005";
  EXPECT_EQ(results_without_wall(run5), results_without_wall(d / "r"));
  EXPECT_EQ(summary_without_wall(run5), summary_without_wall(d / "r"));
  EXPECT_EQ(read(run5 / "timeseries.csv"), read(d / "r" / "timeseries.csv"));
  EXPECT_FALSE(read(run5 / "timeseries.csv").empty());

  const auto j = nlohmann::json::parse(read(run5 / "results.json"));
  const auto& nv = j.at("nvmsim");
  EXPECT_EQ(nv.at("replay"), replay);
  EXPECT_EQ(nv.at("seed"), 2);
  const auto& rd = j.at("jobs").at(0).at("read");
  const auto& wr = j.at("jobs").at(0).at("write");
  char iops[64];
  std::snprintf(iops, sizeof iops, "%.1f",
                rd.at("iops").get<double>() + wr.at("iops").get<double>());
  EXPECT_EQ(row[8], iops);
  const auto p99 = std::max(rd.at("clat_ns").at("percentile").at("99.000000").get<std::int64_t>(),
                            wr.at("clat_ns").at("percentile").at("99.000000").get<std::int64_t>());
  EXPECT_EQ(row[9], std::to_string(p99));
  EXPECT_EQ(row[10], std::to_string(nv.at("max_io_stall_ns").get<std::int64_t>()));
  // A different combination is a different run (the grid values reached the scenario).
  EXPECT_NE(results_without_wall(run5), results_without_wall(d / "s" / "run-0004"));
  EXPECT_NE(results_without_wall(run5), results_without_wall(d / "s" / "run-0001"));
}

// Each long run comes before a short one, so with two at once the runs finish out of order:
// the rows and directories must not show it.
TEST(Sweep, JobsTwoWritesTheBytesOfJobsOne) {
  const fs::path d = scratch();
  const std::string grid =
      " --grid hosts.0.iopolicy=numa,round-robin --grid duration=80ms,5ms,40ms,5ms --quiet";
  std::string err;
  ASSERT_EQ(cli("sweep " + kBasic + grid + " --out " + (d / "j1").string(), &err), 0) << err;
  ASSERT_EQ(cli("sweep " + kBasic + grid + " --jobs 2 --out " + (d / "j2").string(), &err), 0)
      << err;
  EXPECT_EQ(lines(read(d / "j1" / "sweep.csv")).size(), 9u);
  EXPECT_EQ(read(d / "j1" / "sweep.csv"), read(d / "j2" / "sweep.csv"));
  for (int i = 0; i < 8; ++i) {
    const std::string run = "run-000" + std::to_string(i);
    EXPECT_EQ(results_without_wall(d / "j1" / run), results_without_wall(d / "j2" / run)) << run;
    EXPECT_EQ(summary_without_wall(d / "j1" / run), summary_without_wall(d / "j2" / run)) << run;
    EXPECT_EQ(read(d / "j1" / run / "timeseries.csv"), read(d / "j2" / run / "timeseries.csv"))
        << run;
  }
}

TEST(Sweep, BadGridValueExitsTwoBeforeAnyRun) {
  const fs::path d = scratch();
  std::string err;
  EXPECT_EQ(cli("sweep " + kBasic +
                    " --grid workloads.0.iodepth=1,2 --grid hosts.0.iopolicy=numa,bogus --out " +
                    (d / "s").string(),
                &err),
            2);
  EXPECT_EQ(err,
            "--grid:1:23: error: unknown iopolicy 'bogus' (key: hosts[0].iopolicy)\n"
            "  hint: valid: numa, round-robin, queue-depth\n"
            "  in run-0001 of the sweep (4 runs): --grid workloads.0.iodepth=1 --grid "
            "hosts.0.iopolicy=bogus\n");
  EXPECT_FALSE(fs::exists(d / "s"));  // nothing ran, nothing was written
  EXPECT_EQ(
      cli("sweep " + kBasic + " --grid hosts.0.iopolcy=numa --out " + (d / "s").string(), &err), 2);
  EXPECT_NE(err.find("--grid:1:9: error: unknown key 'iopolcy'"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(d / "s"));
}

// A run killed by the CPU-time limit (a crash of the child) is a row with exit 3 and the signal,
// and the runs after it still run; a violated expectation is a row with exit 1 and the key. The
// sweep exits with the largest code, not the last run's.
TEST(Sweep, FailingAndCrashingRunsAreRows) {
  const fs::path d = scratch();
  std::string err;
  // Run 1 (10 min simulated) needs minutes of CPU; `ulimit -t 1` kills it after one second. The
  // sweep process itself uses a few tens of ms.
  EXPECT_EQ(cli("sweep " + kBasic + " --grid duration=10ms,10m,20ms --out " + (d / "c").string(),
                &err, "ulimit -c 0; ulimit -t 1; "),
            3)
      << err;
  const auto c = lines(read(d / "c" / "sweep.csv"));
  ASSERT_EQ(c.size(), 4u);
  const auto crashed = fields(c[2], 15), after = fields(c[3], 15);
  EXPECT_EQ(crashed[1], "10m");
  EXPECT_EQ(crashed[3], "3");
  EXPECT_EQ(crashed[4], "error");
  EXPECT_EQ(crashed[13].rfind("simulation process killed by signal ", 0), 0u) << c[2];
  EXPECT_EQ(crashed[14], "nvmsim run " + kBasic + " --seed 1 --set duration=10m");
  EXPECT_EQ(
      read(d / "c" / "run-0001" / "error.txt").rfind("simulation process killed by signal ", 0),
      0u);
  EXPECT_FALSE(fs::exists(d / "c" / "run-0001" / "results.json"));
  EXPECT_EQ(after[3], "0");
  EXPECT_TRUE(fs::exists(d / "c" / "run-0002" / "results.json"));
  EXPECT_NE(err.find("nvmsim: run-0001  exit 3"), std::string::npos) << err;

  // No failover happens in basic-2path: expect.failovers=2 is violated, 0 holds.
  EXPECT_EQ(cli("sweep " + kBasic + " --set duration=10ms --grid expect.failovers=2,0 --out " +
                    (d / "v").string(),
                &err),
            1)
      << err;
  const auto v = lines(read(d / "v" / "sweep.csv"));
  ASSERT_EQ(v.size(), 3u);
  const auto violated = fields(v[1], 15), held = fields(v[2], 15);
  EXPECT_EQ(std::vector<std::string>(violated.begin() + 3, violated.begin() + 6),
            (std::vector<std::string>{"1", "violated", "failovers"}));
  EXPECT_EQ(std::vector<std::string>(held.begin() + 3, held.begin() + 6),
            (std::vector<std::string>{"0", "ok", ""}));
  EXPECT_EQ(violated[10], "0");  // failovers
  EXPECT_TRUE(fs::exists(d / "v" / "run-0000" / "violations.json"));
}

// SIGINT to the sweep alone (not its process group): it kills its children itself, writes the
// rows of the runs that finished and exits 130. This process is made a subreaper, so a child the
// sweep left behind would become ours and show up in waitpid().
TEST(Sweep, InterruptKillsTheChildrenAndKeepsTheFinishedRows) {
  const fs::path d = scratch();
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const std::string out = (d / "s").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(NVMSIM_CLI, NVMSIM_CLI, "sweep", kBasic.c_str(), "--grid", "duration=10ms,10m,10m",
          "--jobs", "2", "--quiet", "--out", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait (up to about 60 s) for the first run's row: the two 10 min runs are then under way.
  const fs::path csv = d / "s" / "sweep.csv";
  for (int i = 0; i < 6000 && lines(read(csv)).size() < 2; ++i) usleep(10'000);
  ASSERT_EQ(lines(read(csv)).size(), 2u);
  ASSERT_EQ(kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const auto rows = lines(read(csv));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].substr(0, 11), "0,10ms,1,0,");
  // No simulation outlived the sweep: none was handed to us (ECHILD: no children at all).
  errno = 0;
  EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  prctl(PR_SET_CHILD_SUBREAPER, 0);
}

}  // namespace
