#pragma once
// Errors the user caused: a scenario that cannot be read or makes no sense. They carry the place
// in the file; the CLI prints `format()` and exits 2.
#include <stdexcept>
#include <string>

#include "sim/scenario/scenario.hpp"

namespace sim::scenario {

class InputError : public std::runtime_error {
 public:
  InputError(SourceLoc loc, std::string key, const std::string& message, std::string hint = {})
      : std::runtime_error(message), loc_(std::move(loc)), key_(std::move(key)), hint_(std::move(hint)) {}

  const SourceLoc& loc() const { return loc_; }
  const std::string& key() const { return key_; }
  const std::string& hint() const { return hint_; }

  // "file:line:column: error: message (key: a.b.c)\n  hint: ..."; line/column omitted when 0.
  std::string format() const {
    std::string out = loc_.file.empty() ? std::string("<input>") : loc_.file;
    if (loc_.line > 0) out += ":" + std::to_string(loc_.line) + ":" + std::to_string(loc_.column);
    out += ": error: ";
    out += what();
    if (!key_.empty()) out += " (key: " + key_ + ")";
    if (!hint_.empty()) out += "\n  hint: " + hint_;
    return out;
  }

 private:
  SourceLoc loc_;
  std::string key_;
  std::string hint_;
};

// A feature the format accepts but this build does not simulate yet: also exit 2.
class NotSupportedError : public InputError {
 public:
  using InputError::InputError;
};

}  // namespace sim::scenario
