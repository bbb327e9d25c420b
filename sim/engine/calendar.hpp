#pragma once
// The per-I/O event calendar: a 4-ary heap of small records ordered by (time, sequence number),
// so same-time events run in the order they were scheduled. SimGrid pumps it with one kernel timer
// (engine.hpp); nothing here touches SimGrid, so unit tests can drive a Calendar directly.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/time.hpp"

namespace sim::engine {

// Anything that receives calendar events. `kind` and `arg` are the receiver's own vocabulary.
class EventTarget {
 public:
  virtual void on_event(std::uint32_t kind, std::uint64_t arg) = 0;
  // Who this is and what `kind` means, for diagnoses (a zero-time livelock names its sources).
  virtual std::string describe_event(std::uint32_t kind, std::uint64_t arg) const;

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
  // FIFO lanes (lane.hpp): a lane takes its event's sequence number when the item is queued and
  // puts the event in the heap only once the item reaches the lane's head. Since a lane's times
  // and numbers both grow, the pop order is the one scheduling every item at once would give.
  std::uint64_t reserve_seq() { return next_seq_++; }
  void schedule_reserved(Time t, std::uint64_t seq, EventTarget* target, std::uint32_t kind, std::uint64_t arg);
  void schedule_in(Time delay, EventTarget* target, std::uint32_t kind, std::uint64_t arg = 0) {
    schedule(now_ + delay, target, kind, arg);
  }
  // Convenience for rare control-plane events (timers, state machines). The hot path uses
  // schedule(). The returned id can be passed to cancel().
  // `what` names the callback in diagnoses (a string literal).
  std::uint64_t call_at(Time t, std::function<void()> fn, const char* what = "timer callback");
  std::uint64_t call_in(Time delay, std::function<void()> fn, const char* what = "timer callback") {
    return call_at(now_ + delay, std::move(fn), what);
  }
  void cancel(std::uint64_t call_id);

  bool empty() const;
  Time next_time() const;
  // Runs events with time <= limit, in order, at most `max_events` of them. Returns how many ran.
  std::uint64_t run_until(Time limit, std::uint64_t max_events = ~std::uint64_t{0});
  // Makes the current run_until() return after the running event.
  void request_stop() { stop_ = true; }
  bool stop_requested() const { return stop_; }
  std::uint64_t events_run() const { return events_run_; }

  // Zero-time livelock guard: at most `limit` units of work (events run, plus note_work() calls
  // from loops that stay inside one event) at one simulated instant. Past it the calendar samples
  // what keeps running, then stops for good: run_until() runs nothing more and livelocked() holds,
  // with the diagnosis in livelock_report().
  void set_instant_limit(std::uint64_t limit) { instant_limit_ = limit; }
  std::uint64_t instant_limit() const { return instant_limit_; }
  // One unit of work at the current instant by `who` (its `kind` of work). Returns false once
  // livelocked: the caller must stop looping.
  bool note_work(const EventTarget* who, std::uint32_t kind, std::uint64_t arg = 0) {
    if (now_ != instant_t_) {
      if (!livelock_sample_.empty()) finish_livelock();  // the overrun ended: still a livelock
      instant_t_ = now_;
      instant_n_ = 0;
    }
    if (++instant_n_ > instant_limit_) on_instant_overrun(who, kind, arg);
    return !livelocked_;
  }
  bool livelocked() const { return livelocked_; }
  const std::string& livelock_report() const { return livelock_report_; }

  // Advances the clock without running anything (end of simulation).
  void advance_to(Time t) {
    if (t > now_) now_ = t;
  }

 private:
  class Calls;
  void push(const Event& e);
  void leave_running();

  void on_instant_overrun(const EventTarget* who, std::uint32_t kind, std::uint64_t arg);
  void finish_livelock();

  // Events due more than this after now at scheduling time go to far_ (calendar.cpp).
  static constexpr Time kFarHorizon = 1'000'000;  // 1 ms
  std::vector<Event> heap_;
  std::vector<Event> far_;
  std::vector<Event>* running_ = nullptr;  // the heap whose top is the event running now
  std::uint64_t next_seq_ = 0;
  std::uint64_t events_run_ = 0;
  Time now_ = 0;
  bool stop_ = false;
  Calls* calls_;
  std::uint64_t instant_limit_ = 10'000'000;
  Time instant_t_ = -1;
  std::uint64_t instant_n_ = 0;
  bool livelocked_ = false;
  std::vector<std::string> livelock_sample_;  // what ran past the limit, in order
  std::string livelock_report_;
};

// The calendar that is running now (for log and assertion prefixes); 0 when none.
Time current_time();

}  // namespace sim::engine
