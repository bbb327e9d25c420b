#pragma once
// Helpers for end-to-end tests: load a scenario from text, run it in a child process (one SimGrid
// engine per process), and read results.json back.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/api/api.hpp"
#include "sim/scenario/loader.hpp"

namespace e2e {

struct Run {
  sim::api::Result result;
  nlohmann::json json;
  const nlohmann::json& job(std::size_t i = 0) const { return json.at("jobs").at(i); }
  const nlohmann::json& nv() const { return json.at("nvmsim"); }
  // Requests completed on the path named `name` (e.g. nvme0c0n1).
  std::uint64_t path_ios(const std::string& name) const {
    for (const auto& p : nv().at("paths"))
      if (p.at("name") == name) return p.at("ios");
    ADD_FAILURE() << "no path " << name;
    return 0;
  }
};

inline Run run_text(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  Run r;
  const auto s = sim::scenario::load_string(yaml, "test.yaml", overrides);
  r.result = sim::api::run_forked(s);
  EXPECT_EQ(r.result.exit_code, 0) << r.result.error;
  if (!r.result.results_json.empty()) r.json = nlohmann::json::parse(r.result.results_json);
  return r;
}

inline Run run_file(const std::string& path, const std::vector<std::string>& overrides = {}) {
  Run r;
  const auto s = sim::scenario::load_file(path, overrides);
  r.result = sim::api::run_forked(s);
  EXPECT_EQ(r.result.exit_code, 0) << r.result.error;
  if (!r.result.results_json.empty()) r.json = nlohmann::json::parse(r.result.results_json);
  return r;
}

inline std::string scenario_path(const std::string& rel) { return std::string(NVMSIM_SOURCE_DIR) + "/scenarios/" + rel; }

}  // namespace e2e
