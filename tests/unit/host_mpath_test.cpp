// Host model without SimGrid: the controller state machine (linux-mpath-semantics.md 5.2), path
// selection of the three I/O policies on hand-built subsystem/head/path objects (section 2),
// nvme_available_path (3.1), failover and requeue (3.2, 4.6), ANA log application, and the block
// layer helpers. Controllers are real host::NvmeCtrl objects driven into the wanted state through
// allowed transitions; their fabric::Link wraps a null SimGrid handle and is never used for I/O.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

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
#include "ctrl_states.hpp"

namespace host {
namespace {

using sim::nvme::AnaState;
using sim::scenario::IoPolicy;
namespace status = sim::nvme::status;

constexpr std::array<CtrlState, 7> kAllStates = {CtrlState::New,      CtrlState::Live,
                                                 CtrlState::Resetting, CtrlState::Connecting,
                                                 CtrlState::Deleting, CtrlState::DeletingNoIo,
                                                 CtrlState::Dead};

using test_support::allowed_6x;
using test_support::path_to;

class Owner final : public BioOwner {
 public:
  void bio_endio(Bio* bio) override { done.push_back({bio->id, bio->status}); }
  struct Done {
    std::uint64_t id;
    std::uint16_t status;
  };
  std::vector<Done> done;
};

class HostTest : public ::testing::Test {
 protected:
  HostTest()
      : link_("h1-s1", cal_, sim::engine::LinkHandle(nullptr),
              sim::fabric::transport_defaults(sim::scenario::Transport::Tcp)) {
    sim::scenario::Host cfg;
    cfg.name = "h1";
    cfg.numa_nodes = 2;
    host_ = std::make_unique<Host>(cfg, cal_, bus_);
    subsys_.host = host_.get();
    subsys_.nqn = "nqn.test:array";
    subsys_.cmic = 0x1 | 0x2 | 0x8;
    head_.subsys = &subsys_;
    head_.nsid = 1;
    head_.has_disk = true;
    head_.disk_live = true;
    head_.current_path.assign(2, nullptr);
  }

  NvmeCtrl* make_ctrl(CtrlState st, int numa_node = -1) {
    CtrlOptions opts;
    opts.numa_node = numa_node;
    NvmeCtrl* c = host_->add_ctrl(opts, link_, sim::scenario::Transport::Tcp);
    for (CtrlState step : path_to(st)) {
      EXPECT_TRUE(c->nvme_change_ctrl_state(step, "test setup"))
          << to_string(c->state()) << " -> " << to_string(step);
    }
    EXPECT_EQ(c->state(), st);
    return c;
  }

  // A path of head_ on `ctrl`, appended to head_.list.
  NvmeNs* add_path(NvmeCtrl* ctrl, AnaState ana = AnaState::Optimized) {
    auto ns = std::make_unique<NvmeNs>();
    ns->ctrl = ctrl;
    ns->head = &head_;
    ns->nsid = head_.nsid;
    ns->nlbas = 1 << 20;
    ns->lba_sz = 4096;
    ns->ana_state = ana;
    ns->ana_grpid = 1;
    ns->ready = true;
    ns->path_id = static_cast<int>(paths_.size());
    head_.list.push_back(ns.get());
    paths_.push_back(std::move(ns));
    return paths_.back().get();
  }

  void set_policy(IoPolicy p) { subsys_.iopolicy = p; }

  sim::engine::Calendar cal_;
  sim::events::Bus bus_;
  sim::fabric::Link link_;
  std::unique_ptr<Host> host_;
  NvmeSubsystem subsys_;
  NsHead head_;
  std::vector<std::unique_ptr<NvmeNs>> paths_;
};

// ---- Controller state machine ------------------------------------------------------------------

using HostCtrlState = HostTest;

TEST_F(HostCtrlState, EveryTransitionFollowsTheTable) {
  int changes = 0;
  bus_.subscribe<sim::events::CtrlStateChanged>([&](const sim::events::CtrlStateChanged&) { ++changes; });
  for (CtrlState from : kAllStates) {
    for (CtrlState to : kAllStates) {
      NvmeCtrl* c = make_ctrl(from);
      const int before = changes;
      const bool ok = c->nvme_change_ctrl_state(to, "probe");
      EXPECT_EQ(ok, allowed_6x(from, to)) << to_string(from) << " -> " << to_string(to);
      EXPECT_EQ(c->state(), ok ? to : from) << to_string(from) << " -> " << to_string(to);
      EXPECT_EQ(changes - before, ok ? 1 : 0) << to_string(from) << " -> " << to_string(to);
    }
  }
}

TEST_F(HostCtrlState, TransitionPublishesAnEvent) {
  std::vector<sim::events::CtrlStateChanged> seen;
  bus_.subscribe<sim::events::CtrlStateChanged>(
      [&](const sim::events::CtrlStateChanged& e) { seen.push_back(e); });
  NvmeCtrl* c0 = make_ctrl(CtrlState::New);
  NvmeCtrl* c1 = make_ctrl(CtrlState::New);
  EXPECT_EQ(c0->name(), "nvme0");
  EXPECT_EQ(c1->name(), "nvme1");
  cal_.advance_to(1234);
  ASSERT_TRUE(c1->nvme_change_ctrl_state(CtrlState::Connecting, "connect"));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].t, 1234);
  EXPECT_EQ(seen[0].ctrl, "h1/nvme1");
  EXPECT_STREQ(seen[0].from, "new");
  EXPECT_STREQ(seen[0].to, "connecting");
  EXPECT_EQ(seen[0].reason, "connect");
  EXPECT_FALSE(c1->nvme_change_ctrl_state(CtrlState::Resetting, "nope"));
  EXPECT_EQ(seen.size(), 1u);
}

