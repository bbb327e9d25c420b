#include "sim/engine/calendar.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "sim/assert.hpp"

namespace sim::engine {
namespace {
const Calendar* g_active = nullptr;

// Heap order: earliest time first, then lowest sequence number (FIFO among equals).
inline bool later(const Event& a, const Event& b) {
  return a.t != b.t ? a.t > b.t : a.seq_kind > b.seq_kind;
}
}  // namespace

Time current_time() { return g_active ? g_active->now() : 0; }

std::string EventTarget::describe_event(std::uint32_t kind, std::uint64_t) const {
  return fmt::format("unnamed event target, event kind {}", kind);
}

// std::function callbacks keyed by id; the calendar event carries the id. A cancelled id is
// simply absent when its event fires. std::map keeps this deterministic and the ids never repeat.
class Calendar::Calls final : public EventTarget {
 public:
  std::uint64_t add(std::function<void()> fn, const char* what) {
    const std::uint64_t id = next_id_++;
    fns_.emplace(id, Entry{std::move(fn), what});
    return id;
  }
  std::string describe_event(std::uint32_t, std::uint64_t id) const override {
    auto it = fns_.find(id);
    return it == fns_.end() ? std::string("cancelled timer") : std::string(it->second.what);
  }
  void cancel(std::uint64_t id) { fns_.erase(id); }
  void on_event(std::uint32_t, std::uint64_t id) override {
    auto it = fns_.find(id);
    if (it == fns_.end()) return;
    auto fn = std::move(it->second.fn);
    fns_.erase(it);
    fn();
  }

 private:
  struct Entry {
    std::function<void()> fn;
    const char* what;
  };
  std::map<std::uint64_t, Entry> fns_;
  std::uint64_t next_id_ = 1;
};

Calendar::Calendar() : calls_(new Calls) {
  heap_.reserve(1024);
  far_.reserve(256);
}
Calendar::~Calendar() {
  if (g_active == this) g_active = nullptr;
  delete calls_;
}

// A 4-ary heap (children of i at 4i+1..4i+4): half the levels of a binary heap, and the four
// children of a node share one or two cache lines. Events are totally ordered by (t, seq), so
// the pop order, and with it every result, is the same as any other heap's.
namespace {
constexpr std::size_t kArity = 4;

void heap_push(std::vector<Event>& heap, const Event& e) {
  heap.push_back(e);
  std::size_t i = heap.size() - 1;
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!later(heap[parent], e)) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = e;
}

// The top leaves and `e` enters in one sift-down from the root (what a pop followed by a push
// costs twice over).
void heap_replace_top(std::vector<Event>& heap, const Event& e) {
  const std::size_t n = heap.size();
  std::size_t i = 0;
  for (;;) {
    const std::size_t first = kArity * i + 1;
    if (first >= n) break;
    std::size_t best = first;
    const std::size_t stop = std::min(first + kArity, n);
    for (std::size_t c = first + 1; c < stop; ++c)
      if (later(heap[best], heap[c])) best = c;
    if (!later(e, heap[best])) break;
    heap[i] = heap[best];
    i = best;
  }
  heap[i] = e;
}

// The top leaves; the last entry takes its place in one sift-down.
Event heap_pop(std::vector<Event>& heap) {
  Event top = heap.front();
  const Event last = heap.back();
  heap.pop_back();
  if (!heap.empty()) heap_replace_top(heap, last);
  return top;
}

// The smallest entry of a heap whose top is leaving: among the top's children.
const Event* second(const std::vector<Event>& heap) {
  const std::size_t stop = std::min(kArity + 1, heap.size());
  const Event* best = nullptr;
  for (std::size_t c = 1; c < stop; ++c)
    if (!best || later(*best, heap[c])) best = &heap[c];
  return best;
}
}  // namespace

// Two heaps: events due within kFarHorizon of now (I/O, fabric and media steps) and the rest
// (keep-alive, I/O timeout and reconnect timers, seconds away). Far entries would otherwise sit
// in the I/O heap, and since a pop moves the heap's last entry, mostly a far one, to the root,
// every pop would sift through their levels. Which heap an event is in changes nothing but cost:
// pop() always takes the smaller (t, seq) of the two tops.
//
// The running event stays at its heap's top until its handler schedules something into that heap
// (most handlers schedule the next step of an I/O): then the new event takes its place in one
// sift-down. Otherwise it leaves after the handler. Either way the order is the same as popping
// it first; next_time() and empty() do not count it.
void Calendar::push(const Event& e) {
  std::vector<Event>& h = e.t - now_ > kFarHorizon ? far_ : heap_;
  if (running_ == &h) {
    running_ = nullptr;
    heap_replace_top(h, e);
  } else {
    heap_push(h, e);
  }
}

