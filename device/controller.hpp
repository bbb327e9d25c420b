#pragma once
// One NVMe controller, created for one host association on one port (dynamic model). It answers
// the admin commands a Linux host sends while connecting (Connect, Identify, Get Log Page ANA,
// Set Features, Keep Alive, AER) and executes I/O against the subsystem's shared media.
//
// Timing of a command: it waits for its submission queue's processor (one command at a time per
// queue, `cmd_overhead` each: SQ fetch, parse, PRP/SGL setup), then for the media, then its
// completion capsule goes back over the link.
#include <cstdint>
#include <vector>

#include "sim/engine/calendar.hpp"
#include "sim/fabric/link.hpp"
#include "sim/nvme/nvme.hpp"

namespace device {

class Subsystem;

enum class CtrlState : std::uint8_t {
  AwaitingConnect,  // association open, no admin Connect yet
  Enabled,          // CC.EN = 1, CSTS.RDY = 1
  Failed,           // keep-alive expired or fatal: association torn down (CSTS.CFS)
};

class Controller final : public sim::fabric::CapsuleSink, public sim::engine::EventTarget {
 public:
  Controller(Subsystem& subsys, int port);

  void bind(sim::fabric::Link* link, std::uint32_t assoc) {
    link_ = link;
    assoc_ = assoc;
  }
  std::uint16_t cntlid() const { return cntlid_; }
  int port() const { return port_; }
  CtrlState state() const { return state_; }
  sim::Time kato() const { return kato_; }
  std::uint64_t commands_completed() const { return completed_; }

  // CapsuleSink (device side).
  void on_command(const sim::nvme::Command& c) override;
  void on_transport_error(std::uint32_t assoc) override;

  void on_event(std::uint32_t kind, std::uint64_t arg) override;

 private:
  enum EventKind : std::uint32_t { kProcessed = 0, kMediaDone = 1 };
  struct Slot {
    sim::nvme::Command cmd;
    std::uint64_t token = 0;  // write data token
    std::uint64_t epoch = 0;  // association incarnation that accepted it
  };
  struct Queue {
    sim::Time busy_until = 0;
    bool connected = false;
  };

  std::uint32_t alloc_slot(const sim::nvme::Command& c);
  void free_slot(std::uint32_t i) { free_.push_back(i); }
  void execute_admin(std::uint32_t slot);
  void execute_io(std::uint32_t slot);
  void complete(std::uint32_t slot, std::uint16_t status, std::uint32_t result = 0,
                std::uint32_t data_bytes = 0,
                std::shared_ptr<const sim::nvme::AdminData> data = nullptr);
  std::uint16_t check_io(const sim::nvme::Command& c) const;
  void restart_keep_alive();
  void arm_keep_alive_check(sim::Time at);
  void fail(const char* reason);

  Subsystem& subsys_;
  sim::engine::Calendar& cal_;
  int port_;
  sim::fabric::Link* link_ = nullptr;
  std::uint32_t assoc_ = 0;
  CtrlState state_ = CtrlState::AwaitingConnect;
  std::uint16_t cntlid_ = 0;
  sim::Time kato_ = 0;
  sim::Time last_keep_alive_ = 0;
  std::uint64_t ka_check_id_ = 0;
  std::uint64_t epoch_ = 1;
  std::vector<Queue> queues_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint64_t completed_ = 0;
  std::vector<std::uint32_t> pending_aers_;  // held Asynchronous Event Requests (slot ids)
};

}  // namespace device
