// The simulation core without SimGrid: the per-I/O event calendar (ordering, calls, cancellation,
// run limits, the past-scheduling assertion), the deterministic random streams, and the integer
// time helpers. Every expected value is derived by hand from the constants in the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sim/engine/calendar.hpp"
#include "sim/engine/lane.hpp"
#include "sim/rng.hpp"
#include "sim/time.hpp"

namespace sim {
namespace {

using engine::Calendar;

// Records every event it receives with the calendar's clock at that moment.
class Recorder final : public engine::EventTarget {
 public:
  struct Seen {
    Time t;
    std::uint32_t kind;
    std::uint64_t arg;
    Time current;  // engine::current_time() while the event ran
  };
  explicit Recorder(Calendar& cal) : cal_(cal) {}
  void on_event(std::uint32_t kind, std::uint64_t arg) override {
    seen.push_back(Seen{cal_.now(), kind, arg, engine::current_time()});
    if (hook) hook(kind, arg);
  }
  std::vector<Seen> seen;
  std::function<void(std::uint32_t, std::uint64_t)> hook;

 private:
  Calendar& cal_;
};

// ---- Calendar ----------------------------------------------------------------------------------

// A planted zero-time loop: a target that reschedules itself at the same instant forever. The
// calendar must stop it (not hang), keep time at that instant and name the target in its report.
class Spinner final : public engine::EventTarget {
 public:
  explicit Spinner(Calendar& cal) : cal_(cal) {}
  void on_event(std::uint32_t kind, std::uint64_t) override {
    ++runs;
    cal_.schedule(cal_.now(), this, kind);
  }
  std::string describe_event(std::uint32_t kind, std::uint64_t) const override {
    return "spinner kind " + std::to_string(kind);
  }
  std::uint64_t runs = 0;