TEST_F(HostCtrlState, SysfsNames) {
  EXPECT_STREQ(to_string(CtrlState::New), "new");
  EXPECT_STREQ(to_string(CtrlState::Live), "live");
  EXPECT_STREQ(to_string(CtrlState::Resetting), "resetting");
  EXPECT_STREQ(to_string(CtrlState::Connecting), "connecting");
  EXPECT_STREQ(to_string(CtrlState::Deleting), "deleting");
  EXPECT_STREQ(to_string(CtrlState::DeletingNoIo), "deleting (no IO)");
  EXPECT_STREQ(to_string(CtrlState::Dead), "dead");
}

// Entering LIVE clears FAILFAST_EXPIRED and kicks the requeue list of every head the controller
// has a path to (BP-20 is forgetting this kick).
TEST_F(HostCtrlState, EnteringLiveClearsFailfastAndKicksRequeueLists) {
  NvmeCtrl* c = make_ctrl(CtrlState::Connecting);
  NvmeNs* ns = add_path(c);
  ns->ready = false;  // keeps the path unusable so the requeue work parks the bio again
  c->namespaces().push_back(ns);
  c->failfast_expired = true;
  Owner owner;
  Bio* b = host_->bios().get();
  b->owner = &owner;
  b->bytes = 4096;
  b->target = &head_;
  head_.requeue_list.push_back(b);
  ASSERT_TRUE(cal_.empty());

  ASSERT_TRUE(c->nvme_change_ctrl_state(CtrlState::Live, "connected"));
  EXPECT_FALSE(c->failfast_expired);
  EXPECT_TRUE(head_.requeue_scheduled);
  EXPECT_FALSE(cal_.empty());
  EXPECT_EQ(cal_.run_until(sim::kNever, 100), 1u);
  // The requeue work ran: no usable path, but the LIVE controller may serve it: parked again.
  EXPECT_FALSE(head_.requeue_scheduled);
  EXPECT_EQ(head_.requeue_list.count, 1u);
  EXPECT_TRUE(owner.done.empty());
}

// ---- nvme_path_is_disabled / nvme_path_is_optimized ---------------------------------------------

using HostMpathDisabled = HostTest;

TEST_F(HostMpathDisabled, ByControllerState) {
  for (CtrlState s : kAllStates) {
    NvmeNs* ns = add_path(make_ctrl(s));
    const bool usable = s == CtrlState::Live || s == CtrlState::Deleting;
    EXPECT_EQ(mpath::nvme_path_is_disabled(ns), !usable) << to_string(s);
    EXPECT_EQ(mpath::nvme_path_is_optimized(ns), s == CtrlState::Live) << to_string(s);
  }
}

TEST_F(HostMpathDisabled, ByAnaPendingAndReady) {
  NvmeNs* ns = add_path(make_ctrl(CtrlState::Live));
  EXPECT_FALSE(mpath::nvme_path_is_disabled(ns));
  ns->ana_pending = true;
  EXPECT_TRUE(mpath::nvme_path_is_disabled(ns));
  ns->ana_pending = false;
  ns->ready = false;
  EXPECT_TRUE(mpath::nvme_path_is_disabled(ns));
  ns->ready = true;
  // ANA state does not disable a path (it only decides preference).
  for (AnaState a : {AnaState::NonOptimized, AnaState::Inaccessible, AnaState::PersistentLoss,
                     AnaState::Change}) {
    ns->ana_state = a;
    EXPECT_FALSE(mpath::nvme_path_is_disabled(ns));
    EXPECT_FALSE(mpath::nvme_path_is_optimized(ns));
  }
  // A DELETING controller stays usable but is never "optimized" for the NUMA fast path.
  NvmeNs* del = add_path(make_ctrl(CtrlState::Deleting));
  EXPECT_FALSE(mpath::nvme_path_is_disabled(del));
  EXPECT_FALSE(mpath::nvme_path_is_optimized(del));
  del->ana_pending = true;
  EXPECT_TRUE(mpath::nvme_path_is_disabled(del));
}

TEST(HostMpathDistance, LocalAndRemote) {
  EXPECT_EQ(mpath::node_distance(0, 0), 10);
  EXPECT_EQ(mpath::node_distance(1, 1), 10);
  EXPECT_EQ(mpath::node_distance(0, 1), 20);
  EXPECT_EQ(mpath::node_distance(1, 0), 20);
}

// ---- numa policy -------------------------------------------------------------------------------

using HostMpathNuma = HostTest;

TEST_F(HostMpathNuma, PicksTheClosestOptimizedPathFirstInListOnTies) {
  set_policy(IoPolicy::Numa);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live, 1));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live, 0));
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live, 0));
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b);  // b and c both local: b is first
  EXPECT_EQ(mpath::nvme_find_path(&head_, 1), a);
  EXPECT_EQ(head_.current_path[0], b);
  EXPECT_EQ(head_.current_path[1], a);
  (void)c;
}

TEST_F(HostMpathNuma, ControllerWithoutNodeCountsAsLocal) {
  set_policy(IoPolicy::Numa);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live, -1));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live, 1));
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);  // a local (no node), b remote
  EXPECT_EQ(mpath::nvme_find_path(&head_, 1), a);  // tie at 10: first in list
  (void)b;
}

TEST_F(HostMpathNuma, AllNodeLessDegeneratesToFirstEligibleOptimized) {
  set_policy(IoPolicy::Numa);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Resetting));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live), AnaState::NonOptimized);
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* d = add_path(make_ctrl(CtrlState::Live));
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), c);
  (void)a;
  (void)b;
  (void)d;
}

