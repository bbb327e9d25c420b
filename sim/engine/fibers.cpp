#include "sim/engine/fibers.hpp"

#include <ucontext.h>

#include <cstdint>

#include "sim/assert.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define NVMSIM_FIBER_ASAN 1
#endif

namespace sim::engine {

namespace {
constexpr std::size_t kStackBytes = 256 * 1024;

// AddressSanitizer must be told about every stack switch, or it reports the other stack's frames.
void start_switch([[maybe_unused]] void** fake, [[maybe_unused]] const void* bottom,
                  [[maybe_unused]] std::size_t size) {
#ifdef NVMSIM_FIBER_ASAN
  __sanitizer_start_switch_fiber(fake, bottom, size);
#endif
}
void finish_switch([[maybe_unused]] void* fake, [[maybe_unused]] const void** bottom,
                   [[maybe_unused]] std::size_t* size) {
#ifdef NVMSIM_FIBER_ASAN
  __sanitizer_finish_switch_fiber(fake, bottom, size);
#endif
}
}  // namespace

struct Fibers::Fiber {
  ucontext_t ctx{};
  std::vector<char> stack;
  std::function<void()> fn;
  bool done = false;
  int id = 0;
  void* fake = nullptr;  // ASan's fake stack of this fiber while it is switched out
};

struct Fibers::Loop {
  ucontext_t ctx{};
  void* fake = nullptr;
  const void* bottom = nullptr;  // the loop's stack, learnt on the first switch into a fiber
  std::size_t size = 0;
};

Fibers::Fibers(Calendar& cal, Enter enter) : cal_(cal), enter_(std::move(enter)), loop_(std::make_unique<Loop>()) {}

Fibers::~Fibers() = default;

int Fibers::current_id() const { return current_ ? current_->id : 0; }

// swapcontext returns like a normal call (callee-saved registers come back), so GCC's
// setjmp-style clobber warning does not apply to the functions below.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wclobbered"

void Fibers::run(std::function<void()> fn) {
  NVMSIM_ASSERT(!current_, "fibers: run() from inside a fiber");
  Fiber* f = take();
  f->fn = std::move(fn);
  f->done = false;
  getcontext(&f->ctx);
  f->ctx.uc_stack.ss_sp = f->stack.data();
  f->ctx.uc_stack.ss_size = f->stack.size();
  f->ctx.uc_link = nullptr;
  const auto p = reinterpret_cast<std::uintptr_t>(f);
  const auto s = reinterpret_cast<std::uintptr_t>(this);
  makecontext(&f->ctx, reinterpret_cast<void (*)()>(&Fibers::trampoline), 4, static_cast<unsigned>(p >> 32),
              static_cast<unsigned>(p & 0xFFFFFFFFu), static_cast<unsigned>(s >> 32),
              static_cast<unsigned>(s & 0xFFFFFFFFu));
  resume(f);
}

void Fibers::trampoline(unsigned fhi, unsigned flo, unsigned shi, unsigned slo) {
  auto* f = reinterpret_cast<Fiber*>((static_cast<std::uintptr_t>(fhi) << 32) | flo);
  auto* self = reinterpret_cast<Fibers*>((static_cast<std::uintptr_t>(shi) << 32) | slo);
  finish_switch(nullptr, &self->loop_->bottom, &self->loop_->size);
  f->fn();
  f->fn = nullptr;
  f->done = true;
  start_switch(nullptr, self->loop_->bottom, self->loop_->size);  // this fiber's frames are gone
  swapcontext(&f->ctx, &self->loop_->ctx);
}

void Fibers::sleep() {
  Fiber* f = current_;
  NVMSIM_ASSERT(f, "fibers: sleeping outside a fiber");
  start_switch(&f->fake, loop_->bottom, loop_->size);
  swapcontext(&f->ctx, &loop_->ctx);
  finish_switch(f->fake, &loop_->bottom, &loop_->size);
}

void Fibers::resume(Fiber* f) {
  NVMSIM_ASSERT(!current_, "fibers: a fiber resumed from another fiber");
  current_ = f;
  start_switch(&loop_->fake, f->stack.data(), f->stack.size());
  swapcontext(&loop_->ctx, &f->ctx);
  finish_switch(loop_->fake, nullptr, nullptr);
  current_ = nullptr;
  if (f->done) free_.push_back(f);
}

#pragma GCC diagnostic pop

void Fibers::resume_later(Fiber* f) {
  cal_.call_in(0, [this, f]() {
    if (enter_) enter_([this, f]() { resume(f); });
    else resume(f);
  });
}

void Fibers::wake(Fiber* f) {
  if (current_) return resume_later(f);
  if (enter_) enter_([this, f]() { resume(f); });
  else resume(f);
}

void Fibers::sleep_on(const void* channel) {
  NVMSIM_ASSERT(current_, "fibers: sleeping outside a fiber");
  waiters_[channel].push_back(current_);
  sleep();
}

void Fibers::wake_all(const void* channel) {
  auto it = waiters_.find(channel);
  if (it == waiters_.end()) return;
  std::deque<Fiber*> w = std::move(it->second);
  waiters_.erase(it);
  for (Fiber* f : w) resume_later(f);
}

Fibers::Fiber* Fibers::take() {
  if (!free_.empty()) {
    Fiber* f = free_.back();
    free_.pop_back();
    return f;
  }
  all_.push_back(std::make_unique<Fiber>());
  Fiber* f = all_.back().get();
  f->stack.resize(kStackBytes);
  f->id = static_cast<int>(all_.size()) + 1;  // 1 stands for "outside a fiber" in the kernel shim
  return f;
}

}  // namespace sim::engine
