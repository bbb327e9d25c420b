// Device-side faults: hang/resume, controller reset, fatal, zombie commands after an association
// loss, Cross-Controller Reset, ANA and namespace-change AENs with masking, status injection,
// power loss against the volatile write cache, per-port namespace attachment, port down and
// normal shutdown. Controllers are driven straight through their CapsuleSink interface; their
// completions go over a real fabric::Link (no SimGrid) with zero serialisation time and a 1 us
// latency, so a completion posted at t arrives at the host sink at t + kLat.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "device/controller.hpp"
#include "device/media.hpp"
#include "device/subsystem.hpp"
#include "sim/engine/calendar.hpp"
#include "sim/engine/engine.hpp"
#include "sim/events.hpp"
#include "sim/fabric/link.hpp"
#include "sim/fabric/transport.hpp"
#include "sim/nvme/nvme.hpp"
#include "sim/rng.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/time.hpp"

namespace {

using sim::kMicrosecond;
using sim::kMillisecond;
using sim::kSecond;
using sim::Time;
using namespace sim::nvme;
using device::CtrlState;

constexpr Time kLat = 1 * kMicrosecond;       // link latency (completion transit)
constexpr Time kOverhead = 2 * kMicrosecond;  // ControllerConfig::cmd_overhead default
constexpr Time kRead = 80 * kMicrosecond;
constexpr Time kWrite = 20 * kMicrosecond;
constexpr Time kFlush = 500 * kMicrosecond;

sim::scenario::Subsystem cfg() {
  sim::scenario::Subsystem s;
  s.nqn = "nqn.2024-01.io.nvmsim:faults";
  s.serial = "SNF";
  s.kas = 100 * kMillisecond;
  s.anatt = 10 * kSecond;
  sim::scenario::Port p1;
  p1.id = 1;
  sim::scenario::Port p2;
  p2.id = 2;
  s.ports = {p1, p2};
  sim::scenario::Namespace n1;
  n1.nsid = 1;
  n1.size = 1ull << 30;
  n1.lba_size = 512;
  n1.ana_group = 1;
  sim::scenario::Namespace n2;
  n2.nsid = 2;
  n2.size = 1ull << 30;
  n2.lba_size = 4096;
  n2.ana_group = 2;
  s.namespaces = {n1, n2};
  s.media.read_latency = kRead;
  s.media.write_latency = kWrite;
  s.media.flush_latency = kFlush;
  s.media.parallelism = 32;
  s.media.bandwidth = 3'000'000'000ull;  // 4 KiB = 1366 ns of pipe: under every latency here
  s.media.jitter.dist = sim::scenario::JitterDist::None;
  return s;
}

struct Cqe {
  Time t;
  std::uint16_t cid;
  std::uint16_t status;
  std::uint32_t result;
  std::shared_ptr<const AdminData> data;
};

struct HostSink final : sim::fabric::CapsuleSink {
  explicit HostSink(sim::engine::Calendar& c) : cal(c) {}
  void on_completion(Completion&& c) override {
    cqes.push_back({cal.now(), c.cid, c.status, c.result, c.admin_data});
  }
  void on_transport_error(std::uint32_t) override { errors.push_back(cal.now()); }
  const Cqe* find(std::uint16_t cid) const {
    for (const auto& c : cqes)
      if (c.cid == cid) return &c;
    return nullptr;
  }
  sim::engine::Calendar& cal;
  std::vector<Cqe> cqes;
  std::vector<Time> errors;
};

Command connect_cmd(std::uint16_t qid, std::uint32_t kato_ms = 0) {
  Command c;
  c.opcode = admin_opc::kFabrics;
  c.fctype = fctype::kConnect;
  c.cdw10 = qid;
  c.cdw11 = kato_ms;
  c.cid = static_cast<std::uint16_t>(0xF000 + qid);
  return c;
}
Command io(std::uint16_t cid, std::uint8_t opc, std::uint32_t nsid, std::uint64_t slba,
           std::uint32_t nlb, std::uint16_t qid = 1) {
  Command c;
  c.qid = qid;
  c.cid = cid;
  c.opcode = opc;
  c.nsid = nsid;
  c.slba = slba;
  c.nlb = nlb;
  return c;
}
Command admin(std::uint16_t cid, std::uint8_t opc, std::uint32_t cdw10 = 0,
              std::uint32_t nsid = 0) {
  Command c;
  c.cid = cid;
  c.opcode = opc;
  c.cdw10 = cdw10;
  c.nsid = nsid;
  return c;
}
Command fabrics(std::uint16_t cid, std::uint8_t type, std::uint32_t cdw10,
                std::uint32_t cdw11 = 0) {
  Command c = admin(cid, admin_opc::kFabrics, cdw10);
  c.fctype = type;
  c.cdw11 = cdw11;
  return c;
}

struct Rig {
  explicit Rig(const sim::scenario::Subsystem& config = cfg())
      : s(config, cal, bus, 1),
        link("l", cal, sim::engine::LinkHandle(nullptr),
             sim::fabric::transport_defaults(sim::scenario::Transport::Tcp)) {
    link.set_latency(kLat);
    link.set_bandwidth(0);  // no serialisation: a completion arrives kLat after it is posted
    bus.subscribe<sim::events::DeviceEvent>(
        [this](const sim::events::DeviceEvent& e) { events.push_back(e); });
    bus.subscribe<sim::events::MediaWrite>(
        [this](const sim::events::MediaWrite& e) { writes.push_back(e); });
  }
  // A controller on `port` with its admin queue and `io_queues` I/O queues connected; the Connects
  // are processed one cmd_overhead apart from now. Returns once they all are.
  device::Controller* connect(int port, std::uint32_t kato_ms = 0, int io_queues = 1) {
    device::Controller* c = s.accept(port);
    hosts.emplace_back(cal);
    const std::uint32_t a = link.open_association(&hosts.back(), c);
    c->bind(&link, a);
    c->on_command(connect_cmd(0, kato_ms));
    for (int q = 1; q <= io_queues; ++q) c->on_command(connect_cmd(static_cast<std::uint16_t>(q)));
    cal.run_until(cal.now() + (io_queues + 1) * s.config().controller.cmd_overhead + kLat);
    hosts.back().cqes.clear();
    return c;
  }
  HostSink& host(std::size_t i) { return hosts[i]; }
  void at(Time t, std::function<void()> fn) { cal.call_at(t, std::move(fn)); }
  void run(Time t) { cal.run_until(t); }
  std::vector<std::string> whats() const {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e.what);
    return out;
  }

