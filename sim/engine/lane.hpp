#pragma once
// A FIFO lane of timed deliveries (a link direction, a submission queue's processor): items leave
// in the order they were queued, at non-decreasing times, so only the head needs an event in the
// calendar. Each item takes its sequence number when queued (Calendar::reserve_seq), which keeps
// the pop order exactly the one scheduling every item at once would give, with a heap that holds
// one entry per lane instead of one per item in flight.
#include <cstdint>
#include <deque>
#include <utility>

#include "sim/assert.hpp"
#include "sim/engine/calendar.hpp"

namespace sim::engine {

template <class T>
class Lane {
 public:
  bool empty() const { return q_.empty(); }
  std::size_t size() const { return q_.size(); }

  // Queues `item` for delivery at `t` (never before the previous item's time): the receiver gets
  // target->on_event(kind, arg) at `t` and then takes the item with pop().
  void push(Calendar& cal, Time t, EventTarget* target, std::uint32_t kind, std::uint64_t arg, T item) {
    NVMSIM_ASSERT(q_.empty() || t >= q_.back().t, "lane: delivery at {} before the previous one at {}", t,
                  q_.back().t);
    const std::uint64_t seq = cal.reserve_seq();
    q_.push_back(Entry{t, seq, std::move(item)});
    if (!armed_) {
      cal.schedule_reserved(t, seq, target, kind, arg);
      armed_ = true;
    }
  }

  // The head's event fired: takes the head and arms the next one's event (same target, kind, arg).
  T pop(Calendar& cal, EventTarget* target, std::uint32_t kind, std::uint64_t arg) {
    NVMSIM_ASSERT(!q_.empty(), "lane: delivery with nothing queued");
    T item = std::move(q_.front().item);
    q_.pop_front();
    if (q_.empty())
      armed_ = false;
    else
      cal.schedule_reserved(q_.front().t, q_.front().seq, target, kind, arg);
    return item;
  }

  // Drops everything. An armed event stays in the calendar: the receiver must know it for stale
  // (an epoch or generation in `arg`) and ignore it.
  void clear() {
    q_.clear();
    armed_ = false;
  }

 private:
  struct Entry {
    Time t;
    std::uint64_t seq;
    T item;
  };
  std::deque<Entry> q_;
  bool armed_ = false;
};

}  // namespace sim::engine
