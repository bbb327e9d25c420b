// OutstandingTracker: what each I/O not completed at the end waits on, from bus events alone.
#include <gtest/gtest.h>

#include "sim/world/outstanding.hpp"

namespace sim::world {
namespace {

using events::Bus;
using events::Dir;

void submit(Bus& bus, Time t, std::uint64_t bio) { bus.publish(events::BioSubmitted{t, bio, 0, Dir::Read, 0, 4096}); }
void send(Bus& bus, Time t, std::uint64_t tag, int path, std::vector<events::BioRange> bios) {
  bus.publish(events::CommandSent{t, tag, path, Dir::Read, false, 1, 0, 1, 4096, false, bios});
}
void complete(Bus& bus, Time t, std::uint64_t bio) {
  bus.publish(events::BioCompleted{t, bio, 0, Dir::Read, 4096, 0, 0, 0});
}

TEST(Outstanding, EveryWaitStateFromTheEvents) {
  Bus bus;
  OutstandingTracker tr(bus);
  const std::uint64_t h = 1ull << 48;  // host 1's ids
  const std::uint64_t a = h | 1, b = h | 2, c = h | 3, d = h | 4, e = h | 5, f = h | 6;
  const std::uint64_t collide = a + OutstandingTracker::kSlots;  // same slot as a
  submit(bus, 10, a);
  submit(bus, 20, b);
  submit(bus, 30, c);
  submit(bus, 40, d);
  submit(bus, 50, e);
  submit(bus, 60, f);
  submit(bus, 70, collide);  // a moves to the overflow table and stays findable
  send(bus, 100, a << 6, 0, {{a, a, 0, 4096}});
  send(bus, 110, b << 6, 1, {{b, b, 0, 4096}});
  send(bus, 120, c << 6, 0, {{c, c, 0, 4096}});
  send(bus, 125, d << 6, 0, {{d, d, 0, 4096}});
  // a: failed over into a failover hold until 5 s; c: held for a CCR; d: failed over, parked.
  bus.publish(events::Failover{200, "h1/nvme0n1", 0, 0, 0x371, 1, 5 * kSecond, a << 6});
  bus.publish(events::Failover{210, "h1/nvme0n1", 0, 0, 0x371, 1, -1, c << 6});
  bus.publish(events::Failover{220, "h1/nvme0n1", 0, 0, 0x371, 1, 220, d << 6});
  bus.publish(events::BioParked{220, 0, d, d, true});
  // e: parked and taken off the list (requeue pending); f never sent.
  bus.publish(events::BioParked{230, 0, e, e, true});
  bus.publish(events::BioParked{240, 0, e, e, false});
  complete(bus, 300, collide);
  EXPECT_EQ(tr.count(), 6u);
  const auto out = tr.outstanding();
  ASSERT_EQ(out.size(), 6u);
  const std::vector<std::uint64_t> order = {a, b, c, d, e, f};  // by submission time
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].bio, order[i]) << i;
  EXPECT_EQ(out[0].state, WaitState::Held);
  EXPECT_EQ(out[0].since, 200);
  EXPECT_EQ(out[0].until, 5 * kSecond);
  EXPECT_EQ(out[0].path, 0);
  EXPECT_EQ(out[1].state, WaitState::InFlight);
  EXPECT_EQ(out[1].path, 1);
  EXPECT_EQ(out[1].tag, b << 6);
  EXPECT_EQ(out[1].since, 110);
  EXPECT_EQ(out[2].state, WaitState::HeldCcr);
  EXPECT_EQ(out[3].state, WaitState::Parked);
  EXPECT_EQ(out[3].head, 0);
  EXPECT_EQ(out[3].since, 220);
  EXPECT_EQ(out[4].state, WaitState::Requeued);
  EXPECT_EQ(out[4].since, 240);
  EXPECT_EQ(out[5].state, WaitState::NotSent);
  EXPECT_EQ(out[5].submitted, 60);
  // Sent again after the hold: in flight on the new path, no longer held.
  send(bus, 6 * kSecond, (a << 6) | 1, 1, {{a, a, 0, 4096}});
  EXPECT_EQ(tr.outstanding()[0].state, WaitState::InFlight);
  for (std::uint64_t x : order) complete(bus, 7 * kSecond, x);
  EXPECT_EQ(tr.count(), 0u);
  EXPECT_TRUE(tr.outstanding().empty());
}

// Same submission time: bio id decides (the report's order is total).
TEST(Outstanding, TiesGoByBioId) {
  Bus bus;
  OutstandingTracker tr(bus);
  submit(bus, 5, 9);
  submit(bus, 5, 3);
  submit(bus, 4, 7);
  const auto out = tr.outstanding();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].bio, 7u);
  EXPECT_EQ(out[1].bio, 3u);
  EXPECT_EQ(out[2].bio, 9u);
}

}  // namespace
}  // namespace sim::world
