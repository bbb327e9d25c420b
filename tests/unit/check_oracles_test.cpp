// Each oracle of sim/check, fed hand-made event streams: one with the planted bug it must catch,
// one correct history it must accept.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/check/checker.hpp"

namespace {

using sim::Time;
using sim::check::Checker;
using sim::check::CheckerConfig;
using Dir = sim::events::Dir;
namespace ev = sim::events;

constexpr std::uint32_t kLba = 4096;

struct Harness {
  explicit Harness(CheckerConfig cfg) {
    sim::check::CheckerNames n;
    n.path_name = [](int p) { return "h1/nvme0c" + std::to_string(p) + "n1"; };
    n.head_name = [](int h) { return "h1/nvme0n" + std::to_string(h + 1); };
    n.path_namespace = [](int) { return std::string("nqn.x:s/1"); };
    n.head_queues_without_path = [](int) { return false; };
    checker = std::make_unique<Checker>(bus, cfg, n);
  }
  void submit(std::uint64_t bio, Time t, Dir d, std::uint64_t lba = 0, std::uint32_t nlb = 1, bool fua = false) {
    bus.publish(ev::BioSubmitted{t, bio, 0, d, lba * kLba, nlb * kLba, fua});
  }
  // One command carrying one leaf (leaf == root unless split). The tests name sendings with small
  // numbers; the data tag on the wire follows CommandSent's rule: (bio << 6) | sending number for
  // a lone bio (here never a read with data tags, which gets a bit-63 tag).
  void send(std::uint64_t tag, Time t, Dir d, std::uint64_t root, std::uint64_t lba = 0, std::uint32_t nlb = 1,
            int path = 0, std::uint64_t leaf = 0, bool tokens = false) {
    const std::uint64_t l = leaf ? leaf : root;
    tags[tag] = tokens ? (1ull << 63) | tag : (l << 6) | (sends[l]++ & 63u);
    const ev::BioRange range{l, root, lba * kLba, nlb * kLba};
    bus.publish(ev::CommandSent{t, real(tag), path, d, false, 1, lba, nlb, kLba, tokens, std::span(&range, 1)});
  }
  std::uint64_t real(std::uint64_t tag) const {
    auto it = tags.find(tag);
    return it == tags.end() ? tag : it->second;
  }
  void device_done(std::uint64_t tag, Time t, std::uint16_t st = 0) { bus.publish(ev::CommandCompleted{t, real(tag), st}); }
  void complete(std::uint64_t bio, Time t, Dir d, Time submitted, std::uint16_t st = 0, std::uint32_t nlb = 1) {
    bus.publish(ev::BioCompleted{t, bio, 0, d, nlb * kLba, st, submitted, submitted});
  }
  void land(std::uint64_t tag, Time t, std::uint64_t lba = 0, bool zombie = false) {
    bus.publish(ev::MediaWrite{t, "nqn.x:s", 1, lba, 1, real(tag), zombie});
  }
  // A write that goes through normally: sent, landed, device completion, acknowledged.
  void write_ok(std::uint64_t bio, std::uint64_t tag, Time t, std::uint64_t lba = 0, bool fua = false) {
    submit(bio, t, Dir::Write, lba, 1, fua);
    send(tag, t + 1, Dir::Write, bio, lba);
    land(tag, t + 5, lba);
    device_done(tag, t + 6);
    complete(bio, t + 10, Dir::Write, t);
  }
  std::vector<std::string> kinds(Time end = 1'000'000'000, std::vector<std::uint64_t> held = {}) {
    checker->finish(end, held);
    std::vector<std::string> out;
    for (const auto& v : checker->violations()) out.push_back(v.kind);
    return out;
  }

