#include "host/core.hpp"

#include <algorithm>

#include "host/host.hpp"
#include "host/multipath.hpp"
#include "sim/assert.hpp"

namespace host {

using namespace sim::nvme;

const char* to_string(CtrlState s) {
  switch (s) {
    case CtrlState::New: return "new";
    case CtrlState::Live: return "live";
    case CtrlState::Resetting: return "resetting";
    case CtrlState::Connecting: return "connecting";
    case CtrlState::Deleting: return "deleting";
    case CtrlState::DeletingNoIo: return "deleting (no IO)";
    case CtrlState::Dead: return "dead";
  }
  return "unknown";
}

NvmeCtrl::NvmeCtrl(Host& host, int instance, CtrlOptions opts, sim::fabric::Link& link,
                   sim::scenario::Transport transport)
    : host_(host),
      instance_(instance),
      name_("nvme" + std::to_string(instance)),
      opts_(std::move(opts)),
      link_(link),
      transport_(transport) {}

// Allowed transitions of nvme_change_ctrl_state (semantics 5.2, 6.x kernels).
bool NvmeCtrl::nvme_change_ctrl_state(CtrlState to, const std::string& reason) {
  const CtrlState from = state_;
  bool ok = false;
  switch (to) {
    case CtrlState::Live: ok = from == CtrlState::Connecting; break;
    case CtrlState::Resetting: ok = from == CtrlState::New || from == CtrlState::Live; break;
    case CtrlState::Connecting: ok = from == CtrlState::New || from == CtrlState::Resetting; break;
    case CtrlState::Deleting:
      ok = from == CtrlState::Live || from == CtrlState::Resetting || from == CtrlState::Connecting;
      break;
    case CtrlState::DeletingNoIo: ok = from == CtrlState::Deleting || from == CtrlState::Dead; break;
    case CtrlState::Dead: ok = from == CtrlState::Deleting; break;
    case CtrlState::New: ok = false; break;
  }
  if (!ok) return false;
  state_ = to;
  host_.bus().publish(sim::events::CtrlStateChanged{host_.cal().now(), host_.name() + "/" + name_,
                                                    to_string(from), to_string(to), reason});
  if (to == CtrlState::Live) {
    failfast_expired = false;
    mpath::nvme_kick_requeue_lists(this);
  }
  return true;
}

// ---- admin queue -------------------------------------------------------------------------------

void NvmeCtrl::submit_admin(Command cmd, AdminDone done) {
  cmd.qid = 0;
  cmd.cid = next_admin_cid_++;
  admin_inflight_[cmd.cid] = std::move(done);
  link_.send_command(assoc_, cmd);
}

void NvmeCtrl::on_admin_completion(const Completion& cqe) {
  auto it = admin_inflight_.find(cqe.cid);
  if (it == admin_inflight_.end()) return;
  AdminDone done = std::move(it->second);
  admin_inflight_.erase(it);
  if (done) done(cqe);
}

void NvmeCtrl::start_connect(std::uint32_t assoc) {
  assoc_ = assoc;
  nvme_change_ctrl_state(CtrlState::Connecting, "connect");
  connect_admin_queue();
}

// The fabrics bring-up, step by step as nvme_tcp_setup_ctrl runs it: admin queue Connect,
// Identify Controller (and the ANA log, nvme_mpath_init_identify), queue count, I/O queue
// Connects, then LIVE and the namespace scan.
void NvmeCtrl::connect_admin_queue() {
  Command c;
  c.opcode = admin_opc::kFabrics;
  c.fctype = fctype::kConnect;
  c.cdw10 = 0;
  const bool ka = link_.transport().keep_alive && opts_.nvme.kato > 0;
  c.cdw11 = ka ? static_cast<std::uint32_t>(opts_.nvme.kato / sim::kMillisecond) : 0;
  c.cdw12 = 32;
  submit_admin(c, [this](const Completion& cqe) {
    if (cqe.status != status::kSuccess) {
      nvme_change_ctrl_state(CtrlState::Deleting, "connect rejected");
      return;
    }
    identify_controller();
  });
}

void NvmeCtrl::identify_controller() {
  Command c;
  c.opcode = admin_opc::kIdentify;
  c.cdw10 = cns::kController;
  submit_admin(c, [this](const Completion& cqe) {
    NVMSIM_ASSERT(cqe.status == status::kSuccess && cqe.admin_data, "identify controller failed");
    id_ = std::get<IdentifyController>(*cqe.admin_data);
    max_bytes_ = id_.mdts_bytes ? id_.mdts_bytes : (1u << 20);
    if (!subsys_ && !host_.nvme_init_subsystem(this)) {
      nvme_change_ctrl_state(CtrlState::Deleting, "subsystem does not allow another controller");
      return;
    }
    if ((id_.cmic & 0x8) && host_.multipath_enabled()) {
      read_ana_log([this]() { set_queue_count(); });
    } else {
      set_queue_count();
    }
  });
}

void NvmeCtrl::read_ana_log(std::function<void()> then) {
  Command c;
  c.opcode = admin_opc::kGetLogPage;
  c.cdw10 = kLogAna;
  c.nsid = 0xFFFFFFFF;
  submit_admin(c, [this, then = std::move(then)](const Completion& cqe) {
    if (cqe.status == status::kSuccess && cqe.admin_data)
      ana_log_ = std::make_shared<const AnaLog>(std::get<AnaLog>(*cqe.admin_data));
    if (ana_log_ && state_ == CtrlState::Live) mpath::nvme_update_ana_state(this, *ana_log_);
    if (then) then();
  });
}

void NvmeCtrl::queue_ana_work() {
  if (ana_work_queued_) return;
  ana_work_queued_ = true;
  host_.cal().call_in(0, [this]() {
    ana_work_queued_ = false;
    // nvme_ana_work does nothing unless LIVE; ANA_PENDING then stays until the next good read.
    if (state_ == CtrlState::Live) read_ana_log(nullptr);
  });
}

void NvmeCtrl::set_queue_count() {
  const int want = std::max(1, opts_.nr_io_queues);
  Command c;
  c.opcode = admin_opc::kSetFeatures;
  c.cdw10 = 0x07;
  c.cdw11 = static_cast<std::uint32_t>(((want - 1) << 16) | (want - 1));
  submit_admin(c, [this, want](const Completion& cqe) {
    granted_io_queues_ = std::min<int>(want, static_cast<int>((cqe.result & 0xFFFF) + 1));
    const int depth = std::min<int>(opts_.queue_size, id_.mqes + 1);
    queues_.assign(static_cast<std::size_t>(granted_io_queues_), HwQueue{});
    for (int i = 0; i < granted_io_queues_; ++i) {
      HwQueue& q = queues_[static_cast<std::size_t>(i)];
      q.qid = static_cast<std::uint16_t>(i + 1);
      q.rqs.resize(static_cast<std::size_t>(depth));
      for (int t = depth - 1; t >= 0; --t) {
        q.rqs[static_cast<std::size_t>(t)].tag = static_cast<std::uint16_t>(t);
        q.rqs[static_cast<std::size_t>(t)].qid = q.qid;
        q.free_tags.push_back(static_cast<std::uint16_t>(t));
      }
    }
    connect_io_queue(1);
  });
}

void NvmeCtrl::connect_io_queue(int qid) {
  if (qid > granted_io_queues_) {
    setup_done();
    return;
  }
  Command c;
  c.opcode = admin_opc::kFabrics;
  c.fctype = fctype::kConnect;
  c.cdw10 = static_cast<std::uint32_t>(qid);
  c.cdw12 = static_cast<std::uint32_t>(opts_.queue_size);
  submit_admin(c, [this, qid](const Completion& cqe) {
    if (cqe.status != status::kSuccess) {
      nvme_change_ctrl_state(CtrlState::Deleting, "I/O queue connect failed");
      return;
    }
    connect_io_queue(qid + 1);
  });
}

void NvmeCtrl::setup_done() {
  nvme_change_ctrl_state(CtrlState::Live, "connected");
  // nvme_start_ctrl: keep-alive, AEN, re-apply the ANA log now that we are LIVE (nvme_mpath_update).
  if (link_.transport().keep_alive && opts_.nvme.kato > 0) {
    const sim::Time period = id_.tbkas ? opts_.nvme.kato / 4 : opts_.nvme.kato / 2;
    ka_timer_ = host_.cal().call_in(period, [this]() { nvme_keep_alive_work(); });
  }
  Command aer;
  aer.opcode = admin_opc::kAsyncEventRequest;
  submit_admin(aer, nullptr);
  if (ana_log_) mpath::nvme_update_ana_state(this, *ana_log_);
  nvme_scan_work();
}

void NvmeCtrl::nvme_keep_alive_work() {
  ka_timer_ = 0;
  if (state_ != CtrlState::Live) return;
  Command c;
  c.opcode = admin_opc::kKeepAlive;
  submit_admin(c, nullptr);
  const sim::Time period = id_.tbkas ? opts_.nvme.kato / 4 : opts_.nvme.kato / 2;
  ka_timer_ = host_.cal().call_in(period, [this]() { nvme_keep_alive_work(); });
}

void NvmeCtrl::nvme_scan_work() {
  Command c;
  c.opcode = admin_opc::kIdentify;
  c.cdw10 = cns::kActiveNsList;
  submit_admin(c, [this](const Completion& cqe) {
    if (cqe.status != status::kSuccess || !cqe.admin_data) return;
    scan_namespace(std::get<std::vector<std::uint32_t>>(*cqe.admin_data), 0);
  });
}

void NvmeCtrl::scan_namespace(std::vector<std::uint32_t> nsids, std::size_t i) {
  if (i >= nsids.size()) return;
  Command c;
  c.opcode = admin_opc::kIdentify;
  c.cdw10 = cns::kNamespace;
  c.nsid = nsids[i];
  submit_admin(c, [this, nsids = std::move(nsids), i](const Completion& cqe) mutable {
    if (cqe.status == status::kSuccess && cqe.admin_data) {
      const auto& idns = std::get<IdentifyNamespace>(*cqe.admin_data);
      bool known = false;
      for (NvmeNs* ns : namespaces_) known |= ns->nsid == idns.nsid;
      if (!known) {
        NvmeNs* ns = host_.nvme_alloc_ns(this, idns);
        if (ns) {
          // nvme_mpath_add_disk: ANA state from the cached log, or optimized without ANA.
          if (ana_log_) mpath::nvme_update_ana_state(this, *ana_log_);
          else if (ns->head && state_ == CtrlState::Live) mpath::nvme_mpath_set_live(ns);
        }
      }
    }
    scan_namespace(std::move(nsids), i + 1);
  });
}

// ---- I/O path ----------------------------------------------------------------------------------

HwQueue& NvmeCtrl::queue_for_cpu(int cpu) {
  // blk_mq_map_queues, simplified: cpus spread over the queues in order.
  return queues_[static_cast<std::size_t>(cpu) % queues_.size()];
}

Request* NvmeCtrl::get_request(HwQueue& q) {
  if (q.free_tags.empty()) return nullptr;
  const std::uint16_t tag = q.free_tags.back();
  q.free_tags.pop_back();
  Request& rq = q.rqs[tag];
  rq.in_use = true;
  rq.retries = 0;
  rq.status = 0;
  rq.bios = BioList{};
  ++rq.generation;
  return &rq;
}

void NvmeCtrl::submit_to_queue(NvmeNs* ns, Bio* bio) {
  // Paths exist only after the scan, which runs once the I/O queues are connected.
  NVMSIM_ASSERT(!queues_.empty(), "{}: I/O before any I/O queue exists", name_);
  if (bio->bytes > max_bytes_ && bio->op != BioOp::Flush && !bio->mpath) {
    host_.split_bio(bio, max_bytes_, [this, ns](Bio* child) { submit_to_queue(ns, child); });
    return;
  }
  bio->target = ns;
  HwQueue& q = queue_for_cpu(bio->cpu);
  // Plug merge: a bio that continues the last plugged request joins it (blk_attempt_plug_merge).
  if (plug_depth_ > 0 && !plug_list_.empty() && (bio->op == BioOp::Read || bio->op == BioOp::Write)) {
    Request* last = plug_list_.back();
    if (last->ns == ns && last->qid == q.qid && last->op == bio->op && last->fua == bio->fua &&
        last->offset + last->bytes == bio->offset && last->bytes + bio->bytes <= max_bytes_) {
      last->bios.push_back(bio);
      last->bytes += bio->bytes;
      return;
    }
  }
  Request* rq = get_request(q);
  if (!rq) {
    q.waiting.push_back(bio);
    return;
  }
  rq->ns = ns;
  rq->op = bio->op;
  rq->fua = bio->fua;
  rq->mpath = bio->mpath;
  rq->offset = bio->offset;
  rq->bytes = bio->bytes;
  rq->bios.push_back(bio);
  if (plug_depth_ > 0) plug_list_.push_back(rq);
  else start_request(*rq);
}

void NvmeCtrl::blk_finish_plug() {
  if (--plug_depth_ > 0) return;
  std::vector<Request*> list;
  list.swap(plug_list_);
  for (Request* rq : list) start_request(*rq);
}

void NvmeCtrl::start_request(Request& rq) {
  rq.issued = host_.cal().now();
  for (Bio* b = rq.bios.head; b; b = b->next) b->issued = rq.issued;
  queue_rq(rq);
}

void NvmeCtrl::queue_rq(Request& rq) {
  // nvme_check_ready: fabrics controllers take I/O when LIVE, or while DELETING.
  const bool ready = state_ == CtrlState::Live || state_ == CtrlState::Deleting;
  if (!ready) {
    // nvme_fail_nonready_command: non-multipath I/O waits (BLK_STS_RESOURCE, re-run after 3 ms)
    // while the controller may come back; everything else bounces as a host path error.
    const bool terminal = state_ == CtrlState::Deleting || state_ == CtrlState::DeletingNoIo ||
                          state_ == CtrlState::Dead;
    if (!terminal && !failfast_expired && !rq.mpath) {
      host_.cal().schedule_in(3 * sim::kMillisecond, this, kRequeueRerun,
                              (std::uint64_t{rq.qid} << 48) | (rq.generation << 16) | rq.tag);
      return;
    }
    rq.status = status::kHostPathError;
    nvme_complete_rq(rq);
    return;
  }
  if (rq.mpath) mpath::nvme_mpath_start_request(rq);
  const NvmeNs* ns = rq.ns;
  Command c;
  c.qid = rq.qid;
  c.cid = rq.tag;
  c.nsid = ns->nsid;
  c.fua = rq.fua;
  switch (rq.op) {
    case BioOp::Read: c.opcode = io_opc::kRead; break;
    case BioOp::Write: c.opcode = io_opc::kWrite; c.data_bytes = rq.bytes; break;
    case BioOp::Flush: c.opcode = io_opc::kFlush; break;
    case BioOp::Discard: c.opcode = io_opc::kDsm; break;
  }
  c.slba = rq.offset / ns->lba_sz;
  c.nlb = rq.bytes / ns->lba_sz;
  host_.bus().publish(sim::events::RequestIssued{host_.cal().now(), ns->path_id, rq.bytes, dir_of(rq.op)});
  link_.send_command(assoc_, c);
}

void NvmeCtrl::on_event(std::uint32_t kind, std::uint64_t arg) {
  const auto qid = static_cast<std::uint16_t>(arg >> 48);
  const auto gen = (arg >> 16) & 0xFFFFFFFFull;
  const auto tag = static_cast<std::uint16_t>(arg & 0xFFFF);
  if (qid == 0 || qid > queues_.size()) return;
  Request& rq = queues_[qid - 1u].rqs[tag];
  if (!rq.in_use || (rq.generation & 0xFFFFFFFFull) != gen) return;
  switch (kind) {
    case kRetry:
    case kRequeueRerun: queue_rq(rq); break;
    default: NVMSIM_ASSERT(false, "ctrl: unknown event {}", kind);
  }
}

void NvmeCtrl::on_completion(Completion&& cqe) {
  if (cqe.qid == 0) {
    on_admin_completion(cqe);
    return;
  }
  if (cqe.qid > queues_.size()) return;
  Request& rq = queues_[cqe.qid - 1u].rqs[cqe.cid];
  if (!rq.in_use) return;  // completion for a request already cancelled: ignore it
  rq.status = cqe.status;
  nvme_complete_rq(rq);
}

// nvme_decide_disposition, with the precedence of semantics 4.2.
Disposition NvmeCtrl::nvme_decide_disposition(const Request& rq) const {
  if (rq.status == status::kSuccess) return Disposition::Complete;
  if ((rq.status & status::kDnr) || rq.retries >= opts_.nvme.max_retries) return Disposition::Complete;
  const bool dying = state_ == CtrlState::DeletingNoIo || state_ == CtrlState::Dead;
  if (rq.mpath) {
    if (status_type(rq.status) == 3 || dying) return Disposition::Failover;
  } else if (dying) {
    return Disposition::Complete;
  }
  return Disposition::Retry;
}

void NvmeCtrl::nvme_complete_rq(Request& rq) {
  ++requests_completed_;
  host_.bus().publish(sim::events::RequestCompleted{host_.cal().now(), rq.ns->path_id, rq.bytes,
                                                    dir_of(rq.op), rq.status, rq.issued});
  switch (nvme_decide_disposition(rq)) {
    case Disposition::Complete: nvme_end_req(rq); break;
    case Disposition::Retry: nvme_retry_req(rq); break;
    case Disposition::Failover:
      mpath::nvme_mpath_end_request(rq);
      mpath::nvme_failover_req(rq);
      free_request(rq);
      break;
  }
}

void NvmeCtrl::nvme_end_req(Request& rq) {
  mpath::nvme_mpath_end_request(rq);
  BioList bios;
  bios.append(rq.bios);
  const std::uint16_t st = rq.status;
  free_request(rq);
  while (Bio* b = bios.pop_front()) {
    b->status = st;
    host_.complete_bio(b);
  }
}

void NvmeCtrl::nvme_retry_req(Request& rq) {
  mpath::nvme_mpath_end_request(rq);
  ++rq.retries;
  // CRD selects one of the controller's CRDT delays; this controller reports none (0 ms).
  host_.cal().schedule_in(0, this, kRetry, (std::uint64_t{rq.qid} << 48) | ((rq.generation & 0xFFFFFFFFull) << 16) | rq.tag);
}

void NvmeCtrl::free_request(Request& rq) {
  rq.in_use = false;
  rq.bios = BioList{};
  HwQueue& q = queues_[rq.qid - 1u];
  q.free_tags.push_back(rq.tag);
  // A bio that was waiting for a tag gets this one (the sleeping submitter wakes up).
  if (Bio* b = q.waiting.pop_front()) submit_to_queue(static_cast<NvmeNs*>(b->target), b);
}

void NvmeCtrl::on_transport_error(std::uint32_t assoc) {
  if (assoc != assoc_) return;
  // The transport connection broke: error recovery cancels what is in flight. Multipath requests
  // fail over at once with HOST_ABORTED_CMD (semantics 5.3 step 2).
  if (!nvme_change_ctrl_state(CtrlState::Resetting, "transport error")) return;
  if (ka_timer_) host_.cal().cancel(ka_timer_);
  ka_timer_ = 0;
  admin_inflight_.clear();
  for (HwQueue& q : queues_) {
    for (Request& rq : q.rqs) {
      if (!rq.in_use) continue;
      rq.status = status::kHostAbortedCmd;
      nvme_complete_rq(rq);
    }
  }
  nvme_change_ctrl_state(CtrlState::Connecting, "error recovery");
}

}  // namespace host
