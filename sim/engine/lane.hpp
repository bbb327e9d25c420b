#pragma once
// A FIFO lane of timed deliveries (a link direction, a submission queue's processor): items leave
// in the order they were queued, at non-decreasing times, so only the head needs an event in the
// calendar. Each item takes its sequence number when queued (Calendar::reserve_seq), which keeps
// the pop order exactly the one scheduling every item at once would give, with a heap that holds
// one entry per lane instead of one per item in flight.
#include <cstdint>
#include <vector>
#include <utility>

#include "sim/assert.hpp"
#include "sim/engine/calendar.hpp"

namespace sim::engine {

template <class T>
class Lane {
 public:
  bool empty() const { return n_ == 0; }
  std::size_t size() const { return n_; }

  // Queues `item` for delivery at `t` (never before the previous item's time): the receiver gets
  // target->on_event(kind, arg) at `t` and then takes the item with pop().
  void push(Calendar& cal, Time t, EventTarget* target, std::uint32_t kind, std::uint64_t arg, T item) {
    NVMSIM_ASSERT(n_ == 0 || t >= at(n_ - 1).t, "lane: delivery at {} before the previous one at {}", t,
                  at(n_ - 1).t);
    const std::uint64_t seq = cal.reserve_seq();
    if (n_ == ring_.size()) grow();
    at(n_) = Entry{t, seq, std::move(item)};
    ++n_;
    if (!armed_) {
      cal.schedule_reserved(t, seq, target, kind, arg);
      armed_ = true;
    }
  }

  // The head's event fired: takes the head and arms the next one's event (same target, kind, arg).
  T pop(Calendar& cal, EventTarget* target, std::uint32_t kind, std::uint64_t arg) {
    NVMSIM_ASSERT(n_ != 0, "lane: delivery with nothing queued");
    T item = std::move(at(0).item);
    at(0).item = T{};  // release what the item holds now, not when its slot is reused
    head_ = (head_ + 1) & (ring_.size() - 1);
    --n_;
    if (n_ == 0)
      armed_ = false;
    else
      cal.schedule_reserved(at(0).t, at(0).seq, target, kind, arg);
    return item;
  }

  // Drops everything. An armed event stays in the calendar: the receiver must know it for stale
  // (an epoch or generation in `arg`) and ignore it.
  void clear() {
    for (std::size_t i = 0; i < n_; ++i) at(i).item = T{};
    head_ = n_ = 0;
    armed_ = false;
  }

 private:
  struct Entry {
    Time t = 0;
    std::uint64_t seq = 0;
    T item{};
  };
  // A ring buffer whose size is a power of two: no allocation per item once it has grown to the
  // lane's largest backlog (a std::deque of large items allocates every few pushes).
  Entry& at(std::size_t i) { return ring_[(head_ + i) & (ring_.size() - 1)]; }
  void grow() {
    std::vector<Entry> bigger(ring_.empty() ? 8 : 2 * ring_.size());
    for (std::size_t i = 0; i < n_; ++i) bigger[i] = std::move(at(i));
    ring_ = std::move(bigger);
    head_ = 0;
  }
  std::vector<Entry> ring_;
  std::size_t head_ = 0, n_ = 0;
  bool armed_ = false;
};

}  // namespace sim::engine
