#pragma once
// A Checker fed hand-made event streams (tests of sim/check): submissions, sendings, landings,
// device completions and acknowledgements, with the tests' small names for data tags.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/check/checker.hpp"

namespace check_harness {

using sim::Time;
using sim::check::Checker;
using sim::check::CheckerConfig;
using Dir = sim::events::Dir;
namespace ev = sim::events;

constexpr std::uint32_t kLba = 4096;

struct Harness {
  explicit Harness(CheckerConfig cfg, bool job_ns = false) {
    sim::check::CheckerNames n;
    if (job_ns) n.job_namespace = [](int) { return std::pair<std::string, std::uint32_t>("nqn.x:s/1", kLba); };
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

inline CheckerConfig all() {
  CheckerConfig c;
  c.exactly_once = c.partial = c.linearizable = c.durable = true;
  c.max_io_stall = 100 * sim::kMillisecond;
  return c;
}

using Kinds = std::vector<std::string>;

// A write's lone sending, straight on the bus (no harness bookkeeping: millions of these).
inline void plain_write(Harness& h, std::uint64_t bio, Time t, std::uint64_t lba) {
  const std::uint64_t tag = bio << 6;
  const ev::BioRange range{bio, bio, lba * kLba, kLba};
  h.bus.publish(ev::BioSubmitted{t, bio, 0, Dir::Write, lba * kLba, kLba, false});
  h.bus.publish(ev::CommandSent{t + 1, tag, 0, Dir::Write, false, 1, lba, 1, kLba, false, std::span(&range, 1)});
  h.bus.publish(ev::MediaWrite{t + 5, "nqn.x:s", 1, lba, 1, tag, false});
  h.bus.publish(ev::CommandCompleted{t + 6, tag, 0});
  h.bus.publish(ev::BioCompleted{t + 10, bio, 0, Dir::Write, kLba, 0, t, t});
}

}  // namespace check_harness
