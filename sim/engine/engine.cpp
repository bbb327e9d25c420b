#include "sim/engine/engine.hpp"

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u/Engine.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Link.hpp>
#include <simgrid/s4u/NetZone.hpp>
#include <xbt/log.h>

#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "sim/assert.hpp"

namespace sim::engine {
namespace {
bool g_created = false;

double to_seconds(Time t) { return static_cast<double>(t) * 1e-9; }
// SimGrid dates are doubles; round to the nearest nanosecond on the way back.
Time from_seconds(double s) { return static_cast<Time>(std::llround(s * 1e9)); }

simgrid::s4u::Link* as_link(void* p) { return static_cast<simgrid::s4u::Link*>(p); }
}  // namespace

Time LinkHandle::latency() const { return from_seconds(as_link(impl_)->get_latency()); }
std::uint64_t LinkHandle::bandwidth() const {
  return static_cast<std::uint64_t>(std::llround(as_link(impl_)->get_bandwidth()));
}
bool LinkHandle::is_on() const { return as_link(impl_)->is_on(); }
void LinkHandle::set_on(bool on) {
  if (on) as_link(impl_)->turn_on();
  else as_link(impl_)->turn_off();
}
void LinkHandle::set_latency(Time t) { as_link(impl_)->set_latency(to_seconds(t)); }
void LinkHandle::set_bandwidth(std::uint64_t b) { as_link(impl_)->set_bandwidth(static_cast<double>(b)); }

struct Engine::Impl {
  std::unique_ptr<simgrid::s4u::Engine> sg;
  simgrid::s4u::NetZone* zone = nullptr;
  std::map<std::string, simgrid::s4u::Host*> hosts;
  std::set<std::pair<std::string, std::string>> routed;  // host pairs that have their route
  Time end = kNever;
  // The one armed pump timer (nullptr when none) and its date. There is never more than one:
  // a pump that must run earlier replaces it (arm_pump).
  simgrid::kernel::timer::Timer* pump_timer = nullptr;
  Time pump_date = kNever;
};

bool Engine::can_create() { return !g_created; }

std::unique_ptr<Engine> Engine::create() {
  if (g_created) return nullptr;
  g_created = true;
  return std::unique_ptr<Engine>(new Engine());
}

Engine::Engine() : impl_(std::make_unique<Impl>()) {
  // Silence SimGrid's own INFO lines (one per configuration change) before it starts.
  xbt_log_control_set("root.thres:warning");
  xbt_log_control_set("xbt_cfg.thres:critical");
  impl_->sg = std::make_unique<simgrid::s4u::Engine>("nvmsim");
  // The default LV08 model multiplies latency by 13; CM02 without cross-traffic and without the
  // TCP window bound gives plain latency + size/bandwidth (simgrid-notes.md 2.12).
  simgrid::s4u::Engine::set_config("network/model:CM02");
  simgrid::s4u::Engine::set_config("network/crosstraffic:0");
  simgrid::s4u::Engine::set_config("network/TCP-gamma:0");
  impl_->zone = simgrid::s4u::create_full_zone("fabric");
}

Engine::~Engine() = default;

void Engine::add_host(const std::string& name) {
  NVMSIM_ASSERT(!impl_->hosts.contains(name), "duplicate platform host {}", name);
  impl_->hosts[name] = impl_->zone->create_host(name, 1e9)->seal();
}

LinkHandle Engine::add_link(const std::string& name, const std::string& a, const std::string& b,
                            Time latency, std::uint64_t bytes_per_s) {
  auto* link = impl_->zone->create_split_duplex_link(name, static_cast<double>(bytes_per_s));
  link->set_latency(to_seconds(latency));
  link->seal();
  auto* ha = impl_->hosts.at(a);
  auto* hb = impl_->hosts.at(b);
  // SimGrid allows one route per host pair, but a host may have several links to one port (two
  // controllers over two host interfaces, legal in NVMe-oF). The model times transfers itself and
  // only reads each link's parameters and state through its handle, so the route is needed only
  // to make the pair connected in the platform: the first link between the pair provides it, the
  // others stay their own SimGrid links with their own parameters.
  const auto pair = a < b ? std::make_pair(a, b) : std::make_pair(b, a);
  if (impl_->routed.insert(pair).second) {
    impl_->zone->add_route(ha->get_netpoint(), hb->get_netpoint(), nullptr, nullptr,
                           {simgrid::s4u::LinkInRoute(link, simgrid::s4u::LinkInRoute::Direction::UP)},
                           true);
  }
  // The model reads parameters through the UP half (both halves are set alike).
  return LinkHandle(link->get_link_up());
}

void Engine::seal() { impl_->zone->seal(); }

void Engine::at(Time t, std::function<void()> fn) {
  // A SimGrid timer that hands the action to the calendar at its own date: the calendar then
  // orders it FIFO with the I/O events of the same nanosecond (SimGrid's same-date timers are not
  // FIFO, simgrid-notes.md 2.8).
  simgrid::kernel::timer::Timer::set(to_seconds(t), [this, t, fn = std::move(fn)]() mutable {
    calendar_.call_at(std::max(t, calendar_.now()), std::move(fn));
    arm_pump();
  });
}

void Engine::arm_pump() {
  if (calendar_.livelocked()) return;
  const Time next = calendar_.next_time();
  if (next == kNever || next > impl_->end) return;
  if (impl_->pump_timer != nullptr) {
    if (impl_->pump_date <= next) return;
    // A fault handed the calendar work earlier than the armed pump: cancel that pump rather than
    // arm a second one. Left armed, it would fire later, re-arm, and keep a duplicate chain alive
    // for the rest of the run; and every pump would drain only up to its sibling's timer, one
    // SimGrid round trip per calendar timestamp.
    impl_->pump_timer->remove();
    impl_->pump_timer = nullptr;
  }
  impl_->pump_date = next;
  impl_->pump_timer = simgrid::kernel::timer::Timer::set(to_seconds(next), [this]() { pump(); });
}

void Engine::pump() {
  impl_->pump_timer = nullptr;  // SimGrid frees a timer once it has fired
  ++pumps_;
  // Drain up to the next SimGrid timer (a fault) or the end. The calendar's clock, not
  // SimGrid's, is what the models read; SimGrid's clock catches up at the next pump.
  Time limit = impl_->end;
  const double next_sg = simgrid::kernel::timer::Timer::next();
  if (next_sg >= 0) limit = std::min(limit, from_seconds(next_sg));
  while (!calendar_.empty() && calendar_.next_time() <= limit) {
    calendar_.run_until(limit, progress_ ? progress_every_ : ~std::uint64_t{0});
    if (calendar_.stop_requested() || calendar_.livelocked()) return;
    if (progress_ && calendar_.events_run() >= next_progress_) {
      progress_(calendar_);
      next_progress_ = calendar_.events_run() + progress_every_;
    }
  }
  arm_pump();
}

void Engine::run(Time end, const std::function<void(const Calendar&)>& progress,
                 std::uint64_t progress_every) {
  impl_->end = end;
  progress_ = progress;
  progress_every_ = progress_every;
  next_progress_ = progress_every;
  arm_pump();
  impl_->sg->run();
  // Work handed over by Engine::at() after the last pump and still before the end.
  if (calendar_.livelocked()) return;  // time stays at the instant that never ended
  calendar_.run_until(end);
  calendar_.advance_to(end);
}

}  // namespace sim::engine