TEST_F(HostMpathNuma, OptimizedBeatsACloserNonOptimized) {
  set_policy(IoPolicy::Numa);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live, 0), AnaState::NonOptimized);
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live, 1));
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b);
  (void)a;
}

TEST_F(HostMpathNuma, InaccessibleStatesAreNeverSelected) {
  set_policy(IoPolicy::Numa);
  for (AnaState s : {AnaState::Inaccessible, AnaState::PersistentLoss, AnaState::Change})
    add_path(make_ctrl(CtrlState::Live, 0), s);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), nullptr);
  EXPECT_EQ(head_.current_path[0], nullptr);
}

TEST_F(HostMpathNuma, NonOptimizedFallbackIsCachedButSearchedAgain) {
  set_policy(IoPolicy::Numa);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live, 1), AnaState::NonOptimized);
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live, 0), AnaState::NonOptimized);
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live, 0), AnaState::Inaccessible);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b);  // closest non-optimized
  EXPECT_EQ(head_.current_path[0], b);
  // An optimized path appears: the cached non-optimized one fails the fast-path check.
  c->ana_state = AnaState::Optimized;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), c);
  EXPECT_EQ(head_.current_path[0], c);
  (void)a;
}

TEST_F(HostMpathNuma, FastPathTrustsACachedOptimizedLivePath) {
  set_policy(IoPolicy::Numa);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live, 1));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live, 0));
  head_.current_path[0] = a;  // remote, but cached
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);
  // The fast path only checks LIVE + OPTIMIZED (mainline): ANA_PENDING does not make it search.
  a->ana_pending = true;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);
  a->ana_pending = false;
  // Once not optimized, the search runs and finds the local one.
  a->ana_state = AnaState::NonOptimized;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b);
  EXPECT_EQ(head_.current_path[0], b);
}

TEST_F(HostMpathNuma, CachedPathOnAResettingControllerIsReplaced) {
  set_policy(IoPolicy::Numa);
  NvmeCtrl* ca = make_ctrl(CtrlState::Live);
  NvmeNs* a = add_path(ca);
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live));
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);
  ASSERT_TRUE(ca->nvme_change_ctrl_state(CtrlState::Resetting, "error"));
  EXPECT_EQ(head_.current_path[0], a);  // not cleared by the state change...
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b);  // ...but not trusted either
  EXPECT_EQ(head_.current_path[0], b);
}

TEST_F(HostMpathNuma, DeletingControllerIsStillSelectable) {
  set_policy(IoPolicy::Numa);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Deleting));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Connecting));
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);  // searched again (not LIVE), same answer
  (void)b;
}

TEST_F(HostMpathNuma, NullSearchKeepsTheOldCursor) {
  set_policy(IoPolicy::Numa);
  NvmeCtrl* ca = make_ctrl(CtrlState::Live);
  NvmeNs* a = add_path(ca);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 1), a);
  ASSERT_TRUE(ca->nvme_change_ctrl_state(CtrlState::Resetting, "error"));
  EXPECT_EQ(mpath::nvme_find_path(&head_, 1), nullptr);
  EXPECT_EQ(head_.current_path[1], a);  // __nvme_find_path stores only non-NULL results
}

// ---- round-robin policy ------------------------------------------------------------------------

using HostMpathRoundRobin = HostTest;

TEST_F(HostMpathRoundRobin, RotatesOverOptimizedPathsIgnoringNuma) {
  set_policy(IoPolicy::RoundRobin);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live, 1));  // remote for node 0: RR does not care
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live, 0));
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live, 0));
  std::vector<NvmeNs*> got;
  for (int i = 0; i < 7; ++i) got.push_back(mpath::nvme_find_path(&head_, 0));
  EXPECT_EQ(got, (std::vector<NvmeNs*>{a, b, c, a, b, c, a}));
  EXPECT_EQ(head_.current_path[0], a);
}

TEST_F(HostMpathRoundRobin, CursorsArePerNode) {
  set_policy(IoPolicy::RoundRobin);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live));
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 1), a);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), c);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 1), b);
}

TEST_F(HostMpathRoundRobin, SkipsDisabledPaths) {
  set_policy(IoPolicy::RoundRobin);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Resetting));
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* d = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* e = add_path(make_ctrl(CtrlState::Live));
  d->ana_pending = true;
  e->ready = false;
  std::vector<NvmeNs*> got;
  for (int i = 0; i < 5; ++i) got.push_back(mpath::nvme_find_path(&head_, 0));
  EXPECT_EQ(got, (std::vector<NvmeNs*>{a, c, a, c, a}));
  (void)b;
}

TEST_F(HostMpathRoundRobin, NonOptimizedOnlyWithoutOptimized) {
  set_policy(IoPolicy::RoundRobin);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live), AnaState::NonOptimized);
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live), AnaState::NonOptimized);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b) << i;
  (void)a;
  (void)c;
}

// Cursor on an optimized path that went inaccessible; the others are non-optimized: the walk
// keeps the *last* non-optimized path it sees, and after that the non-optimized paths alternate.
TEST_F(HostMpathRoundRobin, FallsBackToTheLastNonOptimizedSeen) {
  set_policy(IoPolicy::RoundRobin);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live), AnaState::NonOptimized);
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live), AnaState::NonOptimized);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);
  a->ana_state = AnaState::Inaccessible;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), c);  // walk from a: b, then c overwrites
  EXPECT_EQ(head_.current_path[0], c);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b);  // walk from c: a (skipped), b
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), c);
  // An optimized path comes back: it wins at once.
  a->ana_state = AnaState::Optimized;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);
}

