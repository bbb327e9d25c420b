#pragma once
// A small world for host-model unit tests: one device::Subsystem with two ports (links 0 and 1 ->
// ports 1 and 2), one host::Host whose controllers connect through a connector like
// sim/world's, and a calendar to drive. Shared by host_recovery_test.cpp and
// host_variants_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
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

namespace host::small_world {

using sim::kMicrosecond;
using sim::kMillisecond;
using sim::kSecond;
using sim::Time;
using sim::nvme::AnaState;
using sim::scenario::KernelProfile;
using sim::scenario::Transport;
namespace status = sim::nvme::status;

constexpr const char* kNqn = "nqn.2024-01.io.nvmsim:small-world";

// Request and keep-alive timeouts tick on whole seconds (NvmeCtrl::add_timeout, as blk-mq).
inline Time ceil_to_second(Time t) { return (t + kSecond - 1) / kSecond * kSecond; }

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
inline void bring_up(World& w, NvmeCtrl* c, Time until = 10 * kMillisecond) {
  w.run_until(until);
  ASSERT_EQ(c->state(), CtrlState::Live);
}

}  // namespace host::small_world