  sim::engine::Calendar cal;
  sim::events::Bus bus;
  device::Subsystem s;
  sim::fabric::Link link;
  std::deque<HostSink> hosts;
  std::vector<sim::events::DeviceEvent> events;
  std::vector<sim::events::MediaWrite> writes;
};

constexpr std::uint32_t kAnaAen = aen::result(aen::kTypeNotice, aen::kNoticeAnaChange, kLogAna);
constexpr std::uint32_t kNsAen =
    aen::result(aen::kTypeNotice, aen::kNoticeNsChanged, kLogChangedNs);

// ---- Hang / resume ------------------------------------------------------------------------------

// Write 7 reaches the media at 1 ms - 8 us and lands at 1 ms + 12 us, during the hang (the media is
// the subsystem's), but its completion is only posted at the resume (5 ms). Reads 1..3 arriving
// while hung queue up; from the resume queue 1 processes them one cmd_overhead apart (5 ms + 2, 4,
// 6 us), each then spends 80 us on the media.
TEST(DeviceFaults, HangQueuesAndResumeProcessesInOrder) {
  Rig r;
  auto* c = r.connect(1);
  const Time t_write = kMillisecond - 10 * kMicrosecond;
  r.at(t_write, [&] { c->on_command(io(7, io_opc::kWrite, 2, 0, 1)); });
  r.at(kMillisecond, [&] {
    r.s.ctrl_hang(*c);
    for (std::uint16_t cid = 1; cid <= 3; ++cid) c->on_command(io(cid, io_opc::kRead, 2, cid, 1));
  });
  r.run(kMillisecond + 12 * kMicrosecond);
  EXPECT_TRUE(c->hung());
  EXPECT_NE(r.s.media().token_at(2, 0), 0u);  // landed while hung
  r.run(5 * kMillisecond - 1);
  EXPECT_TRUE(r.host(0).cqes.empty());
  EXPECT_EQ(c->queued_commands(), 3u);
  EXPECT_EQ(r.s.media().ops(), 1u);  // nothing fetched while hung
  const Time resume = 5 * kMillisecond;
  r.at(resume, [&] { r.s.ctrl_resume(*c); });
  r.run(kSecond);
  const auto& cq = r.host(0).cqes;
  ASSERT_EQ(cq.size(), 4u);
  EXPECT_EQ(cq[0].cid, 7);
  EXPECT_EQ(cq[0].t, resume + kLat);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(cq[i].cid, i);
    EXPECT_EQ(cq[i].status, status::kSuccess);
    EXPECT_EQ(cq[i].t, resume + i * kOverhead + kRead + kLat) << i;
  }
  EXPECT_EQ(c->state(), CtrlState::Enabled);
  EXPECT_EQ(r.whats(), (std::vector<std::string>{"hang", "resume"}));
}

// KATO 1 s, KAS 100 ms, connected at 2 us. The hang at 0.5 s covers the 1.1 s expiry, which is not
// acted on. Case 1: a Keep Alive sent at 0.6 s waits in the admin SQ and is processed at resume
// + 2 us = 1.500002 s; the re-check at ceil(1.500002 s / KAS) = 1.6 s finds the timer fresh, the
// next one at ceil(2.500002 s) = 2.6 s expires. Case 2: no Keep Alive queued: the re-check runs
// at the resume itself (1.5 s is a KAS multiple) and fails the controller.
TEST(DeviceFaults, HungControllerDefersKeepAliveExpiryUntilResume) {
  for (bool ka_sent : {true, false}) {
    Rig r;
    auto* c = r.connect(1, 1000, 0);
    r.at(500 * kMillisecond, [&] { r.s.ctrl_hang(*c); });
    if (ka_sent) r.at(600 * kMillisecond, [&] { c->on_command(admin(5, admin_opc::kKeepAlive)); });
    r.at(1500 * kMillisecond, [&] { r.s.ctrl_resume(*c); });
    r.run(1500 * kMillisecond - 1);
    EXPECT_EQ(c->state(), CtrlState::Enabled) << ka_sent;
    r.run(1500 * kMillisecond);
    if (!ka_sent) {
      EXPECT_EQ(c->state(), CtrlState::Failed);
      r.run(2 * kSecond);
      EXPECT_EQ(r.host(0).errors, (std::vector<Time>{1500 * kMillisecond + kLat}));
      continue;
    }
    r.run(2600 * kMillisecond - 1);
    EXPECT_EQ(c->state(), CtrlState::Enabled);
    ASSERT_NE(r.host(0).find(5), nullptr);
    EXPECT_EQ(r.host(0).find(5)->t, 1500 * kMillisecond + kOverhead + kLat);
    r.run(2600 * kMillisecond);
    EXPECT_EQ(c->state(), CtrlState::Failed);
  }
}