TEST_F(HostMpathRoundRobin, StaysOnUsableOldPathWhenNothingElseIs) {
  set_policy(IoPolicy::RoundRobin);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live), AnaState::NonOptimized);
  NvmeNs* b = add_path(make_ctrl(CtrlState::Connecting));
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live), AnaState::Inaccessible);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);
  // Old disabled and nothing else usable: NULL, cursor unchanged.
  a->ready = false;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), nullptr);
  EXPECT_EQ(head_.current_path[0], a);
  (void)b;
  (void)c;
}

// BP-19, mainline quirk: a sole path is returned unless disabled, whatever its ANA state.
TEST_F(HostMpathRoundRobin, SolePathAnaBlindness) {
  set_policy(IoPolicy::RoundRobin);
  NvmeCtrl* ca = make_ctrl(CtrlState::Live);
  NvmeNs* a = add_path(ca);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);
  a->ana_state = AnaState::Inaccessible;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);  // round-robin: still chosen
  set_policy(IoPolicy::Numa);
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), nullptr);  // numa: re-searched, nothing usable
  set_policy(IoPolicy::RoundRobin);
  head_.current_path[0] = a;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), a);
  // Without a cursor the blindness does not apply: the search finds nothing.
  head_.current_path[0] = nullptr;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), nullptr);
  // A disabled sole path is not returned.
  head_.current_path[0] = a;
  ASSERT_TRUE(ca->nvme_change_ctrl_state(CtrlState::Resetting, "error"));
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), nullptr);
}

// ---- queue-depth policy ------------------------------------------------------------------------

using HostMpathQueueDepth = HostTest;

TEST_F(HostMpathQueueDepth, PicksTheLeastBusyOptimizedController) {
  set_policy(IoPolicy::QueueDepth);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live));
  a->ctrl->nr_active = 5;
  b->ctrl->nr_active = 2;
  c->ctrl->nr_active = 3;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b);
  c->ctrl->nr_active = 2;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b);  // tie: first in list
  b->ctrl->nr_active = 9;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 1), c);
  // No caching.
  EXPECT_EQ(head_.current_path[0], nullptr);
  EXPECT_EQ(head_.current_path[1], nullptr);
}

TEST_F(HostMpathQueueDepth, IdleOptimizedPathWinsAtOnce) {
  set_policy(IoPolicy::QueueDepth);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live), AnaState::NonOptimized);
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live));
  a->ctrl->nr_active = 0;
  b->ctrl->nr_active = 0;
  c->ctrl->nr_active = 0;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b);
}

TEST_F(HostMpathQueueDepth, NonOptimizedOnlyWithoutOptimized) {
  set_policy(IoPolicy::QueueDepth);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live), AnaState::NonOptimized);
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live));
  a->ctrl->nr_active = 0;
  b->ctrl->nr_active = 100;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b);
  b->ana_state = AnaState::Inaccessible;
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live), AnaState::NonOptimized);
  a->ctrl->nr_active = 3;
  c->ctrl->nr_active = 1;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), c);
  a->ana_state = AnaState::Change;
  c->ana_state = AnaState::PersistentLoss;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), nullptr);
}

TEST_F(HostMpathQueueDepth, SkipsDisabledPaths) {
  set_policy(IoPolicy::QueueDepth);
  NvmeNs* a = add_path(make_ctrl(CtrlState::Resetting));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* c = add_path(make_ctrl(CtrlState::Live));
  a->ctrl->nr_active = 0;
  b->ctrl->nr_active = 4;
  c->ctrl->nr_active = 6;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), b);
  b->ana_pending = true;
  EXPECT_EQ(mpath::nvme_find_path(&head_, 0), c);
}

TEST_F(HostMpathQueueDepth, NrActiveCountedOnlyUnderQueueDepth) {
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live));
  Request rq;
  rq.ns = a;
  rq.mpath = true;
  set_policy(IoPolicy::Numa);
  mpath::nvme_mpath_start_request(rq);
  EXPECT_EQ(a->ctrl->nr_active, 0);
  EXPECT_FALSE(rq.nr_active_counted);
  set_policy(IoPolicy::QueueDepth);
  mpath::nvme_mpath_start_request(rq);
  EXPECT_EQ(a->ctrl->nr_active, 1);
  EXPECT_TRUE(rq.nr_active_counted);
  // Ended after a policy switch: still uncounted, because the request was marked.
  set_policy(IoPolicy::RoundRobin);
  mpath::nvme_mpath_end_request(rq);
  EXPECT_EQ(a->ctrl->nr_active, 0);
  EXPECT_FALSE(rq.nr_active_counted);
  mpath::nvme_mpath_end_request(rq);  // not marked any more: no double decrement
  EXPECT_EQ(a->ctrl->nr_active, 0);
  // Decrement-if-positive.
  set_policy(IoPolicy::QueueDepth);
  mpath::nvme_mpath_start_request(rq);
  a->ctrl->nr_active = 0;  // reset by a re-identify meanwhile
  mpath::nvme_mpath_end_request(rq);
  EXPECT_EQ(a->ctrl->nr_active, 0);
}

// ---- nvme_available_path -----------------------------------------------------------------------

using HostMpathAvailable = HostTest;

TEST_F(HostMpathAvailable, LiveResettingConnectingCount) {
  for (CtrlState s : kAllStates) {
    NsHead h;
    h.subsys = &subsys_;
    h.disk_live = true;
    h.has_disk = true;
    NvmeCtrl* c = make_ctrl(s);
    NvmeNs ns;
    ns.ctrl = c;
    ns.head = &h;
    ns.ana_state = AnaState::Inaccessible;  // ANA state does not matter here
    h.list.push_back(&ns);
    const bool expect = s == CtrlState::Live || s == CtrlState::Resetting || s == CtrlState::Connecting;
    EXPECT_EQ(mpath::nvme_available_path(&h), expect) << to_string(s);
    c->failfast_expired = true;
    EXPECT_FALSE(mpath::nvme_available_path(&h)) << to_string(s) << " with failfast expired";
    h.queue_if_no_path = true;
    EXPECT_TRUE(mpath::nvme_available_path(&h)) << to_string(s) << " with queue_if_no_path";
  }
}

