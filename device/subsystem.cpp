#include "device/subsystem.hpp"

#include <algorithm>
#include <utility>

#include "device/controller.hpp"
#include "sim/assert.hpp"
#include "sim/rng.hpp"

namespace device {

Subsystem::Subsystem(const sim::scenario::Subsystem& cfg, sim::engine::Calendar& cal,
                     sim::events::Bus& bus, std::uint64_t seed)
    : cfg_(cfg), cal_(cal), bus_(bus), media_(cfg.media, cfg.vwc, sim::Rng(seed, "media:" + cfg.nqn)) {
  for (const auto& ns : cfg_.namespaces) {
    namespaces_.push_back(NamespaceInfo{ns.nsid, ns.size / ns.lba_size, ns.lba_size,
                                        static_cast<std::uint32_t>(ns.ana_group),
                                        sim::fnv1a(cfg_.nqn + "/" + std::to_string(ns.nsid))});
  }
  std::sort(namespaces_.begin(), namespaces_.end(),
            [](const auto& a, const auto& b) { return a.nsid < b.nsid; });
  for (const auto& p : cfg_.ports) {
    PortInfo info{p.id, p.transport, {}, true, {}};
    for (const auto& ns : namespaces_) info.ana[ns.ana_group] = sim::nvme::AnaState::Optimized;
    for (const auto& [grp, st] : p.ana) info.ana[static_cast<std::uint32_t>(grp)] = sim::nvme::from_scenario(st);
    info.ana_by_group.fill(sim::nvme::AnaState::Optimized);
    for (const auto& [grp, st] : info.ana) {
      NVMSIM_ASSERT(grp < info.ana_by_group.size(), "ANA group {} out of range", grp);
      info.ana_by_group[grp] = st;
    }
    ports_.push_back(std::move(info));
    const auto id = static_cast<std::size_t>(p.id);
    if (port_slot_.size() <= id) port_slot_.resize(id + 1, 0);
    port_slot_[id] = static_cast<std::uint16_t>(ports_.size());
  }
}

Subsystem::~Subsystem() = default;

Controller* Subsystem::accept(int port) {
  if (!port_accepting(port)) return nullptr;
  ctrls_.push_back(std::make_unique<Controller>(*this, port));
  return ctrls_.back().get();
}

std::vector<Controller*> Subsystem::select(std::optional<int> port,
                                           std::optional<int> cntlid) const {
  std::vector<Controller*> out;
  for (const auto& c : ctrls_) {
    // A failed controller is gone, except that a hung one still holds commands a resume runs.
    if (c->state() == CtrlState::Failed && !c->hung()) continue;
    if (port && c->port() != *port) continue;
    if (cntlid && c->cntlid() != *cntlid) continue;
    out.push_back(c.get());
  }
  return out;
}

Controller* Subsystem::find_controller(std::uint16_t cntlid) const {
  if (cntlid == 0) return nullptr;  // not yet connected controllers have none
  for (const auto& c : ctrls_)
    if (c->cntlid() == cntlid) return c.get();
  return nullptr;
}

const NamespaceInfo* Subsystem::find_namespace(std::uint32_t nsid) const {
  for (const auto& ns : namespaces_)
    if (ns.nsid == nsid) return ns.attached ? &ns : nullptr;
  return nullptr;
}

const PortInfo& Subsystem::port(int id) const {
  const std::size_t slot = id >= 0 && static_cast<std::size_t>(id) < port_slot_.size() ? port_slot_[id] : 0;
  NVMSIM_ASSERT(slot != 0, "subsystem {} has no port {}", cfg_.nqn, id);
  return ports_[slot - 1];
}

PortInfo& Subsystem::port_mut(int id) {
  return const_cast<PortInfo&>(std::as_const(*this).port(id));
}

void Subsystem::publish(int port, int cntlid, std::string what) {
  if (!bus_.has_subscribers<sim::events::DeviceEvent>()) return;
  bus_.publish(sim::events::DeviceEvent{cal_.now(), cfg_.nqn, port, cntlid, std::move(what)});
}

// ---- Faults
// ---------------------------------------------------------------------------------------

void Subsystem::port_down(int id) {
  PortInfo& p = port_mut(id);
  if (!p.up) return;
  p.up = false;
  publish(id, -1, "port down");
  for (Controller* c : select(id, std::nullopt)) c->port_lost();
}

void Subsystem::port_up(int id) {
  PortInfo& p = port_mut(id);
  if (p.up) return;
  p.up = true;
  publish(id, -1, "port up");
}

void Subsystem::ctrl_reset(Controller& c) { c.reset(); }
void Subsystem::ctrl_hang(Controller& c) { c.hang(); }
void Subsystem::ctrl_resume(Controller& c) { c.resume(); }
void Subsystem::ctrl_fatal(Controller& c) { c.set_fatal(); }

void Subsystem::set_ana_state(int port_id, std::uint32_t group, sim::nvme::AnaState state,
                              bool aen) {
  NVMSIM_ASSERT(group < 256, "ANA group {} out of range", group);
  PortInfo& p = port_mut(port_id);
  p.ana[group] = state;
  p.ana_by_group[group] = state;
  // One change counter for the header and every group descriptor, as nvmet (spec-facts 6.3).
  ++ana_chgcnt_;
  publish(port_id, -1, "ana group " + std::to_string(group) + " -> " + sim::nvme::to_string(state));
  if (!aen) return;
  for (Controller* c : select(port_id, std::nullopt)) c->notify_aen(AenKind::Ana);
}

// A group in Change must leave it within ANATT (spec-facts 6.2); the model takes half of it.
void Subsystem::ana_change(int port_id, std::uint32_t group, sim::nvme::AnaState state,
                           bool via_change, bool aen) {
  const auto key = std::make_pair(port_id, group);
  if (auto it = ana_pending_.find(key); it != ana_pending_.end()) {
    cal_.cancel(it->second);  // a newer change overrides the transition in progress
    ana_pending_.erase(it);
  }
  if (!via_change || state == sim::nvme::AnaState::Change) {
    set_ana_state(port_id, group, state, aen);
    return;
  }
  set_ana_state(port_id, group, sim::nvme::AnaState::Change, aen);
  ana_pending_[key] = cal_.call_in(cfg_.anatt / 2, [this, key, state, aen]() {
    ana_pending_.erase(key);
    set_ana_state(key.first, key.second, state, aen);
  });
}

bool Subsystem::ns_attached_slow(std::uint32_t nsid, int port_id) const {
  const PortInfo& p = port(port_id);
  return p.detached.empty() || !p.detached.contains(nsid);
}

void Subsystem::ns_set_attached(std::uint32_t nsid, int port_id, bool attached) {
  PortInfo& p = port_mut(port_id);
  const bool changed = attached ? p.detached.erase(nsid) > 0 : p.detached.insert(nsid).second;
  if (!changed) return;
  if (attached) --detached_count_;
  else ++detached_count_;
  publish(port_id, -1, "ns " + std::to_string(nsid) + (attached ? " attached" : " detached"));
  // Namespace Attribute Changed notice to the port's controllers (spec-facts 6.4).
  for (Controller* c : select(port_id, std::nullopt)) c->notify_aen(AenKind::NsChanged);
}

void Subsystem::ns_detach(std::uint32_t nsid, int port_id) {
  ns_set_attached(nsid, port_id, false);
}
void Subsystem::ns_attach(std::uint32_t nsid, int port_id) { ns_set_attached(nsid, port_id, true); }

void Subsystem::inject_status(StatusInjection inj) {
  if (inj.remaining == 0) return;
  injections_.push_back(inj);
}

std::optional<std::uint16_t> Subsystem::injected_status_slow(int port_id, const sim::nvme::Command& c) {
  for (auto it = injections_.begin(); it != injections_.end(); ++it) {
    if (it->port != port_id) continue;
    if (it->opcode && *it->opcode != c.opcode) continue;
    if (it->lba_range) {
      // Only commands with an LBA range can overlap one (not Flush, not nlb 0).
      if (c.opcode == sim::nvme::io_opc::kFlush || c.nlb == 0) continue;
      const std::uint64_t last = c.slba + c.nlb - 1;
      if (last < it->lba_range->first || c.slba > it->lba_range->second) continue;
    }
    const std::uint16_t st = it->status;
    if (it->remaining > 0 && --it->remaining == 0) injections_.erase(it);
    return st;
  }
  return std::nullopt;
}

// Power is gone at once: no controller quiesces or tells anyone, nothing more reaches the media,
// and the volatile write cache is lost.
void Subsystem::power_loss() {
  if (!powered_) return;
  powered_ = false;
  publish(-1, -1, "power loss");
  for (const auto& c : ctrls_) c->power_lost();
  const auto reverted = media_.lose_volatile();
  if (bus_.has_subscribers<sim::events::MediaReverted>())
    for (const auto& r : reverted)
      bus_.publish(sim::events::MediaReverted{cal_.now(), cfg_.nqn, r.nsid, r.lba, r.lost, r.restored});
  for (const auto& [key, id] : ana_pending_) cal_.cancel(id);
  ana_pending_.clear();
}

void Subsystem::power_restore() {
  if (powered_) return;
  powered_ = true;
  publish(-1, -1, "power restore");
}

sim::nvme::AnaState Subsystem::ana_state(int port_id, std::uint32_t group) const {
  // A group without a state through this port reads as optimized, as the map's default did.
  return group < 256 ? port(port_id).ana_by_group[group] : sim::nvme::AnaState::Optimized;
}

std::uint8_t Subsystem::cmic() const {
  return static_cast<std::uint8_t>((cfg_.cmic.multi_port ? 1 : 0) | (cfg_.cmic.multi_ctrl ? 2 : 0) |
                                   (cfg_.cmic.ana ? 8 : 0));
}

sim::nvme::AnaLog Subsystem::ana_log(int port_id) const {
  sim::nvme::AnaLog log;
  log.chgcnt = ana_chgcnt_;
  const auto& p = port(port_id);
  for (const auto& [grp, st] : p.ana) {
    sim::nvme::AnaGroupDesc d;
    d.grpid = grp;
    d.chgcnt = ana_chgcnt_;
    d.state = st;
    for (const auto& ns : namespaces_)
      if (ns.attached && ns.ana_group == grp && ns_attached(ns.nsid, port_id))
        d.nsids.push_back(ns.nsid);
    log.groups.push_back(std::move(d));
  }
  return log;
}

sim::nvme::IdentifyController Subsystem::identify_controller(std::uint16_t cntlid) const {
  sim::nvme::IdentifyController id;
  id.cntlid = cntlid;
  id.cmic = cmic();
  id.mdts_bytes = static_cast<std::uint32_t>(cfg_.controller.mdts);
  id.kas = static_cast<std::uint16_t>(cfg_.kas / sim::kMillisecond / 100);
  id.cqt_ms = static_cast<std::uint16_t>(cfg_.cqt / sim::kMillisecond);
  for (int i = 0; i < 3; ++i) id.crdt[i] = static_cast<std::uint16_t>(cfg_.crdt[i] / (100 * sim::kMillisecond));
  id.tbkas = cfg_.tbkas;
  id.vwc = cfg_.vwc;
  std::uint32_t nn = 0;
  for (const auto& ns : namespaces_) nn = std::max(nn, ns.nsid);
  id.nn = nn;
  id.anatt_s = static_cast<std::uint8_t>(std::min<sim::Time>(255, cfg_.anatt / sim::kSecond));
  std::uint32_t maxgrp = 1;
  for (const auto& ns : namespaces_) maxgrp = std::max(maxgrp, ns.ana_group);
  id.anagrpmax = maxgrp;
  id.nanagrpid = maxgrp;
  id.mnan = static_cast<std::uint32_t>(namespaces_.size());
  id.max_io_queues = static_cast<std::uint16_t>(cfg_.controller.max_io_queues);
  id.mqes = static_cast<std::uint16_t>(cfg_.controller.queue_depth - 1);
  id.subnqn = cfg_.nqn;
  id.serial = cfg_.serial;
  id.model = cfg_.model;
  id.firmware = cfg_.firmware;
  id.ccrl = cfg_.ccr ? 4 : 0;  // nvmet's value, as TP8028 recommends (spec-facts 3.4)
  return id;
}

sim::nvme::IdentifyNamespace Subsystem::identify_namespace(const NamespaceInfo& ns) const {
  sim::nvme::IdentifyNamespace id;
  id.nsid = ns.nsid;
  id.nsze = ns.nlbas;
  id.lba_size = ns.lba_size;
  id.shared = cfg_.cmic.multi_ctrl;
  id.anagrpid = cfg_.cmic.ana ? ns.ana_group : 0;
  id.eui64 = ns.eui64;
  id.nguid_hi = ns.eui64;
  id.nguid_lo = sim::fnv1a(cfg_.nqn);
  return id;
}

}  // namespace device
