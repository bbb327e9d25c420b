// sim::engine::Fibers: sleeping and waking in simulated time, channels in FIFO order, a mutex
// built on them (what the kernel shim's mutex_lock does), stack reuse.
#include "sim/engine/fibers.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using sim::Time;
using sim::engine::Calendar;
using sim::engine::Fibers;

TEST(Fibers, SleepsUntilWokenAtTheWakersTime) {
  Calendar cal;
  Fibers fibers(cal);
  std::vector<std::string> log;
  Fibers::Fiber* sleeper = nullptr;
  cal.call_at(0, [&]() {
    fibers.run([&]() {
      sleeper = fibers.current();
      log.push_back("start@" + std::to_string(cal.now()));
      fibers.sleep();
      log.push_back("woken@" + std::to_string(cal.now()));
    });
    log.push_back("run returned@" + std::to_string(cal.now()));
  });
  cal.call_at(5000, [&]() { fibers.wake(sleeper); });
  cal.run_until(10000);
  EXPECT_EQ(log, (std::vector<std::string>{"start@0", "run returned@0", "woken@5000"}));
  EXPECT_EQ(fibers.current(), nullptr);
}

// wake_all resumes sleepers in the order they slept, each as an event of this instant: the
// code after wake_all runs first.
TEST(Fibers, ChannelWakesSleepersInOrderAfterTheCurrentEvent) {
  Calendar cal;
  Fibers fibers(cal);
  std::vector<std::string> log;
  const int channel = 0;
  cal.call_at(0, [&]() {
    for (const char* name : {"a", "b", "c"})
      fibers.run([&, name]() {
        fibers.sleep_on(&channel);
        log.push_back(std::string(name) + "@" + std::to_string(cal.now()));
      });
  });
  cal.call_at(7, [&]() {
    fibers.wake_all(&channel);
    log.push_back("waker done");
  });
  cal.run_until(100);
  EXPECT_EQ(log, (std::vector<std::string>{"waker done", "a@7", "b@7", "c@7"}));
}

// A cooperative mutex as the kernel shim builds it: the holder sleeps on an outside event (an
// admin command), a second fiber that wants the lock sleeps on it, and gets it when the holder
// unlocks, in the same instant.
TEST(Fibers, MutexWaiterGetsTheLockWhenTheHolderReleasesIt) {
  Calendar cal;
  Fibers fibers(cal);
  int owner = 0;  // fiber id holding the "mutex", 0 = free
  auto lock = [&]() {
    while (owner) fibers.sleep_on(&owner);
    owner = fibers.current_id();
  };
  auto unlock = [&]() {
    owner = 0;
    fibers.wake_all(&owner);
  };
  std::vector<std::string> log;
  Fibers::Fiber* holder = nullptr;
  cal.call_at(0, [&]() {
    fibers.run([&]() {
      lock();
      holder = fibers.current();
      log.push_back("A locked@" + std::to_string(cal.now()));
      fibers.sleep();  // waits for its command
      log.push_back("A unlocks@" + std::to_string(cal.now()));
      unlock();
    });
  });
  cal.call_at(3, [&]() {
    fibers.run([&]() {
      log.push_back("B waits@" + std::to_string(cal.now()));
      lock();
      log.push_back("B locked@" + std::to_string(cal.now()));
      unlock();
    });
  });
  cal.call_at(10, [&]() { fibers.wake(holder); });  // A's command completes
  cal.run_until(100);
  EXPECT_EQ(log, (std::vector<std::string>{"A locked@0", "B waits@3", "A unlocks@10", "B locked@10"}));
  EXPECT_EQ(owner, 0);
}

// Waking from inside a fiber cannot switch stacks there: the woken fiber runs after the waker
// sleeps or finishes, in the same instant.
TEST(Fibers, WakeFromAFiberIsAnEventOfThisInstant) {
  Calendar cal;
  Fibers fibers(cal);
  std::vector<std::string> log;
  Fibers::Fiber* b = nullptr;
  cal.call_at(0, [&]() {
    fibers.run([&]() {
      b = fibers.current();
      fibers.sleep();
      log.push_back("b@" + std::to_string(cal.now()));
    });
  });
  cal.call_at(4, [&]() {
    fibers.run([&]() {
      fibers.wake(b);
      log.push_back("a continues");
    });
  });
  cal.run_until(100);
  EXPECT_EQ(log, (std::vector<std::string>{"a continues", "b@4"}));
}

TEST(Fibers, FinishedStacksAreReused) {
  Calendar cal;
  Fibers fibers(cal);
  int ran = 0;
  cal.call_at(0, [&]() {
    for (int i = 0; i < 100; ++i) fibers.run([&]() { ++ran; });
  });
  cal.run_until(1);
  EXPECT_EQ(ran, 100);
  EXPECT_EQ(fibers.stacks(), 1u);
}

// `enter` wraps every resume (the kernel backend's entry accounting).
TEST(Fibers, EnterWrapsResumes) {
  Calendar cal;
  int depth = 0, seen = -1;
  Fibers fibers(cal, [&](const std::function<void()>& fn) {
    ++depth;
    fn();
    --depth;
  });
  Fibers::Fiber* f = nullptr;
  cal.call_at(0, [&]() {
    fibers.run([&]() {
      f = fibers.current();
      fibers.sleep();
      seen = depth;
    });
  });
  cal.call_at(1, [&]() { fibers.wake(f); });
  cal.run_until(10);
  EXPECT_EQ(seen, 1);
}

}  // namespace