void Calendar::leave_running() {
  if (running_ == nullptr) return;
  heap_pop(*running_);
  running_ = nullptr;
}

bool Calendar::empty() const {
  return heap_.size() + far_.size() == (running_ ? 1u : 0u);
}

Time Calendar::next_time() const {
  auto top = [this](const std::vector<Event>& h) -> const Event* {
    if (&h == running_) return second(h);
    return h.empty() ? nullptr : &h.front();
  };
  const Event* a = top(heap_);
  const Event* b = top(far_);
  if (!a) return b ? b->t : kNever;
  if (!b) return a->t;
  return later(*a, *b) ? b->t : a->t;
}

void Calendar::schedule(Time t, EventTarget* target, std::uint32_t kind, std::uint64_t arg) {
  NVMSIM_ASSERT(t >= now_, "event scheduled in the past: t={} now={}", t, now_);
  NVMSIM_ASSERT(kind <= 0xFFFF, "event kind {} too large", kind);
  push(Event{t, (next_seq_++ << 16) | kind, target, arg});
}

void Calendar::schedule_reserved(Time t, std::uint64_t seq, EventTarget* target, std::uint32_t kind,
                                 std::uint64_t arg) {
  NVMSIM_ASSERT(t >= now_, "event scheduled in the past: t={} now={}", t, now_);
  NVMSIM_ASSERT(kind <= 0xFFFF && seq < next_seq_, "bad reserved event: kind {} seq {}", kind, seq);
  push(Event{t, (seq << 16) | kind, target, arg});
}

std::uint64_t Calendar::call_at(Time t, std::function<void()> fn, const char* what) {
  const std::uint64_t id = calls_->add(std::move(fn), what);
  schedule(t, calls_, 0, id);
  return id;
}

void Calendar::cancel(std::uint64_t call_id) { calls_->cancel(call_id); }

std::uint64_t Calendar::run_until(Time limit, std::uint64_t max_events) {
  const Calendar* previous = g_active;
  g_active = this;
  stop_ = false;
  std::uint64_t n = 0;
  // A handler that throws (a model assertion) still takes its event out of the heap.
  struct Leave {
    Calendar* cal;
    ~Leave() { cal->leave_running(); }
  } leave{this};
  while (!stop_ && !livelocked_ && n < max_events) {
    std::vector<Event>* h = &heap_;
    if (far_.empty() || (!heap_.empty() && !later(heap_.front(), far_.front()))) {
      if (heap_.empty()) break;
    } else {
      h = &far_;
    }
    const Event e = h->front();
    if (e.t > limit) break;
    now_ = e.t;
    running_ = h;
    if (!note_work(e.target, e.kind(), e.arg)) break;
    e.target->on_event(e.kind(), e.arg);
    leave_running();
    ++n;
  }
  if (!livelock_sample_.empty() && !livelocked_) finish_livelock();
  events_run_ += n;
  g_active = previous;
  return n;
}

// Past the limit: sample what keeps running at this instant, then stop for good with a report of
// the most frequent sources (a loop that never lets simulated time move is a model bug or an
// input the model cannot bound; either way the run must end and say where).
void Calendar::on_instant_overrun(const EventTarget* who, std::uint32_t kind, std::uint64_t arg) {
  constexpr std::size_t kSample = 10'000;
  if (livelocked_) return;
  livelock_sample_.push_back(who ? who->describe_event(kind, arg) : std::string("?"));
  if (livelock_sample_.size() >= kSample) finish_livelock();
}

// Past the limit the run is over, whether the sample filled or the burst ended first.
void Calendar::finish_livelock() {
  livelocked_ = true;
  std::map<std::string, std::uint64_t> counts;
  for (const auto& s : livelock_sample_) ++counts[s];
  std::vector<std::pair<std::uint64_t, std::string>> top;
  for (const auto& [s, c] : counts) top.emplace_back(c, s);
  std::stable_sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out = fmt::format(
      "zero-time livelock at t={}ns: more than {} events and submissions ran at this one simulated instant "
      "(limits.events_per_instant), so simulated time would never advance again; the most frequent of the "
      "next {}:",
      instant_t_, instant_limit_, livelock_sample_.size());
  for (std::size_t i = 0; i < top.size() && i < 8; ++i) out += fmt::format("\n  {:>6} x {}", top[i].first, top[i].second);
  livelock_report_ = std::move(out);
  livelock_sample_.clear();
  livelock_sample_.shrink_to_fit();
}

}  // namespace sim::engine
