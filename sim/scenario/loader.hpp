#pragma once
// Reading scenario files: YAML -> typed Scenario with every default filled in and every value
// checked. All problems are reported as InputError with file:line:column.
#include <memory>
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

// One override and where its text came from, for the error positions: `origin` is the file name
// errors give (`--set:1:9: ...`), and `value_shift` how much further right the value starts in the
// user's argument than in `text` (`--grid k=a,b` runs `k=b`: the value 'b' is 2 columns later).
struct Override {
  std::string text;  // key.path=value
  std::string origin = "--set";
  int value_shift = 0;
};

// A scenario file with its includes read and merged, before any override is applied: read once,
// then interpreted with as many override lists as needed (nvmsim sweep). interpret(O) gives what
// load_file(path, O) gives for the same files. Both throw InputError.
class Document {
 public:
  static Document read_file(const std::string& path);
  Scenario interpret(const std::vector<Override>& overrides) const;

  Document(Document&&) noexcept;
  Document& operator=(Document&&) noexcept;
  ~Document();

 private:
  struct Tree;  // the merged YAML tree (loader_node.hpp)
  explicit Document(std::unique_ptr<Tree> tree);
  std::unique_ptr<Tree> tree_;
};

// The fully defaulted scenario as YAML (what `nvmsim validate` prints). Loading the output again
// gives an equal scenario.
std::string dump_yaml(const Scenario& s);

}  // namespace sim::scenario
