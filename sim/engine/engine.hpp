#pragma once
// The SimGrid adapter. SimGrid owns the master clock, the platform (hosts, split-duplex links and
// their on/off state) and the scenario-level timers; our Calendar carries the per-I/O events and
// is pumped by a single SimGrid kernel timer armed at its earliest event
// (../shared/reference/simgrid-notes.md section 5). Nothing outside this file includes SimGrid.
//
// One SimGrid engine per process, ever (simgrid-notes.md 3.4): Engine::create() may succeed once;
// sim/api forks a child for every further simulation.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sim/engine/calendar.hpp"
#include "sim/time.hpp"

namespace sim::engine {

// A platform link as the model sees it: parameters and state live in SimGrid.
class LinkHandle {
 public:
  explicit LinkHandle(void* impl = nullptr) : impl_(impl) {}
  Time latency() const;
  std::uint64_t bandwidth() const;  // bytes per second
  bool is_on() const;
  void set_on(bool on);
  void set_latency(Time t);
  void set_bandwidth(std::uint64_t bytes_per_s);
  explicit operator bool() const { return impl_ != nullptr; }

 private:
  void* impl_;
};

class Engine {
 public:
  // Creates the process's SimGrid engine (CM02, no cross-traffic, TCP-gamma 0, quiet logs).
  // Returns false if an engine was already created in this process.
  static bool can_create();
  static std::unique_ptr<Engine> create();
  ~Engine();

  // Platform: one SimGrid host per nvmsim host and per subsystem port, one split-duplex link per
  // scenario link. Call before run().
  void add_host(const std::string& name);
  LinkHandle add_link(const std::string& name, const std::string& host_a, const std::string& host_b,
                      Time latency, std::uint64_t bytes_per_s);
  void seal();

  // A scenario-level timer (faults): runs `fn` inside the calendar at exactly `t`, after the
  // calendar events already scheduled for `t`.
  void at(Time t, std::function<void()> fn);

  // Runs until `end` (inclusive) or until nothing is left. `progress` is called every
  // `progress_every` calendar events with the calendar (for the CLI's status line).
  void run(Time end, const std::function<void(const Calendar&)>& progress = {},
           std::uint64_t progress_every = 1u << 20);

  Calendar& calendar() { return calendar_; }
  std::uint64_t pumps() const { return pumps_; }

 private:
  Engine();
  void pump();
  void arm_pump();

  struct Impl;
  std::unique_ptr<Impl> impl_;
  Calendar calendar_;
  std::uint64_t pumps_ = 0;
  std::function<void(const Calendar&)> progress_;
  std::uint64_t progress_every_ = 0;
  std::uint64_t next_progress_ = 0;
};

}  // namespace sim::engine
