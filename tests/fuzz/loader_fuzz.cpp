// libFuzzer target over the scenario loader (tests/fuzz/README.md).
//
// The input is split at the first line that is exactly "---yaml": the lines before it are --set
// overrides, the rest is the scenario. An input without that line is all scenario. Loading may
// succeed or throw InputError / NotSupportedError (bad input, exit 2 in the CLI); anything else
// (another exception, a crash, a sanitizer report, a timeout) is a bug. A scenario that loads is
// also printed with dump_yaml and loaded again: the printed form must be accepted.
//
// The same function, built without libFuzzer (NVMSIM_FUZZ_REPLAY), replays files given on the
// command line: tests/fuzz/replay.cpp.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/error.hpp"
#include "sim/scenario/loader.hpp"
#include "tests/fuzz/loader_fuzz.hpp"

namespace nvmsim_fuzz {

FuzzInput split_input(std::string_view data) {
  FuzzInput in;
  constexpr std::string_view kMarker = "---yaml\n";
  std::size_t sets_end = 0;  // the override lines are data[0, sets_end)
  std::size_t yaml_begin = 0;
  if (data.starts_with(kMarker)) {
    yaml_begin = kMarker.size();
  } else if (const std::size_t m = data.find("\n---yaml\n"); m != std::string_view::npos) {
    sets_end = m;
    yaml_begin = m + 1 + kMarker.size();
  }
  for (std::size_t pos = 0; pos < sets_end;) {
    std::size_t eol = data.find('\n', pos);
    if (eol == std::string_view::npos || eol > sets_end) eol = sets_end;
    if (eol > pos) in.sets.emplace_back(data.substr(pos, eol - pos));
    pos = eol + 1;
  }
  in.yaml = std::string(data.substr(yaml_begin));
  return in;
}

Outcome load_one(std::string_view data, const std::string& name) {
  const FuzzInput in = split_input(data);
  sim::scenario::Scenario s;
  try {
    s = sim::scenario::load_string(in.yaml, name, in.sets);
  } catch (const sim::scenario::InputError&) {  // NotSupportedError is one too
    return Outcome::Rejected;
  }
  // What validate prints must load again (dump_yaml throws nothing the user could cause).
  const std::string printed = sim::scenario::dump_yaml(s);
  try {
    (void)sim::scenario::load_string(printed, name + " (printed)");
  } catch (const sim::scenario::InputError& e) {
    throw std::logic_error("dump_yaml printed a scenario that does not load: " + e.format() +
                           "\n--- printed ---\n" + printed);
  }
  return Outcome::Loaded;
}

}  // namespace nvmsim_fuzz

#ifndef NVMSIM_FUZZ_REPLAY
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An exception other than InputError escapes and libFuzzer reports it as a crash (abort).
  (void)nvmsim_fuzz::load_one(std::string_view(reinterpret_cast<const char*>(data), size),
                              "fuzz.yaml");
  return 0;
}
#endif