  ev::Bus bus;
  std::unique_ptr<Checker> checker;
  std::map<std::uint64_t, std::uint64_t> tags;  // test's name for a sending -> data tag
  std::map<std::uint64_t, std::uint64_t> sends;
};

CheckerConfig all() {
  CheckerConfig c;
  c.exactly_once = c.partial = c.linearizable = c.durable = true;
  c.max_io_stall = 100 * sim::kMillisecond;
  return c;
}

using Kinds = std::vector<std::string>;

TEST(CheckExactlyOnce, CatchesDoubleAndLostCompletions) {
  Harness h(all());
  h.submit(1, 0, Dir::Read);
  h.send(11, 1, Dir::Read, 1);
  h.device_done(11, 5);
  h.complete(1, 10, Dir::Read, 0);
  h.complete(1, 12, Dir::Read, 0);  // planted: a second completion
  h.submit(2, 20, Dir::Read);       // planted: never completed and not held anywhere
  h.submit(3, 30, Dir::Read);       // in flight at the end (held by the host): fine
  EXPECT_EQ(h.kinds(50, {3}), (Kinds{"double_completion", "lost_io"}));
  const auto& v = h.checker->violations()[0];
  EXPECT_EQ(v.bio, 1u);
  ASSERT_GE(v.chain.size(), 4u);
  EXPECT_NE(v.chain[0].find("submitted: read of 4096 bytes at offset 0"), std::string::npos) << v.chain[0];
}

TEST(CheckPartial, SuccessWithoutDeviceExecutionIsPartial) {
  Harness h(all());
  h.submit(1, 0, Dir::Write, 0, 2);
  h.send(11, 1, Dir::Write, 1, 0, 1, 0, 101);  // leaf 101: first half
  h.send(12, 1, Dir::Write, 1, 1, 1, 0, 102);  // leaf 102: second half
  h.device_done(11, 5);
  h.device_done(12, 5, 0x371);                 // planted: the second half failed...
  h.complete(1, 10, Dir::Write, 0, 0, 2);      // ...yet the bio completes with success
  h.submit(2, 20, Dir::Write, 4);
  h.send(21, 21, Dir::Write, 2, 4);
  h.device_done(21, 25);
  h.complete(2, 30, Dir::Write, 20);  // correct
  EXPECT_EQ(h.kinds(), (Kinds{"partial_completion"}));
  EXPECT_EQ(h.checker->violations()[0].bio, 1u);
}

TEST(CheckPartial, FailedOverBiosMustReachTheRequeueList) {
  Harness h(all());
  h.submit(1, 0, Dir::Read);
  h.send(11, 1, Dir::Read, 1);
  h.bus.publish(ev::Failover{5, "h1/nvme0n1", 0, 0, 0x371, 1, 5, h.real(11)});
  h.bus.publish(ev::BioParked{5, 0, 1, 1, true});  // stolen properly
  h.bus.publish(ev::BioParked{5, 0, 1, 1, false});
  h.send(12, 5, Dir::Read, 1, 0, 1, 1);
  h.device_done(12, 8);
  h.complete(1, 10, Dir::Read, 0);
  h.submit(2, 20, Dir::Read);
  h.send(21, 21, Dir::Read, 2);
  h.bus.publish(ev::Failover{25, "h1/nvme0n1", 0, 0, 0x371, 1, 25, h.real(21)});
  h.complete(2, 25, Dir::Read, 20, 0x371);  // planted: completed instead of requeued (BP-15)
  EXPECT_EQ(h.kinds(), (Kinds{"bio_steal"}));
}

// The ghost write: W1's first sending was cancelled and retried; W2 overwrote it after W1's
// acknowledgement; then the cancelled first sending lands.
TEST(CheckLinearizable, LateLandingOfAnAcknowledgedWriteIsAGhost) {
  Harness h(all());
  h.submit(1, 0, Dir::Write);
  h.send(11, 1, Dir::Write, 1);          // cancelled later: never completed by the device
  h.send(12, 10, Dir::Write, 1);         // the retry on another path
  h.land(12, 15);
  h.device_done(12, 16);
  h.complete(1, 20, Dir::Write, 0);
  h.write_ok(2, 21, 30);                 // W2, submitted after W1's acknowledgement
  h.land(11, 60, 0, true);               // planted: W1's first copy lands last
  EXPECT_EQ(h.kinds(), (Kinds{"ghost_write"}));
  EXPECT_EQ(h.checker->violations()[0].bio, 1u);
  EXPECT_EQ(*h.checker->violations()[0].lba, 0u);
}

TEST(CheckLinearizable, LateLandingBeforeTheNextWriteIsFine) {
  Harness h(all());
  h.submit(1, 0, Dir::Write);
  h.send(11, 1, Dir::Write, 1);
  h.send(12, 10, Dir::Write, 1);
  h.land(12, 15);
  h.device_done(12, 16);
  h.complete(1, 20, Dir::Write, 0);
  h.land(11, 25, 0, true);  // the stale copy lands, but nothing newer was written yet
  h.write_ok(2, 21, 30);
  EXPECT_EQ(h.kinds(), Kinds{});
}

TEST(CheckLinearizable, ReadOfOverwrittenDataIsStale) {
  Harness h(all());
  h.write_ok(1, 11, 0);   // W1 lands tag 11
  h.write_ok(2, 21, 20);  // W2 (after W1's ack) lands tag 21
  auto read = [&](std::uint64_t bio, std::uint64_t tag, Time t, std::uint64_t value) {
    h.submit(bio, t, Dir::Read);
    h.send(tag, t + 1, Dir::Read, bio, 0, 1, 0, 0, true);
    h.device_done(tag, t + 5);
    h.bus.publish(ev::ReadReturned{t + 6, h.real(tag), std::make_shared<const std::vector<std::uint64_t>>(1, h.real(value))});
    h.complete(bio, t + 7, Dir::Read, t);
  };
  read(3, 31, 40, 21);  // the latest value: fine
  read(4, 41, 50, 11);  // planted: W1's data after W2 completed before the read began
  read(5, 51, 60, 0);   // planted: never-written data
  EXPECT_EQ(h.kinds(), (Kinds{"stale_read", "stale_read"}));
  EXPECT_EQ(h.checker->violations()[0].bio, 4u);
}

TEST(CheckDurability, PowerLossMayOnlyLoseWhatNoFlushOrFuaCovered) {
  Harness h(all());
  h.write_ok(1, 11, 0, 0, true);  // FUA
  h.write_ok(2, 21, 20, 1);       // acknowledged before the flush below was submitted
  h.submit(3, 40, Dir::Flush, 0, 0);
  h.send(31, 41, Dir::Flush, 3, 0, 0);
  h.device_done(31, 45);
  h.complete(3, 50, Dir::Flush, 40, 0, 0);
  h.write_ok(4, 41, 60, 2);  // after the flush: volatile, may be lost
  auto revert = [&](std::uint64_t lba, std::uint64_t lost) {
    h.bus.publish(ev::MediaReverted{100, "nqn.x:s", 1, lba, h.real(lost), 0});
  };
  revert(0, 11);  // planted: FUA data lost
  revert(1, 21);  // planted: flushed data lost
  revert(2, 41);  // fine
  EXPECT_EQ(h.kinds(), (Kinds{"durability", "durability"}));
}

TEST(CheckLiveness, StallsAndParkedBios) {
  Harness h(all());
  const Time ms = sim::kMillisecond;
  h.bus.publish(ev::CtrlStateChanged{0, "h1/nvme0", "connecting", "live", "connected", 0});
  h.bus.publish(ev::PathState{0, 0, 0, true, true, 0});
  h.submit(1, 0, Dir::Read);
  h.send(11, 1, Dir::Read, 1);
  h.device_done(11, 2);
  h.complete(1, 150 * ms, Dir::Read, 0);  // planted: 150 ms > 100 ms
  h.submit(2, 200 * ms, Dir::Read);
  h.bus.publish(ev::BioParked{200 * ms, 0, 2, 2, true});
  h.bus.publish(ev::BioParked{450 * ms, 0, 2, 2, false});  // planted: parked 250 ms with a usable path
  EXPECT_EQ(h.kinds(500 * ms, {2}), (Kinds{"stall", "parked_with_path", "stall"}));
}

TEST(CheckLiveness, BiosWithNoPathLeftMustFail) {
  Harness h(all());
  const Time ms = sim::kMillisecond;
  h.bus.publish(ev::CtrlStateChanged{0, "h1/nvme0", "new", "connecting", "connect", 0});
  h.bus.publish(ev::PathState{0, 0, 0, false, true, 0});
  h.submit(1, 10 * ms, Dir::Read);
  h.bus.publish(ev::BioParked{10 * ms, 0, 1, 1, true});  // parked: the controller may come back
  h.bus.publish(ev::FailfastExpired{20 * ms, 0});        // now it cannot: the bio has to fail
  h.kinds(25 * ms, {1});
  EXPECT_TRUE(h.checker->violations().empty());  // within the bound
  Harness late(all());
  late.bus.publish(ev::CtrlStateChanged{0, "h1/nvme0", "new", "connecting", "connect", 0});
  late.bus.publish(ev::PathState{0, 0, 0, false, true, 0});
  late.submit(1, 10 * ms, Dir::Read);
  late.bus.publish(ev::BioParked{10 * ms, 0, 1, 1, true});
  late.bus.publish(ev::FailfastExpired{20 * ms, 0});
  EXPECT_EQ(late.kinds(90 * ms, {1}), Kinds{});  // still within 100 ms
  Harness stuck(all());
  stuck.bus.publish(ev::CtrlStateChanged{0, "h1/nvme0", "new", "connecting", "connect", 0});
  stuck.bus.publish(ev::PathState{0, 0, 0, false, true, 0});
  stuck.submit(1, 10 * ms, Dir::Read);
  stuck.bus.publish(ev::BioParked{10 * ms, 0, 1, 1, true});
  stuck.bus.publish(ev::FailfastExpired{20 * ms, 0});  // planted: nothing fails the bio (BP-17)
  EXPECT_EQ(stuck.kinds(300 * ms, {1}), (Kinds{"no_path_not_failed", "stall"}));
}

}  // namespace
