// The SimGrid adapter's pump (sim/engine/engine.cpp): one SimGrid timer drains the calendar up to
// the next scenario-level timer. A fault timer that hands the calendar work earlier than the armed
// pump must replace that pump, not arm a second one beside it: duplicate pump chains never die out
// and make every later calendar timestamp a SimGrid round trip of its own.
//
// SimGrid allows one engine per process, so each case runs in a forked child and reports back
// through a pipe.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>

#include "sim/engine/engine.hpp"
#include "sim/time.hpp"

namespace sim {
namespace {

// An I/O-like event stream: one event every `step` ns until `end`.
class Ticker final : public engine::EventTarget {
 public:
  Ticker(engine::Calendar& cal, Time step, Time end) : cal_(cal), step_(step), end_(end) {}
  void on_event(std::uint32_t, std::uint64_t) override {
    ++ticks;
    if (cal_.now() + step_ <= end_) cal_.schedule_in(step_, this, 0);
  }
  std::uint64_t ticks = 0;

 private:
  engine::Calendar& cal_;
  Time step_, end_;
};

struct PumpCount {
  std::uint64_t pumps = 0, events = 0, ticks = 0, faults = 0;
};

// In a child: 1 ms of ticks every 100 ns (10,000 calendar timestamps) and `faults` no-op
// scenario timers spread over the run, `spacing` ns apart from 100 us on.
PumpCount run_in_child(int faults, Time spacing) {
  int fd[2];
  if (pipe(fd) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    PumpCount c;
    {
      auto eng = engine::Engine::create();
      eng->add_host("h");
      eng->seal();
      const Time end = 1'000'000;
      Ticker ticker(eng->calendar(), 100, end);
      eng->calendar().schedule(0, &ticker, 0);
      for (int i = 0; i < faults; ++i) eng->at(100'000 + i * spacing, [&c] { ++c.faults; });
      eng->run(end);
      c.pumps = eng->pumps();
      c.events = eng->calendar().events_run();
      c.ticks = ticker.ticks;
    }
    const bool ok = write(fd[1], &c, sizeof c) == static_cast<ssize_t>(sizeof c);
    _exit(ok ? 0 : 1);
  }
  close(fd[1]);
  PumpCount c;
  const bool ok = read(fd[0], &c, sizeof c) == static_cast<ssize_t>(sizeof c);
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(ok && WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed";
  return c;
}

TEST(EnginePump, WithoutFaultsOnePumpDrainsTheWholeCalendar) {
  const PumpCount c = run_in_child(0, 0);
  EXPECT_EQ(c.ticks, 10'001u);  // t = 0, 100, ..., 1,000,000
  EXPECT_EQ(c.events, 10'001u);
  EXPECT_EQ(c.pumps, 1u);
}

// Each fault splits the drain once: the pump before it stops at its date, and the fault's own
// calendar entry is drained by the pump armed for it. Before the fix the first fault left a second
// pump chain that pumped once per remaining tick (~9,000 round trips).
TEST(EnginePump, EachNoOpFaultCostsAtMostTwoRoundTrips) {
  for (const int n : {1, 3, 100}) {
    const PumpCount c = run_in_child(n, 1'001);  // between ticks, so never at a tick's instant
    EXPECT_EQ(c.faults, static_cast<std::uint64_t>(n));
    EXPECT_EQ(c.ticks, 10'001u) << n << " faults";
    EXPECT_EQ(c.events, 10'001u + static_cast<std::uint64_t>(n)) << n << " faults";  // + one call each
    EXPECT_LE(c.pumps, 1u + 2u * static_cast<std::uint64_t>(n)) << n << " faults";
  }
}

// A fault at the same instant as I/O events: still no duplicate chain.
TEST(EnginePump, FaultsAtTickInstantsCostAtMostTwoRoundTrips) {
  const PumpCount c = run_in_child(50, 10'000);
  EXPECT_EQ(c.faults, 50u);
  EXPECT_EQ(c.ticks, 10'001u);
  EXPECT_LE(c.pumps, 101u);
}

}  // namespace
}  // namespace sim
