#pragma once
// One NVMe controller, created for one host association on one port (dynamic model). It answers
// the admin commands a Linux host sends while connecting (Connect, Property Get/Set, Identify, Get
// Log Page, Set Features, Keep Alive, AER, Cross-Controller Reset) and executes I/O against the
// subsystem's shared media.
//
// Timing of a command: it waits in its submission queue for the queue's processor (one command at
// a time per queue, `cmd_overhead` each: SQ fetch, parse, PRP/SGL setup), then for the media, then
// its completion capsule goes back over the link.
//
// Losing the association (keep-alive expiry, transport error, port down, fatal) does not stop the
// commands already accepted at once: as on a real target they may still execute until the
// controller has quiesced, `zombie_window` after the loss (nvme-spec-facts.md 3.3, CQT). Their
// completions are never sent. Those are the writes a host must fence before retrying elsewhere.
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sim/engine/calendar.hpp"
#include "sim/fabric/link.hpp"
#include "sim/nvme/nvme.hpp"

namespace device {

class Subsystem;

enum class CtrlState : std::uint8_t {
  AwaitingConnect,  // association open, no admin Connect yet
  Enabled,          // CC.EN = 1, CSTS.RDY = 1
  Failed,           // association torn down (keep-alive expiry, transport loss, reset, fatal)
};

// Kinds of asynchronous event, each masked separately (nvme-spec-facts.md 6.4).
enum class AenKind : std::uint8_t { NsChanged = 0, Ana = 1 };

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
  bool hung() const { return hung_; }
  bool shut_down() const { return shut_down_; }
  bool fatal() const { return fatal_; }
  // When the association was lost (valid once Failed).
  sim::Time loss_time() const { return loss_time_; }
  // Commands accepted and not yet handed to the media (all submission queues).
  std::size_t queued_commands() const;

  // CapsuleSink (device side).
  void on_command(const sim::nvme::Command& c) override;
  void on_transport_error(std::uint32_t assoc) override;

  void on_event(std::uint32_t kind, std::uint64_t arg) override;
  std::string describe_event(std::uint32_t kind, std::uint64_t arg) const override;

  // ---- Driven by the Subsystem's fault entry points ----
  // The port went down: a transport error seen from this side.
  void port_lost();
  // Controller-level reset: queued commands dropped, media work lands but is not completed.
  void reset();
  void hang();
  void resume();
  void set_fatal();
  // Forced failure by a Cross-Controller Reset: nothing more of this controller reaches the
  // media, even if it had already failed and still had zombies.
  void cross_reset();
  // Power is gone: fails with nothing more executing, and nobody is told.
  void power_lost();
  // An asynchronous event for the host: completes an outstanding AER, or is queued for the next
  // one; suppressed while its kind is masked.
  void notify_aen(AenKind kind);

 private:
  enum EventKind : std::uint32_t { kProcessed = 0, kMediaDone = 1 };
  struct Slot {
    sim::nvme::Command cmd;
    std::uint64_t token = 0;  // write data token
    bool held = false;        // queued while the controller was hung
    sim::Time arrived = 0;    // when the command reached the controller
  };
  struct Queue {
    sim::Time busy_until = 0;
    bool connected = false;
    // Accepted, not yet processed, in arrival order: slot id, when its processing ends and the
    // calendar sequence number taken when it was queued. A queue is a FIFO lane (engine/lane.hpp):
    // only its head has a kProcessed event in the calendar, armed when it becomes the head.
    struct Entry {
      std::uint32_t slot;
      sim::Time t;
      std::uint64_t seq;
    };
    std::deque<Entry> sq;
  };
  // How a dying controller quiesces: queued commands reaching execution by `process_until` still
  // run, media operations finishing by `land_until` still land. kNone = nothing.
  static constexpr sim::Time kNone = -1;
  struct Quiesce {
    sim::Time process_until;
    sim::Time land_until;
  };

  void arm_head(const Queue& q);
  std::uint32_t alloc_slot(const sim::nvme::Command& c);
  void free_slot(std::uint32_t i) { free_.push_back(i); }
  // Frees an I/O slot whose command will never complete (CommandDropped for the checkers).
  void drop_slot(std::uint32_t i);
  void publish_dropped(const sim::nvme::Command& c);
  // When the Keep Alive Timer ran out during a hang, by the arrival times of what the hang held
  // (sim::kNever: it did not).
  sim::Time keep_alive_expired_during_hang() const;
  void enqueue(std::uint16_t qid, std::uint32_t slot);
  void on_processed(std::uint32_t slot);
  void on_media_done(std::uint32_t slot);
  void execute_admin(std::uint32_t slot);
  void execute_fabrics(std::uint32_t slot);
  void execute_get_log_page(std::uint32_t slot);
  void execute_ccr(std::uint32_t slot);
  void execute_io(std::uint32_t slot);
  void start_media(std::uint32_t slot);
  void complete(std::uint32_t slot, std::uint16_t status, std::uint32_t result = 0,
                std::uint32_t data_bytes = 0,
                std::shared_ptr<const sim::nvme::AdminData> data = nullptr,
                std::shared_ptr<const std::vector<std::uint64_t>> tokens = nullptr);
  std::uint16_t check_io(const sim::nvme::Command& c) const;
  std::uint16_t check_io_target(const sim::nvme::Command& c) const;
  void restart_keep_alive();
  void arm_keep_alive_check(sim::Time at);
  void cancel_keep_alive();
  Quiesce zombie_quiesce() const;
  void fail(const char* reason, Quiesce q, bool notify_peer = true);
  void drop_queued();
  void unmask_aen(AenKind kind) { aen_masked_[static_cast<int>(kind)] = false; }

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
  // Bumped whenever scheduled processing events must be ignored (hang, drop): they carry it.
  std::uint32_t proc_gen_ = 0;
  bool hung_ = false;
  bool shut_down_ = false;
  bool acre_ = false;  // the host enabled Advanced Command Retry (Host Behavior Support, FID 16h)
  bool fatal_ = false;
  sim::Time loss_time_ = 0;
  Quiesce quiesce_{kNone, kNone};
  std::vector<Queue> queues_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint64_t completed_ = 0;
  std::vector<std::uint32_t> pending_aers_;       // held Asynchronous Event Requests (slot ids)
  std::deque<std::uint32_t> queued_aens_;         // events (AER DW0) waiting for an AER
  bool aen_masked_[2] = {false, false};           // per AenKind
  std::vector<sim::nvme::Completion> held_cqes_;  // completions produced while hung
};

}  // namespace device