TEST_F(HostMpathAvailable, OnlyTerminalControllersLeft) {
  add_path(make_ctrl(CtrlState::Deleting));
  add_path(make_ctrl(CtrlState::Dead));
  add_path(make_ctrl(CtrlState::DeletingNoIo));
  add_path(make_ctrl(CtrlState::New));
  EXPECT_FALSE(mpath::nvme_available_path(&head_));
  head_.queue_if_no_path = true;
  EXPECT_TRUE(mpath::nvme_available_path(&head_));
}

TEST_F(HostMpathAvailable, DiskNotLive) {
  add_path(make_ctrl(CtrlState::Live));
  EXPECT_TRUE(mpath::nvme_available_path(&head_));
  head_.disk_live = false;
  EXPECT_FALSE(mpath::nvme_available_path(&head_));
  head_.queue_if_no_path = true;
  EXPECT_FALSE(mpath::nvme_available_path(&head_));
}

TEST_F(HostMpathAvailable, QueueIfNoPathWithNoPathsAtAll) {
  EXPECT_FALSE(mpath::nvme_available_path(&head_));
  head_.queue_if_no_path = true;
  EXPECT_TRUE(mpath::nvme_available_path(&head_));
}

TEST_F(HostMpathAvailable, OneFailfastControllerDoesNotHideAnother) {
  NvmeNs* a = add_path(make_ctrl(CtrlState::Connecting));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Connecting));
  a->ctrl->failfast_expired = true;
  EXPECT_TRUE(mpath::nvme_available_path(&head_));
  b->ctrl->failfast_expired = true;
  EXPECT_FALSE(mpath::nvme_available_path(&head_));
}

// ---- submission without a usable path, failover, requeue ----------------------------------------

using HostMpathFailover = HostTest;

TEST_F(HostMpathFailover, FailoverStealsBiosAndMarksAnaPending) {
  set_policy(IoPolicy::Numa);
  NvmeCtrl* ca = make_ctrl(CtrlState::Live);
  NvmeCtrl* cb = make_ctrl(CtrlState::Live);
  ca->set_subsys(&subsys_);
  cb->set_subsys(&subsys_);
  NvmeNs* a = add_path(ca);
  NvmeNs* b = add_path(cb);
  head_.current_path[0] = a;
  head_.current_path[1] = a;

  Owner owner;
  Request rq;
  rq.ns = a;
  rq.mpath = true;
  rq.status = status::kAnaInaccessible;
  std::vector<Bio*> bios;
  for (int i = 0; i < 3; ++i) {
    Bio* bio = host_->bios().get();
    bio->owner = &owner;
    bio->bytes = 4096;
    bio->offset = 4096u * static_cast<std::uint64_t>(i);
    bio->target = a;
    bio->mpath = true;
    rq.bios.push_back(bio);
    bios.push_back(bio);
  }
  mpath::nvme_failover_req(rq);
  EXPECT_EQ(head_.current_path[0], nullptr);
  EXPECT_EQ(head_.current_path[1], nullptr);
  EXPECT_TRUE(a->ana_pending);
  EXPECT_FALSE(b->ana_pending);
  EXPECT_TRUE(rq.bios.empty());
  EXPECT_EQ(rq.status, 0);
  EXPECT_EQ(head_.nr_failovers, 1u);
  ASSERT_EQ(head_.requeue_list.count, 3u);
  Bio* p = head_.requeue_list.head;
  for (Bio* expect : bios) {  // order kept
    ASSERT_EQ(p, expect);
    EXPECT_EQ(p->target, &head_);
    p = p->next;
  }
  EXPECT_TRUE(head_.requeue_scheduled);

  // Make every path unusable while the controllers stay LIVE: the requeue work parks the bios again.
  b->ready = false;
  // Three events: the requeue work, the ANA log re-read the ANA error queued, and its Get Log Page
  // failing at once (the test controller has no open association to send it on).
  EXPECT_EQ(cal_.run_until(sim::kNever, 100), 3u);
  EXPECT_EQ(head_.requeue_list.count, 3u);
  EXPECT_FALSE(head_.requeue_scheduled);
  EXPECT_TRUE(owner.done.empty());

  // Both controllers being deleted: nothing may come back, the kick fails the bios.
  ASSERT_TRUE(ca->nvme_change_ctrl_state(CtrlState::Deleting, "delete"));
  ASSERT_TRUE(cb->nvme_change_ctrl_state(CtrlState::Deleting, "delete"));
  mpath::nvme_kick_requeue(&head_);
  cal_.run_until(sim::kNever, 100);
  EXPECT_TRUE(cal_.empty());
  EXPECT_EQ(head_.requeue_list.count, 0u);
  ASSERT_EQ(owner.done.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(owner.done[i].id, bios[i]->id);
    EXPECT_EQ(owner.done[i].status, status::kHostPathError);
  }
}

TEST_F(HostMpathFailover, AnaPendingOnlyForAnaErrorsOnAnaSubsystems) {
  NvmeCtrl* ca = make_ctrl(CtrlState::Live);
  ca->set_subsys(&subsys_);
  NvmeNs* a = add_path(ca);
  struct Case {
    std::uint16_t st;
    std::uint8_t cmic;
    bool pending;
  };
  for (const Case& k : {Case{status::kHostPathError, 0x0B, false},
                        Case{status::kHostAbortedCmd, 0x0B, false},
                        Case{status::kAnaTransition, 0x0B, true},
                        Case{status::kAnaPersistentLoss, 0x0B, true},
                        Case{static_cast<std::uint16_t>(status::kAnaInaccessible | status::kMore), 0x0B, true},
                        Case{status::kAnaInaccessible, 0x03, false}}) {
    subsys_.cmic = k.cmic;
    a->ana_pending = false;
    Request rq;
    rq.ns = a;
    rq.status = k.st;
    mpath::nvme_failover_req(rq);
    EXPECT_EQ(a->ana_pending, k.pending) << std::hex << k.st << " cmic " << int{k.cmic};
  }
  EXPECT_EQ(head_.nr_failovers, 6u);
}

