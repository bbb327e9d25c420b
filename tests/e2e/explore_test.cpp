// `nvmsim explore` end to end, through the CLI: mainline holds on the reference topology, a bug
// variant is found and both the drawn and the shrunk file replay the violation through
// `nvmsim run`, the files are byte-identical for --jobs 1 and --jobs 2, bad input exits 2, and
// `nvmsim run` on an exploring scenario runs its own faults only.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>

namespace {

namespace fs = std::filesystem;

const std::string kTwoPath = std::string(NVMSIM_SOURCE_DIR) + "/scenarios/explore/two-path.yaml";

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

fs::path scratch() {
  const auto* t = ::testing::UnitTest::GetInstance()->current_test_info();
  const fs::path d = fs::path(NVMSIM_BINARY_DIR) / "explore_test" / t->name();
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// `nvmsim ARGS`, stdout into *out, stderr into *err; the exit code.
int cli(const std::string& args, const fs::path& dir, std::string* out,
        std::string* err = nullptr) {
  const std::string cmd = std::string(NVMSIM_CLI) + " " + args + " >" +
                          (dir / "stdout.txt").string() + " 2>" + (dir / "stderr.txt").string();
  const int rc = std::system(cmd.c_str());
  if (out) *out = read(dir / "stdout.txt");
  if (err) *err = read(dir / "stderr.txt");
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(Explore, MainlineHoldsOnTheReferenceTopology) {
  const fs::path d = scratch();
  std::string out, err;
  ASSERT_EQ(
      cli("explore " + kTwoPath + " --runs 60 --jobs 2 --out " + (d / "o").string(), d, &out, &err),
      0)
      << out << err;
  EXPECT_NE(out.find(": 60 run(s) in "), std::string::npos) << out;
  EXPECT_NE(out.find(": 0 failed"), std::string::npos) << out;
  EXPECT_NE(err.find("explore: 60/60 runs, 0 violation(s)"), std::string::npos) << err;
}

TEST(Explore, AVariantIsFoundAndItsReplaysReproduceIt) {
  const fs::path d = scratch();
  std::string out, err;
  ASSERT_EQ(cli("explore " + kTwoPath +
                    " --runs 100 --jobs 2 --stop-at-first --set 'hosts.0.variant=[BP-13]' --out " +
                    (d / "o").string(),
                d, &out, &err),
            1)
      << out << err;
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(out, m, std::regex(R"(double_completion: 1 run\(s\), first: run (\d+))")))
      << out;
  ASSERT_TRUE(std::regex_search(
      out, m,
      std::regex(
          R"(shrunk: (\d+) episode\(s\), (\d+) fault\(s\) -> (\d+) episode\(s\), (\d+) fault\(s\))")))
      << out;
  EXPECT_LE(std::stoi(m[3]), std::stoi(m[1]));
  EXPECT_GE(std::stoi(m[3]), 1);
  // The shrunk file comes first, then the run as drawn: each replay line, run as it is printed,
  // exits 1 with the same violation.
  const std::regex replay_re(R"(replay: nvmsim (run \S+ --seed \d+))");
  std::sregex_iterator it(out.begin(), out.end(), replay_re), end;
  std::vector<std::string> replays;
  for (; it != end; ++it) replays.push_back((*it)[1]);
  ASSERT_EQ(replays.size(), 2u) << out;
  EXPECT_NE(replays[0].find("-shrunk.yaml"), std::string::npos);
  for (const auto& r : replays) {
    const fs::path rd = d / ("r" + std::to_string(&r - replays.data()));
    std::string rout;
    EXPECT_EQ(cli(r + " --out " + rd.string(), d, &rout), 1) << r;
    EXPECT_NE(read(rd / "violations.json").find("double_completion"), std::string::npos) << r;
    EXPECT_EQ(read(fs::path(r.substr(4, r.find(" --seed") - 4))).find("explore:"),
              std::string::npos)
        << "a failing run's file is standalone";
  }
}

TEST(Explore, FilesAreTheSameForOneAndTwoJobs) {
  const fs::path d = scratch();
  std::string out;
  const std::string args =
      "explore " + kTwoPath +
      " --runs 250 --set subsystems.0.controller.zombie_window=500ms --no-shrink -q";
  ASSERT_EQ(cli(args + " --jobs 1 --out " + (d / "j1").string(), d, &out), 1) << out;
  ASSERT_EQ(cli(args + " --jobs 2 --out " + (d / "j2").string(), d, &out), 1) << out;
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(d / "j1")) {
    // The same bytes but for the directory in the replay line.
    std::string j2 = read(d / "j2" / e.path().filename());
    for (std::size_t at; (at = j2.find("/j2/")) != std::string::npos;) j2.replace(at, 4, "/j1/");
    EXPECT_EQ(read(e.path()), j2) << e.path();
    ++n;
  }
  EXPECT_GT(n, 0u);  // zombie_window without a fence: ghost writes are found
}

TEST(Explore, BadInputExitsTwo) {
  const fs::path d = scratch();
  std::string out, err;
  EXPECT_EQ(
      cli("explore " + std::string(NVMSIM_SOURCE_DIR) + "/scenarios/basic-2path.yaml --runs 2", d,
          &out, &err),
      2);
  EXPECT_NE(err.find("no explore section"), std::string::npos) << err;
  EXPECT_EQ(cli("explore " + kTwoPath + " --runs 2 --time-budget 5", d, &out, &err), 2);
  EXPECT_NE(err.find("--time-budget"), std::string::npos) << err;
  EXPECT_EQ(cli("explore " + kTwoPath + " --runs 2 --set explore.count.min=9", d, &out, &err), 2);
  EXPECT_NE(err.find("two-path.yaml:"), std::string::npos) << err;  // the max it contradicts
  EXPECT_NE(err.find("max (5) is less than min (9) (key: explore.count.max)"), std::string::npos)
      << err;
  EXPECT_EQ(cli("explore " + kTwoPath + " --runs 2 --set explore.faults.link-up=1", d, &out, &err),
            2);
  EXPECT_NE(err.find("--set:1:"), std::string::npos) << err;
  EXPECT_NE(err.find("is not drawn on its own"), std::string::npos) << err;
}

TEST(Explore, TimeBudgetStopsStartingRuns) {
  const fs::path d = scratch();
  std::string out;
  EXPECT_EQ(
      cli("explore " + kTwoPath + " --runs 100000 --time-budget 1ms -q --out " + (d / "o").string(),
          d, &out),
      0)
      << out;
  EXPECT_NE(out.find("), stopped early: 0 failed"), std::string::npos) << out;
  EXPECT_EQ(out.find(": 100000 run(s) in"), std::string::npos) << out;
}

TEST(Explore, RunIgnoresTheExploreSection) {
  const fs::path d = scratch();
  std::string out, err;
  EXPECT_EQ(cli("run " + kTwoPath + " --out " + (d / "o").string(), d, &out, &err), 0) << err;
  EXPECT_NE(err.find("the explore section is ignored by run"), std::string::npos) << err;
  EXPECT_NE(read(d / "o" / "results.json").find("\"faults\" : []"), std::string::npos);
}

}  // namespace
