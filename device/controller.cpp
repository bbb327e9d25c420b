#include "device/controller.hpp"

#include <algorithm>

#include "device/subsystem.hpp"
#include "sim/assert.hpp"

namespace device {

using namespace sim::nvme;

Controller::Controller(Subsystem& subsys, int port)
    : subsys_(subsys), cal_(subsys.calendar()), port_(port) {
  queues_.resize(1);  // admin queue
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
  slots_[i].epoch = epoch_;
  return i;
}

void Controller::on_command(const Command& c) {
  if (state_ == CtrlState::Failed) return;  // nobody is listening on a torn-down association
  if (c.qid >= queues_.size()) queues_.resize(c.qid + 1u);
  // Traffic-based keep-alive: any command counts as a sign of life (nvme-spec-facts.md 3.2).
  if (subsys_.config().tbkas) last_keep_alive_ = cal_.now();
  Queue& q = queues_[c.qid];
  const sim::Time start = std::max(cal_.now(), q.busy_until);
  q.busy_until = start + subsys_.config().controller.cmd_overhead;
  cal_.schedule(q.busy_until, this, kProcessed, alloc_slot(c));
}

void Controller::on_event(std::uint32_t kind, std::uint64_t arg) {
  const auto slot = static_cast<std::uint32_t>(arg);
  if (slots_[slot].epoch != epoch_) {  // accepted by an association that has since died
    free_slot(slot);
    return;
  }
  switch (kind) {
    case kProcessed:
      if (slots_[slot].cmd.qid == 0) execute_admin(slot);
      else execute_io(slot);
      break;
    case kMediaDone: {
      Slot& s = slots_[slot];
      const Command& c = s.cmd;
      std::uint32_t data = 0;
      // Write Zeroes lands new (zero) data just like a write: the old token must not survive.
      if (c.opcode == io_opc::kWrite || c.opcode == io_opc::kWriteZeroes)
        subsys_.media().land_write(c.nsid, c.slba, c.nlb, s.token);
      else if (c.opcode == io_opc::kDsm) subsys_.media().trim(c.nsid, c.slba, c.nlb);
      else if (c.opcode == io_opc::kRead) data = c.nlb * subsys_.find_namespace(c.nsid)->lba_size;
      complete(slot, status::kSuccess, 0, data);
      break;
    }
    default: NVMSIM_ASSERT(false, "controller: unknown event {}", kind);
  }
}

std::uint16_t Controller::check_io(const Command& c) const {
  if (state_ != CtrlState::Enabled || !queues_[c.qid].connected) return status::kAbortRequested;
  if (c.opcode != io_opc::kFlush || c.nsid != 0xFFFFFFFF) {
    const NamespaceInfo* ns = subsys_.find_namespace(c.nsid);
    if (!ns) return status::kInvalidField | status::kDnr;
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

void Controller::execute_io(std::uint32_t slot) {
  const Command& c = slots_[slot].cmd;
  if (const std::uint16_t st = check_io(c); st != status::kSuccess) {
    complete(slot, st);
    return;
  }
  MediaOp op = MediaOp::Read;
  std::uint64_t bytes = 0;
  const NamespaceInfo* ns = subsys_.find_namespace(c.nsid);
  switch (c.opcode) {
    case io_opc::kRead: op = MediaOp::Read; bytes = std::uint64_t{c.nlb} * ns->lba_size; break;
    case io_opc::kWrite:
    case io_opc::kWriteZeroes:
      op = MediaOp::Write;
      bytes = c.opcode == io_opc::kWrite ? std::uint64_t{c.nlb} * ns->lba_size : 0;
      slots_[slot].token = subsys_.next_write_token();
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
    case admin_opc::kFabrics: {
      // Connect. cdw10 = queue id to create, cdw11 = KATO in ms (admin queue only),
      // cdw12 = queue size. The admin Connect creates the controller (CNTLID from the subsystem).
      const auto qid = static_cast<std::uint16_t>(c.cdw10);
      if (qid == 0) {
        if (state_ != CtrlState::AwaitingConnect) return complete(slot, status::kConnectInvalidParam | status::kDnr);
        cntlid_ = subsys_.allocate_cntlid();
        state_ = CtrlState::Enabled;
        kato_ = static_cast<sim::Time>(c.cdw11) * sim::kMillisecond;
        queues_[0].connected = true;
        restart_keep_alive();
        return complete(slot, status::kSuccess, cntlid_);
      }
      if (state_ != CtrlState::Enabled || qid > subsys_.config().controller.max_io_queues)
        return complete(slot, status::kConnectInvalidParam | status::kDnr);
      if (qid >= queues_.size()) queues_.resize(qid + 1u);
      queues_[qid].connected = true;
      return complete(slot, status::kSuccess, cntlid_);
    }
    case admin_opc::kIdentify: {
      if (c.cdw10 == cns::kController)
        return complete(slot, status::kSuccess, 0, 4096,
                        std::make_shared<const AdminData>(subsys_.identify_controller(cntlid_)));
      if (c.cdw10 == cns::kActiveNsList) {
        std::vector<std::uint32_t> list;
        for (const auto& ns : subsys_.namespaces())
          if (ns.attached) list.push_back(ns.nsid);
        return complete(slot, status::kSuccess, 0, 4096, std::make_shared<const AdminData>(std::move(list)));
      }
      if (c.cdw10 == cns::kNamespace) {
        const NamespaceInfo* ns = subsys_.find_namespace(c.nsid);
        if (!ns) return complete(slot, status::kInvalidField | status::kDnr);
        return complete(slot, status::kSuccess, 0, 4096,
                        std::make_shared<const AdminData>(subsys_.identify_namespace(*ns)));
      }
      return complete(slot, status::kInvalidField | status::kDnr);
    }
    case admin_opc::kGetLogPage: {
      if ((c.cdw10 & 0xFF) != kLogAna || !subsys_.config().cmic.ana)
        return complete(slot, status::kInvalidField | status::kDnr);
      AnaLog log = subsys_.ana_log(port_);
      std::uint32_t bytes = 16;
      for (const auto& g : log.groups) bytes += 32 + 4 * static_cast<std::uint32_t>(g.nsids.size());
      return complete(slot, status::kSuccess, 0, bytes, std::make_shared<const AdminData>(std::move(log)));
    }
    case admin_opc::kSetFeatures: {
      // Number of Queues (FID 07h): grant up to the controller's limit, 0's based in the result.
      if ((c.cdw10 & 0xFF) == 0x07) {
        const std::uint32_t want = (c.cdw11 & 0xFFFF) + 1;
        const std::uint32_t got =
            std::min<std::uint32_t>(want, static_cast<std::uint32_t>(subsys_.config().controller.max_io_queues));
        return complete(slot, status::kSuccess, ((got - 1) << 16) | (got - 1));
      }
      return complete(slot, status::kSuccess);
    }
    case admin_opc::kKeepAlive:
      restart_keep_alive();
      return complete(slot, status::kSuccess);
    case admin_opc::kAsyncEventRequest:
      pending_aers_.push_back(slot);  // held until an event (AEN) occurs
      return;
    default: return complete(slot, status::kInvalidOpcode | status::kDnr);
  }
}

void Controller::complete(std::uint32_t slot, std::uint16_t st, std::uint32_t result,
                          std::uint32_t data_bytes, std::shared_ptr<const AdminData> data) {
  const Command& c = slots_[slot].cmd;
  Completion cqe;
  cqe.qid = c.qid;
  cqe.cid = c.cid;
  cqe.status = st;
  cqe.result = result;
  cqe.data_bytes = st == status::kSuccess ? data_bytes : 0;
  cqe.admin_data = std::move(data);
  free_slot(slot);
  ++completed_;
  if (link_) link_->send_completion(assoc_, std::move(cqe));
}

// Keep Alive Timer (nvme-spec-facts.md 3.2): restarted by each Keep Alive (or any command with
// TBKAS); checked with the controller's KAS granularity, so expiry is detected up to one KAS late.
void Controller::restart_keep_alive() {
  last_keep_alive_ = cal_.now();
  if (kato_ > 0 && ka_check_id_ == 0) arm_keep_alive_check(last_keep_alive_ + kato_);
}

void Controller::arm_keep_alive_check(sim::Time at) {
  const sim::Time kas = std::max<sim::Time>(subsys_.config().kas, sim::kMillisecond);
  const sim::Time when = (at + kas - 1) / kas * kas;
  ka_check_id_ = cal_.call_at(when, [this]() {
    ka_check_id_ = 0;
    if (state_ != CtrlState::Enabled) return;
    if (cal_.now() - last_keep_alive_ >= kato_) return fail("keep-alive timer expired");
    arm_keep_alive_check(last_keep_alive_ + kato_);
  });
}

void Controller::fail(const char*) {
  // The association is torn down: queued and executing commands belong to a dead epoch.
  state_ = CtrlState::Failed;
  ++epoch_;
  for (std::uint32_t s : pending_aers_) free_slot(s);
  pending_aers_.clear();
  if (ka_check_id_) cal_.cancel(ka_check_id_);
  ka_check_id_ = 0;
  if (link_) link_->close_association(assoc_, sim::fabric::Side::Device);
}

void Controller::on_transport_error(std::uint32_t assoc) {
  if (assoc == assoc_) fail("transport connection lost");
}

}  // namespace device
