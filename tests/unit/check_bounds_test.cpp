// The checker's memory bounds must never change a verdict. Per-LBA states go cold (32 bytes) once
// settled and the hot tier is full: every
// oracle verdict on a cold block must be the one the whole state gives. Each test runs the same
// history twice, with and without enough other blocks written in between to push its block cold.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "check_harness.hpp"

namespace {

using namespace check_harness;

constexpr std::uint64_t kOthers = 20'000;  // well beyond the hot tier (4096 states)

// Writes kOthers other blocks (LBAs 1000.., each once), from `t` on; returns the time after.
Time push_cold(Harness& h, Time t, bool cold) {
  if (!cold) return t;
  for (std::uint64_t i = 0; i < kOthers; ++i, t += 20) plain_write(h, 1'000'000 + i, t, 1000 + i);
  const auto f = h.checker->footprint();
  EXPECT_EQ(f.lbas - f.hot_lbas + f.hot_lbas, f.lbas);
  EXPECT_LE(f.hot_lbas, 4096u + 16u);
  EXPECT_GE(f.lbas - f.hot_lbas, kOthers - 4096u - 16u);
  return t;
}

void read(Harness& h, std::uint64_t bio, std::uint64_t tag, Time t, std::uint64_t value, std::uint64_t lba = 0) {
  h.submit(bio, t, Dir::Read, lba);
  h.send(tag, t + 1, Dir::Read, bio, lba, 1, 0, 0, true);
  h.device_done(tag, t + 5);
  h.bus.publish(ev::ReadReturned{t + 6, h.real(tag),
                                 std::make_shared<const std::vector<std::uint64_t>>(1, value ? h.real(value) : 0)});
  h.complete(bio, t + 7, Dir::Read, t);
}

class CheckCold : public ::testing::TestWithParam<bool> {};

TEST_P(CheckCold, GhostOverAColdBlockIsCaught) {
  Harness h(all());
  h.submit(1, 0, Dir::Write);
  h.send(11, 1, Dir::Write, 1);   // cancelled by the host; the device still holds it
  h.send(12, 10, Dir::Write, 1);  // the retry
  h.land(12, 15);
  h.device_done(12, 16);
  h.complete(1, 20, Dir::Write, 0);
  h.write_ok(2, 21, 30);  // W2, after W1's acknowledgement
  const Time t = push_cold(h, 100, GetParam());
  h.land(11, t + 100, 0, true);  // planted: W1's zombie copy lands over W2
  EXPECT_EQ(h.kinds(t + 1000), (Kinds{"ghost_write"}));
  EXPECT_EQ(h.checker->violations()[0].bio, 1u);
  EXPECT_TRUE(h.checker->unknown().empty());
}

TEST_P(CheckCold, StaleReadsOfAColdBlockAreStale) {
  Harness h(all());
  h.write_ok(1, 11, 0);   // W1, acknowledged at 10
  h.write_ok(2, 21, 20);  // W2, submitted after W1's acknowledgement
  const Time t = push_cold(h, 100, GetParam());
  read(h, 3, 31, t + 10, 21);  // the latest value: fine
  read(h, 4, 41, t + 20, 11);  // planted: W1's data
  read(h, 5, 51, t + 30, 0);   // planted: never-written data
  h.write_ok(6, 61, t + 40);   // the block is hot again and W6 is the value
  read(h, 7, 71, t + 60, 21);  // planted: W2's data after W6
  read(h, 8, 81, t + 70, 61);  // fine
  EXPECT_EQ(h.kinds(t + 1000), (Kinds{"stale_read", "stale_read", "stale_read"}));
  EXPECT_EQ(h.checker->violations()[0].bio, 4u);
  EXPECT_EQ(h.checker->violations()[1].bio, 5u);
  EXPECT_EQ(h.checker->violations()[2].bio, 7u);
  EXPECT_TRUE(h.checker->unknown().empty());
}

// W1 and W2 overlap in time (W2 submitted before W1's acknowledgement): a read after both may
// return either. The block must not go cold, where only "older than the newest" is remembered.
TEST_P(CheckCold, ConcurrentOlderWriteStaysReadable) {
  Harness h(all());
  h.submit(1, 0, Dir::Write);
  h.send(11, 1, Dir::Write, 1);
  h.submit(2, 5, Dir::Write);
  h.send(21, 6, Dir::Write, 2);
  h.land(11, 7);
  h.land(21, 8);
  h.device_done(11, 9);
  h.complete(1, 10, Dir::Write, 0);
  h.device_done(21, 11);
  h.complete(2, 15, Dir::Write, 5);
  const Time t = push_cold(h, 100, GetParam());
  read(h, 3, 31, t + 10, 11);  // W1's data: a linearization puts W2 first
  read(h, 4, 41, t + 20, 21);
  EXPECT_EQ(h.kinds(t + 1000), Kinds{});
  EXPECT_TRUE(h.checker->unknown().empty());
}

TEST_P(CheckCold, DurableDataLostFromAColdBlockIsCaught) {
  Harness h(all());
  h.write_ok(1, 11, 0, 0, true);  // FUA on LBA 0
  h.write_ok(2, 21, 0, 1);        // cached only, on LBA 1
  const Time t = push_cold(h, 100, GetParam());
  h.bus.publish(ev::MediaReverted{t + 10, "nqn.x:s", 1, 0, h.real(11), 0});  // planted
  h.bus.publish(ev::MediaReverted{t + 10, "nqn.x:s", 1, 1, h.real(21), 0});  // fine
  read(h, 3, 31, t + 20, 0, 1);  // never-written, as the power loss left LBA 1: fine
  EXPECT_EQ(h.kinds(t + 1000), (Kinds{"durability"}));
  EXPECT_TRUE(h.checker->unknown().empty());
}

INSTANTIATE_TEST_SUITE_P(Tiers, CheckCold, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? std::string("cold") : std::string("hot"); });

