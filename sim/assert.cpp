#include "sim/assert.hpp"

#include <stdexcept>

#include "sim/engine/calendar.hpp"

namespace sim {

// An internal error carries the simulated time so a report can be matched to a trace. It is thrown
// (not aborted) so the CLI can print it and exit 3 after flushing what it has.
[[noreturn]] void assertion_failed(const char* cond, const char* file, int line, const std::string& msg) {
  throw std::logic_error(fmt::format("internal error at t={}ns: {}:{}: assertion '{}' failed{}{}",
                                     engine::current_time(), file, line, cond,
                                     msg.empty() ? "" : ": ", msg));
}

}  // namespace sim