// With TBKAS a command that arrives while hung only counts once processed: an Identify sent at
// 0.6 s is processed at 1.500002 s, so the re-check at 1.6 s passes and expiry is at 2.6 s. An ANA
// event while hung completes the outstanding AER only at the resume.
TEST(DeviceFaults, HungTrafficCountsForKeepAliveWhenProcessed) {
  auto config = cfg();
  config.tbkas = true;
  Rig r(config);
  auto* c = r.connect(1, 1000, 0);
  c->on_command(admin(1, admin_opc::kAsyncEventRequest));
  r.at(500 * kMillisecond, [&] { r.s.ctrl_hang(*c); });
  r.at(600 * kMillisecond, [&] {
    c->on_command(admin(2, admin_opc::kIdentify, cns::kController));
    r.s.ana_change(1, 1, AnaState::NonOptimized, false, true);
  });
  r.at(1500 * kMillisecond, [&] { r.s.ctrl_resume(*c); });
  r.run(2600 * kMillisecond - 1);
  EXPECT_EQ(c->state(), CtrlState::Enabled);
  ASSERT_NE(r.host(0).find(1), nullptr);
  EXPECT_EQ(r.host(0).find(1)->t, 1500 * kMillisecond + kLat);
  EXPECT_EQ(r.host(0).find(1)->result, kAnaAen);
  EXPECT_EQ(r.host(0).find(2)->t, 1500 * kMillisecond + kOverhead + kLat);
  r.run(2600 * kMillisecond);
  EXPECT_EQ(c->state(), CtrlState::Failed);
}

// ---- Zombies ------------------------------------------------------------------------------------

// cmd_overhead 1 ms so that queued writes reach the media far apart: writes 1..6 sent at t0 are
// processed at t0 + k ms. The association is lost at t0 + 0.5 ms.
//  window 5 ms: deadline t0 + 5.5 ms. Writes 1..4 (20 us on the media) land at t0 + k ms + 20 us
//  as zombies; write 5 is FUA (520 us): it starts before the deadline but would land at
//  t0 + 5.52 ms, after the controller has quiesced, so it does not; write 6 would start at
//  t0 + 6 ms and is dropped without touching the media. Nothing is completed.
//  window 0: everything is dropped at once.
TEST(DeviceFaults, ZombieWindowBoundsWhatStillLands) {
  for (Time window : {Time{0}, 5 * kMillisecond}) {
    auto config = cfg();
    config.controller.cmd_overhead = kMillisecond;
    config.controller.zombie_window = window;
    Rig r(config);
    auto* c = r.connect(1);
    const Time t0 = r.cal.now();
    for (std::uint16_t k = 1; k <= 6; ++k) {
      Command w = io(k, io_opc::kWrite, 2, k, 1);
      w.fua = k == 5;
      c->on_command(w);
    }
    r.at(t0 + 500 * kMicrosecond, [&] { c->on_transport_error(0); });
    r.run(t0 + kSecond);
    EXPECT_EQ(c->state(), CtrlState::Failed);
    EXPECT_TRUE(r.host(0).cqes.empty());
    EXPECT_EQ(r.host(0).errors, (std::vector<Time>{t0 + 500 * kMicrosecond + kLat}));
    if (window == 0) {
      EXPECT_EQ(r.s.media().ops(), 0u);
      EXPECT_TRUE(r.writes.empty());
      continue;
    }
    EXPECT_EQ(r.s.media().ops(), 5u);
    ASSERT_EQ(r.writes.size(), 4u);
    for (std::uint64_t k = 1; k <= 4; ++k) {
      const auto& w = r.writes[k - 1];
      EXPECT_EQ(w.slba, k);
      EXPECT_EQ(w.t, t0 + static_cast<Time>(k) * kMillisecond + kWrite);
      EXPECT_TRUE(w.zombie);
      EXPECT_EQ(r.s.media().token_at(2, k), w.token);
    }
    EXPECT_EQ(r.s.media().token_at(2, 5), 0u);
    EXPECT_EQ(r.s.media().token_at(2, 6), 0u);
  }
}

// Writes landing while the association is up are not zombies.
TEST(DeviceFaults, MediaWriteEventsForLiveWrites) {
  Rig r;
  auto* c = r.connect(1);
  const Time t0 = r.cal.now();
  c->on_command(io(1, io_opc::kWrite, 1, 8, 4));
  c->on_command(io(2, io_opc::kWriteZeroes, 1, 20, 2));
  r.run(kSecond);
  ASSERT_EQ(r.writes.size(), 2u);
  EXPECT_EQ(r.writes[0].t, t0 + kOverhead + kWrite);
  EXPECT_EQ(r.writes[0].nsid, 1u);
  EXPECT_EQ(r.writes[0].nlb, 4u);
  EXPECT_FALSE(r.writes[0].zombie);
  EXPECT_EQ(r.writes[1].t, t0 + 2 * kOverhead + kWrite);
  EXPECT_EQ(r.writes[1].slba, 20u);
  EXPECT_EQ(r.writes[0].subsystem, r.s.nqn());
}

// ---- Controller reset, fatal, port down
// ----------------------------------------------------------

// Write 1 is on the media from t0 + 2 us to t0 + 22 us, write 2 queued behind it (processing at
// t0 + 4 us). A reset at t0 + 3 us: write 1 lands, write 2 never runs (even with a zombie window),
// nothing completes, and the host hears of the teardown one link latency later.
TEST(DeviceFaults, ControllerResetLandsMediaWorkButCompletesNothing) {
  auto config = cfg();
  config.controller.zombie_window = 5 * kMillisecond;
  Rig r(config);
  auto* c = r.connect(1);
  const Time t0 = r.cal.now();
  c->on_command(io(1, io_opc::kWrite, 2, 100, 1));
  c->on_command(io(2, io_opc::kWrite, 2, 101, 1));
  r.at(t0 + 3 * kMicrosecond, [&] { r.s.ctrl_reset(*c); });
  r.run(t0 + kSecond);
  EXPECT_EQ(c->state(), CtrlState::Failed);
  EXPECT_TRUE(r.host(0).cqes.empty());
  EXPECT_EQ(r.host(0).errors, (std::vector<Time>{t0 + 3 * kMicrosecond + kLat}));
  EXPECT_EQ(r.s.media().ops(), 1u);
  ASSERT_EQ(r.writes.size(), 1u);
  EXPECT_EQ(r.writes[0].t, t0 + kOverhead + kWrite);
  EXPECT_TRUE(r.writes[0].zombie);
  EXPECT_NE(r.s.media().token_at(2, 100), 0u);
  EXPECT_EQ(r.s.media().token_at(2, 101), 0u);
  EXPECT_EQ(r.whats(), (std::vector<std::string>{"controller reset"}));
}

