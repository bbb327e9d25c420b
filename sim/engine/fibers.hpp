#pragma once
// Cooperative fibers for code that has to block in simulated time (the kernel backend runs kernel
// work on them: nvme_get_log waits for a real admin command, mutex_lock for its holder). A fiber
// runs on its own stack until it finishes or sleeps; sleeping returns to the event loop, and only
// the event loop resumes a fiber. No threads: wake-ups are calendar events in the current
// instant, so runs stay deterministic.
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "sim/engine/calendar.hpp"

namespace sim::engine {

class Fibers {
 public:
  struct Fiber;
  // Wraps every resume (the kernel backend makes each one a kernel entry); may be empty.
  using Enter = std::function<void(const std::function<void()>&)>;

  explicit Fibers(Calendar& cal, Enter enter = {});
  ~Fibers();
  Fibers(const Fibers&) = delete;
  Fibers& operator=(const Fibers&) = delete;

  // Starts fn on a fiber now; returns when it finished or went to sleep. Only from the loop.
  void run(std::function<void()> fn);
  // The running fiber (nullptr on the loop) and a small number naming it (0 on the loop).
  Fiber* current() const { return current_; }
  int current_id() const;
  // The running fiber sleeps until wake(it).
  void sleep();
  // Resumes f: at once from the loop, or as an event of this instant from inside a fiber.
  void wake(Fiber* f);
  // Sleeping on a channel (any address); wake_all resumes its sleepers in the order they slept,
  // each as an event of this instant.
  void sleep_on(const void* channel);
  void wake_all(const void* channel);
  // Stacks allocated so far (a finished fiber's stack is reused).
  std::size_t stacks() const { return all_.size(); }

 private:
  static void trampoline(unsigned fhi, unsigned flo, unsigned shi, unsigned slo);
  Fiber* take();
  void resume(Fiber* f);
  void resume_later(Fiber* f);

  Calendar& cal_;
  Enter enter_;
  struct Loop;
  std::unique_ptr<Loop> loop_;
  Fiber* current_ = nullptr;
  std::vector<std::unique_ptr<Fiber>> all_;
  std::vector<Fiber*> free_;
  std::map<const void*, std::deque<Fiber*>> waiters_;
};

}  // namespace sim::engine
