#pragma once
// The checker's messages give times as the reports do (scenario::format_seconds).
#include <string>

#include "sim/scenario/units.hpp"
#include "sim/time.hpp"

namespace sim::check {
inline std::string secs(Time t) { return scenario::format_seconds(t); }
}  // namespace sim::check
