#pragma once
// An NVM subsystem: NQN, CMIC, ports, namespaces shared by every port, one ANA state per
// (port, ANA group), the shared media, and the controllers created by host connects (dynamic
// controller model, nvme-spec-facts.md 1.5).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "device/media.hpp"
#include "sim/engine/calendar.hpp"
#include "sim/events.hpp"
#include "sim/nvme/nvme.hpp"
#include "sim/scenario/scenario.hpp"

namespace device {

class Controller;

struct NamespaceInfo {
  std::uint32_t nsid;
  std::uint64_t nlbas;
  std::uint32_t lba_size;
  std::uint32_t ana_group;
  std::uint64_t eui64;
  bool attached = true;
};

struct PortInfo {
  int id;
  sim::scenario::Transport transport;
  std::map<std::uint32_t, sim::nvme::AnaState> ana;  // group -> state through this port
};

class Subsystem {
 public:
  Subsystem(const sim::scenario::Subsystem& cfg, sim::engine::Calendar& cal, sim::events::Bus& bus,
            std::uint64_t seed);
  ~Subsystem();

  const std::string& nqn() const { return cfg_.nqn; }
  const sim::scenario::Subsystem& config() const { return cfg_; }
  sim::engine::Calendar& calendar() { return cal_; }
  sim::events::Bus& bus() { return bus_; }
  Media& media() { return media_; }

  // A new (not yet connected) controller for an association arriving on `port`. Owned here.
  Controller* accept(int port);
  const std::vector<std::unique_ptr<Controller>>& controllers() const { return ctrls_; }

  const NamespaceInfo* find_namespace(std::uint32_t nsid) const;
  const std::vector<NamespaceInfo>& namespaces() const { return namespaces_; }
  const PortInfo& port(int id) const;
  sim::nvme::AnaState ana_state(int port, std::uint32_t group) const;

  std::uint16_t allocate_cntlid() { return next_cntlid_++; }
  std::uint8_t cmic() const;
  // The ANA log as seen through `port` (nvme-spec-facts.md 6.3).
  sim::nvme::AnaLog ana_log(int port) const;
  sim::nvme::IdentifyController identify_controller(std::uint16_t cntlid) const;
  sim::nvme::IdentifyNamespace identify_namespace(const NamespaceInfo& ns) const;

  // Unique id of a write's data as it lands on the media.
  std::uint64_t next_write_token() { return ++write_tokens_; }

 private:
  sim::scenario::Subsystem cfg_;
  sim::engine::Calendar& cal_;
  sim::events::Bus& bus_;
  Media media_;
  std::vector<NamespaceInfo> namespaces_;  // ascending NSID
  std::vector<PortInfo> ports_;
  std::vector<std::unique_ptr<Controller>> ctrls_;
  std::uint16_t next_cntlid_ = 1;
  std::uint64_t ana_chgcnt_ = 1;
  std::uint64_t write_tokens_ = 0;
};

}  // namespace device