 private:
  Calendar& cal_;
};

TEST(EngineLivelock, SameInstantRescheduleStopsWithADiagnosis) {
  Calendar cal;
  cal.set_instant_limit(5000);
  Spinner sp(cal);
  Recorder later(cal);
  cal.schedule(7, &sp, 3);
  cal.schedule(9, &later, 0);
  cal.run_until(kNever);
  EXPECT_TRUE(cal.livelocked());
  EXPECT_EQ(cal.now(), 7);
  EXPECT_TRUE(later.seen.empty());  // nothing after the livelocked instant runs
  // The limit, then the 10,000-event sample of what kept running (all but the last run).
  EXPECT_EQ(sp.runs, 5000u + 9999u);
  EXPECT_NE(cal.livelock_report().find("t=7ns"), std::string::npos) << cal.livelock_report();
  EXPECT_NE(cal.livelock_report().find("10000 x spinner kind 3"), std::string::npos) << cal.livelock_report();
  EXPECT_EQ(cal.run_until(kNever), 0u);  // stays stopped
}

// Work inside one event (a submission loop that never reaches the calendar) counts too.
TEST(EngineLivelock, WorkInsideOneEventCounts) {
  Calendar cal;
  cal.set_instant_limit(1000);
  Recorder r(cal);
  std::uint64_t loops = 0;
  r.hook = [&](std::uint32_t, std::uint64_t) {
    while (cal.note_work(&r, 1)) ++loops;
  };
  cal.schedule(5, &r, 0);
  cal.run_until(kNever);
  EXPECT_TRUE(cal.livelocked());
  EXPECT_EQ(loops, 999u + 9999u);  // the event itself is unit 1; 10,000 sampled units end it
  EXPECT_NE(cal.livelock_report().find("unnamed event target, event kind 1"), std::string::npos);
}

// Time that moves resets the count: a million events spread over a million instants are fine.
TEST(EngineLivelock, EventsAtDistinctInstantsNeverTrip) {
  Calendar cal;
  cal.set_instant_limit(1000);
  Recorder r(cal);
  std::uint64_t n = 0;
  r.hook = [&](std::uint32_t, std::uint64_t) {
    if (++n < 1'000'000) cal.schedule(cal.now() + 1, &r, 0);
  };
  cal.schedule(0, &r, 0);
  cal.run_until(kNever);
  EXPECT_FALSE(cal.livelocked());
  EXPECT_EQ(n, 1'000'000u);
}

TEST(EngineCalendar, StartsEmptyAtTimeZero) {
  Calendar cal;
  EXPECT_EQ(cal.now(), 0);
  EXPECT_TRUE(cal.empty());
  EXPECT_EQ(cal.next_time(), kNever);
  EXPECT_EQ(cal.run_until(kNever), 0u);
  EXPECT_EQ(cal.events_run(), 0u);
}

TEST(EngineCalendar, RunsInTimeOrderWithFifoTies) {
  Calendar cal;
  Recorder r(cal);
  // Scheduled out of order; the arg is the scheduling order.
  cal.schedule(30, &r, 0, 0);
  cal.schedule(10, &r, 0, 1);
  cal.schedule(20, &r, 0, 2);
  cal.schedule(10, &r, 0, 3);
  cal.schedule(0, &r, 0, 4);
  cal.schedule(10, &r, 0, 5);
  cal.schedule(30, &r, 0, 6);
  EXPECT_EQ(cal.next_time(), 0);
  EXPECT_EQ(cal.run_until(kNever), 7u);
  std::vector<std::uint64_t> order;
  std::vector<Time> times;
  for (const auto& s : r.seen) {
    order.push_back(s.arg);
    times.push_back(s.t);
  }
  EXPECT_EQ(order, (std::vector<std::uint64_t>{4, 1, 3, 5, 2, 0, 6}));
  EXPECT_EQ(times, (std::vector<Time>{0, 10, 10, 10, 20, 30, 30}));
  EXPECT_EQ(cal.now(), 30);
  EXPECT_TRUE(cal.empty());
  EXPECT_EQ(cal.events_run(), 7u);
}

// Many events with many ties, pushed in pseudo-random order: the run order must be exactly a
// stable sort by time of the scheduling order (this exercises the hand-written heap).
TEST(EngineCalendar, HeapMatchesStableSortOnManyEvents) {
  Calendar cal;
  Recorder r(cal);
  Rng rng(7, "calendar-heap");
  struct E {
    Time t;
    std::uint64_t idx;
  };
  std::vector<E> expected;
  for (std::uint64_t i = 0; i < 5000; ++i) {
    const Time t = static_cast<Time>(rng.below(64));
    cal.schedule(t, &r, static_cast<std::uint32_t>(i % 3), i);
    expected.push_back(E{t, i});
  }
  std::stable_sort(expected.begin(), expected.end(), [](const E& a, const E& b) { return a.t < b.t; });
  ASSERT_EQ(cal.run_until(kNever), 5000u);
  ASSERT_EQ(r.seen.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(r.seen[i].t, expected[i].t) << "position " << i;
    ASSERT_EQ(r.seen[i].arg, expected[i].idx) << "position " << i;
    ASSERT_EQ(r.seen[i].kind, expected[i].idx % 3) << "position " << i;
  }
}

// Events more than the far horizon (1 ms) ahead live in a second heap; the order must stay the
// one (time, scheduling sequence) gives, across both heaps, including ties between a far event
// and a near one scheduled later for the same instant, and far events that become due while near
// ones keep arriving. Reference: a plain vector, always taking the smallest pair.
TEST(EngineCalendar, FarAndNearEventsKeepOneOrder) {
  Calendar cal;
  Recorder r(cal);
  Rng rng(5, "calendar-far");
  std::vector<std::tuple<Time, std::uint64_t, std::uint64_t>> q;  // (t, seq, id): the reference
  std::uint64_t seq = 0, id = 0;
  auto both = [&](Time t) {
    cal.schedule(t, &r, 0, id);
    q.emplace_back(t, seq++, id++);
  };
  // Delays: same instant, near, just past the horizon, far; and exact ties with far events.
  const Time delays[] = {0, 3, 999'999, 1'000'000, 1'000'001, 2'500'000, 7'000'000};
  std::vector<std::pair<Time, std::uint64_t>> ref;
  r.hook = [&](std::uint32_t, std::uint64_t) {
    if (id >= 20000) return;
    const int n = static_cast<int>(rng.below(3));
    for (int i = 0; i < n; ++i) both(cal.now() + delays[rng.below(7)]);
  };
  for (int i = 0; i < 50; ++i) both(delays[rng.below(7)]);
  cal.run_until(kNever);
  // Replay the same choices for the reference: the hook's random draws depend only on the order
  // the events ran in, so replaying it on the reference order must reproduce the same events.
  std::vector<std::pair<Time, std::uint64_t>> got;
  for (const auto& s : r.seen) got.emplace_back(s.t, s.arg);
  std::sort(q.begin(), q.end());
  for (const auto& [t, sq, ident] : q) ref.emplace_back(t, ident);
  ASSERT_GE(got.size(), 1000u);
  EXPECT_EQ(got, ref);
  EXPECT_TRUE(cal.empty());
}

// The running event is no longer pending: inside a handler, next_time() and empty() see only what
// is still to run (the calendar keeps the running event in its heap until the handler schedules
// into that heap or returns), in the near heap and in the far one (> 1 ms ahead).
TEST(EngineCalendar, RunningEventIsNotPendingInsideItsHandler) {
  Calendar cal;
  Recorder r(cal);
  std::vector<std::pair<Time, bool>> seen;  // (next_time, empty) as each handler saw them
  r.hook = [&](std::uint32_t kind, std::uint64_t) {
    seen.emplace_back(cal.next_time(), cal.empty());
    if (kind == 1) cal.schedule(cal.now() + 1, &r, 2);  // replaces the running top
    if (kind == 2) seen.emplace_back(cal.next_time(), cal.empty());
  };
  cal.schedule(10, &r, 0);
  cal.schedule(20, &r, 1);
  cal.schedule(5'000'000, &r, 0);  // far
  cal.run_until(kNever);
  const std::vector<std::pair<Time, bool>> want = {
      {20, false}, {5'000'000, false}, {5'000'000, false}, {5'000'000, false}, {kNever, true}};
  EXPECT_EQ(seen, want);
  EXPECT_TRUE(cal.empty());
  EXPECT_EQ(cal.next_time(), kNever);
  EXPECT_EQ(cal.events_run(), 4u);
}

// Interleaving pushes and pops (events scheduling further events) keeps the order too.
TEST(EngineCalendar, EventsScheduledWhileRunningKeepOrder) {
  Calendar cal;
  Recorder r(cal);
  // Event k at time t schedules one more at t (same time, runs after everything already due at t)
  // and one at t + 5, until kind reaches 3.
  r.hook = [&](std::uint32_t kind, std::uint64_t arg) {
    if (kind >= 3) return;
    cal.schedule(cal.now(), &r, kind + 1, arg * 10 + 1);
    cal.schedule_in(5, &r, kind + 1, arg * 10 + 2);
  };
  cal.schedule(0, &r, 0, 1);
  cal.schedule(0, &r, 3, 9);  // already due at 0: runs before the same-time child of event 1
  cal.run_until(kNever);
  std::vector<std::pair<Time, std::uint64_t>> got;
  for (const auto& s : r.seen) got.emplace_back(s.t, s.arg);
  // Reference: replay the same recursion on a plain vector, always taking the smallest
  // (time, scheduling sequence) pair.
  std::vector<std::tuple<Time, std::uint64_t, std::uint32_t, std::uint64_t>> q;
  std::uint64_t seq = 0;
  auto push = [&](Time t, std::uint32_t k, std::uint64_t a) { q.emplace_back(t, seq++, k, a); };
  push(0, 0, 1);
  push(0, 3, 9);
  std::vector<std::pair<Time, std::uint64_t>> ref;
  while (!q.empty()) {
    auto it = std::min_element(q.begin(), q.end());
    auto [t, s, k, a] = *it;
    q.erase(it);
    ref.emplace_back(t, a);
    if (k < 3) {
      push(t, k + 1, a * 10 + 1);
      push(t + 5, k + 1, a * 10 + 2);
    }
  }
  EXPECT_EQ(got, ref);
  ASSERT_GE(got.size(), 4u);
  // Spot checks that do not depend on the reference: the pre-scheduled same-time event runs
  // before the child scheduled at the same time by the first event.
  EXPECT_EQ(got[0], (std::pair<Time, std::uint64_t>{0, 1}));
  EXPECT_EQ(got[1], (std::pair<Time, std::uint64_t>{0, 9}));
  EXPECT_EQ(got[2], (std::pair<Time, std::uint64_t>{0, 11}));
  EXPECT_EQ(got.size(), 1u + 1u + 2u + 4u + 8u);  // 1 root + the extra + 2+4+8 descendants
}

// A lane delivers its items in exactly the order scheduling each item as its own event would: the
// sequence number is taken when the item is queued, not when it reaches the head. Two lanes and
// plain events are interleaved, with events scheduling more work as they run; a second calendar
// that schedules every item directly is the reference. Planted bug this catches: a lane that took
// its number at the head (schedule() in pop) would run a same-time plain event scheduled between
// two lane pushes after the second item instead of before it.
class LaneReceiver final : public engine::EventTarget {
 public:
  LaneReceiver(Calendar& cal, bool use_lanes) : cal_(cal), lanes_(use_lanes), rng_(11, "lane-test") {}
  void on_event(std::uint32_t kind, std::uint64_t arg) override {
    std::uint64_t v = arg;
    if (kind < 2 && lanes_) v = lane_[kind].pop(cal_, this, kind, 0);
    order.emplace_back(cal_.now(), kind, v);
    if (order.size() < 3000) spawn();
  }
  void spawn() {
    // Each step queues 0..2 items on random lanes (times never going back within a lane) and
    // sometimes a plain event at a random near time, possibly the same instant.
    const int n = static_cast<int>(rng_.below(3));
    for (int i = 0; i < n; ++i) {
      const auto k = static_cast<std::uint32_t>(rng_.below(2));
      last_[k] = std::max(last_[k], cal_.now()) + static_cast<Time>(rng_.below(4));
      const std::uint64_t item = next_item_++;
      if (lanes_)
        lane_[k].push(cal_, last_[k], this, k, 0, item);
      else
        cal_.schedule(last_[k], this, k, item);
    }
    if (rng_.below(2) == 0) cal_.schedule(cal_.now() + static_cast<Time>(rng_.below(3)), this, 2, next_item_++);
  }
  std::vector<std::tuple<Time, std::uint32_t, std::uint64_t>> order;

 private:
  Calendar& cal_;
  bool lanes_;
  Rng rng_;
  engine::Lane<std::uint64_t> lane_[2];
  Time last_[2] = {0, 0};
  std::uint64_t next_item_ = 0;
};

TEST(EngineLane, DeliversInTheOrderOfOneEventPerItem) {
  Calendar with_lanes;
  Calendar direct;
  LaneReceiver a(with_lanes, true);
  LaneReceiver b(direct, false);
  for (int i = 0; i < 8; ++i) {
    a.spawn();
    b.spawn();
  }
  with_lanes.run_until(kNever);
  direct.run_until(kNever);
  ASSERT_GE(a.order.size(), 3000u);
  EXPECT_EQ(a.order, b.order);
  EXPECT_EQ(with_lanes.events_run(), direct.events_run());
}

TEST(EngineCalendar, ScheduleInIsRelativeToNow) {
  Calendar cal;
  Recorder r(cal);
  r.hook = [&](std::uint32_t kind, std::uint64_t) {
    if (kind == 0) cal.schedule_in(7, &r, 1, 0);
  };
  cal.schedule(100, &r, 0, 0);
  cal.run_until(kNever);
  ASSERT_EQ(r.seen.size(), 2u);
  EXPECT_EQ(r.seen[1].t, 107);
  EXPECT_EQ(r.seen[1].kind, 1u);
}

TEST(EngineCalendar, RunUntilLimitIsInclusiveAndLeavesLaterEvents) {
  Calendar cal;
  Recorder r(cal);
  cal.schedule(10, &r, 0, 0);
  cal.schedule(20, &r, 0, 1);
  cal.schedule(30, &r, 0, 2);
  EXPECT_EQ(cal.run_until(20), 2u);
  EXPECT_EQ(cal.now(), 20);  // the clock stops at the last event run, not at the limit
  EXPECT_EQ(cal.next_time(), 30);
  EXPECT_FALSE(cal.empty());
  EXPECT_EQ(cal.run_until(29), 0u);
  EXPECT_EQ(cal.now(), 20);
  EXPECT_EQ(cal.run_until(30), 1u);
  EXPECT_EQ(cal.now(), 30);
  EXPECT_TRUE(cal.empty());
  EXPECT_EQ(cal.events_run(), 3u);
}

TEST(EngineCalendar, RunUntilHonoursMaxEvents) {
  Calendar cal;
  Recorder r(cal);
  for (std::uint64_t i = 0; i < 5; ++i) cal.schedule(static_cast<Time>(i), &r, 0, i);
  EXPECT_EQ(cal.run_until(kNever, 2), 2u);
  EXPECT_EQ(cal.now(), 1);
  EXPECT_EQ(cal.next_time(), 2);
  EXPECT_EQ(cal.run_until(kNever, 0), 0u);
  EXPECT_EQ(cal.run_until(3, 10), 2u);  // limit reached before max_events
  EXPECT_EQ(cal.run_until(kNever, 10), 1u);
  EXPECT_EQ(cal.events_run(), 5u);
  ASSERT_EQ(r.seen.size(), 5u);
  for (std::uint64_t i = 0; i < 5; ++i) EXPECT_EQ(r.seen[i].arg, i);
}

TEST(EngineCalendar, RequestStopEndsRunAfterTheRunningEvent) {
  Calendar cal;
  Recorder r(cal);
  r.hook = [&](std::uint32_t, std::uint64_t arg) {
    if (arg == 1) cal.request_stop();
  };
  for (std::uint64_t i = 0; i < 4; ++i) cal.schedule(5, &r, 0, i);
  EXPECT_EQ(cal.run_until(kNever), 2u);
  EXPECT_TRUE(cal.stop_requested());
  // The next run clears the stop request and goes on.
  EXPECT_EQ(cal.run_until(kNever), 2u);
  EXPECT_FALSE(cal.stop_requested());
  ASSERT_EQ(r.seen.size(), 4u);
  EXPECT_EQ(r.seen[2].arg, 2u);
}

// Events carry the receiver's kind (16 bits) and a full 64-bit argument unchanged.
TEST(EngineCalendar, KindAndArgRoundTrip) {
  Calendar cal;
  Recorder r(cal);
  cal.schedule(1, &r, 0xFFFF, ~std::uint64_t{0});
  cal.schedule(1, &r, 0, 0x8000'0000'0000'0001ull);
  EXPECT_THROW(cal.schedule(1, &r, 0x10000, 0), std::logic_error);
  cal.run_until(kNever);
  ASSERT_EQ(r.seen.size(), 2u);
  EXPECT_EQ(r.seen[0].kind, 0xFFFFu);
  EXPECT_EQ(r.seen[0].arg, ~std::uint64_t{0});
  EXPECT_EQ(r.seen[1].kind, 0u);
  EXPECT_EQ(r.seen[1].arg, 0x8000'0000'0000'0001ull);
}

TEST(EngineCalendar, CallAtRunsCallbacksAndIdsAreUnique) {
  Calendar cal;
  std::vector<std::pair<Time, int>> ran;
  std::set<std::uint64_t> ids;
  ids.insert(cal.call_at(50, [&] { ran.emplace_back(cal.now(), 1); }));
  ids.insert(cal.call_at(20, [&] { ran.emplace_back(cal.now(), 2); }));
  ids.insert(cal.call_in(20, [&] { ran.emplace_back(cal.now(), 3); }));
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids.count(0), 0u);  // 0 is free to mean "no call" for callers
  EXPECT_EQ(cal.run_until(kNever), 3u);
  EXPECT_EQ(ran, (std::vector<std::pair<Time, int>>{{20, 2}, {20, 3}, {50, 1}}));
  // Ids are never reused, even after the calls ran.
  const auto again = cal.call_in(1, [] {});
  EXPECT_EQ(ids.count(again), 0u);
}

TEST(EngineCalendar, CallsAndPlainEventsShareTheFifoOrder) {
  Calendar cal;
  Recorder r(cal);
  std::vector<int> order;
  r.hook = [&](std::uint32_t, std::uint64_t arg) { order.push_back(static_cast<int>(arg)); };
  cal.schedule(10, &r, 0, 1);
  cal.call_at(10, [&] { order.push_back(2); });
  cal.schedule(10, &r, 0, 3);
  cal.call_at(10, [&] { order.push_back(4); });
  cal.run_until(kNever);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(EngineCalendar, CancelPreventsTheCall) {
  Calendar cal;
  int a = 0, b = 0, c = 0;
  const auto ia = cal.call_at(10, [&] { ++a; });
  const auto ib = cal.call_at(10, [&] { ++b; });
  cal.call_at(20, [&] { ++c; });
  cal.cancel(ib);
  cal.cancel(ib);          // twice: harmless
  cal.cancel(123456789);   // unknown id: harmless
  // The cancelled call's calendar slot still fires (and does nothing): it counts as an event.
  EXPECT_EQ(cal.run_until(kNever), 3u);
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 0);
  EXPECT_EQ(c, 1);
  cal.cancel(ia);  // after it ran: harmless
  EXPECT_EQ(a, 1);
}

TEST(EngineCalendar, CallCanCancelALaterCallAndRescheduleItself) {
  Calendar cal;
  std::vector<Time> ticks;
  std::uint64_t victim = 0;
  std::function<void()> tick = [&] {
    ticks.push_back(cal.now());
    if (ticks.size() < 3) cal.call_in(100, tick);
  };
  cal.call_at(0, tick);
  victim = cal.call_at(150, [&] { ticks.push_back(-1); });
  cal.call_at(120, [&] { cal.cancel(victim); });
  cal.run_until(kNever);
  EXPECT_EQ(ticks, (std::vector<Time>{0, 100, 200}));
}

TEST(EngineCalendar, SchedulingInThePastThrows) {
  Calendar cal;
  Recorder r(cal);
  cal.schedule(100, &r, 0, 0);
  cal.run_until(kNever);
  ASSERT_EQ(cal.now(), 100);
  EXPECT_THROW(cal.schedule(99, &r, 0, 0), std::logic_error);
  EXPECT_THROW(cal.call_at(0, [] {}), std::logic_error);
  EXPECT_TRUE(cal.empty());  // nothing was pushed by the failed calls
  try {
    cal.schedule(50, &r, 0, 0);
    FAIL() << "no exception";
  } catch (const std::logic_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("scheduled in the past"), std::string::npos) << what;
    EXPECT_NE(what.find("t=50"), std::string::npos) << what;
    EXPECT_NE(what.find("now=100"), std::string::npos) << what;
  }
  // Exactly now is allowed.
  EXPECT_NO_THROW(cal.schedule(100, &r, 0, 1));
  EXPECT_EQ(cal.run_until(kNever), 1u);
}

TEST(EngineCalendar, SchedulingInThePastFromInsideAnEventThrowsOutOfRunUntil) {
  Calendar cal;
  Recorder r(cal);
  r.hook = [&](std::uint32_t kind, std::uint64_t) {
    if (kind == 0) cal.schedule(cal.now() - 1, &r, 1, 0);
  };
  cal.schedule(10, &r, 0, 0);
  try {
    cal.run_until(kNever);
    FAIL() << "no exception";
  } catch (const std::logic_error& e) {
    // The assertion message carries the simulated time of the active calendar.
    EXPECT_NE(std::string(e.what()).find("t=10ns"), std::string::npos) << e.what();
  }
}

TEST(EngineCalendar, CurrentTimeFollowsTheRunningCalendar) {
  EXPECT_EQ(engine::current_time(), 0);
  Calendar cal;
  Recorder r(cal);
  cal.schedule(42, &r, 0, 0);
  cal.schedule(77, &r, 0, 0);
  cal.run_until(kNever);
  ASSERT_EQ(r.seen.size(), 2u);
  EXPECT_EQ(r.seen[0].current, 42);
  EXPECT_EQ(r.seen[1].current, 77);
  EXPECT_EQ(engine::current_time(), 0);  // no calendar running any more
}

TEST(EngineCalendar, AdvanceToOnlyMovesForward) {
  Calendar cal;
  cal.advance_to(500);
  EXPECT_EQ(cal.now(), 500);
  cal.advance_to(100);
  EXPECT_EQ(cal.now(), 500);
  Recorder r(cal);
  EXPECT_THROW(cal.schedule(499, &r, 0, 0), std::logic_error);
  cal.schedule_in(0, &r, 0, 0);
  EXPECT_EQ(cal.next_time(), 500);
}

// ---- Time helpers ------------------------------------------------------------------------------

TEST(EngineTime, UnitHelpers) {
  EXPECT_EQ(us(80), 80'000);
  EXPECT_EQ(ms(3), 3'000'000);
  EXPECT_EQ(sec(2), 2'000'000'000);
  EXPECT_EQ(kMinute, 60'000'000'000);
  EXPECT_EQ(kNever, std::numeric_limits<std::int64_t>::max());
}

TEST(EngineTime, TransferTimeRoundsUpToTheNanosecond) {
  static_assert(transfer_time(4096, 3'125'000'000ull) == 1311);  // 1310.72 -> 1311
  EXPECT_EQ(transfer_time(4096, 3'125'000'000ull), 1311);
  EXPECT_EQ(transfer_time(4096, 12'500'000'000ull), 328);   // 327.68
  EXPECT_EQ(transfer_time(4096, 3'000'000'000ull), 1366);   // 1365.33
  EXPECT_EQ(transfer_time(4096, 7'880'000'000ull), 520);    // 519.80
  EXPECT_EQ(transfer_time(1, 3'000'000'000ull), 1);         // 0.33
  EXPECT_EQ(transfer_time(1, 1'000'000'000ull), 1);         // exact
  EXPECT_EQ(transfer_time(3, 1'000'000'000ull), 3);         // exact
  EXPECT_EQ(transfer_time(3000, 3'000'000'000ull), 1000);   // exact: no spurious +1
  EXPECT_EQ(transfer_time(3001, 3'000'000'000ull), 1001);   // 1000.33
  EXPECT_EQ(transfer_time(1 << 20, 1'000'000'000ull), 1'048'576);
  EXPECT_EQ(transfer_time(0, 1'000'000'000ull), 0);
  EXPECT_EQ(transfer_time(4096, 0), 0);  // unlimited bandwidth
  // bytes * 1e9 overflows 64 bits here; the 128-bit intermediate keeps it exact.
  EXPECT_EQ(transfer_time(1ull << 33, 1), 8'589'934'592'000'000'000);
  EXPECT_EQ(transfer_time(50'000'000'000ull, 25'000'000'000ull), 2'000'000'000);
}

// ---- Rng ---------------------------------------------------------------------------------------

TEST(EngineRng, Fnv1aKnownVectors) {
  static_assert(fnv1a("") == 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a("foobar"), 0x85944171f73967e8ull);
}

// With seed == fnv1a(stream) the splitmix64 seeder starts from 0, whose outputs are published;
// the first xoshiro256** outputs from that state were computed independently (Python).
TEST(EngineRng, XoshiroReferenceOutputs) {
  Rng r(fnv1a("s"), "s");
  EXPECT_EQ(r.next_u64(), 0x99ec5f36cb75f2b4ull);
  EXPECT_EQ(r.next_u64(), 0xbf6e1f784956452aull);
  EXPECT_EQ(r.next_u64(), 0x1a5f849d4933e6e0ull);
}

TEST(EngineRng, SameSeedAndStreamSameSequence) {
  Rng a(12345, "media:nqn.x"), b(12345, "media:nqn.x");
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next_u64(), b.next_u64()) << i;
  Rng c(9, "w"), d(9, "w");
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(c.below(1000), d.below(1000));
    ASSERT_EQ(c.standard_normal(), d.standard_normal());
    ASSERT_EQ(c.exponential(3.0), d.exponential(3.0));
  }
  // The default constructor is seed 1, stream "default".
  Rng e, f(1, "default");
  for (int i = 0; i < 10; ++i) ASSERT_EQ(e.next_u64(), f.next_u64());
}

TEST(EngineRng, DifferentStreamOrSeedDiffers) {
  auto first = [](Rng r) {
    std::vector<std::uint64_t> v;
    for (int i = 0; i < 16; ++i) v.push_back(r.next_u64());
    return v;
  };
  const auto base = first(Rng(1, "a"));
  EXPECT_NE(base, first(Rng(1, "b")));
  EXPECT_NE(base, first(Rng(2, "a")));
  EXPECT_NE(first(Rng(1, "media:s1")), first(Rng(1, "media:s2")));
  // No shared outputs at all between two streams over a short window.
  const auto other = first(Rng(1, "b"));
  for (auto x : base)
    for (auto y : other) EXPECT_NE(x, y);
}

TEST(EngineRng, BelowStaysInRange) {
  Rng r(3, "below");
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(r.below(1), 0u);
  for (std::uint64_t n : {2ull, 3ull, 7ull, 10ull, 1000ull, 1ull << 32, (1ull << 63) + 1, ~0ull}) {
    for (int i = 0; i < 20000; ++i) ASSERT_LT(r.below(n), n) << "n=" << n;
  }
}

// Chi-square goodness of fit for below(10) over 100000 draws: 9 degrees of freedom, critical value
// 27.88 at p = 0.001. The seed is fixed, so this is deterministic.
TEST(EngineRng, BelowIsRoughlyUniform) {
  Rng r(2024, "chi-square");
  constexpr int kBins = 10;
  constexpr int kDraws = 100000;
  std::vector<int> count(kBins, 0);
  for (int i = 0; i < kDraws; ++i) ++count[r.below(kBins)];
  const double expect = static_cast<double>(kDraws) / kBins;
  double chi2 = 0;
  for (int c : count) chi2 += (c - expect) * (c - expect) / expect;
  EXPECT_LT(chi2, 27.88);
  // Every value occurs.
  for (int c : count) EXPECT_GT(c, 0);
}

// n just above 2^63: about half the raw draws are rejected; the survivors must still be uniform
// over [0, n), so the mean is n/2.
TEST(EngineRng, BelowRejectionPathIsUnbiased) {
  Rng r(5, "lemire");
  const std::uint64_t n = (1ull << 63) + 1;
  constexpr int kDraws = 200000;
  double sum = 0;
  int upper_half = 0;
  for (int i = 0; i < kDraws; ++i) {
    const std::uint64_t v = r.below(n);
    sum += static_cast<double>(v) / static_cast<double>(n);
    upper_half += v >= n / 2;
  }
  EXPECT_NEAR(sum / kDraws, 0.5, 0.005);
  EXPECT_NEAR(static_cast<double>(upper_half) / kDraws, 0.5, 0.005);
}

// n = 3 * 2^62: without Lemire's rejection step, outputs divisible by 3 would get two of every four
// raw values (probability 1/2 instead of 1/3).
TEST(EngineRng, BelowRejectionRemovesModuloBias) {
  Rng r(23, "lemire-mod3");
  const std::uint64_t n = 3ull << 62;
  constexpr int kDraws = 300000;
  int mod0 = 0;
  for (int i = 0; i < kDraws; ++i) mod0 += r.below(n) % 3 == 0;
  EXPECT_NEAR(static_cast<double>(mod0) / kDraws, 1.0 / 3.0, 0.005);
}

TEST(EngineRng, UniformInHalfOpenUnitInterval) {
  Rng r(11, "uniform");
  double lo = 1, hi = 0, sum = 0;
  constexpr int kDraws = 1000000;
  for (int i = 0; i < kDraws; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    sum += u;
  }
  EXPECT_NEAR(sum / kDraws, 0.5, 0.002);
  EXPECT_LT(lo, 1e-4);
  EXPECT_GT(hi, 1 - 1e-4);
  for (int i = 0; i < 100000; ++i) {
    const double u = r.uniform_open0();
    ASSERT_GT(u, 0.0);
    ASSERT_LE(u, 1.0);
  }
}

TEST(EngineRng, ExponentialMeanWithinOnePercent) {
  Rng r(13, "exp");
  constexpr int kDraws = 1000000;
  for (double mean : {1.0, 80'000.0}) {
    double sum = 0;
    for (int i = 0; i < kDraws; ++i) {
      const double x = r.exponential(mean);
      ASSERT_GE(x, 0.0);
      ASSERT_TRUE(std::isfinite(x));
      sum += x;
    }
    EXPECT_NEAR(sum / kDraws, mean, 0.01 * mean) << "mean " << mean;
  }
}

TEST(EngineRng, StandardNormalMeanAndVariance) {
  Rng r(17, "normal");
  constexpr int kDraws = 1000000;
  double sum = 0, sum2 = 0;
  int within1 = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double x = r.standard_normal();
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    sum2 += x * x;
    within1 += std::fabs(x) < 1.0;
  }
  const double mean = sum / kDraws;
  const double var = sum2 / kDraws - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.005);
  EXPECT_NEAR(var, 1.0, 0.01);
  EXPECT_NEAR(static_cast<double>(within1) / kDraws, 0.6827, 0.003);
}

// Box-Muller makes values in pairs: the second of a pair comes from the cache and must not
// consume a draw, so two generators stay in lockstep whatever mix of calls they see.
TEST(EngineRng, StandardNormalConsumesTwoUniformsPerPair) {
  Rng a(19, "pair"), b(19, "pair");
  a.standard_normal();
  a.standard_normal();
  b.next_u64();
  b.next_u64();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
}

}  // namespace
}  // namespace sim
