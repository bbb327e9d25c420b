// The host controller's error handling and lifecycle: request timeouts, fabrics error recovery
// and reconnect (tcp.c/rdma.c/fabrics.c), the PCIe reset path (pci.c), controller deletion
// (core.c nvme_do_delete_ctrl) and the stale-write fences that are options, not mainline.
#include <fmt/format.h>

#include <algorithm>

#include "host/core.hpp"
#include "host/host.hpp"
#include "host/multipath.hpp"
#include "sim/assert.hpp"

namespace host {

using namespace sim::nvme;

// max_reconnects = ceil(ctrl_loss_tmo / reconnect_delay); a negative (never) loss timeout is -1.
int NvmeCtrl::max_reconnects() const {
  if (!opts_.nvme.ctrl_loss_tmo) return -1;
  const sim::Time d = std::max<sim::Time>(1, opts_.nvme.reconnect_delay);
  return static_cast<int>((*opts_.nvme.ctrl_loss_tmo + d - 1) / d);
}

// ---- request timeouts --------------------------------------------------------------------------

void NvmeCtrl::add_timeout(sim::Time deadline) {
  const sim::Time at = (deadline + sim::kSecond - 1) / sim::kSecond * sim::kSecond;
  if (timeout_timer_) {
    if (timeout_at_ <= at) return;
    host_.cal().cancel(timeout_timer_);
  }
  timeout_at_ = at;
  timeout_timer_ = host_.cal().call_at(at, [this]() {
    timeout_timer_ = 0;
    timeout_work();
  });
}

// blk_mq_timeout_work: every request whose deadline has passed goes to the timeout handler; the
// timer is then re-armed for the earliest deadline left.
void NvmeCtrl::timeout_work() {
  const sim::Time now = host_.cal().now();
  std::vector<std::uint16_t> admin;
  for (const auto& [cid, a] : admin_inflight_)
    if (a.deadline <= now) admin.push_back(cid);
  for (std::uint16_t cid : admin) admin_timeout(cid);
  for (HwQueue& q : queues_)
    for (Request& rq : q.rqs)
      if (rq.in_use && rq.on_wire && rq.deadline <= now) nvme_timeout(rq);
  sim::Time next = sim::kNever;
  for (const auto& [cid, a] : admin_inflight_) next = std::min(next, a.deadline);
  for (const HwQueue& q : queues_)
    for (const Request& rq : q.rqs)
      if (rq.in_use && rq.on_wire) next = std::min(next, rq.deadline);
  if (next != sim::kNever) add_timeout(next);
}

// nvme_tcp_timeout / nvme_rdma_timeout: on a LIVE controller a timeout starts error recovery and
// the request is cancelled by the teardown; otherwise it is completed now as aborted
// (nvmf_complete_timed_out_request). PCIe (nvme_timeout) resets the controller instead; the
// per-command Abort step it tries first is not modelled.
void NvmeCtrl::nvme_timeout(Request& rq) {
  if (state_ == CtrlState::Live) {
    if (fabrics()) nvme_error_recovery("I/O timeout");
    else nvme_reset_ctrl("I/O timeout");
    if (rq.on_wire) rq.deadline = host_.cal().now() + opts_.nvme.io_timeout;  // re-armed: teardown cancels it
    return;
  }
  if (!host_.kernel()) mpath::nvme_mpath_end_request(rq);
  rq.status = profile().cancel_with_abort_requested || host_.variants().bp08 ? status::kAbortRequested
                                                                               : status::kHostAbortedCmd;
  nvme_complete_rq(rq);
}

// ---- fabrics error recovery ------------------------------------------------------------------

void NvmeCtrl::on_transport_error(std::uint32_t assoc) {
  if (assoc != assoc_ || !assoc_open_) return;
  assoc_open_ = false;  // the connection is gone: nothing more can be sent on it
  if (state_ == CtrlState::Live) {
    if (fabrics()) nvme_error_recovery("transport error");
    else nvme_reset_ctrl("link error");
  } else if (state_ == CtrlState::Connecting) {
    setup_failed("connection lost while connecting");
  }
}

// nvme_tcp_error_recovery + its work (semantics 5.3): LIVE -> RESETTING, cancel everything in
// flight with HOST_ABORTED_CMD (multipath requests fail over at once), RESETTING -> CONNECTING,
// then reconnect after reconnect_delay or give up.
void NvmeCtrl::nvme_error_recovery(const std::string& reason) {
  if (!nvme_change_ctrl_state(CtrlState::Resetting, reason)) return;
  recovery_started = host_.cal().now();
  host_.log(fmt::format("{}: starting error recovery ({})", name_, reason));
  host_.cal().call_in(0, [this]() {
    // nvme_stop_keep_alive: with a synchronous Keep Alive (6.1) this waits for the outstanding one.
    if (profile().ka_sync && keep_alive_outstanding()) {
      err_work_waits_for_ka_ = true;
      return;
    }
    err_work();
  });
}

void NvmeCtrl::err_work() {
  if (state_ != CtrlState::Resetting) return;
  if (opts_.nvme.failover_hold == sim::scenario::FailoverHold::Ccr) start_ccr();
  teardown();
  if (!nvme_change_ctrl_state(CtrlState::Connecting, "error recovery")) return;
  reconnect_or_remove();
}

// nvme_reset_ctrl -> reset work: teardown with the controller disabled, RESETTING -> CONNECTING,
// immediate setup; a failure counts as a reconnect attempt (fabrics) or removes the controller
// (PCIe: nvme_remove_dead_ctrl).
bool NvmeCtrl::nvme_reset_ctrl(const std::string& reason) {
  if (!nvme_change_ctrl_state(CtrlState::Resetting, reason)) return false;
  recovery_started = host_.cal().now();
  host_.log(fmt::format("{}: resetting controller ({})", name_, reason));
  host_.cal().call_in(0, [this]() {
    if (state_ != CtrlState::Resetting) return;
    teardown();
    if (!nvme_change_ctrl_state(CtrlState::Connecting, "reset")) return;
    reset_in_progress_ = true;
    connect_and_setup();
  });
  return true;
}

// Opens a fresh association through the connector (TCP connect, target accepting) and runs the
// setup sequence on it; an unreachable target fails the attempt at once.
void NvmeCtrl::connect_and_setup() {
  const auto assoc = connector_ ? connector_(*this) : std::nullopt;
  if (!assoc) return setup_failed("target unreachable");
  assoc_ = *assoc;
  assoc_open_ = true;
  last_setup_status_ = 0;
  setup_ctrl();
}

// Cancels every request on the wire and every admin command, then closes the association.
void NvmeCtrl::teardown() {
  if (ka_timer_) host_.cal().cancel(ka_timer_);
  ka_timer_ = 0;
  if (KernelCore* k = host_.kernel()) k->mpath_stop(this);  // nvme_stop_ctrl
  if (anatt_timer_) host_.cal().cancel(anatt_timer_);
  anatt_timer_ = 0;
  nvme_cancel_inflight();
  auto admin = std::move(admin_inflight_);
  admin_inflight_.clear();
  for (auto& [cid, a] : admin) {
    if (!a.done) continue;
    Completion cqe;
    cqe.cid = cid;
    cqe.status = status::kHostAbortedCmd;
    a.done(cqe);
  }
  if (assoc_open_) {
    assoc_open_ = false;
    link_.close_association(assoc_, sim::fabric::Side::Host);
  }
}

// nvme_cancel_tagset: requests on the wire complete with HOST_ABORTED_CMD (4.15: ABORT_REQ).
void NvmeCtrl::nvme_cancel_inflight() {
  // BP-08: 4.15's generic Abort Requested instead of HOST_ABORTED_CMD.
  const std::uint16_t st = profile().cancel_with_abort_requested || host_.variants().bp08
                               ? status::kAbortRequested
                               : status::kHostAbortedCmd;
  for (HwQueue& q : queues_) {
    for (Request& rq : q.rqs) {
      if (!rq.in_use || !rq.on_wire) continue;
      rq.status = st;
      BioList late;
      if (host_.variants().bp13 && rq.mpath) bp13_split_for_late_cqe(rq, late);
      nvme_complete_rq(rq);
      // BP-13: the completion that raced with the cancel is acted on too: the original bios end
      // with success (their copies were failed over by the cancel above).
      if (!late.empty())
        host_.cal().call_in(0, [this, late]() mutable {
          while (Bio* b = late.pop_front()) {
            b->status = 0;
            host_.complete_bio(b);
          }
        });
    }
  }
  // BP-10: requests that waited for I/O queues go back as host path errors.
  std::vector<Request*> noq;
  noq.swap(bp10_noq_);
  for (Request* rq : noq) {
    rq->status = status::kHostPathError;
    nvme_complete_rq(*rq);
  }
  if (bp10_freeze_waiter_) {
    bp10_freeze_waiter_ = false;
    host_.work_unblocked(name_ + "/reconnect");
  }
}

// BP-13: the request keeps copies of its (unsplit) bios, with the same ids, for the cancel to
// fail over; the originals go to `late`, for the late completion.
void NvmeCtrl::bp13_split_for_late_cqe(Request& rq, BioList& late) {
  BioList keep;
  while (Bio* b = rq.bios.pop_front()) {
    if (b->parent) {
      keep.push_back(b);
      continue;
    }
    Bio* c = host_.bios().get();
    const std::uint64_t id = b->id;
    *c = *b;
    c->id = id;
    c->next = nullptr;
    keep.push_back(c);
    late.push_back(b);
  }
  rq.bios = keep;
}

// nvme_tcp_reconnect_or_remove: only in CONNECTING; another attempt after reconnect_delay while
// nvmf_should_reconnect allows it, else delete the controller.
void NvmeCtrl::reconnect_or_remove() {
  if (state_ != CtrlState::Connecting) return;
  const int max = max_reconnects();
  if (max < 0 || nr_reconnects_ < max) {
    host_.log(fmt::format("{}: Reconnecting in {} seconds", name_,
                          static_cast<double>(opts_.nvme.reconnect_delay) / sim::kSecond));
    reconnect_timer_ = host_.cal().call_in(opts_.nvme.reconnect_delay, [this]() {
      reconnect_timer_ = 0;
      reconnect_ctrl_work();
    });
    return;
  }
  host_.log(fmt::format("{}: Removing controller ({} reconnect attempts)", name_, nr_reconnects_));
  nvme_delete_ctrl("ctrl_loss_tmo expired");
}

void NvmeCtrl::reconnect_ctrl_work() {
  if (state_ != CtrlState::Connecting) return;
  ++nr_reconnects_;
  host_.bus().publish(sim::events::ReconnectAttempt{host_.cal().now(), record_id, nr_reconnects_, max_reconnects()});
  connect_and_setup();
}

// fast_io_fail_tmo (semantics 5.6): armed on RESETTING -> CONNECTING; on expiry while still
// CONNECTING, mark the controller failfast-expired and kick the requeue lists so bios parked only
// for it now fail.
void NvmeCtrl::start_failfast_timer() {
  if (!opts_.nvme.fast_io_fail_tmo || !profile().fast_io_fail) return;
  if (failfast_timer_) host_.cal().cancel(failfast_timer_);
  failfast_timer_ = host_.cal().call_in(*opts_.nvme.fast_io_fail_tmo, [this]() {
    failfast_timer_ = 0;
    if (state_ != CtrlState::Connecting) return;
    failfast_expired = true;
    host_.log(fmt::format("{}: failfast expired", name_));
    host_.bus().publish(sim::events::FailfastExpired{host_.cal().now(), record_id});
    if (KernelCore* k = host_.kernel()) {
      k->set_failfast_expired(this, true);
      k->kick_requeue_lists(this);
    } else {
      mpath::nvme_kick_requeue_lists(this);
    }
  });
}

// ---- deletion ----------------------------------------------------------------------------------

bool NvmeCtrl::nvme_delete_ctrl(const std::string& reason) {
  if (!nvme_change_ctrl_state(CtrlState::Deleting, reason)) return false;
  host_.cal().call_in(0, [this]() { do_delete(); });
  return true;
}

// nvme_do_delete_ctrl: stop the controller, remove its namespaces (cursors cleared and requeue
// lists kicked first; paths unlinked in DELETING_NOIO), wait for what is still in flight on them,
// then shut the controller down and close the association.
void NvmeCtrl::do_delete() {
  if (removed_ || state_ == CtrlState::DeletingNoIo) return;
  for (std::uint64_t* t : {&ka_timer_, &reconnect_timer_, &failfast_timer_, &anatt_timer_}) {
    if (*t) host_.cal().cancel(*t);
    *t = 0;
  }
  failfast_expired = false;
  const Variants& v = host_.variants();
  if (KernelCore* k = host_.kernel()) {
    k->set_failfast_expired(this, false);
    k->clear_ctrl_paths(this);  // nvme_remove_namespaces -> nvme_mpath_clear_ctrl_paths
  } else if (!v.bp04)
  // BP-04: no cursor clearing and no kick before the namespaces go.
    for (NvmeNs* ns : namespaces_) {
      mpath::nvme_mpath_clear_current_path(ns);
      if (ns->head) mpath::nvme_kick_requeue(ns->head);
    }
  // BP-04 / BP-12 (simulator form of the hang): namespace removal waits until no bio is parked on
  // the heads of this controller's namespaces.
  if (v.bp04 || v.bp12) {
    for (NvmeNs* ns : namespaces_)
      if (ns->head && !ns->head->requeue_list.empty()) {
        bp_delete_waits_ = true;
        host_.work_blocked(name_ + "/delete", fmt::format("{}: namespace removal waits for {} bio(s) parked on {}",
                                                          name_, ns->head->requeue_list.count, ns->head->disk_name));
        return;
      }
    if (bp_delete_waits_) {
      bp_delete_waits_ = false;
      host_.work_unblocked(name_ + "/delete");
    }
  }
  // A controller that cannot be reached any more is marked dead (pci: surprise removal).
  if (!assoc_open_ && !fabrics()) nvme_change_ctrl_state(CtrlState::Dead, "device gone");
  nvme_change_ctrl_state(CtrlState::DeletingNoIo, "removing namespaces");
  std::vector<NvmeNs*> nss = namespaces_;
  for (NvmeNs* ns : nss) nvme_ns_remove(ns);
  if (assoc_open_ && inflight() > 0) {
    on_drained_ = [this]() { finish_delete(); };
    return;
  }
  finish_delete();
}

void NvmeCtrl::finish_delete() {
  if (removed_) return;
  auto done = [this]() {
    if (removed_) return;
    teardown();
    removed_ = true;
    host_.ctrl_removed(this);
  };
  if (assoc_open_) {
    // Clean shutdown (CC.SHN) before the association goes: the controller quiesces without
    // leaving commands to execute later. The Property Set is synchronous (nvme_disable_ctrl):
    // the queues are torn down once it completed (or failed, or timed out), not before, or the
    // closed association would drop it on the way.
    Command c;
    c.opcode = admin_opc::kFabrics;
    c.fctype = fctype::kPropertySet;
    c.cdw10 = prop::kCc;
    c.cdw11 = prop::kCcShnNormal;
    submit_admin(c, [done](const Completion&) { done(); });
    return;
  }
  done();
}

// ---- stale-write fences (failover_hold option) -------------------------------------------------

// A request cancelled by the host may still be executing on the old controller; with a hold its
// bios wait until the controller is known to be quiet: KATO (or 2 x KATO) + CQT after the failure
// was detected, or until a Cross-Controller Reset on a sibling succeeded (semantics 7.2).
bool NvmeCtrl::hold_failed_over(BioList& bios, std::uint16_t st) {
  using sim::scenario::FailoverHold;
  const FailoverHold hold = opts_.nvme.failover_hold;
  if (hold == FailoverHold::None) return false;
  const std::uint16_t code = status_code(st);
  if (code != status::kHostAbortedCmd && code != status::kAbortRequested) return false;
  held_.append(bios);
  if (hold == FailoverHold::Ccr && ccr_pending_) return true;  // released when the CCR completes
  release_held_at();
  return true;
}

sim::Time NvmeCtrl::hold_release_time() const {
  using sim::scenario::FailoverHold;
  const sim::Time cqt = sim::Time{id_.cqt_ms} * sim::kMillisecond;
  const sim::Time kato = opts_.nvme.kato;
  const int n = opts_.nvme.failover_hold == FailoverHold::TwoKato_Cqt ? 2 : 1;
  return recovery_started + n * kato + cqt;
}

void NvmeCtrl::release_held_at() {
  if (hold_timer_ || held_.empty()) return;
  const sim::Time at = std::max(host_.cal().now(), hold_release_time());
  hold_timer_ = host_.cal().call_at(at, [this]() {
    hold_timer_ = 0;
    release_held();
  });
}

void NvmeCtrl::release_held() {
  if (hold_timer_) host_.cal().cancel(hold_timer_);
  hold_timer_ = 0;
  BioList bios;
  bios.append(held_);
  while (Bio* b = bios.pop_front()) {
    auto* head = static_cast<NsHead*>(b->target);
    mpath::nvme_requeue_bio(head, b);
    mpath::nvme_kick_requeue(head);
  }
}

// TP8028: ask a healthy sibling controller of the same subsystem to reset this one; its success
// means nothing of ours can still execute. Without CCR support or a sibling, fall back to the
// KATO + CQT hold.
void NvmeCtrl::start_ccr() {
  if (!subsys_) return;
  NvmeCtrl* source = nullptr;
  for (NvmeCtrl* c : subsys_->ctrls)
    if (c != this && c->state() == CtrlState::Live && c->id().ccrl > 0 && !source) source = c;
  if (!source) {
    host_.log(fmt::format("{}: no controller can run a cross-controller reset, holding for KATO + CQT", name_));
    return;
  }
  ccr_pending_ = true;
  host_.log(fmt::format("{}: cross-controller reset of cntlid {} through {}", name_, id_.cntlid, source->name()));
  Command c;
  c.opcode = admin_opc::kCrossCtrlReset;
  c.cdw10 = id_.cntlid;
  source->submit_admin(c, [this](const Completion& cqe) {
    ccr_pending_ = false;
    if (cqe.status == status::kSuccess && (cqe.result & 1)) {
      host_.log(fmt::format("{}: cross-controller reset done, releasing held requests", name_));
      release_held();
      return;
    }
    host_.log(fmt::format("{}: cross-controller reset failed, holding for KATO + CQT", name_));
    release_held_at();
  });
}

}  // namespace host
