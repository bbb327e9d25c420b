#pragma once
// Reading scenario files: YAML -> typed Scenario with every default filled in and every value
// checked. All problems are reported as InputError with file:line:column.
#include <string>
#include <vector>

#include "sim/scenario/error.hpp"
#include "sim/scenario/scenario.hpp"

namespace sim::scenario {

// Reads and validates `path`. `overrides` are `key.path=value` strings from --set, applied to the
// YAML tree before it is interpreted (e.g. "hosts.0.iopolicy=round-robin", "seed=7",
// "workloads.0.iodepth=64"). Throws InputError.
Scenario load_file(const std::string& path, const std::vector<std::string>& overrides = {});

// Same, from text in memory; `name` is used as the file name in errors.
Scenario load_string(const std::string& text, const std::string& name,
                     const std::vector<std::string>& overrides = {});

// The fully defaulted scenario as YAML (what `nvmsim validate` prints). Loading the output again
// gives an equal scenario.
std::string dump_yaml(const Scenario& s);

}  // namespace sim::scenario