// Fatal status: the association goes, accepted commands become zombies (window 5 ms: both writes
// land, at t0 + 22 us and t0 + 24 us), none completes.
TEST(DeviceFaults, FatalMakesZombiesAndTearsDown) {
  auto config = cfg();
  config.controller.zombie_window = 5 * kMillisecond;
  Rig r(config);
  auto* c = r.connect(1);
  const Time t0 = r.cal.now();
  c->on_command(io(1, io_opc::kWrite, 2, 100, 1));
  c->on_command(io(2, io_opc::kWrite, 2, 101, 1));
  r.s.ctrl_fatal(*c);
  r.run(t0 + kSecond);
  EXPECT_TRUE(c->fatal());
  EXPECT_EQ(c->state(), CtrlState::Failed);
  EXPECT_TRUE(r.host(0).cqes.empty());
  EXPECT_EQ(r.host(0).errors, (std::vector<Time>{t0 + kLat}));
  ASSERT_EQ(r.writes.size(), 2u);
  EXPECT_EQ(r.writes[0].t, t0 + kOverhead + kWrite);
  EXPECT_EQ(r.writes[1].t, t0 + 2 * kOverhead + kWrite);
  EXPECT_TRUE(r.writes[1].zombie);
}

// Port down: every controller behind the port loses its association (the port's hosts hear of it
// one link latency later), the other port is untouched, connects to the port are refused until it
// comes back up.
TEST(DeviceFaults, PortDownFailsItsControllersAndRefusesConnects) {
  Rig r;
  auto* a = r.connect(1);
  auto* b = r.connect(1);
  auto* other = r.connect(2);
  const Time t0 = r.cal.now();
  EXPECT_EQ(r.s.select(1, std::nullopt), (std::vector<device::Controller*>{a, b}));
  EXPECT_EQ(r.s.select(std::nullopt, std::nullopt),
            (std::vector<device::Controller*>{a, b, other}));
  EXPECT_EQ(r.s.select(std::nullopt, other->cntlid()), (std::vector<device::Controller*>{other}));
  EXPECT_TRUE(r.s.select(2, a->cntlid()).empty());
  r.s.port_down(1);
  EXPECT_FALSE(r.s.port_accepting(1));
  EXPECT_TRUE(r.s.port_accepting(2));
  EXPECT_EQ(r.s.accept(1), nullptr);
  EXPECT_EQ(a->state(), CtrlState::Failed);
  EXPECT_EQ(b->state(), CtrlState::Failed);
  EXPECT_EQ(other->state(), CtrlState::Enabled);
  EXPECT_EQ(r.s.select(std::nullopt, std::nullopt), (std::vector<device::Controller*>{other}));
  r.run(t0 + kMillisecond);
  EXPECT_EQ(r.host(0).errors, (std::vector<Time>{t0 + kLat}));
  EXPECT_EQ(r.host(1).errors, (std::vector<Time>{t0 + kLat}));
  EXPECT_TRUE(r.host(2).errors.empty());
  r.s.port_up(1);
  EXPECT_NE(r.s.accept(1), nullptr);
  EXPECT_EQ(r.whats(),
            (std::vector<std::string>{"port down", "port down", "port down", "port up"}));
  EXPECT_EQ(r.events[0].cntlid, -1);
  EXPECT_EQ(r.events[1].cntlid, a->cntlid());
}

// ---- Cross-Controller Reset
// ----------------------------------------------------------------------

// cmd_overhead 1 ms, window 10 ms. Controller A (port 1) has writes 1..6 queued at t0 (processed at
// t0 + k ms) and loses its association at t0 + 0.5 ms: zombies. Controller B (port 2) gets a CCR
// naming A at t0 + 1.5 ms, processed at t0 + 2.5 ms: writes 1 and 2 (landed at t0 + 1.02 and
// 2.02 ms) stay, everything after is killed. The CCR completes with DW0 bit 0 set.
TEST(DeviceFaults, CrossControllerResetKillsZombies) {
  auto config = cfg();
  config.ccr = true;
  config.controller.cmd_overhead = kMillisecond;
  config.controller.zombie_window = 10 * kMillisecond;
  Rig r(config);
  auto* a = r.connect(1);
  auto* b = r.connect(2);
  const Time t0 = r.cal.now();
  for (std::uint16_t k = 1; k <= 6; ++k) a->on_command(io(k, io_opc::kWrite, 2, k, 1));
  r.at(t0 + 500 * kMicrosecond, [&] { a->on_transport_error(0); });
  r.at(t0 + 1500 * kMicrosecond,
       [&] { b->on_command(admin(40, admin_opc::kCrossCtrlReset, a->cntlid())); });
  r.run(t0 + kSecond);
  const Cqe* ccr = r.host(1).find(40);
  ASSERT_NE(ccr, nullptr);
  EXPECT_EQ(ccr->status, status::kSuccess);
  EXPECT_EQ(ccr->result & 1u, 1u);
  EXPECT_EQ(ccr->t, t0 + 2500 * kMicrosecond + kLat);
  ASSERT_EQ(r.writes.size(), 2u);
  EXPECT_EQ(r.writes[1].t, t0 + 2 * kMillisecond + kWrite);
  EXPECT_EQ(r.s.media().ops(), 2u);
  EXPECT_EQ(r.s.media().token_at(2, 3), 0u);
  EXPECT_EQ(b->state(), CtrlState::Enabled);
}