// BUG (host/multipath.cpp:189, nvme_failover_req): semantics 4.6 step 2 says that on an ANA error
// the path gets NVME_NS_ANA_PENDING *and* the controller's ana_work (an ANA log re-read) is queued;
// 6.4 item 3 lists it as one of the triggers of a re-read. The model sets ana_pending but queues no
// re-read, so the path stays disabled (2.1) until the next reconnect re-identifies the controller.
// Suggested fix: after setting ana_pending, schedule an nvme_ana_work on the controller (calendar
// call_in(0); no-op unless the controller is LIVE; read_ana_log, which clears ANA_PENDING through
// nvme_update_ana_state).
// Observable here: with the head's requeue work already pending (so the failover's own kick adds
// no event), an ANA-error failover on a LIVE controller must leave the re-read on the calendar.
// The calendar is deliberately not run: the re-read would send on the SimGrid-less link.
TEST_F(HostMpathFailover, AnaErrorQueuesAnAnaLogReread) {
  NvmeCtrl* ca = make_ctrl(CtrlState::Live);
  ca->set_subsys(&subsys_);
  NvmeNs* a = add_path(ca);
  head_.requeue_scheduled = true;
  Request rq;
  rq.ns = a;
  rq.mpath = true;
  rq.status = status::kAnaTransition;
  mpath::nvme_failover_req(rq);
  ASSERT_TRUE(a->ana_pending);
  EXPECT_FALSE(cal_.empty()) << "no ANA log re-read was queued after an ANA error";
}

// Control for the test above: a non-ANA path error queues nothing beyond the requeue kick.
TEST_F(HostMpathFailover, NonAnaErrorQueuesNoAnaLogReread) {
  NvmeCtrl* ca = make_ctrl(CtrlState::Live);
  ca->set_subsys(&subsys_);
  NvmeNs* a = add_path(ca);
  head_.requeue_scheduled = true;
  Request rq;
  rq.ns = a;
  rq.mpath = true;
  rq.status = status::kHostAbortedCmd;
  mpath::nvme_failover_req(rq);
  EXPECT_FALSE(a->ana_pending);
  EXPECT_TRUE(cal_.empty());
}

TEST_F(HostMpathFailover, RequeueKicksAreCoalesced) {
  mpath::nvme_kick_requeue(&head_);
  mpath::nvme_kick_requeue(&head_);
  mpath::nvme_kick_requeue(&head_);
  EXPECT_EQ(cal_.run_until(sim::kNever), 1u);
  mpath::nvme_kick_requeue(&head_);
  EXPECT_EQ(cal_.run_until(sim::kNever), 1u);
}

TEST_F(HostMpathFailover, ClearCurrentPath) {
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live));
  head_.current_path = {a, b};
  EXPECT_TRUE(mpath::nvme_mpath_clear_current_path(a));
  EXPECT_EQ(head_.current_path[0], nullptr);
  EXPECT_EQ(head_.current_path[1], b);
  EXPECT_FALSE(mpath::nvme_mpath_clear_current_path(a));
}

// ---- ANA log application and set_live ------------------------------------------------------------

using HostMpathAna = HostTest;

TEST_F(HostMpathAna, SetLiveMakesTheDiskLiveAndRefreshesCursors) {
  std::vector<BlockDevice*> live;
  host_->on_device_live = [&](BlockDevice* d) { live.push_back(d); };
  set_policy(IoPolicy::Numa);
  head_.disk_live = false;
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live, 1));
  NvmeNs* b = add_path(make_ctrl(CtrlState::Live, 0));
  mpath::nvme_mpath_set_live(a);
  EXPECT_TRUE(head_.disk_live);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0], &head_);
  EXPECT_EQ(head_.current_path[0], b);  // every node's cursor recomputed
  EXPECT_EQ(head_.current_path[1], a);
  EXPECT_TRUE(head_.requeue_scheduled);
  mpath::nvme_mpath_set_live(b);
  EXPECT_EQ(live.size(), 1u);  // only the first time
}

TEST_F(HostMpathAna, SetLiveOfNonOptimizedPathLeavesCursors) {
  head_.disk_live = false;
  NvmeNs* a = add_path(make_ctrl(CtrlState::Live), AnaState::NonOptimized);
  mpath::nvme_mpath_set_live(a);
  EXPECT_TRUE(head_.disk_live);
  EXPECT_EQ(head_.current_path[0], nullptr);
  EXPECT_EQ(head_.current_path[1], nullptr);
  EXPECT_TRUE(head_.requeue_scheduled);
}