// What going cold does forget: the older landings. A power loss that restores one of them makes
// reads of the restored data "unknown" on a cold block, never fine and never stale.
TEST(CheckColdForgets, RestoredOlderVersionIsUnknownNotJudged) {
  Harness h(all());
  h.write_ok(1, 11, 0);   // W1
  h.write_ok(2, 21, 20);  // W2, cached only
  const Time t = push_cold(h, 100, true);
  h.bus.publish(ev::MediaReverted{t + 10, "nqn.x:s", 1, 0, h.real(21), h.real(11)});  // W2 lost, W1 back
  read(h, 3, 31, t + 20, 11);
  EXPECT_EQ(h.kinds(t + 1000), Kinds{});
  ASSERT_EQ(h.checker->unknown().count("linearizable"), 1u);
  EXPECT_EQ(h.checker->unknown().at("linearizable").count(
                "read returned data a power loss restored from an unknown write"),
            1u);
}

// Data the checker cannot name (a landing of a sending it does not track) makes every older
// value of those blocks unjudgeable by the "all older were acknowledged" rule: unknown, not stale.
TEST(CheckColdForgets, UntrackedLandingMakesOlderValuesUnknown) {
  Harness h(all());
  for (std::uint64_t i = 0; i < 6; ++i) h.write_ok(1 + i, 11 + 10 * i, 20 * static_cast<Time>(i));
  h.bus.publish(ev::MediaWrite{200, "nqn.x:s", 1, 0, 1, 0xdead'0000, false});  // not a tracked sending
  read(h, 10, 101, 300, 11);  // the first write's data: out of the ring of remembered landings
  EXPECT_EQ(h.kinds(), Kinds{});
  EXPECT_EQ(h.checker->unknown().at("linearizable").count("read returned data whose landing is no longer remembered"),
            1u);
}

// The rule itself, on a hot block: a value older than the remembered landings, all of which
// were acknowledged before H, is stale (it used to be "unknown").
TEST(CheckColdForgets, ValueOlderThanTheRingIsStaleWhenAllWereAcknowledged) {
  Harness h(all());
  for (std::uint64_t i = 0; i < 6; ++i) h.write_ok(1 + i, 11 + 10 * i, 20 * static_cast<Time>(i));
  read(h, 10, 101, 300, 11);  // planted: the first of six sequential writes
  EXPECT_EQ(h.kinds(), (Kinds{"stale_read"}));
  EXPECT_TRUE(h.checker->unknown().empty());
}

// Memory: 100,000 distinct blocks written once each hold at most the hot tier whole.
TEST(CheckColdForgets, DistinctBlocksGoCold) {
  Harness h(all());
  Time t = 0;
  for (std::uint64_t i = 0; i < 100'000; ++i, t += 20) plain_write(h, 1 + i, t, i);
  const auto f = h.checker->footprint();
  EXPECT_EQ(f.lbas, 100'000u);
  EXPECT_LE(f.hot_lbas, 4096u + 16u);
  EXPECT_EQ(h.kinds(t + 100), Kinds{});
  EXPECT_TRUE(h.checker->unknown().empty());
}

}  // namespace

namespace {

// A verified read the device completed whose data is held up (a hung controller) while 70,000
// other verified reads complete: its record stays (its bio is still open), so when the data
// finally arrives it is judged. It used to be evicted after 65,536 later reads: "unknown".
TEST(CheckReadWaits, HeldUpReadDataIsStillJudged) {
  for (bool stale : {false, true}) {
    Harness h(all());
    h.write_ok(1, 11, 0);
    h.write_ok(2, 21, 20);
    h.submit(3, 40, Dir::Read);
    h.send(31, 41, Dir::Read, 3, 0, 1, 0, 0, true);
    h.device_done(31, 45);  // its data is on the way back... and waits
    Time t = 100;
    for (std::uint64_t i = 0; i < 70'000; ++i, t += 10) read(h, 1000 + i, 1000 + i, t, 0, 1 + i % 1000);
    h.bus.publish(ev::ReadReturned{t, h.real(31),
                                   std::make_shared<const std::vector<std::uint64_t>>(1, h.real(stale ? 11 : 21))});
    h.complete(3, t + 1, Dir::Read, 40);
    EXPECT_EQ(h.kinds(t + 100), stale ? Kinds{"stale_read"} : Kinds{});
    EXPECT_TRUE(h.checker->unknown().empty());
  }
}

}  // namespace