// A CCR on a live impacted controller fails it at once (its host hears of it); an unknown CNTLID
// or a subsystem without CCR gets Invalid Field + DNR. Identify reports CCRL 4 with CCR, else 0.
TEST(DeviceFaults, CrossControllerResetValidation) {
  for (bool ccr : {true, false}) {
    auto config = cfg();
    config.ccr = ccr;
    Rig r(config);
    auto* a = r.connect(1);
    auto* b = r.connect(2);
    EXPECT_EQ(r.s.ccr_supported(), ccr);
    EXPECT_EQ(r.s.identify_controller(1).ccrl, ccr ? 4 : 0);
    const Time t0 = r.cal.now();
    b->on_command(admin(41, admin_opc::kCrossCtrlReset, 77));
    b->on_command(admin(42, admin_opc::kCrossCtrlReset, a->cntlid()));
    r.run(t0 + kMillisecond);
    ASSERT_EQ(r.host(1).cqes.size(), 2u);
    EXPECT_EQ(r.host(1).cqes[0].status, status::kInvalidField | status::kDnr);
    if (!ccr) {
      EXPECT_EQ(r.host(1).cqes[1].status, status::kInvalidField | status::kDnr);
      EXPECT_EQ(a->state(), CtrlState::Enabled);
      continue;
    }
    EXPECT_EQ(r.host(1).cqes[1].status, status::kSuccess);
    EXPECT_EQ(r.host(1).cqes[1].result, 1u);
    EXPECT_EQ(a->state(), CtrlState::Failed);
    EXPECT_EQ(r.host(0).errors, (std::vector<Time>{t0 + 2 * kOverhead + kLat}));
  }
}

// ---- Asynchronous events
// -------------------------------------------------------------------------

// An outstanding AER completes when the ANA change happens; later ANA changes stay masked (a log
// read with RAE does not unmask) until the host reads the ANA log without RAE.
TEST(DeviceFaults, AnaAenWithOutstandingAerAndMasking) {
  Rig r;
  auto* c = r.connect(1);
  auto* other_port = r.connect(2);
  c->on_command(admin(1, admin_opc::kAsyncEventRequest));
  other_port->on_command(admin(1, admin_opc::kAsyncEventRequest));
  const std::uint64_t cnt0 = r.s.ana_change_count();
  r.at(kMillisecond, [&] { r.s.ana_change(1, 1, AnaState::Inaccessible, false, true); });
  r.run(2 * kMillisecond - 1);
  ASSERT_EQ(r.host(0).cqes.size(), 1u);
  EXPECT_EQ(r.host(0).cqes[0].t, kMillisecond + kLat);
  EXPECT_EQ(r.host(0).cqes[0].result, kAnaAen);
  EXPECT_EQ(aen::info_of(r.host(0).cqes[0].result), aen::kNoticeAnaChange);
  EXPECT_EQ(r.s.ana_change_count(), cnt0 + 1);
  EXPECT_EQ(r.s.ana_state(1, 1), AnaState::Inaccessible);
  EXPECT_TRUE(r.host(1).cqes.empty());  // another port
  // Masked: a new AER stays outstanding through another change...
  r.at(2 * kMillisecond, [&] { c->on_command(admin(2, admin_opc::kAsyncEventRequest)); });
  r.at(3 * kMillisecond, [&] { r.s.ana_change(1, 1, AnaState::Optimized, false, true); });
  // ...and through a log read with RAE and the change after it.
  r.at(4 * kMillisecond,
       [&] { c->on_command(admin(3, admin_opc::kGetLogPage, kLogAna | kLogRae)); });
  r.at(5 * kMillisecond, [&] { r.s.ana_change(1, 1, AnaState::NonOptimized, false, true); });
  r.run(6 * kMillisecond - 1);
  EXPECT_EQ(r.host(0).find(2), nullptr);
  ASSERT_NE(r.host(0).find(3), nullptr);
  const auto& log = std::get<AnaLog>(*r.host(0).find(3)->data);
  EXPECT_EQ(log.chgcnt, cnt0 + 2);
  EXPECT_EQ(log.groups[0].state, AnaState::Optimized);
  EXPECT_EQ(log.groups[0].chgcnt, cnt0 + 2);
  // A read without RAE unmasks; the next change completes the held AER.
  r.at(6 * kMillisecond, [&] { c->on_command(admin(4, admin_opc::kGetLogPage, kLogAna)); });
  r.at(7 * kMillisecond, [&] { r.s.ana_change(1, 2, AnaState::Inaccessible, false, true); });
  r.run(8 * kMillisecond);
  ASSERT_NE(r.host(0).find(2), nullptr);
  EXPECT_EQ(r.host(0).find(2)->t, 7 * kMillisecond + kLat);
  EXPECT_EQ(r.host(0).find(2)->result, kAnaAen);
  EXPECT_TRUE(r.host(1).cqes.empty());
  // Without `aen`, nothing is sent even once unmasked.
  r.at(9 * kMillisecond, [&] {
    c->on_command(admin(5, admin_opc::kGetLogPage, kLogAna));
    c->on_command(admin(6, admin_opc::kAsyncEventRequest));
  });
  r.at(10 * kMillisecond, [&] { r.s.ana_change(1, 2, AnaState::Optimized, false, false); });
  r.run(kSecond);
  EXPECT_EQ(r.host(0).find(6), nullptr);
}

// No AER outstanding: the event is queued and the next AER completes as soon as it is processed.
TEST(DeviceFaults, AnaAenQueuedUntilAnAerArrives) {
  Rig r;
  auto* c = r.connect(1);
  r.s.ana_change(1, 1, AnaState::NonOptimized, false, true);
  r.at(kMillisecond, [&] { c->on_command(admin(9, admin_opc::kAsyncEventRequest)); });
  r.run(kSecond);
  ASSERT_EQ(r.host(0).cqes.size(), 1u);
  EXPECT_EQ(r.host(0).cqes[0].t, kMillisecond + kOverhead + kLat);
  EXPECT_EQ(r.host(0).cqes[0].status, status::kSuccess);
  EXPECT_EQ(r.host(0).cqes[0].result, kAnaAen);
}

