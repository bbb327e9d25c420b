#include "device/subsystem.hpp"

#include <algorithm>

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
    PortInfo info{p.id, p.transport, {}};
    for (const auto& ns : namespaces_) info.ana[ns.ana_group] = sim::nvme::AnaState::Optimized;
    for (const auto& [grp, st] : p.ana) info.ana[static_cast<std::uint32_t>(grp)] = sim::nvme::from_scenario(st);
    ports_.push_back(std::move(info));
  }
}

Subsystem::~Subsystem() = default;

Controller* Subsystem::accept(int port) {
  ctrls_.push_back(std::make_unique<Controller>(*this, port));
  return ctrls_.back().get();
}

const NamespaceInfo* Subsystem::find_namespace(std::uint32_t nsid) const {
  for (const auto& ns : namespaces_)
    if (ns.nsid == nsid) return ns.attached ? &ns : nullptr;
  return nullptr;
}

const PortInfo& Subsystem::port(int id) const {
  for (const auto& p : ports_)
    if (p.id == id) return p;
  NVMSIM_ASSERT(false, "subsystem {} has no port {}", cfg_.nqn, id);
}

sim::nvme::AnaState Subsystem::ana_state(int port_id, std::uint32_t group) const {
  const auto& p = port(port_id);
  auto it = p.ana.find(group);
  return it == p.ana.end() ? sim::nvme::AnaState::Optimized : it->second;
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
      if (ns.attached && ns.ana_group == grp) d.nsids.push_back(ns.nsid);
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
