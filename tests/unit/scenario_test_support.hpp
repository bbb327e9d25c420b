#pragma once
// Helpers for the scenario loader tests: load inline YAML and check an InputError field by field.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/scenario/loader.hpp"

namespace sim::scenario::testing {

inline Scenario load_yaml(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return load_string(yaml, "test.yaml", overrides);
}

// What an InputError must say. `message` is a substring of what(); `hint`, when given, must match
// exactly (an empty string asserts that there is no hint).
struct Want {
  int line = 0;
  int column = 0;
  std::string key = {};
  std::string message = {};
  std::optional<std::string> hint = std::nullopt;
  std::string file = "test.yaml";
};

inline ::testing::AssertionResult fails_as(const std::function<void()>& load, const Want& want) {
  try {
    load();
  } catch (const InputError& e) {
    auto bad = [&](const std::string& what) {
      return ::testing::AssertionFailure() << what << "\n  error was: " << e.format();
    };
    if (e.loc().file != want.file)
      return bad("file is '" + e.loc().file + "', want '" + want.file + "'");
    if (e.loc().line != want.line || e.loc().column != want.column) {
      return bad("at " + std::to_string(e.loc().line) + ":" + std::to_string(e.loc().column) +
                 ", want " + std::to_string(want.line) + ":" + std::to_string(want.column));
    }
    if (e.key() != want.key) return bad("key is '" + e.key() + "', want '" + want.key + "'");
    if (std::string(e.what()).find(want.message) == std::string::npos) {
      return bad("message lacks '" + want.message + "'");
    }
    if (want.hint && e.hint() != *want.hint) {
      return bad("hint is '" + e.hint() + "', want '" + *want.hint + "'");
    }
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no InputError thrown";
}

inline ::testing::AssertionResult yaml_fails_as(const std::string& yaml, const Want& want,
                                                const std::vector<std::string>& overrides = {}) {
  return fails_as([&] { load_yaml(yaml, overrides); }, want);
}

}  // namespace sim::scenario::testing
