#pragma once
// The per-I/O event calendar: a binary heap of small records ordered by (time, sequence number),
// so same-time events run in the order they were scheduled. SimGrid pumps it with one kernel timer
// (engine.hpp); nothing here touches SimGrid, so unit tests can drive a Calendar directly.
#include <cstdint>
#include <functional>
#include <vector>

#include "sim/time.hpp"

namespace sim::engine {

// Anything that receives calendar events. `kind` and `arg` are the receiver's own vocabulary.
class EventTarget {
 public:
  virtual void on_event(std::uint32_t kind, std::uint64_t arg) = 0;

 protected:
  ~EventTarget() = default;
};

// 32 bytes: the sequence number lives in the top 48 bits of `seq_kind`, the receiver's kind in
// the low 16, so ordering by seq_kind is ordering by sequence number.
struct Event {
  Time t;
  std::uint64_t seq_kind;
  EventTarget* target;
  std::uint64_t arg;
  std::uint32_t kind() const { return static_cast<std::uint32_t>(seq_kind & 0xFFFF); }
};

class Calendar {
 public:
  Calendar();
  ~Calendar();
  Calendar(const Calendar&) = delete;
  Calendar& operator=(const Calendar&) = delete;

  Time now() const { return now_; }

  void schedule(Time t, EventTarget* target, std::uint32_t kind, std::uint64_t arg = 0);
  void schedule_in(Time delay, EventTarget* target, std::uint32_t kind, std::uint64_t arg = 0) {
    schedule(now_ + delay, target, kind, arg);
  }
  // Convenience for rare control-plane events (timers, state machines). The hot path uses
  // schedule(). The returned id can be passed to cancel().
  std::uint64_t call_at(Time t, std::function<void()> fn);
  std::uint64_t call_in(Time delay, std::function<void()> fn) { return call_at(now_ + delay, std::move(fn)); }
  void cancel(std::uint64_t call_id);

  bool empty() const { return heap_.empty(); }
  Time next_time() const { return heap_.empty() ? kNever : heap_.front().t; }
  // Runs events with time <= limit, in order, at most `max_events` of them. Returns how many ran.
  std::uint64_t run_until(Time limit, std::uint64_t max_events = ~std::uint64_t{0});
  // Makes the current run_until() return after the running event.
  void request_stop() { stop_ = true; }
  bool stop_requested() const { return stop_; }
  std::uint64_t events_run() const { return events_run_; }

  // Advances the clock without running anything (end of simulation).
  void advance_to(Time t) {
    if (t > now_) now_ = t;
  }

 private:
  class Calls;
  void push(const Event& e);
  Event pop();

  std::vector<Event> heap_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t events_run_ = 0;
  Time now_ = 0;
  bool stop_ = false;
  Calls* calls_;
};

// The calendar that is running now (for log and assertion prefixes); 0 when none.
Time current_time();

}  // namespace sim::engine