TEST_F(HostMpathAna, UpdateAnaStateWalksGroupsAndNamespaces) {
  NvmeCtrl* c = make_ctrl(CtrlState::Live);
  // Namespaces 1, 3, 5, 7 on this controller, each its own head (no disk).
  std::vector<std::unique_ptr<NsHead>> heads;
  std::vector<std::unique_ptr<NvmeNs>> nss;
  for (std::uint32_t nsid : {1u, 3u, 5u, 7u}) {
    auto h = std::make_unique<NsHead>();
    h->subsys = &subsys_;
    h->nsid = nsid;
    h->current_path.assign(2, nullptr);
    auto ns = std::make_unique<NvmeNs>();
    ns->ctrl = c;
    ns->head = h.get();
    ns->nsid = nsid;
    ns->ready = true;
    ns->ana_state = AnaState::Change;
    ns->ana_pending = true;
    h->list.push_back(ns.get());
    c->namespaces().push_back(ns.get());
    heads.push_back(std::move(h));
    nss.push_back(std::move(ns));
  }
  sim::nvme::AnaLog log;
  log.chgcnt = 3;
  log.groups.push_back({1, 3, AnaState::Optimized, {1, 2}});           // 2 is not on this ctrl
  log.groups.push_back({2, 3, AnaState::Inaccessible, {3, 4, 5}});
  log.groups.push_back({4, 3, AnaState::NonOptimized, {9}});
  mpath::nvme_update_ana_state(c, log);
  EXPECT_EQ(nss[0]->ana_state, AnaState::Optimized);
  EXPECT_EQ(nss[0]->ana_grpid, 1u);
  EXPECT_FALSE(nss[0]->ana_pending);
  EXPECT_EQ(nss[1]->ana_state, AnaState::Inaccessible);
  EXPECT_EQ(nss[1]->ana_grpid, 2u);
  EXPECT_FALSE(nss[1]->ana_pending);
  EXPECT_EQ(nss[2]->ana_state, AnaState::Inaccessible);
  EXPECT_EQ(nss[2]->ana_grpid, 2u);
  EXPECT_FALSE(nss[2]->ana_pending);
  // Not in the log: untouched.
  EXPECT_EQ(nss[3]->ana_state, AnaState::Change);
  EXPECT_TRUE(nss[3]->ana_pending);
  // The optimized path on a LIVE controller went live (cursors computed, requeue kicked);
  // the inaccessible ones did not.
  EXPECT_EQ(heads[0]->current_path[0], nss[0].get());
  EXPECT_TRUE(heads[0]->requeue_scheduled);
  EXPECT_FALSE(heads[1]->requeue_scheduled);
  EXPECT_FALSE(heads[2]->requeue_scheduled);
}

TEST_F(HostMpathAna, UpdateAnaStateOnANonLiveControllerDoesNotSetLive) {
  NvmeCtrl* c = make_ctrl(CtrlState::Connecting);
  head_.disk_live = false;
  NvmeNs* a = add_path(c, AnaState::Change);
  c->namespaces().push_back(a);
  sim::nvme::AnaLog log;
  log.groups.push_back({1, 1, AnaState::Optimized, {1}});
  mpath::nvme_update_ana_state(c, log);
  EXPECT_EQ(a->ana_state, AnaState::Optimized);
  EXPECT_FALSE(head_.disk_live);
  EXPECT_FALSE(head_.requeue_scheduled);
  EXPECT_TRUE(cal_.empty());
}

// ---- nvme_init_subsystem (nvme_validate_cntlid) -------------------------------------------------
// Controllers made here never ran Identify, so every one has the default identity: subsystem NQN
// "", CNTLID 0, CMIC 0 (single-controller). The first one creates the subsystem.

using HostInitSubsystem = HostTest;

TEST_F(HostInitSubsystem, FirstControllerCreatesTheSubsystem) {
  NvmeCtrl* a = make_ctrl(CtrlState::Connecting);
  NvmeCtrl* b = make_ctrl(CtrlState::Connecting);
  ASSERT_TRUE(host_->nvme_init_subsystem(b));
  ASSERT_EQ(host_->subsystems().size(), 1u);
  const NvmeSubsystem* s = host_->subsystems()[0].get();
  EXPECT_EQ(b->subsys(), s);
  EXPECT_EQ(s->host, host_.get());
  EXPECT_EQ(s->instance, 1u);  // the instance of the controller that created it
  EXPECT_EQ(s->iopolicy, IoPolicy::Numa);
  EXPECT_EQ(s->ctrls, (std::vector<NvmeCtrl*>{b}));
  // A second live controller of a single-controller subsystem is refused...
  EXPECT_FALSE(host_->nvme_init_subsystem(a));
  EXPECT_EQ(a->subsys(), nullptr);
  // ...and so is a duplicate CNTLID on a multi-controller one.
  host_->subsystems()[0]->cmic = 0x2;
  EXPECT_FALSE(host_->nvme_init_subsystem(a));
  // Once the other controller is being deleted, the CNTLID may be reused.
  ASSERT_TRUE(b->nvme_change_ctrl_state(CtrlState::Deleting, "delete"));
  EXPECT_TRUE(host_->nvme_init_subsystem(a));
  EXPECT_EQ(a->subsys(), s);
  EXPECT_EQ(s->ctrls.size(), 2u);
}

// BUG (host/host.cpp:32, Host::nvme_init_subsystem): the kernel's nvme_validate_cntlid skips
// terminal controllers (DELETING, DELETING_NOIO, DEAD) *before* the CMIC multi-controller check, so
// a single-controller subsystem whose only controller is being deleted accepts a new controller.
// The model returns false for any second controller of a non-multi-controller subsystem, even when
// every existing one is terminal (controllers are never removed from s->ctrls).
// Suggested fix: for each other controller: skip it if terminal; reject if same CNTLID; reject if
// the new controller's CMIC lacks bit 1 (multi-controller); accept after the loop.
TEST_F(HostInitSubsystem, TerminalControllerDoesNotBlockASingleControllerSubsystem) {
  NvmeCtrl* a = make_ctrl(CtrlState::Connecting);
  ASSERT_TRUE(host_->nvme_init_subsystem(a));
  ASSERT_TRUE(a->nvme_change_ctrl_state(CtrlState::Deleting, "connect failed"));
  NvmeCtrl* b = make_ctrl(CtrlState::Connecting);
  EXPECT_TRUE(host_->nvme_init_subsystem(b));
}

