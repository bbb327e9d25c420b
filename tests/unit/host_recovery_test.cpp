// Host controller error handling (linux-mpath-semantics.md sections 3-6, kernel-study/profiles.md
// sections 7-8): reconnect limits, keep-alive timing, request timeouts, transport resets,
// fast_io_fail_tmo, DNR on reconnect, deletion with I/O in flight, the ANATT timer, the 4.15 state
// machine and the iopolicy store.
//
// Each test builds a small real world: one Calendar and Bus, one or two fabric::Links (null
// SimGrid handle, transport defaults: 10 us latency on TCP), a device::Subsystem with two TCP
// ports and one namespace, and a host::Host whose controllers are started through
// NvmeCtrl::start_connect with the connector sim/world/world.cpp uses.
//
// Link faults: the harness stands in for Link::go_down()/go_up() (written when those crashed on a
// null SimGrid handle, see GoDownWithANullHandle below): `silent_loss` closes
// every association on the link without telling either end (capsules are lost, as on a dead link)
// and `reset_loss` closes them and calls both ends' on_transport_error at once, exactly what
// go_down(true) does. While a link is marked down the connector refuses (ENETUNREACH).
#include <gtest/gtest.h>

#include "small_world.hpp"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "device/controller.hpp"
#include "device/subsystem.hpp"
#include "host/block.hpp"
#include "host/core.hpp"
#include "host/host.hpp"
#include "host/multipath.hpp"
#include "host/nvme.hpp"
#include "sim/engine/calendar.hpp"
#include "sim/engine/engine.hpp"
#include "sim/events.hpp"
#include "sim/fabric/link.hpp"
#include "sim/fabric/transport.hpp"
#include "sim/nvme/nvme.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/time.hpp"
#include "ctrl_states.hpp"

