// Each oracle of sim/check, fed hand-made event streams: one with the planted bug it must catch,
// one correct history it must accept.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "check_harness.hpp"

namespace {

using namespace check_harness;

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

// A failover held until a cross-controller reset completes (release_at -1) is still the host's at
// the end of the run, not a steal; the same bios with a known release time before the end are.
TEST(CheckPartial, BiosHeldForAPendingCcrAreNotStolen) {
  for (Time release : {Time{-1}, Time{7}}) {
    Harness h(all());
    h.submit(1, 0, Dir::Write);
    h.send(11, 1, Dir::Write, 1);
    h.bus.publish(ev::Failover{5, "h1/nvme0n1", 0, 0, 0x371, 1, release, h.real(11)});
    EXPECT_EQ(h.kinds(10, {1}), release < 0 ? Kinds{} : Kinds{"bio_steal"}) << release;
  }
}

// A request refused before it was ever sent (controller not ready, 0x370) has no data tag: the
// failover names its bios, and they are followed like any other (found by the campaign: a stale
// tag once pointed at another bio, reported as a steal).
TEST(CheckPartial, FailoverOfANeverSentRequestNamesItsBios) {
  Harness h(all());
  h.submit(1, 0, Dir::Write);
  h.submit(2, 0, Dir::Write, 1);
  ev::Failover fo{5, "h1/nvme0n1", 0, 0, 0x370, 2, 5, 0, {}};
  fo.unsent = {{1, 1, 0, kLba}, {2, 2, kLba, kLba}};
  h.bus.publish(fo);
  h.bus.publish(ev::BioParked{5, 0, 1, 1, true});  // bio 1 reaches the requeue list
  h.complete(2, 6, Dir::Write, 0, 0x370);           // planted: bio 2 completed instead
  EXPECT_EQ(h.kinds(10, {1}), (Kinds{"bio_steal"}));
  EXPECT_EQ(h.checker->violations()[0].bio, 2u);
  EXPECT_TRUE(h.checker->unknown().empty());
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

// A verified read that waits (no tag, no path) while many writes are acknowledged is still
// judged: H is taken at its submission when the checker knows the job's namespace. Without that
// (no job_namespace), the steps before its submission are gone by its first sending: unknown.
TEST(CheckLinearizable, ReadThatWaitsLongBeforeItsFirstSendingIsJudged) {
  for (bool known_ns : {true, false}) {
    Harness h(all(), known_ns);
    h.write_ok(1, 11, 0);  // W1 acknowledged at 10
    h.bus.publish(ev::BioSubmitted{20, 2, 0, Dir::Read, 0, kLba, false, true});  // R begins at 20
    h.write_ok(3, 31, 30);  // three later writes, all after R began
    h.write_ok(4, 41, 50);
    h.write_ok(5, 51, 70);
    h.send(21, 90, Dir::Read, 2, 0, 1, 0, 0, true);
    h.device_done(21, 95);
    // Planted: R returns never-written data although W1 was acknowledged before it began.
    h.bus.publish(ev::ReadReturned{96, h.real(21), std::make_shared<const std::vector<std::uint64_t>>(1, 0)});
    h.complete(2, 97, Dir::Read, 20);
    if (known_ns) {
      EXPECT_EQ(h.kinds(), (Kinds{"stale_read"}));
      EXPECT_TRUE(h.checker->unknown().empty());
    } else {
      EXPECT_EQ(h.kinds(), Kinds{});
      EXPECT_EQ(h.checker->unknown().count("linearizable"), 1u);
    }
  }
}


// Issue 11: the zombie copy of a write acknowledged 200,000 writes ago lands over newer data. The
// checker used to need the write's bio record, dropped after 65,536 later writes: it passed.
TEST(CheckLinearizable, GhostIsJudgedHoweverLongAgoItsWriteWasAcknowledged) {
  Harness h(all());
  h.submit(1, 0, Dir::Write);
  h.send(11, 1, Dir::Write, 1);   // cancelled by the host; the device still holds it
  h.send(12, 10, Dir::Write, 1);  // the retry on another path
  h.land(12, 15);
  h.device_done(12, 16);
  h.complete(1, 20, Dir::Write, 0);
  h.write_ok(2, 21, 30);  // W2 on the same LBA, submitted after W1's acknowledgement
  Time t = 100;
  for (std::uint64_t i = 0; i < 200'000; ++i, t += 20) plain_write(h, 1000 + i, t, 1 + i % 4095);
  h.land(11, t + 100, 0, true);  // planted: W1's zombie copy lands last
  EXPECT_EQ(h.kinds(t + 1000), (Kinds{"ghost_write"}));
  EXPECT_EQ(h.checker->violations()[0].bio, 1u);
  EXPECT_TRUE(h.checker->unknown().empty());
}

// The zombie's record lives exactly as long as the device may land it: once the device drops the
// command (CommandDropped), nothing of it remains; a landing of a tag the checker does not know is
// "unknown", never fine.
TEST(CheckLinearizable, LandingOfAnUntrackedSendingIsUnknownNotFine) {
  Harness h(all());
  h.submit(1, 0, Dir::Write);
  h.send(11, 1, Dir::Write, 1);
  h.send(12, 10, Dir::Write, 1);
  h.land(12, 15);
  h.device_done(12, 16);
  h.complete(1, 20, Dir::Write, 0);
  EXPECT_EQ(h.checker->footprint().sendings, 1u);  // the cancelled sending: the device holds it
  h.bus.publish(ev::CommandDropped{30, h.real(11)});
  EXPECT_EQ(h.checker->footprint().sendings, 0u);
  EXPECT_EQ(h.checker->footprint().write_roots, 0u);
  h.land(11, 40, 0, true);  // planted: a device that lands what it dropped
  EXPECT_EQ(h.kinds(), Kinds{});
  ASSERT_EQ(h.checker->unknown().count("linearizable"), 1u);
  EXPECT_EQ(h.checker->unknown().at("linearizable").begin()->second, 1u);
}

// Memory: bounded by the LBAs written and the outstanding commands, not by the run's length.
TEST(CheckFootprint, TenMillionWritesOnFourThousandLbasStayFlat) {
  Harness h(all());
  Time t = 0;
  std::uint64_t bio = 1;
  auto run = [&](std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i, t += 20, ++bio) plain_write(h, bio, t, bio % 4096);
  };
  run(1'000'000);
  const auto at1m = h.checker->footprint();
  run(9'000'000);
  const auto at10m = h.checker->footprint();
  std::printf("footprint at 1M writes: roots %zu write_roots %zu sendings %zu lbas %zu other %zu\n", at1m.roots,
              at1m.write_roots, at1m.sendings, at1m.lbas, at1m.other);
  std::printf("footprint at 10M writes: roots %zu write_roots %zu sendings %zu lbas %zu other %zu\n", at10m.roots,
              at10m.write_roots, at10m.sendings, at10m.lbas, at10m.other);
  EXPECT_EQ(at1m.roots, at10m.roots);
  EXPECT_LE(at10m.roots, std::size_t{1} << 17);
  EXPECT_EQ(at10m.write_roots, 0u);
  EXPECT_EQ(at10m.sendings, 0u);
  EXPECT_EQ(at10m.lbas, 4096u);
  EXPECT_EQ(at1m.other, at10m.other);
  EXPECT_EQ(h.kinds(t + 100), Kinds{});
  EXPECT_TRUE(h.checker->unknown().empty());
}

// Issue 11 B: after a power loss, a read may return the version MediaReverted restored, if the
// lost data had been made durable by neither a flush nor FUA; any other stale value is stale.
struct PowerLoss {
  Harness h{all()};
  void read(std::uint64_t bio, std::uint64_t tag, Time t, std::uint64_t value, std::uint64_t lba = 0) {
    h.submit(bio, t, Dir::Read, lba);
    h.send(tag, t + 1, Dir::Read, bio, lba, 1, 0, 0, true);
    h.device_done(tag, t + 5);
    h.bus.publish(ev::ReadReturned{t + 6, h.real(tag), std::make_shared<const std::vector<std::uint64_t>>(1, value ? h.real(value) : 0)});
    h.complete(bio, t + 7, Dir::Read, t);
  }
  void flush(std::uint64_t bio, std::uint64_t tag, Time t) {
    h.submit(bio, t, Dir::Flush, 0, 0);
    h.send(tag, t + 1, Dir::Flush, bio, 0, 0);
    h.device_done(tag, t + 5);
    h.complete(bio, t + 10, Dir::Flush, t, 0, 0);
  }
  void revert(Time t, std::uint64_t lba, std::uint64_t lost, std::uint64_t restored) {
    h.bus.publish(ev::MediaReverted{t, "nqn.x:s", 1, lba, h.real(lost), restored ? h.real(restored) : 0});
  }
};

TEST(CheckPowerLoss, ReadOfTheRevertedVersionOfUnflushedDataIsFine) {
  PowerLoss p;
  p.h.write_ok(1, 11, 0);       // W1, flushed below
  p.flush(2, 21, 20);
  p.h.write_ok(3, 31, 40);      // W3: cached only
  p.h.write_ok(4, 41, 40, 1);   // on LBA 1: never flushed, back to never written
  p.revert(100, 0, 31, 11);     // power loss: W3 lost, W1 back
  p.revert(100, 1, 41, 0);
  p.read(5, 51, 200, 11);       // W1's data, as the power loss left it: fine
  p.read(6, 61, 200, 0, 1);     // never-written, as the power loss left it: fine
  EXPECT_EQ(p.h.kinds(), Kinds{});
  EXPECT_TRUE(p.h.checker->unknown().empty());
}

TEST(CheckPowerLoss, StaleReadsAroundAPowerLossAreStillStale) {
  PowerLoss p;
  p.h.write_ok(1, 11, 0);         // W1 on LBA 0
  p.h.write_ok(2, 21, 20);        // W2 on LBA 0, flushed below
  p.flush(3, 31, 40);
  p.h.write_ok(4, 41, 60, 1, true);  // W4 on LBA 1 with FUA
  p.h.write_ok(5, 51, 80, 1);        // W5 on LBA 1, cached only
  p.h.write_ok(6, 61, 80, 2);        // W6 on LBA 2, cached only
  p.revert(100, 0, 21, 11);  // planted: flushed W2 lost (durability), W1 back...
  p.revert(100, 1, 51, 41);  // W5 lost (fine), W4 back
  p.revert(100, 2, 61, 0);   // W6 lost (fine)
  p.read(7, 71, 200, 11);    // ...and read: stale
  p.read(8, 81, 200, 41, 1); // fine: W4 is what the power loss left
  p.h.write_ok(9, 91, 300, 2);  // W9 on LBA 2 after the power loss
  p.read(10, 101, 400, 0, 2);   // planted: never-written data after W9: stale
  p.h.write_ok(11, 111, 300, 1);  // W11 on LBA 1 after the power loss
  p.read(12, 121, 400, 41, 1);    // planted: the restored W4 after W11: stale
  EXPECT_EQ(p.h.kinds(), (Kinds{"durability", "stale_read", "stale_read", "stale_read"}));
  EXPECT_EQ(p.h.checker->violations()[1].bio, 7u);
  EXPECT_EQ(p.h.checker->violations()[2].bio, 10u);
  EXPECT_EQ(p.h.checker->violations()[3].bio, 12u);
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
