#pragma once
// SIGINT and SIGTERM for the commands that run many children (sweep, explore): the handler only
// records the signal, which the command's run loop polls (should_stop) to kill its children and
// write what finished; the command then exits 128 + the signal. No SA_RESTART: poll() returns at
// once.
#include <signal.h>

namespace tools::cli {

inline volatile sig_atomic_t g_stop_signal = 0;

inline void catch_stop_signals() {
  struct sigaction sa = {};
  sa.sa_handler = [](int sig) { g_stop_signal = sig; };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace tools::cli
