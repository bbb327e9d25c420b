// Bug-pattern variants (hosts[].variant, host/variants.hpp, docs/bug-pattern-variants.md): for each
// variant, the same small world is run with mainline (no variant) and with the variant, and the test
// shows the observable that differs (bios still parked, a double completion, an application error
// although another path exists, a controller reset, a longer stall, I/O on a removed path, a
// HostBlocked wait...). The world harness is a copy of tests/unit/host_recovery_test.cpp's: one
// device::Subsystem with two TCP ports (links 0 and 1 -> ports 1 and 2), one host.
#include <gtest/gtest.h>

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

using sim::kMicrosecond;
using sim::kMillisecond;
using sim::kSecond;
using sim::Time;
using sim::nvme::AnaState;
using sim::scenario::KernelProfile;
using sim::scenario::Transport;
namespace status = sim::nvme::status;

constexpr const char* kNqn = "nqn.2024-01.io.nvmsim:variants";

class Owner final : public BioOwner {
 public:
  explicit Owner(sim::engine::Calendar& c) : cal(c) {}
  void bio_endio(Bio* bio) override {
    done.push_back({bio->id, bio->status, cal.now()});
    if (on_done) on_done(bio);
  }
  struct Done {
    std::uint64_t id;
    std::uint16_t status;
    Time t;
  };
  sim::engine::Calendar& cal;
  std::vector<Done> done;
  std::function<void(Bio*)> on_done;
};

struct StateChange {
  Time t;
  std::string ctrl;
  std::string from;
  std::string to;
  std::string reason;
};

struct Assoc {
  int link;
  std::uint32_t id;
  NvmeCtrl* host;
  device::Controller* dev;
};

struct WorldCfg {
  KernelProfile kernel = KernelProfile::K6_12;
  sim::scenario::Multipath multipath = sim::scenario::Multipath::Native;
  sim::scenario::NvmeOptions nvme;
  bool tbkas = false;
  Transport transport = Transport::Tcp;
  std::vector<std::string> variant;
  int nns = 1;
  bool ana = true;
};

class World {
 public:
  explicit World(const WorldCfg& w = {}) : transport_(w.transport) {
    sim::scenario::Subsystem s;
    s.nqn = kNqn;
    s.serial = "SNR";
    s.anatt = 10 * kSecond;
    s.tbkas = w.tbkas;
    sim::scenario::Port p1;
    p1.id = 1;
    p1.transport = w.transport;
    sim::scenario::Port p2 = p1;
    p2.id = 2;
    s.ports = {p1, p2};
    sim::scenario::Namespace n;
    n.nsid = 1;
    n.size = 1ull << 30;
    n.lba_size = 4096;
    n.ana_group = 1;
    s.namespaces.clear();
    for (int i = 1; i <= w.nns; ++i) {
      n.nsid = static_cast<std::uint32_t>(i);
      s.namespaces.push_back(n);
    }
    s.cmic.ana = w.ana;
    sub = std::make_unique<device::Subsystem>(s, cal, bus, 1);
    for (int i = 0; i < 2; ++i)
      links.push_back(std::make_unique<sim::fabric::Link>("l" + std::to_string(i), cal,
                                                          sim::engine::LinkHandle(nullptr),
                                                          sim::fabric::transport_defaults(w.transport)));
    sim::scenario::Host h;
    h.name = "h1";
    h.numa_nodes = 1;
    h.cpus = 1;
    h.multipath = w.multipath;
    h.kernel = w.kernel;
    h.nvme = w.nvme;
    h.variant = w.variant;
    host = std::make_unique<Host>(h, cal, bus);
    host->on_path_added = [this](NvmeNs* ns) { ns->path_id = next_path_id_++; };
    bus.subscribe<sim::events::CtrlStateChanged>([this](const sim::events::CtrlStateChanged& e) {
      states.push_back({e.t, e.ctrl, e.from, e.to, e.reason});
    });
    bus.subscribe<sim::events::Failover>([this](const sim::events::Failover& e) { failovers.push_back(e); });
    bus.subscribe<sim::events::ReconnectAttempt>(
        [this](const sim::events::ReconnectAttempt& e) { attempts.push_back(e); });
    bus.subscribe<sim::events::RequestIssued>(
        [this](const sim::events::RequestIssued& e) { issued.push_back({e.t, e.path}); });
    bus.subscribe<sim::events::RequestCompleted>(
        [this](const sim::events::RequestCompleted& e) { completed.push_back({e.t, e.status}); });
  }

