#pragma once
// The fuzz harness's entry, shared by the libFuzzer target and the regression replayer.
#include <string>
#include <string_view>
#include <vector>

namespace nvmsim_fuzz {

struct FuzzInput {
  std::vector<std::string> sets;  // --set overrides, one per line before "---yaml"
  std::string yaml;
};
FuzzInput split_input(std::string_view data);

enum class Outcome { Loaded, Rejected };
// Loads `data` as split_input describes; throws (or crashes) only on a bug.
Outcome load_one(std::string_view data, const std::string& name);

}  // namespace nvmsim_fuzz
