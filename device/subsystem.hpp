#pragma once
// An NVM subsystem: NQN, CMIC, ports, namespaces shared by every port, one ANA state per
// (port, ANA group), the shared media, and the controllers created by host connects (dynamic
// controller model, nvme-spec-facts.md 1.5).
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
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
  bool attached = true;  // to the subsystem at all; per-port attachment is PortInfo::detached
};

struct PortInfo {
  int id;
  sim::scenario::Transport transport;
  std::map<std::uint32_t, sim::nvme::AnaState> ana;  // group -> state through this port
  bool up = true;                                    // accepting connections
  std::set<std::uint32_t> detached;  // NSIDs not attached to this port's controllers
  // The same states by group number (1..255, scenario-format.md), for the per-command check;
  // kept equal to `ana` by Subsystem::set_ana_state.
  std::array<sim::nvme::AnaState, 256> ana_by_group{};
};

// A fault: I/O commands matching it on a controller behind `port` complete with `status` instead
// of executing.
struct StatusInjection {
  int port;
  std::optional<std::uint8_t> opcode;                                // any opcode if unset
  std::optional<std::pair<std::uint64_t, std::uint64_t>> lba_range;  // [first, last] LBA
  std::uint16_t status;    // SCT << 8 | SC, plus sim::nvme::status::kDnr for DNR
  std::int64_t remaining;  // commands left to hit; -1 = unlimited
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
  // nullptr when the port is down or the subsystem has no power: the connection is refused.
  Controller* accept(int port);
  const std::vector<std::unique_ptr<Controller>>& controllers() const { return ctrls_; }
  // Live (not failed, or failed while hung: a resume still runs their zombies) controllers behind
  // `port` and/or with CNTLID `cntlid`, in creation order.
  std::vector<Controller*> select(std::optional<int> port, std::optional<int> cntlid) const;
  // Any controller, failed or not, that was given `cntlid` (nullptr if none).
  Controller* find_controller(std::uint16_t cntlid) const;

  // ---- Faults (the fault injector drives these) ----
  // Port down: every controller behind it loses its association as on a transport error (its
  // zombie window applies), and connects are refused until port_up.
  void port_down(int port);
  void port_up(int port);
  bool port_accepting(int id) const { return powered_ && port(id).up; }
  // Controller-level reset (CC.EN 1 -> 0) initiated by the subsystem, then association teardown.
  void ctrl_reset(Controller& c);
  // A pure stall: nothing is fetched, executed or completed until resume.
  void ctrl_hang(Controller& c);
  void ctrl_resume(Controller& c);
  // Controller fatal status (CSTS.CFS), then association teardown.
  void ctrl_fatal(Controller& c);
  bool ccr_supported() const { return cfg_.ccr; }
  // Moves ANA group `group` through `port` to `state`, via the Change state for anatt/2 when
  // `via_change`; each state change bumps the change count and, with `aen`, notifies every
  // enabled controller on the port.
  void ana_change(int port, std::uint32_t group, sim::nvme::AnaState state, bool via_change,
                  bool aen);
  void ns_detach(std::uint32_t nsid, int port);
  void ns_attach(std::uint32_t nsid, int port);
  bool ns_attached(std::uint32_t nsid, int port) const {
    return detached_count_ == 0 || ns_attached_slow(nsid, port);  // inline: asked per command
  }
  void inject_status(StatusInjection inj);
  // The status an I/O command on `port` is to complete with instead of executing, if an injection
  // matches it (first match in insertion order; its count goes down).
  std::optional<std::uint16_t> injected_status(int port, const sim::nvme::Command& c) {
    if (injections_.empty()) return std::nullopt;  // the common case, inline: one branch per command
    return injected_status_slow(port, c);
  }
  void power_loss();
  void power_restore();
  bool powered() const { return powered_; }

  // Publishes a DeviceEvent if anyone listens.
  void publish(int port, int cntlid, std::string what);

  const NamespaceInfo* find_namespace(std::uint32_t nsid) const;
  const std::vector<NamespaceInfo>& namespaces() const { return namespaces_; }
  const PortInfo& port(int id) const;
  sim::nvme::AnaState ana_state(int port, std::uint32_t group) const;
  std::uint64_t ana_change_count() const { return ana_chgcnt_; }

  std::uint16_t allocate_cntlid() { return next_cntlid_++; }
  std::uint8_t cmic() const;
  // The ANA log as seen through `port` (nvme-spec-facts.md 6.3).
  sim::nvme::AnaLog ana_log(int port) const;
  sim::nvme::IdentifyController identify_controller(std::uint16_t cntlid) const;
  sim::nvme::IdentifyNamespace identify_namespace(const NamespaceInfo& ns) const;

  // Unique id of a write's data as it lands on the media.
  std::uint64_t next_write_token() { return ++write_tokens_; }

 private:
  PortInfo& port_mut(int id);
  void set_ana_state(int port, std::uint32_t group, sim::nvme::AnaState state, bool aen);
  void ns_set_attached(std::uint32_t nsid, int port, bool attached);

  sim::scenario::Subsystem cfg_;
  sim::engine::Calendar& cal_;
  sim::events::Bus& bus_;
  Media media_;
  std::vector<NamespaceInfo> namespaces_;  // ascending NSID
  std::vector<PortInfo> ports_;
  std::vector<std::uint16_t> port_slot_;  // port id -> index in ports_ + 1 (0: no such port)
  std::vector<std::unique_ptr<Controller>> ctrls_;
  std::uint16_t next_cntlid_ = 1;
  std::uint64_t ana_chgcnt_ = 1;
  std::uint64_t write_tokens_ = 0;
  bool powered_ = true;
  std::vector<StatusInjection> injections_;  // insertion order; exhausted ones are removed
  std::size_t detached_count_ = 0;  // (port, nsid) detachments in force
  bool ns_attached_slow(std::uint32_t nsid, int port) const;
  std::optional<std::uint16_t> injected_status_slow(int port, const sim::nvme::Command& c);
  // Pending end of a Change transition per (port, group): a newer change cancels it.
  std::map<std::pair<int, std::uint32_t>, std::uint64_t> ana_pending_;
};

}  // namespace device