// via_change: the group is in Change from t, reaches its final state at t + anatt / 2 (5 s); two
// state changes, two change-count bumps, one AEN (the second is masked: no log read in between).
// I/O meanwhile gets ANA Transition.
TEST(DeviceFaults, AnaChangeGoesThroughChangeForHalfAnatt) {
  Rig r;
  auto* c = r.connect(1);
  c->on_command(admin(1, admin_opc::kAsyncEventRequest));
  const std::uint64_t cnt0 = r.s.ana_change_count();
  const Time t = kSecond;
  r.at(t, [&] { r.s.ana_change(1, 2, AnaState::NonOptimized, true, true); });
  r.at(t + kMillisecond, [&] { c->on_command(io(2, io_opc::kRead, 2, 0, 1)); });
  r.run(t);
  EXPECT_EQ(r.s.ana_state(1, 2), AnaState::Change);
  EXPECT_EQ(r.s.ana_state(2, 2), AnaState::Optimized);
  r.run(t + 5 * kSecond - 1);
  EXPECT_EQ(r.s.ana_state(1, 2), AnaState::Change);
  EXPECT_EQ(r.s.ana_change_count(), cnt0 + 1);
  r.run(t + 5 * kSecond);
  EXPECT_EQ(r.s.ana_state(1, 2), AnaState::NonOptimized);
  EXPECT_EQ(r.s.ana_change_count(), cnt0 + 2);
  r.run(20 * kSecond);
  ASSERT_EQ(r.host(0).cqes.size(), 2u);
  EXPECT_EQ(r.host(0).find(1)->t, t + kLat);
  EXPECT_EQ(r.host(0).find(2)->status, status::kAnaTransition);
  EXPECT_EQ(r.whats(),
            (std::vector<std::string>{"ana group 2 -> change", "ana group 2 -> non-optimized"}));
  EXPECT_EQ(r.events[1].t, t + 5 * kSecond);
  EXPECT_EQ(r.events[1].port, 1);
  EXPECT_EQ(r.events[1].cntlid, -1);
}

// A newer change cancels the pending end of a transition.
TEST(DeviceFaults, NewerAnaChangeOverridesTransition) {
  Rig r;
  r.s.ana_change(1, 1, AnaState::Inaccessible, true, false);
  r.at(kSecond, [&] { r.s.ana_change(1, 1, AnaState::Optimized, false, false); });
  r.run(20 * kSecond);
  EXPECT_EQ(r.s.ana_state(1, 1), AnaState::Optimized);
}

// ---- Namespaces
// ----------------------------------------------------------------------------------