namespace host {
namespace {

using namespace host::small_world;


// ---- harness check -----------------------------------------------------------------------------

// A link built on LinkHandle(nullptr) (no SimGrid platform, as in these tests) can go down and up:
// go_down()/go_up() once called into the null handle and crashed.
TEST(HostRecoveryHarness, GoDownWithANullHandle) {
  World w;
  w.links[0]->go_down(true);
  EXPECT_FALSE(w.links[0]->is_up());
  w.links[0]->go_up();
  EXPECT_TRUE(w.links[0]->is_up());
}

TEST(HostRecoveryHarness, ConnectBringsTheControllerLive) {
  World w;
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  ASSERT_NE(w.head(), nullptr);
  EXPECT_EQ(w.head()->list.size(), 1u);
  EXPECT_TRUE(w.head()->disk_live);
  const auto ch = w.changes_of(c);
  ASSERT_EQ(ch.size(), 2u);
  EXPECT_EQ(ch[0].to, "connecting");
  EXPECT_EQ(ch[1].to, "live");
  EXPECT_EQ(w.dev_of(c)->state(), device::CtrlState::Enabled);
}

// ---- 1. reconnect limit ------------------------------------------------------------------------

int max_reconnects_for(std::optional<Time> loss, Time delay) {
  sim::engine::Calendar cal;
  sim::events::Bus bus;
  sim::fabric::Link link("l", cal, sim::engine::LinkHandle(nullptr),
                         sim::fabric::transport_defaults(Transport::Tcp));
  sim::scenario::Host h;
  h.name = "h1";
  Host host(h, cal, bus);
  CtrlOptions o;
  o.nvme.ctrl_loss_tmo = loss;
  o.nvme.reconnect_delay = delay;
  return host.add_ctrl(o, link, Transport::Tcp)->max_reconnects();
}

TEST(HostRecoveryReconnect, MaxReconnectsIsTheCeilingOfLossOverDelay) {
  EXPECT_EQ(max_reconnects_for(600 * kSecond, 10 * kSecond), 60);
  EXPECT_EQ(max_reconnects_for(25 * kSecond, 10 * kSecond), 3);
  EXPECT_EQ(max_reconnects_for(20 * kSecond, 10 * kSecond), 2);
  EXPECT_EQ(max_reconnects_for(5 * kSecond, 10 * kSecond), 1);
  EXPECT_EQ(max_reconnects_for(601 * kSecond, 10 * kSecond), 61);
  EXPECT_EQ(max_reconnects_for(std::nullopt, 10 * kSecond), -1);
}

// ctrl_loss_tmo 25 s / reconnect_delay 10 s: three attempts at t0 + 10, 20, 30 s, each failing at
// once (link down), then DELETING -> DELETING_NOIO and the controller is gone.
TEST(HostRecoveryReconnect, GivesUpAfterMaxReconnectsAndIsRemoved) {
  WorldCfg cfg;
  cfg.nvme.ctrl_loss_tmo = 25 * kSecond;
  cfg.nvme.reconnect_delay = 10 * kSecond;
  World w(cfg);
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  NvmeSubsystem* s = c->subsys();
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->ctrls.size(), 1u);
  const Time t0 = 1 * kSecond;
  w.run_until(t0);
  w.reset_loss(0);
  EXPECT_EQ(c->state(), CtrlState::Resetting);
  w.run_until(t0);
  EXPECT_EQ(c->state(), CtrlState::Connecting);
  w.run_until(t0 + 30 * kSecond - 1);
  EXPECT_EQ(c->state(), CtrlState::Connecting);
  EXPECT_EQ(w.attempts.size(), 2u);
  w.run_until(t0 + 40 * kSecond);
  ASSERT_EQ(w.attempts.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(w.attempts[i].t, t0 + (i + 1) * 10 * kSecond);
    EXPECT_EQ(w.attempts[i].attempt, i + 1);
    EXPECT_EQ(w.attempts[i].max, 3);
  }
  EXPECT_EQ(w.when(c, "deleting"), t0 + 30 * kSecond);
  EXPECT_EQ(w.when(c, "deleting (no IO)"), t0 + 30 * kSecond);
  EXPECT_TRUE(c->removed());
  EXPECT_EQ(c->state(), CtrlState::DeletingNoIo);
  EXPECT_TRUE(s->ctrls.empty());
  EXPECT_TRUE(w.head()->list.empty());
  EXPECT_FALSE(w.head()->disk_live);
  // Nothing more happens after removal, even once the link is back.
  w.restore(0);
  const std::size_t nstates = w.states.size();
  w.run_until(t0 + 200 * kSecond);
  EXPECT_EQ(w.attempts.size(), 3u);
  EXPECT_EQ(w.states.size(), nstates);
}

// ---- 2. keep-alive -----------------------------------------------------------------------------

// 6.12, KATO 5 s: keep-alive starts at identify and is due one period after nvme_init_ctrl (t=0),
// so Keep Alives go out at exactly 2.5 s, 5 s, 7.5 s, ... and the target never expires.
TEST(HostRecoveryKeepAlive, EveryHalfKatoOn612AndTheTargetStaysAlive) {
  World w;
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  const std::uint64_t base = w.host_capsules(0);
  w.run_until(2500 * kMillisecond - 1);
  EXPECT_EQ(w.host_capsules(0) - base, 0u);
  w.run_until(2500 * kMillisecond);
  EXPECT_EQ(w.host_capsules(0) - base, 1u);
  w.run_until(5000 * kMillisecond - 1);
  EXPECT_EQ(w.host_capsules(0) - base, 1u);
  w.run_until(5000 * kMillisecond);
  EXPECT_EQ(w.host_capsules(0) - base, 2u);
  w.run_until(60 * kSecond);
  EXPECT_EQ(w.host_capsules(0) - base, 24u);  // 2.5 s .. 60 s
  EXPECT_EQ(w.dev_of(c)->state(), device::CtrlState::Enabled);
  EXPECT_EQ(w.dev_of(c)->kato(), 5 * kSecond);  // Connect KATO = kato x 1000 ms, no grace on 6.12
  EXPECT_EQ(c->state(), CtrlState::Live);
}

// 6.1: keep-alive starts in nvme_start_ctrl, the first one a full period after LIVE.
TEST(HostRecoveryKeepAlive, FirstKeepAliveOnePeriodAfterLiveOn61) {
  WorldCfg cfg;
  cfg.kernel = KernelProfile::K6_1;
  World w(cfg);
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  const Time live = w.when(c, "live");
  ASSERT_GT(live, 0);
  const std::uint64_t base = w.host_capsules(0);
  w.run_until(live + 2500 * kMillisecond - 1);
  EXPECT_EQ(w.host_capsules(0) - base, 0u);
  w.run_until(live + 2500 * kMillisecond);
  EXPECT_EQ(w.host_capsules(0) - base, 1u);
  w.run_until(live + 5000 * kMillisecond - 1);
  EXPECT_EQ(w.host_capsules(0) - base, 1u);
  w.run_until(live + 5000 * kMillisecond);
  EXPECT_EQ(w.host_capsules(0) - base, 2u);
  w.run_until(60 * kSecond);
  EXPECT_EQ(w.dev_of(c)->state(), device::CtrlState::Enabled);
}

// TBKAS: the period is KATO/4 and a check that saw completions sends nothing. With I/O every
// 100 ms until 9.5 s no Keep Alive is sent at all; the check at 10 s still saw completions, the one
// at 11.25 s did not, so Keep Alives go out at 11.25 s, 12.5 s, ...
TEST(HostRecoveryKeepAlive, TrafficBasedKeepAliveSkipsAndUsesQuarterKato) {
  WorldCfg cfg;
  cfg.tbkas = true;
  World w(cfg);
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  BlockDevice* dev = w.host->find_device("nvme0n1");
  ASSERT_NE(dev, nullptr);
  Owner owner(w.cal);
  owner.on_done = [&](Bio*) {
    if (w.cal.now() < 9500 * kMillisecond) w.cal.call_in(100 * kMillisecond, [&]() { w.submit(dev, owner); });
  };
  const std::uint64_t base = w.host_capsules(0);
  const std::size_t ios = w.issued.size();
  auto kas = [&]() { return w.host_capsules(0) - base - (w.issued.size() - ios); };
  w.submit(dev, owner);
  w.run_until(11250 * kMillisecond - 1);
  EXPECT_GT(owner.done.size(), 90u);
  EXPECT_EQ(kas(), 0u);
  EXPECT_EQ(w.dev_of(c)->state(), device::CtrlState::Enabled);
  w.run_until(11250 * kMillisecond);
  EXPECT_EQ(kas(), 1u);
  w.run_until(12500 * kMillisecond - 1);
  EXPECT_EQ(kas(), 1u);
  w.run_until(12500 * kMillisecond);
  EXPECT_EQ(kas(), 2u);
  w.run_until(20 * kSecond);
  EXPECT_EQ(kas(), 8u);  // 11.25 .. 20 s every 1.25 s
}

// comp_seen only counts requests submitted at or after the last keep-alive check (core.c
// nvme_complete_rq: req->deadline - req->timeout >= ka_last_check_time). A read sent 40 us before
// the 2.5 s Keep Alive and completing after it (~2.50006 s) must not cancel the 3.75 s one.
TEST(HostRecoveryKeepAlive, TbkasIgnoresCompletionsOfRequestsSentBeforeTheLastCheck) {
  WorldCfg cfg;
  cfg.tbkas = true;
  World w(cfg);
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  BlockDevice* dev = w.host->find_device("nvme0n1");
  const std::uint64_t base = w.host_capsules(0);
  auto kas = [&]() { return w.host_capsules(0) - base - w.issued.size(); };
  Owner owner(w.cal);
  w.run_until(2500 * kMillisecond - 40 * kMicrosecond);
  w.submit(dev, owner);
  w.run_until(2500 * kMillisecond + 1 * kMillisecond);
  ASSERT_EQ(owner.done.size(), 1u);
  EXPECT_GT(owner.done[0].t, 2500 * kMillisecond + 22 * kMicrosecond);  // after the KA's reply
  EXPECT_EQ(kas(), 2u);  // 1.25 s, 2.5 s
  w.run_until(3750 * kMillisecond);
  EXPECT_EQ(kas(), 3u) << "the 3.75 s Keep Alive was skipped for a request sent before 2.5 s";
}

// Silent loss at 6.2 s (6.12): the Keep Alive sent at 7.5 s is lost, its KATO deadline 12.5 s is
// handled by the blk-mq timer at the next whole second: error recovery at 13 s, reconnecting
// (CONNECTING) in the same instant.
TEST(HostRecoveryKeepAlive, SilentLossDetectedAtKeepAliveTimeout612) {
  World w;
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  w.run_until(6200 * kMillisecond);
  w.silent_loss(0);
  const Time ka = 7500 * kMillisecond;
  const Time expect = ceil_to_second(ka + 5 * kSecond);
  ASSERT_EQ(expect, 13 * kSecond);
  w.run_until(expect - 1);
  EXPECT_EQ(c->state(), CtrlState::Live);
  w.run_until(expect);
  EXPECT_EQ(w.when(c, "resetting"), expect);
  EXPECT_EQ(w.changes_of(c)[2].reason, "keep-alive timed out");
  EXPECT_EQ(w.when(c, "connecting", 1 * kSecond), expect);
}

// 6.1: the Keep Alive is synchronous, so the recovery work waits for its second expiry: RESETTING
// at the same whole second, CONNECTING one KATO later (profiles.md section 7).
TEST(HostRecoveryKeepAlive, SilentLossOn61WaitsOneMoreKato) {
  WorldCfg cfg;
  cfg.kernel = KernelProfile::K6_1;
  World w(cfg);
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  const Time live = w.when(c, "live");
  w.run_until(6200 * kMillisecond);
  w.silent_loss(0);
  const Time ka = live + 7500 * kMillisecond;  // first Keep Alive after the loss
  const Time reset = ceil_to_second(ka + 5 * kSecond);
  w.run_until(reset + 6 * kSecond);
  EXPECT_EQ(w.when(c, "resetting"), reset);
  EXPECT_EQ(w.when(c, "connecting", 1 * kSecond), reset + 5 * kSecond);
}

// ---- 3. I/O timeout ----------------------------------------------------------------------------

struct TimeoutCase {
  Transport transport;
};

// A read stuck in a hung device controller (KA off) times out at ceil(sent + io_timeout): the
// fabrics host starts error recovery (reconnect one reconnect_delay later), PCIe resets at once.
void io_timeout_case(Transport t) {
  WorldCfg cfg;
  cfg.transport = t;
  cfg.nvme.kato = 0;
  World w(cfg);
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  BlockDevice* dev = w.host->find_device("nvme0n1");
  ASSERT_NE(dev, nullptr);
  w.run_until(1 * kSecond);
  w.sub->ctrl_hang(*w.dev_of(c));
  const Time sent = 1300 * kMillisecond;
  w.run_until(sent);
  Owner owner(w.cal);
  w.submit(dev, owner);
  ASSERT_EQ(w.issued.size(), 1u);
  EXPECT_EQ(w.issued[0].t, sent);
  const Time expect = ceil_to_second(sent + 30 * kSecond);
  ASSERT_EQ(expect, 32 * kSecond);
  w.run_until(expect - 1);
  EXPECT_EQ(c->state(), CtrlState::Live);
  EXPECT_TRUE(owner.done.empty());
  w.run_until(expect);
  EXPECT_EQ(w.when(c, "resetting"), expect);
  EXPECT_EQ(w.changes_of(c)[2].reason, "I/O timeout");
  EXPECT_EQ(w.when(c, "connecting", 1 * kSecond), expect);
  EXPECT_EQ(w.changes_of(c)[3].reason, t == Transport::Pcie ? "reset" : "error recovery");
  // The request was cancelled (0x371) and failed over to the head, where it waits for the path.
  ASSERT_EQ(w.failovers.size(), 1u);
  EXPECT_EQ(w.failovers[0].t, expect);
  EXPECT_EQ(w.failovers[0].status, status::kHostAbortedCmd);
  const Time back = t == Transport::Pcie ? expect : expect + 10 * kSecond;
  w.run_until(back + 10 * kMillisecond);
  EXPECT_EQ(c->state(), CtrlState::Live);
  const Time live = w.when(c, "live", expect);
  EXPECT_GE(live, back);
  EXPECT_LT(live, back + 1 * kMillisecond);
  EXPECT_EQ(w.attempts.size(), t == Transport::Pcie ? 0u : 1u);
  ASSERT_EQ(owner.done.size(), 1u);
  EXPECT_EQ(owner.done[0].status, 0);
}

TEST(HostRecoveryIoTimeout, FabricsStartsErrorRecovery) { io_timeout_case(Transport::Tcp); }
TEST(HostRecoveryIoTimeout, PcieResetsTheController) { io_timeout_case(Transport::Pcie); }

// ---- 4. transport reset ------------------------------------------------------------------------

// A connection reset on path A: its three in-flight multipath reads fail over with 0x371 at that
// instant, A goes LIVE -> RESETTING -> CONNECTING in the same instant, the reads complete on B.
TEST(HostRecoveryTransportReset, MultipathRequestsFailOverAtOnce) {
  World w;
  NvmeCtrl* a = w.connect(0);
  NvmeCtrl* b = w.connect(1);
  bring_up(w, a);
  ASSERT_EQ(b->state(), CtrlState::Live);
  NsHead* head = w.head();
  ASSERT_EQ(head->list.size(), 2u);
  BlockDevice* dev = w.host->find_device("nvme0n1");
  ASSERT_EQ(dev, head);
  const int pa = a->namespaces()[0]->path_id;
  const int pb = b->namespaces()[0]->path_id;
  w.run_until(1 * kSecond);
  Owner owner(w.cal);
  for (int i = 0; i < 3; ++i) w.submit(dev, owner, std::uint64_t(i) * 1 << 20);
  ASSERT_EQ(w.issued.size(), 3u);
  for (const auto& is : w.issued) EXPECT_EQ(is.path, pa);
  const Time tr = 1 * kSecond + 20 * kMicrosecond;  // reads take ~100 us: still in flight
  w.run_until(tr);
  ASSERT_TRUE(owner.done.empty());
  w.reset_loss(0);
  w.run_until(tr);
  ASSERT_EQ(w.failovers.size(), 3u);
  for (const auto& f : w.failovers) {
    EXPECT_EQ(f.t, tr);
    EXPECT_EQ(f.status, status::kHostAbortedCmd);
    EXPECT_EQ(f.path, pa);
    EXPECT_EQ(f.bios, 1u);
    EXPECT_EQ(f.release_at, tr);
  }
  EXPECT_EQ(head->nr_failovers, 3u);
  EXPECT_EQ(w.when(a, "resetting"), tr);
  EXPECT_EQ(w.when(a, "connecting", tr), tr);
  EXPECT_EQ(a->state(), CtrlState::Connecting);
  w.run_until(tr + 1 * kMillisecond);
  ASSERT_EQ(owner.done.size(), 3u);
  for (const auto& d : owner.done) EXPECT_EQ(d.status, 0);
  ASSERT_EQ(w.issued.size(), 6u);
  for (std::size_t i = 3; i < 6; ++i) {
    EXPECT_EQ(w.issued[i].path, pb);
    EXPECT_EQ(w.issued[i].t, tr);
  }
}

// Without multipath the cancelled request is retried on the same controller, which is not ready:
// it is re-run every 3 ms (BLK_STS_RESOURCE) and goes out at the first re-run after the reconnect.
TEST(HostRecoveryTransportReset, NonMultipathRequestWaitsForTheReconnect) {
  WorldCfg cfg;
  cfg.multipath = sim::scenario::Multipath::Off;
  World w(cfg);
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  BlockDevice* dev = w.host->find_device("nvme0n1");
  ASSERT_NE(dev, nullptr);
  ASSERT_EQ(dev, c->namespaces()[0]);
  w.run_until(1 * kSecond);
  Owner owner(w.cal);
  w.submit(dev, owner);
  const Time tr = 1 * kSecond + 20 * kMicrosecond;
  w.run_until(tr);
  w.reset_loss(0);
  w.run_until(tr);
  EXPECT_EQ(c->state(), CtrlState::Connecting);
  EXPECT_TRUE(w.failovers.empty());
  ASSERT_EQ(w.completed.size(), 1u);
  EXPECT_EQ(w.completed[0].status, status::kHostAbortedCmd);
  w.run_until(tr + 5 * kSecond);
  w.restore(0);
  w.run_until(tr + 10 * kSecond - 1);
  EXPECT_TRUE(owner.done.empty());
  EXPECT_EQ(w.issued.size(), 1u);
  w.run_until(tr + 10 * kSecond + 10 * kMillisecond);
  const Time live = w.when(c, "live", tr);
  ASSERT_GE(live, tr + 10 * kSecond);
  const Time rerun = tr + (live - tr + 3 * kMillisecond - 1) / (3 * kMillisecond) * (3 * kMillisecond);
  ASSERT_EQ(w.issued.size(), 2u);
  EXPECT_EQ(w.issued[1].t, rerun);
  ASSERT_EQ(owner.done.size(), 1u);
  EXPECT_EQ(owner.done[0].status, 0);
  EXPECT_EQ(w.completed.size(), 2u);
}

// ---- 5. fast_io_fail_tmo -----------------------------------------------------------------------

// fast_io_fail_tmo 5 s: FAILFAST_EXPIRED exactly 5 s after RESETTING -> CONNECTING; the waiting
// non-multipath request fails at its next 3 ms re-run (t + 5.001 s) after max_retries immediate
// retries with HOST_PATH_ERROR; the flag clears when the controller reconnects.
TEST(HostRecoveryFastIoFail, ExpiresFailsNonMultipathIoAndClearsOnReconnect) {
  WorldCfg cfg;
  cfg.multipath = sim::scenario::Multipath::Off;
  cfg.nvme.fast_io_fail_tmo = 5 * kSecond;
  World w(cfg);
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  BlockDevice* dev = w.host->find_device("nvme0n1");
  w.run_until(1 * kSecond);
  Owner owner(w.cal);
  w.submit(dev, owner);
  const Time tr = 1 * kSecond + 20 * kMicrosecond;
  w.run_until(tr);
  w.reset_loss(0);
  w.run_until(tr);
  ASSERT_EQ(w.when(c, "connecting", tr), tr);
  w.run_until(tr + 5 * kSecond - 1);
  EXPECT_FALSE(c->failfast_expired);
  EXPECT_TRUE(owner.done.empty());
  w.run_until(tr + 5 * kSecond);
  EXPECT_TRUE(c->failfast_expired);
  const Time fail_at = tr + 1667 * 3 * kMillisecond;  // first 3 ms re-run after the expiry
  w.run_until(fail_at - 1);
  EXPECT_TRUE(owner.done.empty());
  w.run_until(fail_at);
  ASSERT_EQ(owner.done.size(), 1u);
  EXPECT_EQ(owner.done[0].status, status::kHostPathError);
  EXPECT_EQ(owner.done[0].t, fail_at);
  // One cancellation, then HOST_PATH_ERROR until retries reach max_retries (5).
  int aborted = 0, path_errors = 0;
  for (const auto& d : w.completed) {
    if (d.status == status::kHostAbortedCmd) ++aborted;
    if (d.status == status::kHostPathError) {
      ++path_errors;
      EXPECT_EQ(d.t, fail_at);
    }
  }
  EXPECT_EQ(aborted, 1);
  EXPECT_EQ(path_errors, 5);
  // New I/O fails at once while expired.
  Owner owner2(w.cal);
  w.submit(dev, owner2);
  w.run_until(fail_at + 1 * kMillisecond);
  ASSERT_EQ(owner2.done.size(), 1u);
  EXPECT_EQ(owner2.done[0].status, status::kHostPathError);
  w.restore(0);
  w.run_until(tr + 10 * kSecond + 10 * kMillisecond);
  EXPECT_EQ(c->state(), CtrlState::Live);
  EXPECT_FALSE(c->failfast_expired);
}

// ---- 6. DNR on reconnect -----------------------------------------------------------------------

// The target rejects the reconnect's admin Connect with DNR: 6.12 deletes the controller after
// that first attempt; 6.1 keeps trying every reconnect_delay until ctrl_loss_tmo.
TEST(HostRecoveryDnr, Deletes612AfterTheFirstRejectedConnect) {
  WorldCfg cfg;
  cfg.nvme.ctrl_loss_tmo = 30 * kSecond;
  World w(cfg);
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  const Time tr = 1 * kSecond;
  w.run_until(tr);
  w.reset_loss(0);
  w.restore(0);
  w.reject_connect = true;
  w.run_until(tr + 10 * kSecond + 1 * kMillisecond);
  ASSERT_EQ(w.attempts.size(), 1u);
  EXPECT_EQ(w.attempts[0].t, tr + 10 * kSecond);
  EXPECT_TRUE(c->removed());
  EXPECT_EQ(c->nr_reconnects(), 1);
  const Time del = w.when(c, "deleting");
  EXPECT_GT(del, tr + 10 * kSecond);
  EXPECT_LT(del, tr + 10 * kSecond + 100 * kMicrosecond);
  EXPECT_EQ(w.changes_of(c).back().to, "deleting (no IO)");
  EXPECT_TRUE(w.head()->list.empty());
  w.run_until(tr + 60 * kSecond);
  EXPECT_EQ(w.attempts.size(), 1u);
}

TEST(HostRecoveryDnr, KeepsRetryingOn61) {
  WorldCfg cfg;
  cfg.kernel = KernelProfile::K6_1;
  cfg.nvme.ctrl_loss_tmo = 30 * kSecond;
  World w(cfg);
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  const Time tr = 1 * kSecond;
  w.run_until(tr);
  w.reset_loss(0);
  w.restore(0);
  w.reject_connect = true;
  w.run_until(tr + 30 * kSecond - 1);
  EXPECT_EQ(w.attempts.size(), 2u);
  EXPECT_EQ(c->state(), CtrlState::Connecting);
  EXPECT_FALSE(c->removed());
  w.run_until(tr + 31 * kSecond);
  ASSERT_EQ(w.attempts.size(), 3u);
  // Each failed attempt (rejected one Connect round trip `rt` after it started) schedules the
  // next one reconnect_delay later; the third failure removes the controller.
  EXPECT_EQ(w.attempts[0].t, tr + 10 * kSecond);
  const Time rt = w.attempts[1].t - w.attempts[0].t - 10 * kSecond;
  EXPECT_GT(rt, 0);
  EXPECT_LT(rt, 100 * kMicrosecond);
  EXPECT_EQ(w.attempts[2].t, w.attempts[1].t + 10 * kSecond + rt);
  EXPECT_TRUE(c->removed());
  EXPECT_EQ(w.when(c, "deleting"), w.attempts[2].t + rt);
}

// A controller reset (nvme_reset_ctrl: ANATT expiry, sysfs reset) whose immediate setup fails
// counts as a reconnect attempt (tcp.c nvme_reset_ctrl_work: out_fail: ++nr_reconnects), whatever
// step failed. 6.1 (DNR does not stop it), ctrl_loss_tmo 20 s / 10 s = 2: the failed reset is
// attempt 1, the reconnect 10 s later is attempt 2, and its failure removes the controller.
TEST(HostRecoveryDnr, FailedResetSetupCountsAsAReconnectAttempt) {
  WorldCfg cfg;
  cfg.kernel = KernelProfile::K6_1;
  cfg.nvme.ctrl_loss_tmo = 20 * kSecond;
  World w(cfg);
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  const Time tr = 1 * kSecond;
  w.run_until(tr);
  w.reject_connect = true;
  ASSERT_TRUE(c->nvme_reset_ctrl("test reset"));
  w.run_until(tr + 1 * kMillisecond);
  EXPECT_EQ(c->state(), CtrlState::Connecting);
  EXPECT_EQ(c->nr_reconnects(), 1) << "the failed reset setup was not counted";
  w.run_until(tr + 60 * kSecond);
  ASSERT_EQ(w.attempts.size(), 1u);
  EXPECT_EQ(w.attempts[0].attempt, 2);
  EXPECT_TRUE(c->removed());
  EXPECT_LT(w.when(c, "deleting"), tr + 11 * kSecond);
}

// ---- 7. nvme disconnect with I/O in flight ------------------------------------------------------

// Deleting A while three reads are in flight on it: A's path leaves head->list and no cursor points
// at it from the start of the deletion, the reads complete normally (no failover), new I/O goes to
// B, and A's device controller receives the CC.SHN Property Set before the association closes.
TEST(HostRecoveryDelete, InFlightIoCompletesAndTheControllerIsShutDown) {
  World w;
  NvmeCtrl* a = w.connect(0);
  NvmeCtrl* b = w.connect(1);
  bring_up(w, a);
  NsHead* head = w.head();
  ASSERT_EQ(head->list.size(), 2u);
  NvmeNs* na = a->namespaces()[0];
  NvmeNs* nb = b->namespaces()[0];
  ASSERT_EQ(head->current_path[0], na);
  device::Controller* da = w.dev_of(a);
  w.run_until(1 * kSecond);
  Owner owner(w.cal);
  for (int i = 0; i < 3; ++i) w.submit(head, owner, std::uint64_t(i) << 20);
  const Time td = 1 * kSecond + 20 * kMicrosecond;
  w.run_until(td);
  ASSERT_TRUE(owner.done.empty());
  ASSERT_TRUE(a->nvme_delete_ctrl("nvme disconnect"));
  EXPECT_EQ(a->state(), CtrlState::Deleting);
  w.run_until(td);
  EXPECT_EQ(a->state(), CtrlState::DeletingNoIo);
  ASSERT_EQ(head->list.size(), 1u);
  EXPECT_EQ(head->list[0], nb);
  for (NvmeNs* cur : head->current_path) EXPECT_NE(cur, na);
  EXPECT_FALSE(a->removed());  // waits for its in-flight reads
  w.submit(head, owner, 8u << 20);
  ASSERT_EQ(w.issued.size(), 4u);
  EXPECT_EQ(w.issued[3].path, nb->path_id);
  for (NvmeNs* cur : head->current_path) EXPECT_NE(cur, na);
  w.run_until(td + 10 * kMillisecond);
  ASSERT_EQ(owner.done.size(), 4u);
  for (const auto& d : owner.done) EXPECT_EQ(d.status, 0);
  EXPECT_TRUE(w.failovers.empty());
  EXPECT_EQ(head->nr_failovers, 0u);
  EXPECT_TRUE(a->removed());
  EXPECT_EQ(a->subsys()->ctrls.size(), 1u);
  EXPECT_TRUE(da->shut_down()) << "the CC.SHN Property Set never reached the device controller";
  EXPECT_EQ(b->state(), CtrlState::Live);
}

// ---- 8. ANATT ----------------------------------------------------------------------------------

// Group 1 left in CHANGE through port 1: the controller is reset 2 x ANATT (2 x 10 s) after the
// jiffy of the log read that showed it; a second read still in CHANGE pushes the timer out; a read without
// CHANGE cancels it.
TEST(HostRecoveryAnatt, ChangeResetsAfterTwiceAnattAndIsPushedOutOrCancelled) {
  World w;
  NvmeCtrl* c = w.connect(0);
  bring_up(w, c);
  EXPECT_EQ(c->id().anatt_s, 10);
  std::vector<Time> changes;
  w.host->on_path_state = [&](NvmeNs* ns) {
    if (ns->ana_state == sim::nvme::AnaState::Change) changes.push_back(w.cal.now());
  };
  const Time t1 = 1 * kSecond;
  w.run_until(t1);
  w.sub->ana_change(1, 1, sim::nvme::AnaState::Change, false, false);
  c->queue_ana_work();
  w.run_until(t1 + 1 * kMillisecond);
  ASSERT_EQ(changes.size(), 1u);
  const Time read1 = changes[0];
  const Time delta = read1 - t1;  // round trip of the log read
  ASSERT_GT(delta, 0);
  // A second read 5 s later, still in CHANGE: the timer now runs from it.
  const Time t2 = 6 * kSecond;
  w.run_until(t2);
  c->queue_ana_work();
  w.run_until(read1 + 20 * kSecond);
  EXPECT_EQ(c->state(), CtrlState::Live) << "the second read did not push the ANATT timer out";
  // mod_timer counts from the jiffy of the read (HZ 1000): the expiry is a whole millisecond.
  const Time read2 = t2 + delta;
  const Time reset = read2 - read2 % kMillisecond + 20 * kSecond;
  w.run_until(reset - 1);
  EXPECT_EQ(w.when(c, "resetting"), -1);
  w.run_until(reset);
  EXPECT_EQ(w.when(c, "resetting"), reset);
  EXPECT_EQ(w.changes_of(c)[2].reason, "ANATT timeout");
  // The reset reconnects at once and reads the log again (still CHANGE): back to LIVE.
  w.run_until(reset + 10 * kMillisecond);
  EXPECT_EQ(c->state(), CtrlState::Live);
  // Leave CHANGE and read: the timer armed by the reconnect's read is cancelled.
  const Time t3 = reset + 1 * kSecond;
  w.run_until(t3);
  w.sub->ana_change(1, 1, sim::nvme::AnaState::Optimized, false, false);
  c->queue_ana_work();
  w.run_until(reset + 60 * kSecond);
  EXPECT_EQ(w.changes_of(c).size(), 5u);  // connecting, live, resetting, connecting, live
  EXPECT_EQ(c->namespaces()[0]->ana_state, sim::nvme::AnaState::Optimized);
}

// ---- 9. 4.15 state machine ---------------------------------------------------------------------

using test_support::allowed_6x;
using test_support::path_to;

void check_state_table(KernelProfile k) {
  constexpr CtrlState kAll[] = {CtrlState::New,      CtrlState::Live,         CtrlState::Resetting,
                                CtrlState::Connecting, CtrlState::Deleting, CtrlState::DeletingNoIo,
                                CtrlState::Dead};
  sim::engine::Calendar cal;
  sim::events::Bus bus;
  sim::fabric::Link link("l", cal, sim::engine::LinkHandle(nullptr),
                         sim::fabric::transport_defaults(Transport::Tcp));
  sim::scenario::Host h;
  h.name = "h1";
  h.kernel = k;
  Host host(h, cal, bus);
  for (CtrlState from : kAll) {
    for (CtrlState to : kAll) {
      NvmeCtrl* c = host.add_ctrl(CtrlOptions{}, link, Transport::Tcp);
      for (CtrlState step : path_to(from)) ASSERT_TRUE(c->nvme_change_ctrl_state(step, "setup"));
      const bool extra = k == KernelProfile::K4_15 && to == CtrlState::Live &&
                         (from == CtrlState::New || from == CtrlState::Resetting);
      const bool expect = allowed_6x(from, to) || extra;
      EXPECT_EQ(c->nvme_change_ctrl_state(to, "probe"), expect)
          << sim::scenario::to_string(k) << ": " << to_string(from) << " -> " << to_string(to);
      EXPECT_EQ(c->state(), expect ? to : from);
    }
  }
}

TEST(HostRecoveryStateMachine, LiveFollowsNewAndResettingOn415) { check_state_table(KernelProfile::K4_15); }
TEST(HostRecoveryStateMachine, SixXRefusesLiveFromNewOrResetting) {
  check_state_table(KernelProfile::K6_12);
  check_state_table(KernelProfile::K6_1);
}

// ---- 10. set_iopolicy ----------------------------------------------------------------------------

void iopolicy_case(KernelProfile k, bool clears) {
  WorldCfg cfg;
  cfg.kernel = k;
  World w(cfg);
  NvmeCtrl* a = w.connect(0);
  w.connect(1);
  bring_up(w, a);
  NsHead* head = w.head();
  ASSERT_EQ(head->current_path.size(), 1u);
  NvmeNs* cur = head->current_path[0];
  ASSERT_EQ(cur, a->namespaces()[0]);
  EXPECT_FALSE(w.host->set_iopolicy("nqn.2024-01.io.nvmsim:other", sim::scenario::IoPolicy::RoundRobin));
  EXPECT_EQ(head->current_path[0], cur);
  ASSERT_TRUE(w.host->set_iopolicy(kNqn, sim::scenario::IoPolicy::RoundRobin));
  EXPECT_EQ(head->subsys->iopolicy, sim::scenario::IoPolicy::RoundRobin);
  EXPECT_EQ(head->current_path[0], clears ? nullptr : cur);
  w.run_until(20 * kMillisecond);
  EXPECT_EQ(head->current_path[0], clears ? nullptr : cur);
}

TEST(HostRecoveryIoPolicy, ChangeClearsCursorsOn612) { iopolicy_case(KernelProfile::K6_12, true); }
TEST(HostRecoveryIoPolicy, ChangeLeavesCursorsOn61) { iopolicy_case(KernelProfile::K6_1, false); }

}  // namespace
}  // namespace host