  // `nvme connect` over link `li` (port li + 1).
  NvmeCtrl* connect(int li) {
    CtrlOptions o;
    o.nvme = host->config().nvme;
    o.nr_io_queues = 1;
    NvmeCtrl* c = host->add_ctrl(o, *links[li], transport_);
    c->record_id = static_cast<int>(host->ctrls().size()) - 1;
    c->start_connect([this, li](NvmeCtrl& hc) -> std::optional<std::uint32_t> {
      sim::fabric::Link& link = *links[li];
      if (down[li] || !link.is_up()) return std::nullopt;
      device::Controller* d = sub->accept(li + 1);
      if (!d) return std::nullopt;
      if (reject_connect) {
        // A target that already holds a controller for this association rejects the host's
        // admin Connect with Connect Invalid Parameters + DNR: give the new device controller an
        // admin Connect of our own first (its reply carries a CID the host never used).
        sim::nvme::Command c;
        c.opcode = sim::nvme::admin_opc::kFabrics;
        c.fctype = sim::nvme::fctype::kConnect;
        c.cid = 0xFFFF;
        d->on_command(c);
      }
      const std::uint32_t assoc = link.open_association(&hc, d);
      d->bind(&link, assoc);
      assocs.push_back({li, assoc, &hc, d});
      return assoc;
    });
    return c;
  }

  // The device controller currently serving host controller `c` (its last association).
  device::Controller* dev_of(const NvmeCtrl* c) const {
    for (auto it = assocs.rbegin(); it != assocs.rend(); ++it)
      if (it->host == c) return it->dev;
    return nullptr;
  }

  // Link `li` dies without anyone noticing (stand-in for link.go_down(false)).
  void silent_loss(int li) {
    down[li] = true;
    for (const Assoc& a : assocs)
      if (a.link == li && links[li]->is_open(a.id))
        links[li]->close_association(a.id, sim::fabric::Side::Host, /*notify_peer=*/false);
  }
  // Connection reset on link `li` (stand-in for link.go_down(true)): both ends told at once.
  void reset_loss(int li) {
    down[li] = true;
    for (const Assoc& a : assocs) {
      if (a.link != li || !links[li]->is_open(a.id)) continue;
      links[li]->close_association(a.id, sim::fabric::Side::Host, /*notify_peer=*/false);
      a.host->on_transport_error(a.id);
      a.dev->on_transport_error(a.id);
    }
  }
  void restore(int li) { down[li] = false; }

  NsHead* head() const {
    if (host->subsystems().empty() || host->subsystems()[0]->nsheads.empty()) return nullptr;
    return host->subsystems()[0]->nsheads[0].get();
  }

  Bio* submit(BlockDevice* dev, Owner& owner, std::uint64_t offset = 0, BioOp op = BioOp::Read) {
    Bio* b = host->bios().get();
    b->owner = &owner;
    b->op = op;
    b->offset = offset;
    b->bytes = 4096;
    b->cpu = 0;
    b->submitted = cal.now();
    dev->submit_bio(b);
    return b;
  }

  // Keep Alive commands the host sent on link `li`: every host capsule that was not an I/O
  // command (call once the controller is idle apart from keep-alive: bring-up and scan done).
  std::uint64_t host_capsules(int li) const { return links[li]->capsules_sent(sim::fabric::Side::Host); }

  std::vector<StateChange> changes_of(const NvmeCtrl* c) const {
    std::vector<StateChange> out;
    for (const auto& s : states)
      if (s.ctrl == "h1/" + c->name()) out.push_back(s);
    return out;
  }
  // Time of the first change of `c` into `to` at or after `after` (-1 if none).
  Time when(const NvmeCtrl* c, const std::string& to, Time after = 0) const {
    for (const auto& s : changes_of(c))
      if (s.to == to && s.t >= after) return s.t;
    return -1;
  }

  // Runs every event up to and including `t`, then leaves the clock at `t`.
  void run_until(Time t) {
    cal.run_until(t);
    cal.advance_to(t);
  }

  sim::engine::Calendar cal;
  sim::events::Bus bus;
  std::unique_ptr<device::Subsystem> sub;
  std::vector<std::unique_ptr<sim::fabric::Link>> links;
  std::unique_ptr<Host> host;
  bool down[2] = {false, false};
  bool reject_connect = false;
  std::vector<Assoc> assocs;
  std::vector<StateChange> states;
  std::vector<sim::events::Failover> failovers;
  std::vector<sim::events::ReconnectAttempt> attempts;
  struct Issued {
    Time t;
    int path;
  };
  std::vector<Issued> issued;
  struct Completed {
    Time t;
    std::uint16_t status;
  };
  std::vector<Completed> completed;

 private:
  Transport transport_;
  int next_path_id_ = 0;
};

// Brings `c` up (bring-up, scan and ANA read take well under 10 ms).
void bring_up(World& w, NvmeCtrl* c, Time until = 10 * kMillisecond) {
  w.run_until(until);
  ASSERT_EQ(c->state(), CtrlState::Live);
}

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
