// The decision trace (--decision-trace, sim/world/decision_trace.*): deterministic, records the
// host's decisions (so it changes with the iopolicy), agrees with results.json, and is passive.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "e2e_util.hpp"

namespace {

namespace fs = std::filesystem;

std::string out_file(const std::string& name) {
  const fs::path dir = fs::path(NVMSIM_BINARY_DIR) / "e2e-out" / ("decision-trace-" + std::to_string(getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

struct Traced {
  sim::api::Result result;
  std::vector<std::string> lines;
};

Traced run_traced(const std::string& scenario, const std::string& name, const std::vector<std::string>& sets = {},
                  sim::world::TraceIo io = sim::world::TraceIo::All) {
  const auto s = sim::scenario::load_file(e2e::scenario_path(scenario), sets);
  sim::api::Options o;
  o.decision_trace.file = out_file(name);
  o.decision_trace.io = io;
  Traced t;
  t.result = sim::api::run_forked(s, o);
  EXPECT_LE(t.result.exit_code, 1) << t.result.error;
  std::ifstream f(o.decision_trace.file);
  for (std::string line; std::getline(f, line);) t.lines.push_back(line);
  fs::remove(o.decision_trace.file);
  return t;
}

std::string kind(const std::string& line) {
  const auto at = line.find("\"e\":\"");
  if (at == std::string::npos) return "?";
  return line.substr(at + 5, line.find('"', at + 5) - at - 5);
}

std::size_t first_difference(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

TEST(DecisionTrace, ByteIdenticalAcrossRunsOfTheSameScenarioAndSeed) {
  const auto a = run_traced("failover/silent-link-loss.yaml", "a.jsonl");
  const auto b = run_traced("failover/silent-link-loss.yaml", "b.jsonl");
  ASSERT_GT(a.lines.size(), 100000u);
  EXPECT_EQ(first_difference(a.lines, b.lines), a.lines.size()) << "traces differ";
  EXPECT_EQ(a.lines.size(), b.lines.size());
  // It holds the failover's whole story, not only I/O.
  std::set<std::string> kinds;
  for (const auto& l : a.lines) kinds.insert(kind(l));
  for (const char* k : {"hdr", "sub", "snd", "cpl", "ctrl", "path", "flt", "dev", "rqe", "fo", "park", "unpark",
                        "rcn", "log", "end"})
    EXPECT_TRUE(kinds.count(k)) << "no `" << k << "` line";
  // Another seed draws other offsets: another trace.
  const auto c = run_traced("failover/silent-link-loss.yaml", "c.jsonl", {"seed=2"});
  EXPECT_LT(first_difference(a.lines, c.lines), a.lines.size());
}

// The trace records path decisions: with another iopolicy, the first difference is where the
// host sent a request down another path.
TEST(DecisionTrace, ChangesWithTheIopolicyAtASendingDecision) {
  const auto qd = run_traced("asymmetric-paths.yaml", "qd.jsonl");
  const auto rr = run_traced("asymmetric-paths.yaml", "rr.jsonl", {"hosts.0.iopolicy=round-robin"});
  const std::size_t i = first_difference(qd.lines, rr.lines);
  ASSERT_LT(i, std::min(qd.lines.size(), rr.lines.size()));
  EXPECT_EQ(kind(qd.lines[i]), "snd") << qd.lines[i];
  EXPECT_EQ(kind(rr.lines[i]), "snd") << rr.lines[i];
  // Same bio, another path.
  const auto x = nlohmann::json::parse(qd.lines[i]), y = nlohmann::json::parse(rr.lines[i]);
  EXPECT_EQ(x.at("b"), y.at("b"));
  EXPECT_NE(x.at("p"), y.at("p"));
  EXPECT_NE(qd.lines.back(), rr.lines.back());  // the per-path totals differ too
}

// Every line is a JSON object in time order with known kinds, and the counts agree with the
// run's own results.
TEST(DecisionTrace, WellFormedAndAgreesWithTheResults) {
  const auto t = run_traced("failover/ctrl-reset.yaml", "reset.jsonl");
  ASSERT_GT(t.lines.size(), 2u);
  const std::set<std::string> known = {"hdr", "sub", "snd", "rqe", "cpl", "fo", "park", "unpark", "ctrl", "path",
                                       "rcn", "ffx", "log", "blk", "dev", "flt", "end"};
  std::int64_t last_t = 0;
  std::uint64_t cpl = 0, errors = 0, fo = 0;
  std::map<std::int64_t, std::uint64_t> snd_per_path;
  std::set<std::int64_t> named_paths;
  std::set<std::uint64_t> sent;
  for (std::size_t i = 0; i < t.lines.size(); ++i) {
    const auto j = nlohmann::json::parse(t.lines[i]);
    ASSERT_TRUE(j.is_object()) << t.lines[i];
    ASSERT_TRUE(j.at("t").is_number_integer()) << t.lines[i];
    const std::int64_t at = j.at("t");
    EXPECT_GE(at, last_t) << "line " << i + 1;
    last_t = at;
    const std::string e = j.at("e");
    EXPECT_TRUE(known.count(e)) << t.lines[i];
    EXPECT_EQ(t.lines[i].rfind("{\"t\":", 0), 0u) << "t comes first: " << t.lines[i];
    if (i == 0) {
      EXPECT_EQ(e, "hdr");
      EXPECT_EQ(j.at("v"), 1);
      EXPECT_EQ(j.at("scenario"), "ctrl-reset");
      EXPECT_EQ(j.at("io"), "all");
    }
    if (e == "path" && !named_paths.count(j.at("p"))) {
      EXPECT_TRUE(j.contains("name") && j.contains("head") && j.contains("ctrl")) << t.lines[i];
      named_paths.insert(j.at("p").get<std::int64_t>());
    }
    if (e == "snd") {
      ASSERT_TRUE(named_paths.count(j.at("p"))) << "path used before its first `path` line: " << t.lines[i];
      ++snd_per_path[j.at("p")];
      sent.insert(j.at("b").get<std::uint64_t>());  // no merges in this scenario
    }
    if (e == "cpl") {
      ++cpl;
      EXPECT_TRUE(sent.count(j.at("b").get<std::uint64_t>())) << "completed, never sent: " << t.lines[i];
      if (j.at("s") != 0) ++errors;
    }
    if (e == "fo") ++fo;
  }
  const auto end = nlohmann::json::parse(t.lines.back());
  ASSERT_EQ(end.at("e"), "end");
  EXPECT_EQ(end.at("lines"), t.lines.size());
  EXPECT_EQ(end.at("bios"), cpl);
  EXPECT_EQ(end.at("bios"), t.result.ios);
  EXPECT_EQ(end.at("errs"), errors);
  EXPECT_EQ(end.at("fo"), fo);
  const auto results = nlohmann::json::parse(t.result.results_json);
  EXPECT_EQ(end.at("fo"), results.at("nvmsim").at("failover_count"));
  EXPECT_EQ(end.at("errs"), results.at("nvmsim").at("app_errors"));
  EXPECT_EQ(end.at("t"), results.at("nvmsim").at("sim_time_ns"));
  ASSERT_EQ(end.at("snd").size(), results.at("nvmsim").at("paths").size());
  for (std::size_t p = 0; p < end.at("snd").size(); ++p)
    EXPECT_EQ(end.at("snd")[p], snd_per_path[static_cast<std::int64_t>(p)]) << "path " << p;
  EXPECT_GT(fo, 0u);
}

// Asking for a trace changes nothing in the run.
TEST(DecisionTrace, IsPassive) {
  const auto s = sim::scenario::load_file(e2e::scenario_path("failover/ctrl-reset.yaml"));
  const auto plain = sim::api::run_forked(s);
  const auto traced = run_traced("failover/ctrl-reset.yaml", "passive.jsonl");
  auto a = nlohmann::json::parse(plain.results_json), b = nlohmann::json::parse(traced.result.results_json);
  a["nvmsim"].erase("wall");
  b["nvmsim"].erase("wall");
  EXPECT_EQ(a, b);
  EXPECT_EQ(plain.timeseries_csv, traced.result.timeseries_csv);
}

// The smaller levels are the full trace without their per-I/O lines (the header's `io` and the
// `end` line's line count aside).
TEST(DecisionTrace, LevelsDropOnlyPerIoLines) {
  using sim::world::TraceIo;
  const auto all = run_traced("failover/ctrl-reset.yaml", "all.jsonl");
  const auto paths = run_traced("failover/ctrl-reset.yaml", "paths.jsonl", {}, TraceIo::Paths);
  const auto control = run_traced("failover/ctrl-reset.yaml", "control.jsonl", {}, TraceIo::Control);
  auto body = [](const std::vector<std::string>& lines) {
    return std::vector<std::string>(lines.begin() + 1, lines.end() - 1);
  };
  std::vector<std::string> want_paths, want_control;
  for (const auto& l : body(all.lines)) {
    const std::string k = kind(l);
    if (k != "sub") want_paths.push_back(l);
    if (k != "sub" && k != "snd" && !(k == "cpl" && l.find("\"s\":0}") != std::string::npos))
      want_control.push_back(l);
  }
  EXPECT_TRUE(body(paths.lines) == want_paths);
  EXPECT_TRUE(body(control.lines) == want_control);
  EXPECT_LT(control.lines.size(), 1000u);
  // Same totals at every level.
  auto totals = [](const std::string& end) {
    auto j = nlohmann::json::parse(end);
    j.erase("lines");
    return j;
  };
  EXPECT_EQ(totals(all.lines.back()), totals(paths.lines.back()));
  EXPECT_EQ(totals(all.lines.back()), totals(control.lines.back()));
}

}  // namespace
