#include "device/controller.hpp"

#include <algorithm>

#include "device/subsystem.hpp"
#include "sim/assert.hpp"

namespace device {

using namespace sim::nvme;

namespace {
// A processing event carries its slot and the processing generation it was scheduled in.
std::uint64_t proc_arg(std::uint32_t slot, std::uint32_t gen) {
  return (static_cast<std::uint64_t>(gen) << 32) | slot;
}
}  // namespace

Controller::Controller(Subsystem& subsys, int port)
    : subsys_(subsys), cal_(subsys.calendar()), port_(port) {
  queues_.resize(1);  // admin queue
}

std::size_t Controller::queued_commands() const {
  std::size_t n = 0;
  for (const auto& q : queues_) n += q.sq.size();
  return n;
}

std::uint32_t Controller::alloc_slot(const Command& c) {
  std::uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[i].cmd = c;
  slots_[i].token = 0;
  slots_[i].held = false;
  slots_[i].arrived = cal_.now();
  return i;
}

void Controller::on_command(const Command& c) {
  if (state_ == CtrlState::Failed) {  // nobody is listening on a torn-down association
    publish_dropped(c);
    return;
  }
  if (c.qid >= queues_.size()) queues_.resize(c.qid + 1u);
  const std::uint32_t slot = alloc_slot(c);
  if (hung_) {
    // A hung controller fetches nothing: the command waits in its SQ, and (TBKAS) only counts as
    // a sign of life once it is processed after resume.
    slots_[slot].held = true;
    queues_[c.qid].sq.push_back({slot, 0, 0});  // timed and numbered on resume
    return;
  }
  // Traffic-based keep-alive: any command counts as a sign of life (nvme-spec-facts.md 3.2).
  if (subsys_.config().tbkas) last_keep_alive_ = cal_.now();
  enqueue(c.qid, slot);
}

void Controller::enqueue(std::uint16_t qid, std::uint32_t slot) {
  Queue& q = queues_[qid];
  const sim::Time start = std::max(cal_.now(), q.busy_until);
  q.busy_until = start + subsys_.config().controller.cmd_overhead;
  q.sq.push_back({slot, q.busy_until, cal_.reserve_seq()});
  if (q.sq.size() == 1) arm_head(q);
}

// The queue's head finishes processing at the time it was given when queued, in the calendar
// order it took then, so the lane runs exactly as one event per queued command would.
void Controller::arm_head(const Queue& q) {
  const Queue::Entry& h = q.sq.front();
  cal_.schedule_reserved(h.t, h.seq, this, kProcessed, proc_arg(h.slot, proc_gen_));
}

std::string Controller::describe_event(std::uint32_t kind, std::uint64_t) const {
  return "device controller cntlid " + std::to_string(cntlid_) + " (port " + std::to_string(port_) + ")" +
         (kind == kProcessed ? ": command processed" : ": media done");
}

void Controller::on_event(std::uint32_t kind, std::uint64_t arg) {
  switch (kind) {
    case kProcessed:
      // Scheduled before a hang or a drop: the command was rescheduled or is gone.
      if (static_cast<std::uint32_t>(arg >> 32) != proc_gen_) return;
      return on_processed(static_cast<std::uint32_t>(arg));
    case kMediaDone:
      return on_media_done(static_cast<std::uint32_t>(arg));
    default:
      NVMSIM_ASSERT(false, "controller: unknown event {}", kind);
  }
}

void Controller::on_processed(std::uint32_t slot) {
  Slot& s = slots_[slot];
  Queue& q = queues_[s.cmd.qid];
  NVMSIM_ASSERT(!q.sq.empty() && q.sq.front().slot == slot,
                "controller {}: SQ {} processed out of order", cntlid_, s.cmd.qid);
  q.sq.pop_front();
  if (!q.sq.empty()) arm_head(q);
  if (s.held && subsys_.config().tbkas) last_keep_alive_ = cal_.now();
  if (state_ != CtrlState::Failed) {
    if (s.cmd.qid == 0)
      execute_admin(slot);
    else
      execute_io(slot);
    return;
  }
  // A zombie: the association is gone, but the controller has not quiesced yet. I/O still
  // executes (never completed); admin work no longer matters to anyone. Status injections stand
  // for completions, which a zombie never sends, so they neither stop it nor get used up.
  if (s.cmd.qid == 0 || cal_.now() > quiesce_.process_until ||
      check_io_target(s.cmd) != status::kSuccess) {
    drop_slot(slot);
    return;
  }
  start_media(slot);
}

void Controller::on_media_done(std::uint32_t slot) {
  Slot& s = slots_[slot];
  const Command& c = s.cmd;
  const bool alive = state_ != CtrlState::Failed;
  // A hung controller still has its media operations finish (the media is the subsystem's), so
  // their data lands; only the completion waits for resume.
  if (alive || cal_.now() <= quiesce_.land_until) {
    Media& media = subsys_.media();
    // Write Zeroes lands new (zero) data just like a write: the old token must not survive.
    if (c.opcode == io_opc::kWrite || c.opcode == io_opc::kWriteZeroes) {
      media.land_write(c.nsid, c.slba, c.nlb, s.token, c.fua);
      auto& bus = subsys_.bus();
      if (bus.has_subscribers<sim::events::MediaWrite>())
        bus.publish(sim::events::MediaWrite{cal_.now(), subsys_.nqn(), c.nsid, c.slba, c.nlb,
                                            s.token, !alive});
    } else if (c.opcode == io_opc::kDsm) {
      media.trim(c.nsid, c.slba, c.nlb);
    } else if (c.opcode == io_opc::kFlush) {
      media.flush(c.nsid);
    }
  }
  if (!alive) {  // a zombie's execution ends without a completion
    drop_slot(slot);
    return;
  }
  const std::uint32_t data =
      c.opcode == io_opc::kRead ? c.nlb * subsys_.find_namespace(c.nsid)->lba_size : 0;
  std::shared_ptr<const std::vector<std::uint64_t>> tokens;
  if (c.opcode == io_opc::kRead && c.want_tokens) {
    // The data as it is on the media when the read finishes.
    auto t = std::make_shared<std::vector<std::uint64_t>>(c.nlb);
    for (std::uint32_t i = 0; i < c.nlb; ++i) (*t)[i] = subsys_.media().token_at(c.nsid, c.slba + i);
    tokens = std::move(t);
  }
  complete(slot, status::kSuccess, 0, data, nullptr, std::move(tokens));
}

// The namespace, ANA and LBA checks of an I/O command; the controller state is not looked at, so
// a zombie command goes through the same ones.
std::uint16_t Controller::check_io_target(const Command& c) const {
  if (c.opcode != io_opc::kFlush || c.nsid != 0xFFFFFFFF) {
    const NamespaceInfo* ns = subsys_.find_namespace(c.nsid);
    if (!ns) return status::kInvalidField | status::kDnr;
    // Not attached to this port's controllers: an inactive NSID for them.
    if (!subsys_.ns_attached(c.nsid, port_)) return status::kInvalidNs | status::kDnr;
    // ANA state of the namespace's group through this controller's port (nvme-spec-facts.md 6.2);
    // a subsystem that does not report ANA (CMIC bit 3 clear) has no ANA states to enforce.
    const AnaState ana = subsys_.config().cmic.ana ? subsys_.ana_state(port_, ns->ana_group) : AnaState::Optimized;
    switch (ana) {
      case AnaState::Optimized:
      case AnaState::NonOptimized: break;
      case AnaState::Inaccessible: return status::kAnaInaccessible;
      case AnaState::PersistentLoss: return status::kAnaPersistentLoss;
      case AnaState::Change: return status::kAnaTransition;
    }
    if (c.opcode != io_opc::kFlush && c.slba + c.nlb > ns->nlbas) return status::kLbaRange | status::kDnr;
  }
  switch (c.opcode) {
    case io_opc::kRead:
    case io_opc::kWrite:
    case io_opc::kFlush:
    case io_opc::kDsm:
    case io_opc::kWriteZeroes: return status::kSuccess;
    default: return status::kInvalidOpcode | status::kDnr;
  }
}

std::uint16_t Controller::check_io(const Command& c) const {
  if (state_ != CtrlState::Enabled || !queues_[c.qid].connected) return status::kAbortRequested;
  // After a normal shutdown the controller is no longer ready for I/O (nvme-spec-facts.md 2.2:
  // commands while not ready get Command Sequence Error).
  if (shut_down_) return status::kCmdSeqError | status::kDnr;
  return check_io_target(c);
}

void Controller::execute_io(std::uint32_t slot) {
  const Command& c = slots_[slot].cmd;
  if (const std::uint16_t st = check_io(c); st != status::kSuccess) return complete(slot, st);
  // An injected error replaces the execution: no media access.
  if (const auto st = subsys_.injected_status(port_, c)) {
    // Without ACRE the controller may not ask for a retry delay: the CRD field stays 0.
    return complete(slot, acre_ ? *st : static_cast<std::uint16_t>(*st & ~status::kCrdMask));
  }
  start_media(slot);
}

void Controller::start_media(std::uint32_t slot) {
  const Command& c = slots_[slot].cmd;
  MediaOp op = MediaOp::Read;
  std::uint64_t bytes = 0;
  switch (c.opcode) {
    case io_opc::kRead:
      op = MediaOp::Read;
      bytes = std::uint64_t{c.nlb} * subsys_.find_namespace(c.nsid)->lba_size;
      break;
    case io_opc::kWrite:
    case io_opc::kWriteZeroes:
      op = MediaOp::Write;
      bytes = c.opcode == io_opc::kWrite
                  ? std::uint64_t{c.nlb} * subsys_.find_namespace(c.nsid)->lba_size
                  : 0;
      // The host's tag stands for the data (the checkers follow it); without one, a fresh token.
      slots_[slot].token = c.tag ? c.tag : subsys_.next_write_token();
      break;
    case io_opc::kFlush: op = MediaOp::Flush; break;
    case io_opc::kDsm: op = MediaOp::Trim; break;
  }
  const sim::Time done = subsys_.media().schedule(cal_.now(), op, bytes, c.fua);
  cal_.schedule(done, this, kMediaDone, slot);
}

void Controller::execute_admin(std::uint32_t slot) {
  const Command c = slots_[slot].cmd;
  switch (c.opcode) {
    case admin_opc::kFabrics:
      return execute_fabrics(slot);
    case admin_opc::kIdentify: {
      if (c.cdw10 == cns::kController)
        return complete(slot, status::kSuccess, 0, 4096,
                        std::make_shared<const AdminData>(subsys_.identify_controller(cntlid_)));
      if (c.cdw10 == cns::kActiveNsList) {
        std::vector<std::uint32_t> list;
        for (const auto& ns : subsys_.namespaces())
          if (ns.attached && subsys_.ns_attached(ns.nsid, port_)) list.push_back(ns.nsid);
        return complete(slot, status::kSuccess, 0, 4096, std::make_shared<const AdminData>(std::move(list)));
      }
      if (c.cdw10 == cns::kNamespace) {
        const NamespaceInfo* ns = subsys_.find_namespace(c.nsid);
        if (!ns) return complete(slot, status::kInvalidField | status::kDnr);
        if (!subsys_.ns_attached(c.nsid, port_))
          return complete(slot, status::kInvalidNs | status::kDnr);
        return complete(slot, status::kSuccess, 0, 4096,
                        std::make_shared<const AdminData>(subsys_.identify_namespace(*ns)));
      }
      return complete(slot, status::kInvalidField | status::kDnr);
    }
    case admin_opc::kGetLogPage:
      return execute_get_log_page(slot);
    case admin_opc::kSetFeatures: {
      // Number of Queues (FID 07h): grant up to the controller's limit, 0's based in the result.
      if ((c.cdw10 & 0xFF) == 0x07) {
        const std::uint32_t want = (c.cdw11 & 0xFFFF) + 1;
        const std::uint32_t got =
            std::min<std::uint32_t>(want, static_cast<std::uint32_t>(subsys_.config().controller.max_io_queues));
        return complete(slot, status::kSuccess, ((got - 1) << 16) | (got - 1));
      }
      // Host Behavior Support (FID 16h): ACRE lets the controller put a Command Retry Delay in
      // its statuses (nvme-spec-facts.md 5.3). Only the ACRE bit is modelled (cdw11 bit 0).
      if ((c.cdw10 & 0xFF) == 0x16) acre_ = (c.cdw11 & 1) != 0;
      return complete(slot, status::kSuccess);
    }
    case admin_opc::kKeepAlive:
      restart_keep_alive();
      return complete(slot, status::kSuccess);
    case admin_opc::kAsyncEventRequest:
      // An event that found no AER outstanding is reported to the next one (nvme-spec-facts 6.4).
      if (!queued_aens_.empty()) {
        const std::uint32_t result = queued_aens_.front();
        queued_aens_.pop_front();
        return complete(slot, status::kSuccess, result);
      }
      pending_aers_.push_back(slot);  // held until an event (AEN) occurs
      return;
    case admin_opc::kCrossCtrlReset:
      return execute_ccr(slot);
    default: return complete(slot, status::kInvalidOpcode | status::kDnr);
  }
}

void Controller::execute_fabrics(std::uint32_t slot) {
  const Command c = slots_[slot].cmd;
  switch (c.fctype) {
    case fctype::kConnect: {
      // cdw10 = queue id to create, cdw11 = KATO in ms (admin queue only), cdw12 = queue size.
      // The admin Connect creates the controller (CNTLID from the subsystem).
      const auto qid = static_cast<std::uint16_t>(c.cdw10);
      if (qid == 0) {
        if (state_ != CtrlState::AwaitingConnect)
          return complete(slot, status::kConnectInvalidParam | status::kDnr);
        cntlid_ = subsys_.allocate_cntlid();
        state_ = CtrlState::Enabled;
        kato_ = static_cast<sim::Time>(c.cdw11) * sim::kMillisecond;
        queues_[0].connected = true;
        restart_keep_alive();
        return complete(slot, status::kSuccess, cntlid_);
      }
      if (state_ != CtrlState::Enabled || shut_down_ ||
          qid > subsys_.config().controller.max_io_queues)
        return complete(slot, status::kConnectInvalidParam | status::kDnr);
      if (qid >= queues_.size()) queues_.resize(qid + 1u);
      queues_[qid].connected = true;
      return complete(slot, status::kSuccess, cntlid_);
    }
    case fctype::kPropertySet:
      // Normal shutdown (CC.SHN = 01b, nvme-spec-facts.md 2.2): the host has quiesced its queues;
      // whatever is still queued is dropped without completion, and since the controller is now
      // quiesced a later association loss leaves no zombies. Shutdown completes at once (nvmet).
      if (c.cdw10 == prop::kCc && (c.cdw11 & prop::kCcShnNormal) && !shut_down_) {
        shut_down_ = true;
        drop_queued();
        subsys_.publish(port_, cntlid_, "shutdown");
      }
      return complete(slot, status::kSuccess);
    case fctype::kPropertyGet: {
      std::uint32_t v = 0;
      if (c.cdw10 == prop::kCsts) {
        if (state_ == CtrlState::Enabled && !shut_down_) v |= 0x1;  // RDY
        if (fatal_) v |= prop::kCstsCfs;
        if (shut_down_) v |= 0x2u << 2;  // SHST = 10b: shutdown complete
      } else if (c.cdw10 == prop::kCc) {
        if (state_ == CtrlState::Enabled) v |= prop::kCcEnable;
        if (shut_down_) v |= prop::kCcShnNormal;
      }
      return complete(slot, status::kSuccess, v);
    }
    default:
      return complete(slot, status::kInvalidOpcode | status::kDnr);
  }
}

void Controller::execute_get_log_page(std::uint32_t slot) {
  const Command c = slots_[slot].cmd;
  const bool retain = (c.cdw10 & kLogRae) != 0;
  switch (c.cdw10 & 0xFF) {
    case kLogAna: {
      if (!subsys_.config().cmic.ana) break;
      // Reading the log without RAE re-arms the ANA change notice (nvme-spec-facts.md 6.4).
      if (!retain) unmask_aen(AenKind::Ana);
      AnaLog log = subsys_.ana_log(port_);
      std::uint32_t bytes = 16;
      for (const auto& g : log.groups) bytes += 32 + 4 * static_cast<std::uint32_t>(g.nsids.size());
      return complete(slot, status::kSuccess, 0, bytes,
                      std::make_shared<const AdminData>(std::move(log)));
    }
    case kLogChangedNs:
      // The host rescans the active namespace list anyway; the list itself is not modelled.
      if (!retain) unmask_aen(AenKind::NsChanged);
      return complete(slot, status::kSuccess);
    default:
      break;
  }
  complete(slot, status::kInvalidField | status::kDnr);
}

// Cross-Controller Reset (TP8028, nvme-spec-facts.md 3.4): this controller is the source; the
// impacted one is failed at once and its zombies killed, so the reset completes immediately.
void Controller::execute_ccr(std::uint32_t slot) {
  const Command c = slots_[slot].cmd;
  const auto impacted_id = static_cast<std::uint16_t>(c.cdw10 & 0xFFFF);
  Controller* impacted = subsys_.ccr_supported() ? subsys_.find_controller(impacted_id) : nullptr;
  if (!impacted || impacted == this) return complete(slot, status::kInvalidField | status::kDnr);
  impacted->cross_reset();
  complete(slot, status::kSuccess, 0x1);  // DW0 bit 0: immediate reset successful
}

void Controller::complete(std::uint32_t slot, std::uint16_t st, std::uint32_t result,
                          std::uint32_t data_bytes, std::shared_ptr<const AdminData> data,
                          std::shared_ptr<const std::vector<std::uint64_t>> tokens) {
  const Command& c = slots_[slot].cmd;
  if (c.qid != 0 && c.tag) {
    auto& bus = subsys_.bus();
    if (bus.has_subscribers<sim::events::CommandCompleted>())
      bus.publish(sim::events::CommandCompleted{cal_.now(), c.tag, st});
  }
  Completion cqe;
  cqe.tokens = std::move(tokens);
  cqe.qid = c.qid;
  cqe.cid = c.cid;
  cqe.status = st;
  cqe.result = result;
  cqe.data_bytes = st == status::kSuccess ? data_bytes : 0;
  cqe.admin_data = std::move(data);
  free_slot(slot);
  if (hung_) {  // nothing is posted until resume
    held_cqes_.push_back(std::move(cqe));
    return;
  }
  ++completed_;
  if (link_) link_->send_completion(assoc_, std::move(cqe));
}

void Controller::publish_dropped(const sim::nvme::Command& c) {
  if (c.qid == 0 || !c.tag) return;
  auto& bus = subsys_.bus();
  if (bus.has_subscribers<sim::events::CommandDropped>())
    bus.publish(sim::events::CommandDropped{cal_.now(), c.tag});
}

void Controller::drop_slot(std::uint32_t i) {
  publish_dropped(slots_[i].cmd);
  free_slot(i);
}

// ---- Keep alive ---------------------------------------------------------------------------------

// Keep Alive Timer (nvme-spec-facts.md 3.2): restarted by each Keep Alive (or any command with
// TBKAS); checked with the controller's KAS granularity, so expiry is detected up to one KAS late.
void Controller::restart_keep_alive() {
  last_keep_alive_ = cal_.now();
  if (kato_ > 0 && ka_check_id_ == 0) arm_keep_alive_check(last_keep_alive_ + kato_);
}

// The timer keeps running while the controller is hung, but an expiry found then is not acted on:
// a hang is meant as a pure stall, and the Keep Alives the host sent meanwhile sit unprocessed in
// the admin SQ. resume() checks again once they have been processed.
void Controller::arm_keep_alive_check(sim::Time at) {
  const sim::Time kas = std::max<sim::Time>(subsys_.config().kas, sim::kMillisecond);
  const sim::Time when = (at + kas - 1) / kas * kas;
  ka_check_id_ = cal_.call_at(when, [this]() {
    ka_check_id_ = 0;
    if (state_ != CtrlState::Enabled) return;
    if (cal_.now() - last_keep_alive_ >= kato_) {
      if (hung_) return;  // re-checked on resume
      return fail("keep-alive timer expired", zombie_quiesce());
    }
    arm_keep_alive_check(last_keep_alive_ + kato_);
  });
}

void Controller::cancel_keep_alive() {
  if (ka_check_id_) cal_.cancel(ka_check_id_);
  ka_check_id_ = 0;
}

// ---- Faults -------------------------------------------------------------------------------------

// After a loss, accepted commands may still run until the controller quiesces; a normal shutdown
// already quiesced it, so then only what is on the media lands.
Controller::Quiesce Controller::zombie_quiesce() const {
  const sim::Time window = subsys_.config().controller.zombie_window;
  if (shut_down_) return {kNone, sim::kNever};
  if (window <= 0) return {kNone, kNone};
  return {cal_.now() + window, cal_.now() + window};
}

void Controller::fail(const char* reason, Quiesce q, bool notify_peer) {
  if (state_ == CtrlState::Failed) return;
  state_ = CtrlState::Failed;
  loss_time_ = cal_.now();
  quiesce_ = q;
  if (q.process_until < cal_.now()) drop_queued();
  // Completions are never sent on a dead association: AERs, queued events and held CQEs go.
  for (std::uint32_t s : pending_aers_) free_slot(s);
  pending_aers_.clear();
  queued_aens_.clear();
  held_cqes_.clear();
  cancel_keep_alive();
  subsys_.publish(port_, cntlid_, reason);
  if (link_) link_->close_association(assoc_, sim::fabric::Side::Device, notify_peer);
}

// Every queued command is dropped without completion; pending processing events become stale.
void Controller::drop_queued() {
  ++proc_gen_;
  for (auto& q : queues_) {
    for (const auto& e : q.sq) drop_slot(e.slot);
    q.sq.clear();
    q.busy_until = std::min(q.busy_until, cal_.now());
  }
}

void Controller::on_transport_error(std::uint32_t assoc) {
  if (assoc == assoc_) fail("transport connection lost", zombie_quiesce());
}

void Controller::port_lost() { fail("port down", zombie_quiesce()); }

// Controller Level Reset (nvme-spec-facts.md 2.2): processing stops, outstanding commands are not
// completed; like nvmet, the target waits for the backend I/O already issued, so writes on the
// media land. Nothing queued runs.
void Controller::reset() { fail("controller reset", {kNone, sim::kNever}); }

void Controller::hang() {
  if (hung_) return;
  hung_ = true;
  ++proc_gen_;  // scheduled processing stops; the commands stay in their SQs
  for (auto& q : queues_)
    for (const auto& e : q.sq) slots_[e.slot].held = true;
  subsys_.publish(port_, cntlid_, "hang");
}

// The Keep Alive Timer runs by the clock (NVMe base spec 2.0, section 3.9.2 Keep Alive Timer):
// it expires when KATO passes without a Keep Alive (or, with TBKAS, any command) arriving. A hang
// stalls processing, not the clock, so the timer is replayed over the arrival times of the
// commands the hang held: the first gap of KATO or more is the expiry.
sim::Time Controller::keep_alive_expired_during_hang() const {
  if (state_ != CtrlState::Enabled || kato_ <= 0) return sim::kNever;
  const bool tbkas = subsys_.config().tbkas;
  std::vector<sim::Time> signs;
  for (const auto& q : queues_)
    for (const auto& e : q.sq) {
      const Slot& sl = slots_[e.slot];
      if (!sl.held) continue;
      if (tbkas || (sl.cmd.qid == 0 && sl.cmd.opcode == admin_opc::kKeepAlive)) signs.push_back(sl.arrived);
    }
  std::sort(signs.begin(), signs.end());
  sim::Time last = last_keep_alive_;
  for (sim::Time a : signs) {
    if (a - last >= kato_) break;
    last = std::max(last, a);
  }
  const sim::Time expiry = last + kato_;
  if (expiry > cal_.now()) return sim::kNever;
  // Detected with the controller's KAS granularity, as arm_keep_alive_check does.
  const sim::Time kas = std::max<sim::Time>(subsys_.config().kas, sim::kMillisecond);
  return std::min((expiry + kas - 1) / kas * kas, cal_.now());
}

void Controller::resume() {
  if (!hung_) return;
  // An association whose keep-alive timer ran out while the controller was hung is torn down
  // before anything else: the commands the hang held do not run as if it were live (they may
  // run only as zombies within zombie_window of the expiry, like after any loss).
  const sim::Time expired = keep_alive_expired_during_hang();
  hung_ = false;
  subsys_.publish(port_, cntlid_, "resume");
  if (expired != sim::kNever) {
    const sim::Time window = subsys_.config().controller.zombie_window;
    Quiesce q = zombie_quiesce();
    if (!shut_down_) q = window <= 0 ? Quiesce{kNone, kNone} : Quiesce{expired + window, expired + window};
    fail("keep-alive timer expired", q);
  }
  // Completions produced during the hang go out first, in the order they were produced.
  for (auto& cqe : held_cqes_) {
    ++completed_;
    if (link_) link_->send_completion(assoc_, std::move(cqe));
  }
  held_cqes_.clear();
  // Every queue's processor restarts from now, in SQ order, one cmd_overhead per command.
  const sim::Time overhead = subsys_.config().controller.cmd_overhead;
  sim::Time drained = cal_.now();
  for (auto& q : queues_) {
    q.busy_until = cal_.now();
    for (auto& e : q.sq) {
      q.busy_until += overhead;
      e.t = q.busy_until;
      e.seq = cal_.reserve_seq();
    }
    if (!q.sq.empty()) arm_head(q);
    drained = std::max(drained, q.busy_until);
  }
  // The deferred keep-alive check: once the commands held by the hang have been processed (a Keep
  // Alive among them restarts the timer), the timer is checked again.
  if (state_ == CtrlState::Enabled && kato_ > 0) {
    cancel_keep_alive();
    arm_keep_alive_check(std::max(last_keep_alive_ + kato_, drained));
  }
}

// CSTS.CFS: the controller stops completing anything and, like nvmet's fatal-error path, tears the
// association down; what it had accepted may still execute as zombies.
void Controller::set_fatal() {
  if (state_ == CtrlState::Failed) return;
  fatal_ = true;
  fail("fatal", zombie_quiesce());
}

void Controller::cross_reset() {
  fail("cross-controller reset", {kNone, kNone});
  // Already failed before: its zombies die now.
  quiesce_ = {kNone, kNone};
  drop_queued();
}

void Controller::power_lost() {
  fail("power loss", {kNone, kNone}, /*notify_peer=*/false);
  quiesce_ = {kNone, kNone};
  drop_queued();
}

void Controller::notify_aen(AenKind kind) {
  if (state_ != CtrlState::Enabled) return;
  bool& masked = aen_masked_[static_cast<int>(kind)];
  if (masked) return;  // suppressed until the host reads the log page without RAE
  masked = true;
  const std::uint32_t result =
      kind == AenKind::Ana ? aen::result(aen::kTypeNotice, aen::kNoticeAnaChange, kLogAna)
                           : aen::result(aen::kTypeNotice, aen::kNoticeNsChanged, kLogChangedNs);
  if (pending_aers_.empty()) {
    queued_aens_.push_back(result);
    return;
  }
  const std::uint32_t slot = pending_aers_.front();
  pending_aers_.erase(pending_aers_.begin());
  complete(slot, status::kSuccess, result);
}

}  // namespace device
