// Bug-pattern variants (hosts[].variant, host/variants.hpp, docs/bug-pattern-variants.md): for each
// variant, the same small world is run with mainline (no variant) and with the variant, and the test
// shows the observable that differs (bios still parked, a double completion, an application error
// although another path exists, a controller reset, a longer stall, I/O on a removed path, a
// HostBlocked wait...). The world harness is tests/unit/small_world.hpp.
#include <gtest/gtest.h>

#include "small_world.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
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
#include "host/variants.hpp"
#include "sim/engine/calendar.hpp"
#include "sim/engine/engine.hpp"
#include "sim/events.hpp"
#include "sim/fabric/link.hpp"
#include "sim/fabric/transport.hpp"
#include "sim/nvme/nvme.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/time.hpp"

namespace host {
namespace {

using namespace host::small_world;


// ---- helpers -----------------------------------------------------------------------------------

WorldCfg with(std::vector<std::string> v, WorldCfg c = {}) {
  c.variant = std::move(v);
  return c;
}

// Two controllers (links 0 and 1) live; returns {a, b}.
std::pair<NvmeCtrl*, NvmeCtrl*> two_paths(World& w) {
  NvmeCtrl* a = w.connect(0);
  NvmeCtrl* b = w.connect(1);
  w.run_until(10 * kMillisecond);
  EXPECT_EQ(a->state(), CtrlState::Live);
  EXPECT_EQ(b->state(), CtrlState::Live);
  return {a, b};
}

void ana(World& w, int port, AnaState st) { w.sub->ana_change(port, 1, st, false, true); }

// ---- catalogue and config ------------------------------------------------------------------------

TEST(HostVariants, BuiltFromTheConfigList) {
  const Variants v = variants_from({"BP-02", "BP-21"});
  EXPECT_TRUE(v.bp02);
  EXPECT_TRUE(v.bp21);
  EXPECT_FALSE(v.bp03);
  EXPECT_TRUE(v.any());
  EXPECT_FALSE(variants_from({}).any());
  EXPECT_TRUE(is_mainline_property("BP-01"));
  EXPECT_TRUE(is_mainline_property("BP-18"));
  EXPECT_TRUE(is_mainline_property("BP-19"));
  EXPECT_FALSE(is_mainline_property("BP-02"));
  EXPECT_EQ(variant_catalogue().size(), 18u);
  World w(with({"BP-13"}));
  EXPECT_TRUE(w.host->variants().bp13);
  EXPECT_EQ(w.host->blocked_since(), -1);
}

// ---- BP-02: set_live does not kick ---------------------------------------------------------------

// One path goes inaccessible (AEN), a bio parks, the path comes back optimized (AEN): mainline's
// nvme_mpath_set_live kicks the parked bio; with BP-02 it stays parked.
void bp02_case(bool variant) {
  World w(with(variant ? std::vector<std::string>{"BP-02"} : std::vector<std::string>{}));
  NvmeCtrl* a = w.connect(0);
  bring_up(w, a);
  ana(w, 1, AnaState::Inaccessible);
  w.run_until(20 * kMillisecond);
  ASSERT_EQ(a->namespaces()[0]->ana_state, AnaState::Inaccessible);
  Owner owner(w.cal);
  w.submit(w.head(), owner);
  EXPECT_EQ(w.head()->requeue_list.count, 1u);
  ana(w, 1, AnaState::Optimized);
  w.run_until(1 * kSecond);
  ASSERT_EQ(a->namespaces()[0]->ana_state, AnaState::Optimized);
  if (variant) {
    EXPECT_TRUE(owner.done.empty());
    EXPECT_EQ(w.head()->requeue_list.count, 1u);
  } else {
    ASSERT_EQ(owner.done.size(), 1u);
    EXPECT_EQ(owner.done[0].status, 0);
  }
}
TEST(HostVariantBp02, Mainline) { bp02_case(false); }
TEST(HostVariantBp02, ParkedBioStaysParkedAfterThePathCameBack) { bp02_case(true); }

// ---- BP-03: only inaccessible paths left, head removed without a kick -----------------------------

void bp03_case(bool variant) {
  World w(with(variant ? std::vector<std::string>{"BP-03"} : std::vector<std::string>{}));
  two_paths(w);
  ana(w, 2, AnaState::Inaccessible);
  w.run_until(20 * kMillisecond);
  w.sub->ns_detach(1, 1);  // the usable path goes first
  w.run_until(30 * kMillisecond);
  ASSERT_EQ(w.head()->list.size(), 1u);
  Owner owner(w.cal);
  w.submit(w.head(), owner);
  EXPECT_EQ(w.head()->requeue_list.count, 1u);  // parked in both: the inaccessible path's ctrl is LIVE
  w.sub->ns_detach(1, 2);
  w.run_until(1 * kSecond);
  ASSERT_TRUE(w.head()->list.empty());
  EXPECT_FALSE(w.head()->disk_live);
  if (variant) {
    EXPECT_TRUE(owner.done.empty());
    EXPECT_EQ(w.head()->requeue_list.count, 1u);
  } else {
    ASSERT_EQ(owner.done.size(), 1u);
    EXPECT_EQ(owner.done[0].status, status::kHostPathError);
  }
}
TEST(HostVariantBp03, Mainline) { bp03_case(false); }
TEST(HostVariantBp03, ParkedBioHangsAfterTheLastInaccessiblePathIsRemoved) { bp03_case(true); }

// ---- BP-04 / BP-17: a lone path is lost ----------------------------------------------------------

struct LossResult {
  std::vector<Owner::Done> done;
  CtrlState state;
  Time blocked;
};
LossResult lone_path_loss(std::vector<std::string> v, WorldCfg cfg, Time until) {
  cfg.variant = std::move(v);
  World w(cfg);
  NvmeCtrl* a = w.connect(0);
  w.run_until(10 * kMillisecond);
  w.run_until(1 * kSecond);
  w.reset_loss(0);
  w.run_until(2 * kSecond);
  Owner owner(w.cal);
  w.submit(w.head(), owner);
  w.run_until(until);
  return {owner.done, a->state(), w.host->blocked_since()};
}

WorldCfg loss_cfg() {
  WorldCfg c;
  c.nvme.ctrl_loss_tmo = 20 * kSecond;
  c.nvme.reconnect_delay = 10 * kSecond;
  return c;
}

// Mainline: at ctrl_loss_tmo (two failed attempts at 11 s and 21 s) the controller is deleted, the
// kick before namespace removal fails the parked bio. BP-04: no kick, the bio stays parked while the
// head lists the DELETING controller's path, and the removal waits for it: DELETING forever.
TEST(HostVariantBp04, Mainline) {
  const auto r = lone_path_loss({}, loss_cfg(), 60 * kSecond);
  ASSERT_EQ(r.done.size(), 1u);
  EXPECT_EQ(r.done[0].t, 21 * kSecond);
  EXPECT_EQ(r.done[0].status, status::kHostPathError);
  EXPECT_EQ(r.state, CtrlState::DeletingNoIo);
  EXPECT_EQ(r.blocked, -1);
}
TEST(HostVariantBp04, BioParksForeverWithOnlyADeletingController) {
  const auto r = lone_path_loss({"BP-04"}, loss_cfg(), 60 * kSecond);
  EXPECT_TRUE(r.done.empty());
  EXPECT_EQ(r.state, CtrlState::Deleting);
  EXPECT_EQ(r.blocked, 21 * kSecond);
}

// fast_io_fail_tmo 5 s: mainline fails the parked bio at 1 s + 5 s; BP-17 waits for ctrl_loss_tmo.
TEST(HostVariantBp17, FastFailIgnoredBioWaitsForCtrlLossTmo) {
  WorldCfg c = loss_cfg();
  c.nvme.fast_io_fail_tmo = 5 * kSecond;
  const auto m = lone_path_loss({}, c, 60 * kSecond);
  ASSERT_EQ(m.done.size(), 1u);
  EXPECT_EQ(m.done[0].t, 6 * kSecond);
  const auto v = lone_path_loss({"BP-17"}, c, 60 * kSecond);
  ASSERT_EQ(v.done.size(), 1u);
  EXPECT_EQ(v.done[0].t, 21 * kSecond);
  EXPECT_EQ(v.done[0].status, status::kHostPathError);
}

// BP-10: the parked bio is dispatched at the reconnect's identify, while CONNECTING, to a
// controller whose I/O queues are not connected; the reconnect waits for it: never LIVE again.
TEST(HostVariantBp10, Mainline) {
  WorldCfg c;
  const auto r = lone_path_loss({}, c, 30 * kSecond);
  EXPECT_EQ(r.state, CtrlState::Connecting);  // the link stays down in lone_path_loss
}
void bp10_case(bool variant) {
  World w(with(variant ? std::vector<std::string>{"BP-10"} : std::vector<std::string>{}));
  NvmeCtrl* a = w.connect(0);
  bring_up(w, a);
  w.run_until(1 * kSecond);
  w.reset_loss(0);
  Owner owner(w.cal);
  w.run_until(2 * kSecond);
  w.submit(w.head(), owner);
  w.restore(0);
  w.run_until(30 * kSecond);
  if (variant) {
    EXPECT_EQ(a->state(), CtrlState::Connecting);
    EXPECT_TRUE(owner.done.empty());
    EXPECT_GE(w.host->blocked_since(), 11 * kSecond);
    EXPECT_LT(w.host->blocked_since(), 11 * kSecond + 10 * kMillisecond);
  } else {
    EXPECT_EQ(a->state(), CtrlState::Live);
    ASSERT_EQ(owner.done.size(), 1u);
    EXPECT_EQ(owner.done[0].status, 0);
    EXPECT_EQ(w.host->blocked_since(), -1);
  }
}
TEST(HostVariantBp10, MainlineReconnects) { bp10_case(false); }
TEST(HostVariantBp10, IoDispatchedWhileConnectingHangsTheReconnect) { bp10_case(true); }

// BP-20 (non-ANA subsystem: only the LIVE kick restarts parked bios after a reconnect).
void bp20_case(bool variant) {
  WorldCfg c;
  c.ana = false;
  c.variant = variant ? std::vector<std::string>{"BP-20"} : std::vector<std::string>{};
  World w(c);
  NvmeCtrl* a = w.connect(0);
  bring_up(w, a);
  w.run_until(1 * kSecond);
  w.reset_loss(0);
  Owner owner(w.cal);
  w.run_until(2 * kSecond);
  w.submit(w.head(), owner);
  w.restore(0);
  w.run_until(30 * kSecond);
  EXPECT_EQ(a->state(), CtrlState::Live);
  if (variant) {
    EXPECT_TRUE(owner.done.empty());
    EXPECT_EQ(w.head()->requeue_list.count, 1u);
  } else {
    ASSERT_EQ(owner.done.size(), 1u);
    EXPECT_EQ(owner.done[0].status, 0);
  }
}
TEST(HostVariantBp20, Mainline) { bp20_case(false); }
TEST(HostVariantBp20, ParkedBioNotResubmittedAfterReconnect) { bp20_case(true); }

// ---- BP-05: ANA_PENDING never cleared --------------------------------------------------------------

void bp05_case(bool variant) {
  World w(with(variant ? std::vector<std::string>{"BP-05"} : std::vector<std::string>{}));
  NvmeCtrl* a = w.connect(0);
  bring_up(w, a);
  w.sub->inject_status({1, sim::nvme::io_opc::kRead, std::nullopt, status::kAnaTransition, 1});
  Owner owner(w.cal);
  w.submit(w.head(), owner);
  w.run_until(1 * kSecond);
  ASSERT_EQ(w.failovers.size(), 1u);
  if (variant) {
    EXPECT_TRUE(a->namespaces()[0]->ana_pending);
    EXPECT_TRUE(owner.done.empty());
    // Not even a reconnect clears it.
    w.reset_loss(0);
    w.restore(0);
    w.run_until(20 * kSecond);
    EXPECT_EQ(a->state(), CtrlState::Live);
    EXPECT_TRUE(a->namespaces()[0]->ana_pending);
    EXPECT_TRUE(owner.done.empty());
  } else {
    EXPECT_FALSE(a->namespaces()[0]->ana_pending);
    ASSERT_EQ(owner.done.size(), 1u);
    EXPECT_EQ(owner.done[0].status, 0);
  }
}
TEST(HostVariantBp05, Mainline) { bp05_case(false); }
TEST(HostVariantBp05, AnaPendingStaysAndIoHangs) { bp05_case(true); }

// ---- BP-06: lockstep walk skip -----------------------------------------------------------------------

// The host has NSIDs 1 and 3 (2 missing), the group lists 1, 2, 3: mainline updates 1 and 3; BP-06
// moves the host cursor past 3 when it meets 2 and misses 3's update.
void bp06_case(bool variant) {
  WorldCfg c;
  c.nns = 3;
  c.variant = variant ? std::vector<std::string>{"BP-06"} : std::vector<std::string>{};
  World w(c);
  NvmeCtrl* a = w.connect(0);
  bring_up(w, a);
  auto& nss = a->namespaces();
  ASSERT_EQ(nss.size(), 3u);
  NvmeNs* ns1 = nss[0];
  NvmeNs* ns3 = nss[2];
  nss.erase(nss.begin() + 1);
  sim::nvme::AnaLog log;
  sim::nvme::AnaGroupDesc g;
  g.grpid = 1;
  g.state = AnaState::NonOptimized;
  g.nsids = {1, 2, 3};
  log.groups.push_back(g);
  mpath::nvme_update_ana_state(a, log);
  EXPECT_EQ(ns1->ana_state, AnaState::NonOptimized);
  EXPECT_EQ(ns3->ana_state, variant ? AnaState::Optimized : AnaState::NonOptimized);
}
TEST(HostVariantBp06, Mainline) { bp06_case(false); }
TEST(HostVariantBp06, MissesTheNsidAfterAHostGap) { bp06_case(true); }

// ---- BP-07 / BP-08(a): error classification ---------------------------------------------------------

struct InjectResult {
  std::vector<Owner::Done> done;
  std::size_t failovers;
  Time a_reset;
};
InjectResult inject_case(std::vector<std::string> v, std::uint16_t st) {
  World w(with(std::move(v)));
  auto [a, b] = two_paths(w);
  w.sub->inject_status({1, sim::nvme::io_opc::kRead, std::nullopt, st, 1});
  Owner owner(w.cal);
  w.submit(w.head(), owner);
  w.run_until(1 * kSecond);
  return {owner.done, w.failovers.size(), w.when(a, "resetting")};
}

TEST(HostVariantBp07, InternalErrorRetriedOnTheSamePathByMainline) {
  const auto r = inject_case({}, status::kInternal);
  ASSERT_EQ(r.done.size(), 1u);
  EXPECT_EQ(r.done[0].status, 0);
  EXPECT_EQ(r.failovers, 0u);
  EXPECT_EQ(r.a_reset, -1);
}
TEST(HostVariantBp07, InternalErrorResetsTheController) {
  const auto r = inject_case({"BP-07"}, status::kInternal);
  ASSERT_EQ(r.done.size(), 1u);
  EXPECT_EQ(r.done[0].status, 0);
  EXPECT_EQ(r.failovers, 1u);
  EXPECT_GT(r.a_reset, 0);
}
TEST(HostVariantBp08, MediaErrorFailsOver) {
  const auto m = inject_case({}, status::kUnrecoveredRead);
  EXPECT_EQ(m.failovers, 0u);
  const auto v = inject_case({"BP-08"}, status::kUnrecoveredRead);
  EXPECT_EQ(v.failovers, 1u);
  EXPECT_EQ(v.a_reset, -1);
  ASSERT_EQ(v.done.size(), 1u);
  EXPECT_EQ(v.done[0].status, 0);
}

// ---- cancellation on a transport reset: BP-08(b), BP-13, BP-14, BP-15 -------------------------------

struct ResetResult {
  std::vector<Owner::Done> done;
  std::vector<std::uint64_t> ids;
  std::vector<sim::events::Failover> failovers;
  Time tr;
};
// A bio (or two merged in one request when `merged`) in flight on path A when A's connection resets;
// path B is healthy. A's link comes back at tr + 5 s, so A reconnects at tr + 10 s.
ResetResult reset_case(std::vector<std::string> v, bool merged = false) {
  World w(with(std::move(v)));
  two_paths(w);
  w.run_until(1 * kSecond);
  Owner owner(w.cal);
  ResetResult r;
  w.host->blk_start_plug();
  r.ids.push_back(w.submit(w.head(), owner, 0)->id);
  if (merged) r.ids.push_back(w.submit(w.head(), owner, 4096)->id);
  w.host->blk_finish_plug();
  EXPECT_EQ(w.issued.size(), 1u);
  r.tr = 1 * kSecond + 20 * kMicrosecond;
  w.run_until(r.tr);
  EXPECT_TRUE(owner.done.empty());
  w.reset_loss(0);
  w.run_until(r.tr + 5 * kSecond);
  w.restore(0);
  w.run_until(r.tr + 30 * kSecond);
  r.done = owner.done;
  r.failovers = w.failovers;
  return r;
}

TEST(HostVariantCancel, MainlineFailsOverAtOnce) {
  const auto r = reset_case({});
  ASSERT_EQ(r.done.size(), 1u);
  EXPECT_EQ(r.done[0].status, 0);
  EXPECT_LT(r.done[0].t, r.tr + 1 * kMillisecond);
  ASSERT_EQ(r.failovers.size(), 1u);
  EXPECT_EQ(r.failovers[0].status, status::kHostAbortedCmd);
}
// BP-08(b): cancelled with Abort Requested, retried on the dead path: waits for the reconnect.
TEST(HostVariantBp08, CancelledRequestWaitsForTheDeadPath) {
  const auto r = reset_case({"BP-08"});
  ASSERT_EQ(r.done.size(), 1u);
  EXPECT_EQ(r.done[0].status, 0);
  EXPECT_GE(r.done[0].t, r.tr + 10 * kSecond);
  EXPECT_TRUE(r.failovers.empty());
}
// BP-13: the bio completes twice (same id): at once with success, and again through path B.
TEST(HostVariantBp13, DoubleCompletion) {
  const auto r = reset_case({"BP-13"});
  ASSERT_EQ(r.done.size(), 2u);
  EXPECT_EQ(r.done[0].id, r.ids[0]);
  EXPECT_EQ(r.done[1].id, r.ids[0]);
  EXPECT_EQ(r.done[0].status, 0);
  EXPECT_EQ(r.done[1].status, 0);
  EXPECT_EQ(r.done[0].t, r.tr);
  EXPECT_GT(r.done[1].t, r.tr);
}
// BP-14: two bios merged in one request: mainline completes both after re-running them on B;
// BP-14 completes the first with success at the failover instant, before anything re-ran it.
TEST(HostVariantBp14, FirstBioCompletedWithSuccessAtFailover) {
  const auto m = reset_case({}, true);
  ASSERT_EQ(m.done.size(), 2u);
  for (const auto& d : m.done) EXPECT_GT(d.t, m.tr);
  ASSERT_EQ(m.failovers.size(), 1u);
  EXPECT_EQ(m.failovers[0].bios, 2u);
  const auto v = reset_case({"BP-14"}, true);
  ASSERT_EQ(v.done.size(), 2u);
  EXPECT_EQ(v.done[0].id, v.ids[0]);
  EXPECT_EQ(v.done[0].status, 0);
  EXPECT_EQ(v.done[0].t, v.tr);
  EXPECT_EQ(v.done[1].id, v.ids[1]);
  EXPECT_GT(v.done[1].t, v.tr);
}
// BP-15: the cancelled bio fails with 0x371 although path B is healthy.
TEST(HostVariantBp15, CancelledIoFailsDespiteAnAlternatePath) {
  const auto r = reset_case({"BP-15"});
  ASSERT_EQ(r.done.size(), 1u);
  EXPECT_EQ(r.done[0].status, status::kHostAbortedCmd);
  EXPECT_EQ(r.done[0].t, r.tr);
  EXPECT_TRUE(r.failovers.empty());
}

// ---- BP-09: partition read from scan work ---------------------------------------------------------

// A's partition read (the first I/O) is lost on a silently dead link; B connects at 1 s. Mainline:
// B's scan adds the second path. BP-09: B's scan waits behind the partition read: no second path.
void bp09_case(bool variant) {
  World w(with(variant ? std::vector<std::string>{"BP-09"} : std::vector<std::string>{}));
  std::vector<sim::events::HostBlocked> blocked;
  w.bus.subscribe<sim::events::HostBlocked>([&](const sim::events::HostBlocked& e) { blocked.push_back(e); });
  bool cut = false;
  w.bus.subscribe<sim::events::RequestIssued>([&](const sim::events::RequestIssued&) {
    if (!cut && variant) {
      cut = true;
      w.silent_loss(0);
    }
  });
  NvmeCtrl* a = w.connect(0);
  w.run_until(500 * kMillisecond);
  ASSERT_EQ(a->state(), CtrlState::Live);
  if (!variant) w.silent_loss(0);
  w.run_until(1 * kSecond);
  w.connect(1);
  w.run_until(2 * kSecond);
  if (variant) {
    EXPECT_EQ(w.issued.size(), 1u);  // the partition read
    EXPECT_EQ(w.head()->list.size(), 1u);
    ASSERT_EQ(blocked.size(), 1u);
    EXPECT_EQ(w.host->blocked_since(), blocked[0].t);
    EXPECT_NE(blocked[0].what.find("partition read"), std::string::npos) << blocked[0].what;
  } else {
    EXPECT_EQ(w.head()->list.size(), 2u);
    EXPECT_TRUE(blocked.empty());
  }
  // Much later (A is reconnecting, its link dead): still one path with the variant.
  w.run_until(60 * kSecond);
  EXPECT_EQ(w.head()->list.size(), variant ? 1u : 2u);
}
TEST(HostVariantBp09, Mainline) { bp09_case(false); }
TEST(HostVariantBp09, SecondPathNeverAdded) { bp09_case(true); }

// ---- BP-11: ANA update waits for the head's I/O ---------------------------------------------------

void bp11_case(bool variant) {
  World w(with(variant ? std::vector<std::string>{"BP-11"} : std::vector<std::string>{}));
  two_paths(w);
  ana(w, 2, AnaState::Inaccessible);
  w.run_until(20 * kMillisecond);
  ana(w, 1, AnaState::Inaccessible);
  w.run_until(30 * kMillisecond);
  Owner owner(w.cal);
  w.submit(w.head(), owner);
  ASSERT_EQ(w.head()->requeue_list.count, 1u);
  ana(w, 2, AnaState::Optimized);  // B's update must apply for the parked bio to go
  w.run_until(10 * kSecond);
  if (variant) {
    EXPECT_TRUE(owner.done.empty());
    EXPECT_GT(w.host->blocked_since(), 0);
  } else {
    ASSERT_EQ(owner.done.size(), 1u);
    EXPECT_EQ(w.host->blocked_since(), -1);
  }
}
TEST(HostVariantBp11, Mainline) { bp11_case(false); }
TEST(HostVariantBp11, AnaUpdateAndParkedIoDeadlock) { bp11_case(true); }

// ---- BP-12: DELETING paths disabled ---------------------------------------------------------------

void bp12_case(bool variant) {
  World w(with(variant ? std::vector<std::string>{"BP-12"} : std::vector<std::string>{}));
  auto [a, b] = two_paths(w);
  ana(w, 2, AnaState::Inaccessible);
  w.run_until(20 * kMillisecond);
  ASSERT_TRUE(a->nvme_delete_ctrl("nvme disconnect"));
  Owner owner(w.cal);
  w.submit(w.head(), owner);  // while A is DELETING
  w.run_until(10 * kSecond);
  if (variant) {
    EXPECT_TRUE(owner.done.empty());
    EXPECT_EQ(a->state(), CtrlState::Deleting);
    EXPECT_FALSE(a->removed());
    EXPECT_EQ(w.host->blocked_since(), 20 * kMillisecond);
  } else {
    ASSERT_EQ(owner.done.size(), 1u);
    EXPECT_EQ(owner.done[0].status, 0);
    EXPECT_TRUE(a->removed());
  }
}
TEST(HostVariantBp12, Mainline) { bp12_case(false); }
TEST(HostVariantBp12, DeleteHangsOnRequeuedIo) { bp12_case(true); }

// ---- BP-16: stale cursor to a removed path ---------------------------------------------------------

void bp16_case(bool variant) {
  World w(with(variant ? std::vector<std::string>{"BP-16"} : std::vector<std::string>{}));
  auto [a, b] = two_paths(w);
  const int pa = a->namespaces()[0]->path_id;
  Owner owner(w.cal);
  w.submit(w.head(), owner);
  w.run_until(20 * kMillisecond);
  ASSERT_EQ(w.issued.back().path, pa);
  w.sub->ns_detach(1, 1);
  w.run_until(30 * kMillisecond);
  ASSERT_EQ(w.head()->list.size(), 1u);
  w.submit(w.head(), owner);
  w.run_until(40 * kMillisecond);
  ASSERT_EQ(owner.done.size(), 2u);
  EXPECT_EQ(owner.done[1].status, 0);
  if (variant) {
    ASSERT_EQ(w.failovers.size(), 1u);
    EXPECT_EQ(w.failovers[0].path, pa);
    EXPECT_EQ(w.failovers[0].status, status::kHostPathError);
  } else {
    EXPECT_TRUE(w.failovers.empty());
  }
}
TEST(HostVariantBp16, Mainline) { bp16_case(false); }
TEST(HostVariantBp16, IoDispatchedToTheRemovedPath) { bp16_case(true); }

// ---- BP-21: iopolicy change keeps cursors ----------------------------------------------------------

void bp21_case(bool variant) {
  World w(with(variant ? std::vector<std::string>{"BP-21"} : std::vector<std::string>{}));
  auto [a, b] = two_paths(w);
  ASSERT_TRUE(w.host->set_iopolicy(kNqn, sim::scenario::IoPolicy::RoundRobin));
  Owner owner(w.cal);
  const int pa = a->namespaces()[0]->path_id;
  const int pb = b->namespaces()[0]->path_id;
  // Round-robin until the cursor rests on B (one read with the variant, whose walk starts from the
  // numa cursor A; two in mainline, whose walk starts from scratch).
  w.submit(w.head(), owner);
  if (w.issued.back().path != pb) w.submit(w.head(), owner, 4096);
  ASSERT_EQ(w.issued.back().path, pb);
  EXPECT_EQ(w.issued.size(), variant ? 1u : 2u);
  ASSERT_TRUE(w.host->set_iopolicy(kNqn, sim::scenario::IoPolicy::Numa));
  w.run_until(20 * kMillisecond);
  for (int i = 0; i < 4; ++i) w.submit(w.head(), owner, 8192u * static_cast<std::uint64_t>(i));
  for (std::size_t i = w.issued.size() - 4; i < w.issued.size(); ++i)
    EXPECT_EQ(w.issued[i].path, variant ? pb : pa);
}
TEST(HostVariantBp21, Mainline) { bp21_case(false); }
TEST(HostVariantBp21, StaleRoundRobinCursorKeptByNuma) { bp21_case(true); }

}  // namespace
}  // namespace host