// BUG (host/host.cpp:34-35, same function): DELETING_NOIO is terminal (nvme_state_terminal,
// semantics 5.1) but is not skipped, so a controller in DELETING_NOIO still blocks its CNTLID.
// Suggested fix: as above (one terminal test covering all three states).
TEST_F(HostInitSubsystem, DeletingNoIoControllerDoesNotBlockItsCntlid) {
  NvmeCtrl* a = make_ctrl(CtrlState::Connecting);
  ASSERT_TRUE(host_->nvme_init_subsystem(a));
  host_->subsystems()[0]->cmic = 0x2;  // multi-controller
  ASSERT_TRUE(a->nvme_change_ctrl_state(CtrlState::Deleting, "delete"));
  ASSERT_TRUE(a->nvme_change_ctrl_state(CtrlState::DeletingNoIo, "remove namespaces"));
  NvmeCtrl* b = make_ctrl(CtrlState::Connecting);
  EXPECT_TRUE(host_->nvme_init_subsystem(b));  // same (default) CNTLID 0
}

TEST(HostMpathDisk, WantsDiskOnlyForMultiControllerWithMultipathOn) {
  NvmeSubsystem s;
  NsHead h;
  h.subsys = &s;
  s.cmic = 0x2;
  EXPECT_TRUE(mpath::nvme_mpath_wants_disk(&h, true));
  EXPECT_FALSE(mpath::nvme_mpath_wants_disk(&h, false));
  s.cmic = 0x1 | 0x8;
  EXPECT_FALSE(mpath::nvme_mpath_wants_disk(&h, true));
}

// ---- block layer helpers -----------------------------------------------------------------------

using HostBlock = HostTest;

TEST_F(HostBlock, SplitAndCompleteIntoTheParent) {
  Owner owner;
  Bio* parent = host_->bios().get();
  parent->owner = &owner;
  parent->op = BioOp::Write;
  parent->fua = true;
  parent->offset = 1 << 20;
  parent->bytes = 10000;
  parent->cpu = 3;
  parent->submitted = 77;
  std::vector<Bio*> children;
  host_->split_bio(parent, 4096, [&](Bio* c) { children.push_back(c); });
  ASSERT_EQ(children.size(), 3u);
  EXPECT_EQ(parent->pending_children, 3u);
  const std::uint32_t sizes[] = {4096, 4096, 1808};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(children[i]->offset, (1u << 20) + 4096u * i);
    EXPECT_EQ(children[i]->bytes, sizes[i]);
    EXPECT_EQ(children[i]->parent, parent);
    EXPECT_EQ(children[i]->op, BioOp::Write);
    EXPECT_TRUE(children[i]->fua);
    EXPECT_EQ(children[i]->cpu, 3);
    EXPECT_EQ(children[i]->submitted, 77);
    EXPECT_NE(children[i]->id, parent->id);
  }
  children[0]->issued = 100;
  children[1]->issued = 300;
  children[1]->status = status::kWriteFault;
  children[2]->issued = 200;
  children[2]->status = status::kUnrecoveredRead;
  host_->complete_bio(children[2]);
  host_->complete_bio(children[0]);
  EXPECT_TRUE(owner.done.empty());
  host_->complete_bio(children[1]);
  ASSERT_EQ(owner.done.size(), 1u);
  EXPECT_EQ(owner.done[0].id, parent->id);
  EXPECT_EQ(owner.done[0].status, status::kUnrecoveredRead);  // the first error seen is kept
  EXPECT_EQ(parent->issued, 300);
}

TEST_F(HostBlock, SplitExactMultiple) {
  Owner owner;
  Bio* parent = host_->bios().get();
  parent->owner = &owner;
  parent->bytes = 8192;
  std::vector<Bio*> children;
  host_->split_bio(parent, 4096, [&](Bio* c) { children.push_back(c); });
  ASSERT_EQ(children.size(), 2u);
  EXPECT_EQ(children[1]->bytes, 4096u);
}

TEST(HostBioList, FifoAppendAndPop) {
  Bio b[5];
  BioList l, m;
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.pop_front(), nullptr);
  l.push_back(&b[0]);
  l.push_back(&b[1]);
  m.push_back(&b[2]);
  m.push_back(&b[3]);
  l.append(m);
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.count, 0u);
  EXPECT_EQ(l.count, 4u);
  l.append(m);  // appending an empty list is a no-op
  EXPECT_EQ(l.count, 4u);
  BioList n;
  n.append(l);  // into an empty list
  EXPECT_EQ(n.count, 4u);
  n.push_back(&b[4]);
  for (int i = 0; i < 5; ++i) {
    Bio* p = n.pop_front();
    EXPECT_EQ(p, &b[i]);
    EXPECT_EQ(p->next, nullptr);
  }
  EXPECT_TRUE(n.empty());
  EXPECT_EQ(n.tail, nullptr);
  EXPECT_EQ(n.count, 0u);
}

TEST(HostBioPool, IdsAndReuse) {
  BioPool pool;
  Bio* a = pool.get();
  Bio* b = pool.get();
  EXPECT_EQ(a->id, 1u);
  EXPECT_EQ(b->id, 2u);
  a->bytes = 123;
  a->status = 5;
  pool.put(a);
  Bio* c = pool.get();
  EXPECT_EQ(c, a);         // recycled storage
  EXPECT_EQ(c->id, 3u);    // new id
  EXPECT_EQ(c->bytes, 0u);  // reset
  EXPECT_EQ(c->status, 0);
  EXPECT_EQ(pool.allocated(), 3u);
}

}  // namespace
}  // namespace host