// Detaching NSID 2 from port 1: the port's controllers no longer list it, Identify NS and I/O get
// Invalid Namespace + DNR, its ANA log omits it, and a Namespace Attribute Changed notice goes out
// (masked until log 04h is read without RAE). Port 2 is unaffected.
TEST(DeviceFaults, NamespaceDetachIsPerPort) {
  Rig r;
  auto* c1 = r.connect(1);
  auto* c2 = r.connect(2);
  c1->on_command(admin(1, admin_opc::kAsyncEventRequest));
  c2->on_command(admin(1, admin_opc::kAsyncEventRequest));
  r.run(r.cal.now() + kMillisecond);
  const Time t0 = r.cal.now();
  r.s.ns_detach(2, 1);
  EXPECT_FALSE(r.s.ns_attached(2, 1));
  EXPECT_TRUE(r.s.ns_attached(2, 2));
  for (auto* c : {c1, c2}) {
    c->on_command(admin(2, admin_opc::kIdentify, cns::kActiveNsList));
    c->on_command(admin(3, admin_opc::kIdentify, cns::kNamespace, 2));
    c->on_command(admin(4, admin_opc::kGetLogPage, kLogAna));
    c->on_command(io(5, io_opc::kRead, 2, 0, 1));
  }
  r.run(t0 + kMillisecond);
  const HostSink& h1 = r.host(0);
  const HostSink& h2 = r.host(1);
  ASSERT_NE(h1.find(1), nullptr);
  EXPECT_EQ(h1.find(1)->t, t0 + kLat);
  EXPECT_EQ(h1.find(1)->result, kNsAen);
  EXPECT_EQ(h2.find(1), nullptr);
  EXPECT_EQ(std::get<std::vector<std::uint32_t>>(*h1.find(2)->data),
            (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(std::get<std::vector<std::uint32_t>>(*h2.find(2)->data),
            (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(h1.find(3)->status, status::kInvalidNs | status::kDnr);
  EXPECT_EQ(h2.find(3)->status, status::kSuccess);
  const auto& log1 = std::get<AnaLog>(*h1.find(4)->data);
  EXPECT_TRUE(log1.groups[1].nsids.empty());
  EXPECT_EQ(std::get<AnaLog>(*h2.find(4)->data).groups[1].nsids, (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(h1.find(5)->status, status::kInvalidNs | status::kDnr);
  EXPECT_EQ(h2.find(5)->status, status::kSuccess);
  EXPECT_EQ(r.s.media().ops(), 1u);
  // Masked: attaching it back sends nothing until log 04h is read without RAE.
  c1->on_command(admin(6, admin_opc::kAsyncEventRequest));
  r.s.ns_attach(2, 1);
  r.run(r.cal.now() + kMillisecond);
  EXPECT_EQ(r.host(0).find(6), nullptr);
  c1->on_command(admin(7, admin_opc::kGetLogPage, kLogChangedNs));
  r.run(r.cal.now() + kMillisecond);
  EXPECT_EQ(r.host(0).find(7)->status, status::kSuccess);
  r.s.ns_detach(1, 1);
  r.run(r.cal.now() + kMillisecond);
  ASSERT_NE(r.host(0).find(6), nullptr);
  EXPECT_EQ(r.host(0).find(6)->result, kNsAen);
  // Repeating a detach is not a change.
  const auto n_events = r.events.size();
  r.s.ns_detach(1, 1);
  EXPECT_EQ(r.events.size(), n_events);
  EXPECT_EQ(r.whats(),
            (std::vector<std::string>{"ns 2 detached", "ns 2 attached", "ns 1 detached"}));
}

// ---- Status injection
// ----------------------------------------------------------------------------

// Injection 1: writes overlapping LBAs [100, 199] on port 1, Write Fault, twice. Injection 2:
// anything on port 1, Internal Error + DNR, unlimited, but only reached by what 1 lets through
// (first match wins) and only once 1 is used up: it is added after the first batch.
TEST(DeviceFaults, StatusInjectionMatchesOpcodeAndLbaRangeAndCounts) {
  Rig r;
  auto* c = r.connect(1);
  auto* c2 = r.connect(2);
  r.s.inject_status({1, io_opc::kWrite, std::make_pair(std::uint64_t{100}, std::uint64_t{199}),
                     status::kWriteFault, 2});
  const Time t0 = r.cal.now();
  c->on_command(io(1, io_opc::kWrite, 2, 90, 10));   // 90..99: no overlap
  c->on_command(io(2, io_opc::kWrite, 2, 95, 10));   // 95..104: hit 1
  c->on_command(io(3, io_opc::kRead, 2, 100, 1));    // not a write
  c2->on_command(io(4, io_opc::kWrite, 2, 150, 1));  // other port
  c->on_command(io(5, io_opc::kWrite, 2, 199, 1));   // hit 2: used up
  c->on_command(io(6, io_opc::kWrite, 2, 150, 1));   // no injection left
  r.run(t0 + kMillisecond);
  const HostSink& h = r.host(0);
  EXPECT_EQ(h.find(1)->status, status::kSuccess);
  EXPECT_EQ(h.find(2)->status, status::kWriteFault);
  EXPECT_EQ(h.find(2)->t, t0 + 2 * kOverhead + kLat);  // after the normal processing, no media
  EXPECT_EQ(h.find(3)->status, status::kSuccess);
  EXPECT_EQ(r.host(1).find(4)->status, status::kSuccess);
  EXPECT_EQ(h.find(5)->status, status::kWriteFault);
  EXPECT_EQ(h.find(6)->status, status::kSuccess);
  EXPECT_EQ(r.s.media().ops(), 4u);
  EXPECT_EQ(r.s.media().token_at(2, 95), 1u);  // write 1 only: write 2 never landed
  EXPECT_EQ(r.s.media().token_at(2, 100), 0u);
  EXPECT_EQ(r.s.media().token_at(2, 199), 0u);

  r.s.inject_status({1, std::nullopt, std::nullopt, status::kInternal | status::kDnr, -1});
  r.s.inject_status({1, std::nullopt, std::nullopt, status::kNsNotReady, -1});
  const Time t1 = r.cal.now();
  c->on_command(io(7, io_opc::kFlush, 0xFFFFFFFF, 0, 0));
  c->on_command(io(8, io_opc::kRead, 1, 0, 1));
  r.run(t1 + kMillisecond);
  EXPECT_EQ(h.find(7)->status, status::kInternal | status::kDnr);
  EXPECT_EQ(h.find(8)->status, status::kInternal | status::kDnr);
  EXPECT_EQ(r.s.media().ops(), 4u);
}

// ---- Power
// ---------------------------------------------------------------------------------------

TEST(DeviceFaults, MediaDurability) {
  sim::scenario::Media m = cfg().media;
  device::Media media(m, /*vwc=*/true, sim::Rng(1, "m"));
  media.land_write(1, 0, 2, 10, /*fua=*/true);  // durable
  media.land_write(1, 0, 1, 11);                // volatile over a durable token
  media.land_write(1, 0, 1, 12);                // still volatile: 10 is what survives
  media.land_write(1, 5, 1, 13);                // volatile over nothing
  media.land_write(2, 5, 1, 14);
  media.flush(2);       // namespace 2 only
  media.trim(1, 1, 1);  // a cached deallocation of the durable 10
  EXPECT_EQ(media.volatile_lbas(), 3u);
  media.lose_volatile();
  EXPECT_EQ(media.token_at(1, 0), 10u);
  EXPECT_EQ(media.token_at(1, 1), 10u);
  EXPECT_EQ(media.token_at(1, 5), 0u);
  EXPECT_EQ(media.token_at(2, 5), 14u);
  // Without a volatile cache every write is durable.
  device::Media plain(m, /*vwc=*/false, sim::Rng(1, "m"));
  plain.land_write(1, 0, 1, 20);
  plain.trim(1, 0, 1);
  plain.land_write(1, 1, 1, 21);
  EXPECT_EQ(plain.volatile_lbas(), 0u);
  plain.lose_volatile();
  EXPECT_EQ(plain.token_at(1, 0), 0u);
  EXPECT_EQ(plain.token_at(1, 1), 21u);
}

// Through a controller: A (LBA 0) is flushed, B overwrites it without a flush, C (LBA 1) is FUA,
// D (LBA 2) is never flushed, E is on the media when the power goes. After the loss LBA 0 reads A,
// LBA 1 reads C, LBA 2 and LBA 3 nothing. No controller tells its host; no connect is accepted
// until power comes back. Without VWC nothing reverts.
TEST(DeviceFaults, PowerLossRevertsUnflushedWrites) {
  for (bool vwc : {true, false}) {
    auto config = cfg();
    config.vwc = vwc;
    Rig r(config);
    auto* c = r.connect(1);
    auto* c2 = r.connect(2);
    auto step = [&](Command cmd) {
      c->on_command(cmd);
      r.run(r.cal.now() + 2 * kMillisecond);
    };
    step(io(1, io_opc::kWrite, 2, 0, 1));
    const std::uint64_t a = r.s.media().token_at(2, 0);
    step(io(2, io_opc::kFlush, 2, 0, 0));
    step(io(3, io_opc::kWrite, 2, 0, 1));
    const std::uint64_t b = r.s.media().token_at(2, 0);
    Command fua = io(4, io_opc::kWrite, 2, 1, 1);
    fua.fua = true;
    step(fua);
    const std::uint64_t cfua = r.s.media().token_at(2, 1);
    step(io(5, io_opc::kWrite, 2, 2, 1));
    const std::uint64_t d = r.s.media().token_at(2, 2);
    ASSERT_NE(b, a);
    ASSERT_NE(d, 0u);
    c->on_command(io(6, io_opc::kWrite, 2, 3, 1));
    const Time t_loss = r.cal.now() + 10 * kMicrosecond;  // E on the media until now + 22 us
    r.at(t_loss, [&] { r.s.power_loss(); });
    r.run(t_loss);
    EXPECT_FALSE(r.s.powered());
    EXPECT_EQ(c->state(), CtrlState::Failed);
    EXPECT_EQ(c2->state(), CtrlState::Failed);
    EXPECT_EQ(r.s.accept(1), nullptr);
    EXPECT_EQ(r.s.accept(2), nullptr);
    r.run(t_loss + kSecond);
    EXPECT_TRUE(r.host(0).errors.empty());
    EXPECT_TRUE(r.host(1).errors.empty());
    EXPECT_EQ(r.host(0).find(6), nullptr);
    EXPECT_EQ(r.s.media().token_at(2, 0), vwc ? a : b);
    EXPECT_EQ(r.s.media().token_at(2, 1), cfua);
    EXPECT_EQ(r.s.media().token_at(2, 2), vwc ? 0u : d);
    EXPECT_EQ(r.s.media().token_at(2, 3), 0u);
    r.s.power_restore();
    EXPECT_TRUE(r.s.powered());
    EXPECT_NE(r.s.accept(1), nullptr);
    EXPECT_EQ(r.whats(), (std::vector<std::string>{"power loss", "power loss", "power loss",
                                                   "power restore"}));
  }
}

// ---- Shutdown
// ------------------------------------------------------------------------------------

// cmd_overhead 1 ms. Writes 1..3 on queue 1 and a Property Set CC.SHN=01b on the admin queue, all
// at t0: write 1 and the Property Set are processed at t0 + 1 ms (write 1 first: scheduled first),
// the shutdown drops writes 2 and 3 without completion. Write 1 still completes. CSTS then reads
// SHST = 10b and RDY = 0; new I/O gets Command Sequence Error; a later transport error (window
// 5 ms) leaves no zombie.
TEST(DeviceFaults, NormalShutdownQuiescesWithoutZombies) {
  auto config = cfg();
  config.controller.cmd_overhead = kMillisecond;
  config.controller.zombie_window = 5 * kMillisecond;
  Rig r(config);
  auto* c = r.connect(1);
  const Time t0 = r.cal.now();
  for (std::uint16_t k = 1; k <= 3; ++k) c->on_command(io(k, io_opc::kWrite, 2, k, 1));
  c->on_command(fabrics(10, fctype::kPropertySet, prop::kCc, prop::kCcEnable | prop::kCcShnNormal));
  r.run(t0 + 1500 * kMicrosecond);
  EXPECT_TRUE(c->shut_down());
  EXPECT_EQ(c->queued_commands(), 0u);
  c->on_command(fabrics(11, fctype::kPropertyGet, prop::kCsts));
  c->on_command(io(12, io_opc::kWrite, 2, 9, 1));
  r.run(t0 + 3 * kMillisecond);
  const HostSink& h = r.host(0);
  EXPECT_EQ(h.find(1)->status, status::kSuccess);
  EXPECT_EQ(h.find(1)->t, t0 + kMillisecond + kWrite + kLat);
  EXPECT_EQ(h.find(10)->status, status::kSuccess);
  EXPECT_EQ(h.find(10)->t, t0 + kMillisecond + kLat);
  EXPECT_EQ(h.find(2), nullptr);
  EXPECT_EQ(h.find(3), nullptr);
  EXPECT_EQ(h.find(11)->result, 0x2u << 2);
  EXPECT_EQ(h.find(12)->status, status::kCmdSeqError | status::kDnr);
  c->on_command(io(13, io_opc::kWrite, 2, 10, 1));
  c->on_transport_error(0);
  r.run(t0 + kSecond);
  EXPECT_EQ(r.s.media().ops(), 1u);
  EXPECT_EQ(r.writes.size(), 1u);
  EXPECT_EQ(r.whats(), (std::vector<std::string>{"shutdown", "transport connection lost"}));
}

// Property Get CSTS on a healthy controller: RDY only.
TEST(DeviceFaults, PropertyGetCsts) {
  Rig r;
  auto* c = r.connect(1);
  c->on_command(fabrics(1, fctype::kPropertyGet, prop::kCsts));
  c->on_command(fabrics(2, fctype::kPropertyGet, prop::kCc));
  r.run(kSecond);
  EXPECT_EQ(r.host(0).find(1)->result, 0x1u);
  EXPECT_EQ(r.host(0).find(2)->result, prop::kCcEnable);
}

// A power-loss close does not notify; an ordinary close still does.
TEST(DeviceFaults, LinkCloseWithoutNotification) {
  sim::engine::Calendar cal;
  sim::fabric::Link link("l", cal, sim::engine::LinkHandle(nullptr),
                         sim::fabric::transport_defaults(sim::scenario::Transport::Tcp));
  HostSink h(cal), d(cal);
  const auto a1 = link.open_association(&h, &d);
  const auto a2 = link.open_association(&h, &d);
  link.close_association(a1, sim::fabric::Side::Device, /*notify_peer=*/false);
  link.close_association(a2, sim::fabric::Side::Device);
  cal.run_until(kSecond);
  EXPECT_FALSE(link.is_open(a1));
  EXPECT_EQ(h.errors.size(), 1u);
  EXPECT_TRUE(d.errors.empty());
}

}  // namespace
