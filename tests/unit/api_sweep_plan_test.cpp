// The plan of `nvmsim sweep` (sim/api/sweep.cpp), without running anything: --grid and --seeds
// parsing, the order and count of the expansion, the overrides and replay line of a point, that
// a point loads exactly as `--set ... --seed N` does, and that a bad grid value is reported at
// its column of the --grid argument with the combination named.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/api/sweep.hpp"
#include "sim/scenario/error.hpp"
#include "sim/scenario/loader.hpp"

namespace sim::api {
namespace {

const std::string kBasic = std::string(NVMSIM_SOURCE_DIR) + "/scenarios/basic-2path.yaml";

// The InputError that `f` throws (fails the test if it throws none).
template <typename F>
scenario::InputError error_of(F f) {
  try {
    f();
  } catch (const scenario::InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no InputError";
  return scenario::InputError({}, "", "none");
}

TEST(SweepGrid, SplitsAtTopLevelCommasOnly) {
  const GridAxis g = parse_grid("workloads.0.cpus=[0, 1],[2,3],'a,b',\"c,\\\"d\",{x: 1, y: 2}");
  EXPECT_EQ(g.key, "workloads.0.cpus");
  EXPECT_EQ(g.values,
            (std::vector<std::string>{"[0, 1]", "[2,3]", "'a,b'", "\"c,\\\"d\"", "{x: 1, y: 2}"}));
  // 0-based offsets of each value in the argument: after "workloads.0.cpus=" (17 characters).
  EXPECT_EQ(g.value_pos, (std::vector<std::size_t>{17, 24, 30, 36, 44}));
}

TEST(SweepGrid, MalformedArgumentsNameTheirColumn) {
  auto e = error_of([] { parse_grid("hosts.0.iopolicy"); });
  EXPECT_EQ(e.format(),
            "--grid:1:1: error: --grid expects key.path=v1,v2,..., got 'hosts.0.iopolicy'\n"
            "  hint: e.g. --grid hosts.0.iopolicy=numa,round-robin");
  e = error_of([] { parse_grid("hosts.0.iopolicy=numa,,round-robin"); });
  EXPECT_EQ(e.loc().column, 23);  // the empty value between the two commas
  EXPECT_EQ(e.key(), "hosts.0.iopolicy");
  e = error_of([] { parse_grid("duration=1s,"); });
  EXPECT_EQ(e.loc().column, 13);
  e = error_of([] { parse_grid("=1,2"); });
  EXPECT_STREQ(e.what(), "--grid has no key before '='");
}

TEST(SweepSeeds, CountAndRange) {
  EXPECT_EQ(parse_seeds("3"), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(parse_seeds("7..9"), (std::vector<std::uint64_t>{7, 8, 9}));
  EXPECT_EQ(parse_seeds("0..0"), (std::vector<std::uint64_t>{0}));
  EXPECT_EQ(parse_seeds("18446744073709551615..18446744073709551615"),
            (std::vector<std::uint64_t>{18446744073709551615ull}));
  EXPECT_EQ(error_of([] { parse_seeds("0"); }).loc().file, "--seeds");
  EXPECT_EQ(error_of([] { parse_seeds("9..7"); }).loc().column, 4);
  EXPECT_EQ(
      error_of([] { parse_seeds("18446744073709551616"); }).what(),
      std::string("seed 18446744073709551616 is larger than 18446744073709551615 (2^64 - 1)"));
  EXPECT_EQ(error_of([] { parse_seeds("1..x"); }).loc().column, 4);
  // 2^64 seeds would not fit any sweep: refused before anything is allocated.
  EXPECT_NE(std::string(error_of([] { parse_seeds("0..18446744073709551615"); }).what())
                .find("2^64 seeds"),
            std::string::npos);
}

// Odometer order: the first --grid slowest, the seed fastest; count = 2 x 3 x 2.
TEST(SweepExpand, CartesianProductInOdometerOrder) {
  SweepSpec spec{.file = kBasic,
                 .sets = {},
                 .grid = {parse_grid("a=x,y"), parse_grid("b=1,2,3")},
                 .seeds = {5, 6}};
  const auto points = expand(spec);
  ASSERT_EQ(points.size(), 12u);
  std::vector<std::string> got;
  for (const auto& p : points)
    got.push_back(spec.grid[0].values[p.values[0]] + spec.grid[1].values[p.values[1]] + "/" +
                  std::to_string(*p.seed));
  EXPECT_EQ(got, (std::vector<std::string>{"x1/5", "x1/6", "x2/5", "x2/6", "x3/5", "x3/6", "y1/5",
                                           "y1/6", "y2/5", "y2/6", "y3/5", "y3/6"}));
  for (std::size_t i = 0; i < points.size(); ++i) EXPECT_EQ(points[i].index, i);
}

TEST(SweepExpand, WithoutGridOrSeedsOneRunWithTheScenarioSeed) {
  SweepSpec spec{.file = kBasic, .sets = {}, .grid = {}, .seeds = {}};
  const auto points = expand(spec);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_FALSE(points[0].seed.has_value());
}

TEST(SweepExpand, OverridesAndReplayOfAPoint) {
  SweepSpec spec{.file = kBasic,
                 .sets = {"duration=20ms"},
                 .grid = {parse_grid("hosts.0.iopolicy=numa,round-robin"),
                          parse_grid("hosts.0.kernel=\"6.1\",\"6.12\"")},
                 .seeds = {3}};
  const auto points = expand(spec);
  EXPECT_EQ(point_overrides(spec, points[2]),
            (std::vector<std::string>{"duration=20ms", "hosts.0.iopolicy=round-robin",
                                      "hosts.0.kernel=\"6.1\""}));
  EXPECT_EQ(point_replay(spec, points[2], 3),
            "nvmsim run " + kBasic +
                " --seed 3 --set duration=20ms --set hosts.0.iopolicy=round-robin --set "
                "'hosts.0.kernel=\"6.1\"'");
}

// A point loads to the same scenario as the file with its --set list and seed=N, through a
// document read once and used for every point.
TEST(SweepPlan, PointLoadsAsSetAndSeed) {
  SweepSpec spec{
      .file = kBasic,
      .sets = {"duration=20ms", "workloads.0.iodepth=4"},
      .grid = {parse_grid("workloads.0.iodepth=8,16"), parse_grid("hosts.0.nvme.kato=1s,7s")},
      .seeds = {9, 10}};
  const SweepPlan plan = plan_sweep(spec);
  ASSERT_EQ(plan.points.size(), 8u);
  for (const auto& p : plan.points) {
    auto sets = point_overrides(spec, p);
    sets.push_back("seed=" + std::to_string(*p.seed));
    const auto want = scenario::load_file(kBasic, sets);
    const auto got = load_point(spec, plan, p);
    EXPECT_TRUE(got == want) << "point " << p.index;
    EXPECT_EQ(got.seed, *p.seed);
  }
  // The grid value wins over the --set given for the same key (applied after it).
  EXPECT_EQ(load_point(spec, plan, plan.points[7]).workloads[0].iodepth, 16);
  EXPECT_EQ(load_point(spec, plan, plan.points[7]).hosts[0].nvme.kato, 7 * kSecond);
}

TEST(SweepPlan, BadGridValueIsReportedAtItsColumnWithTheCombination) {
  SweepSpec spec{
      .file = kBasic,
      .sets = {},
      .grid = {parse_grid("workloads.0.iodepth=8,16"), parse_grid("hosts.0.iopolicy=numa,bogus")},
      .seeds = {1, 2}};
  const auto e = error_of([&] { (void)plan_sweep(spec); });
  // 'bogus' starts at column 23 of "hosts.0.iopolicy=numa,bogus"; the first failing combination
  // is iodepth=8 with bogus: run 2 (seeds 1 and 2 of iodepth=8,numa are runs 0 and 1).
  EXPECT_EQ(e.loc().file, "--grid");
  EXPECT_EQ(e.loc().line, 1);
  EXPECT_EQ(e.loc().column, 23);
  EXPECT_EQ(e.key(), "hosts[0].iopolicy");
  EXPECT_NE(e.format().find("\n  in run-0002 of the sweep (8 runs): --grid workloads.0.iodepth=8 "
                            "--grid hosts.0.iopolicy=bogus"),
            std::string::npos)
      << e.format();
}

// A value that is fine alone but not with another axis' value: the error is at the file's
// place, and the note says which combination.
TEST(SweepPlan, CombinationErrorNamesEveryGridValue) {
  SweepSpec spec{.file = kBasic,
                 .sets = {},
                 .grid = {parse_grid("hosts.0.kernel=\"6.12\",\"6.1\""),
                          parse_grid("hosts.0.iopolicy=numa,queue-depth")},
                 .seeds = {}};
  const auto e = error_of([&] { (void)plan_sweep(spec); });
  EXPECT_EQ(e.loc().file, kBasic);
  EXPECT_STREQ(e.what(), "kernel 6.1 has no iopolicy 'queue-depth'");
  EXPECT_NE(e.format().find("in run-0003 of the sweep (4 runs): --grid 'hosts.0.kernel=\"6.1\"' "
                            "--grid hosts.0.iopolicy=queue-depth"),
            std::string::npos)
      << e.format();
}

TEST(SweepPlan, AKeyTwiceOrTheSeedTwiceIsRefused) {
  SweepSpec spec{
      .file = kBasic, .sets = {}, .grid = {parse_grid("a=1"), parse_grid("a=2")}, .seeds = {}};
  EXPECT_STREQ(error_of([&] { (void)plan_sweep(spec); }).what(), "--grid a is given twice");
  spec.grid = {parse_grid("seed=1,2")};
  spec.seeds = {1};
  EXPECT_STREQ(error_of([&] { (void)plan_sweep(spec); }).what(),
               "the seed is swept by both --grid seed=... and --seeds");
}

TEST(SweepRunDir, FourDigitsOrMore) {
  EXPECT_EQ(run_dir_name(7, 20), "run-0007");
  EXPECT_EQ(run_dir_name(9999, 10000), "run-9999");
  EXPECT_EQ(run_dir_name(42, 10001), "run-00042");
}

}  // namespace
}  // namespace sim::api
