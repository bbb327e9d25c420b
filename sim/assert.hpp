#pragma once
// Broken invariants are bugs: print where and abort loudly (the CLI maps it to exit 3).
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

namespace sim {
[[noreturn]] void assertion_failed(const char* cond, const char* file, int line, const std::string& msg);
}

#define NVMSIM_ASSERT(cond, ...)                                                          \
  do {                                                                                    \
    if (!(cond)) [[unlikely]]                                                             \
      ::sim::assertion_failed(#cond, __FILE__, __LINE__, ::fmt::format("" __VA_ARGS__)); \
  } while (0)
