#include "host/core.hpp"

#include <fmt/format.h>

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

const Profile& NvmeCtrl::profile() const { return host_.profile(); }

// Allowed transitions of nvme_change_ctrl_state (semantics 5.2; 4.x also let LIVE follow NEW and
// RESETTING).
bool NvmeCtrl::nvme_change_ctrl_state(CtrlState to, const std::string& reason) {
  const CtrlState from = state_;
  KernelCore* k = host_.kernel();
  bool ok = false;
  if (k) {
    // core: linux: the kernel's own nvme_change_ctrl_state decides (and kicks on LIVE).
    ok = k->change_state(this, to);
  } else switch (to) {
    case CtrlState::Live:
      ok = from == CtrlState::Connecting ||
           (profile().live_from_new_or_resetting && (from == CtrlState::New || from == CtrlState::Resetting));
      break;
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
                                                    to_string(from), to_string(to), reason, record_id});
  // Entering LIVE from CONNECTING stops fast-fail; any entry into LIVE kicks the requeue lists.
  if (to == CtrlState::Live) {
    failfast_expired = false;
    if (failfast_timer_) host_.cal().cancel(failfast_timer_);
    failfast_timer_ = 0;
    if (k) k->set_failfast_expired(this, false);
    // BP-20: no kick on entering LIVE.
    else if (!host_.variants().bp20) mpath::nvme_kick_requeue_lists(this);
  }
  if (k && to == CtrlState::Dead) k->mark_dead(this);
  if (from == CtrlState::Connecting)
    for (NvmeNs* ns : namespaces_) ns->bp10_early_live = false;
  // RESETTING -> CONNECTING arms the fast-fail timer (nvme_start_failfast_work).
  if (to == CtrlState::Connecting && from == CtrlState::Resetting) start_failfast_timer();
  return true;
}

// ---- admin queue -------------------------------------------------------------------------------

void NvmeCtrl::submit_admin(Command cmd, AdminDone done, bool keep_alive) {
  cmd.qid = 0;
  cmd.cid = next_admin_cid_++;
  if (!assoc_open_) {
    // Our own socket is closed: the command fails at once (nothing was sent).
    if (done)
      host_.cal().call_in(0, [done = std::move(done), cid = cmd.cid]() {
        Completion cqe;
        cqe.cid = cid;
        cqe.status = status::kHostPathError;
        done(cqe);
      });
    return;
  }
  AdminCmd& a = admin_inflight_[cmd.cid];
  a.done = std::move(done);
  a.keep_alive = keep_alive;
  // The Keep Alive request's timeout is KATO (nvme_keep_alive_work); other admin commands use
  // admin_timeout. An AER has no timeout: it is meant to stay outstanding.
  if (cmd.opcode != admin_opc::kAsyncEventRequest) {
    a.deadline = host_.cal().now() + (keep_alive ? opts_.nvme.kato : opts_.nvme.admin_timeout);
    add_timeout(a.deadline);
  }
  link_.send_command(assoc_, cmd);  // lost without a trace if the link is down
}

void NvmeCtrl::on_admin_completion(const Completion& cqe) {
  auto it = admin_inflight_.find(cqe.cid);
  if (it == admin_inflight_.end()) return;
  AdminCmd a = std::move(it->second);
  admin_inflight_.erase(it);
  if (a.done) a.done(cqe);
}

void NvmeCtrl::admin_timeout(std::uint16_t cid) {
  auto it = admin_inflight_.find(cid);
  if (it == admin_inflight_.end()) return;
  const std::string what = it->second.keep_alive ? "keep-alive timed out" : "admin command timed out";
  if (state_ == CtrlState::Live) {
    // The transport's timeout handler on a LIVE controller starts error recovery and re-arms the
    // request's timer; teardown then cancels the command with everything else.
    it->second.deadline = host_.cal().now() + (it->second.keep_alive ? opts_.nvme.kato : opts_.nvme.admin_timeout);
    if (fabrics()) nvme_error_recovery(what);
    else nvme_reset_ctrl(what);
    return;
  }
  // Not LIVE (e.g. a command of the setup sequence): complete it now as aborted by the host.
  AdminCmd a = std::move(it->second);
  admin_inflight_.erase(it);
  Completion cqe;
  cqe.cid = cid;
  cqe.status = status::kHostAbortedCmd;
  if (a.done) a.done(cqe);
}

// ---- bring-up ----------------------------------------------------------------------------------

void NvmeCtrl::start_connect(Connector connector) {
  ka_last_check_ = host_.cal().now();  // nvme_init_ctrl
  connector_ = std::move(connector);
  nvme_change_ctrl_state(CtrlState::Connecting, "nvme connect");
  connect_and_setup();
}

// The fabrics bring-up, step by step as nvme_tcp_setup_ctrl runs it: admin queue Connect,
// Identify Controller (and the ANA log, nvme_mpath_init_identify), queue count, I/O queue
// Connects, then LIVE and the namespace scan.
void NvmeCtrl::setup_ctrl() { connect_admin_queue(); }

void NvmeCtrl::connect_admin_queue() {
  Command c;
  c.opcode = admin_opc::kFabrics;
  c.fctype = fctype::kConnect;
  c.cdw10 = 0;
  const bool ka = link_.transport().keep_alive && opts_.nvme.kato > 0;
  c.cdw11 = ka ? static_cast<std::uint32_t>((opts_.nvme.kato + profile().kato_grace) / sim::kMillisecond) : 0;
  c.cdw12 = 32;
  submit_admin(c, [this](const Completion& cqe) {
    if (cqe.status != status::kSuccess) {
      last_setup_status_ = cqe.status;
      return setup_failed("admin queue connect failed");
    }
    identify_controller();
  });
}

void NvmeCtrl::identify_controller() {
  Command c;
  c.opcode = admin_opc::kIdentify;
  c.cdw10 = cns::kController;
  submit_admin(c, [this](const Completion& cqe) {
    if (cqe.status != status::kSuccess || !cqe.admin_data) return setup_failed("identify failed");
    id_ = std::get<IdentifyController>(*cqe.admin_data);
    max_bytes_ = id_.mdts_bytes ? id_.mdts_bytes : (1u << 20);
    // 6.12 starts keep-alive at the end of nvme_init_ctrl_finish, still CONNECTING.
    if (profile().ka_start_at_init) nvme_queue_keep_alive_work();
    if (!subsys_ && !host_.nvme_init_subsystem(this)) {
      setup_failed("subsystem does not allow another controller");
      return;
    }
    nvme_configure_host_options([this]() {
      if (KernelCore* k = host_.kernel()) {
        // nvme_init_identify -> nvme_mpath_init_identify: the kernel reads the ANA log itself.
        k->init_identify(this, [this](bool ok) {
          if (!ok) return setup_failed("ANA log read failed");
          set_queue_count();
        });
      } else if ((id_.cmic & 0x8) && host_.multipath_enabled() && profile().ana) {
        read_ana_log([this](bool ok) {
          if (!ok) return setup_failed("ANA log read failed");
          set_queue_count();
        });
      } else {
        set_queue_count();
      }
    });
  });
}

// nvme_configure_host_options: ask for Advanced Command Retry (CRD in statuses) only when the
// controller has a first retry delay to offer.
void NvmeCtrl::nvme_configure_host_options(std::function<void()> then) {
  if (id_.crdt[0] == 0) return then();
  Command c;
  c.opcode = admin_opc::kSetFeatures;
  c.cdw10 = 0x16;
  c.cdw11 = 1;  // ACRE
  submit_admin(c, [this, then = std::move(then)](const Completion& cqe) {
    if (cqe.status != status::kSuccess) return setup_failed("set features (host behavior) failed");
    then();
  });
}

void NvmeCtrl::kernel_retry_request(Request& rq, sim::Time delay) {
  host_.cal().schedule_in(delay, this, kRetry, request_key(rq));
}

void NvmeCtrl::kernel_get_log(std::uint8_t lid, std::uint8_t lsp, std::uint32_t nsid,
                              std::function<void(const Completion&)> done) {
  Command c;
  c.opcode = admin_opc::kGetLogPage;
  c.cdw10 = lid | (std::uint32_t{lsp} << 8);  // RAE clear: the read re-arms the ANA AEN
  c.nsid = nsid;
  submit_admin(c, std::move(done));
}

void NvmeCtrl::read_ana_log(std::function<void(bool)> then) {
  Command c;
  c.opcode = admin_opc::kGetLogPage;
  c.cdw10 = kLogAna;  // RAE clear: reading the log re-arms the ANA AEN
  c.nsid = 0xFFFFFFFF;
  submit_admin(c, [this, then = std::move(then)](const Completion& cqe) {
    const bool ok = cqe.status == status::kSuccess && cqe.admin_data;
    if (ok) {
      AnaLog log = std::get<AnaLog>(*cqe.admin_data);
      // BP-05: every read after the controller's first asks for groups only (RGO): no NSIDs.
      if (host_.variants().bp05 && ana_log_)
        for (auto& g : log.groups) g.nsids.clear();
      ana_log_ = std::make_shared<const AnaLog>(std::move(log));
      arm_anatt_timer(*ana_log_);
      // BP-10: applied while still CONNECTING too.
      if (state_ == CtrlState::Live || (host_.variants().bp10 && state_ == CtrlState::Connecting))
        mpath::nvme_update_ana_state(this, *ana_log_);
    }
    if (then) then(ok);
  });
}

// ANATT timer (semantics 6.5): while any group is in CHANGE, one per-controller timer of
// 2 x ANATT, pushed out by every read that still shows CHANGE; on expiry the controller is reset.
void NvmeCtrl::arm_anatt_timer(const AnaLog& log) {
  bool change = false;
  for (const auto& g : log.groups) change |= g.state == AnaState::Change;
  if (anatt_timer_) host_.cal().cancel(anatt_timer_);
  anatt_timer_ = 0;
  if (!change) return;
  const sim::Time t = 2 * static_cast<sim::Time>(std::max<int>(1, id_.anatt_s)) * sim::kSecond;
  // mod_timer(jiffies + 2 x ANATT x HZ): counted from the current jiffy (HZ = 1000, as the kernel
  // backend's build), so the expiry falls on a whole millisecond.
  const sim::Time now = host_.cal().now();
  anatt_timer_ = host_.cal().call_at(now - now % sim::kMillisecond + t, [this]() {
    anatt_timer_ = 0;
    nvme_reset_ctrl("ANATT timeout");
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
    if (cqe.status != status::kSuccess) return setup_failed("set features (queues) failed");
    const int granted = std::min<int>(want, static_cast<int>((cqe.result & 0xFFFF) + 1));
    // The tag set outlives reconnects (the kernel only resizes it): requests parked on it survive.
    if (queues_.empty()) {
      granted_io_queues_ = granted;
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
    }
    // BP-10: a reconnect waits for the requests queued to its not-yet-started I/O queues to
    // drain (queue freeze) before it connects those queues: they never can.
    if (host_.variants().bp10 && !bp10_noq_.empty()) {
      bp10_freeze_waiter_ = true;
      host_.work_blocked(name_ + "/reconnect",
                         fmt::format("{}: reconnect waits for {} request(s) queued before its I/O queues exist",
                                     name_, bp10_noq_.size()));
      return;
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
    if (cqe.status != status::kSuccess) return setup_failed("I/O queue connect failed");
    connect_io_queue(qid + 1);
  });
}

void NvmeCtrl::setup_done() {
  const bool reconnect = !initial_connect_;
  if (!nvme_change_ctrl_state(CtrlState::Live, reconnect ? "reconnected" : "connected")) return;
  if (reconnect && reset_in_progress_)
    host_.log(fmt::format("{}: controller reset done", name_));
  else if (reconnect)
    host_.log(fmt::format("{}: Successfully reconnected (attempt {}/{})", name_, nr_reconnects_,
                          max_reconnects() < 0 ? std::string("unlimited") : std::to_string(max_reconnects())));
  reset_in_progress_ = false;
  initial_connect_ = false;
  nr_reconnects_ = 0;
  // nvme_start_ctrl: keep-alive (unless it already runs), AEN, re-apply the ANA log now that we
  // are LIVE (nvme_mpath_update).
  if (!profile().ka_start_at_init) {
    ka_last_check_ = host_.cal().now();
    nvme_queue_keep_alive_work();
  }
  submit_aer();
  if (KernelCore* k = host_.kernel()) {
    k->mpath_update(this);
    nvme_scan_work();
    return;
  }
  if (ana_log_) mpath::nvme_update_ana_state(this, *ana_log_);
  // Paths that survived the reconnect are ready again; new namespaces come from the scan.
  // (BP-20: as in the kernel, nothing but the LIVE kick restarts a non-ANA head's parked bios.)
  for (NvmeNs* ns : namespaces_)
    if (ns->head && !ana_log_ && !host_.variants().bp20) mpath::nvme_mpath_set_live(ns);
  nvme_scan_work();
}

// Connecting failed at some step: the first `nvme connect` gives up (the command fails and the
// controller is freed); a reconnect counts a failed attempt and tries again or gives up.
void NvmeCtrl::setup_failed(const std::string& why) {
  if (state_ != CtrlState::Connecting) return;
  const bool after_reset = reset_in_progress_;
  reset_in_progress_ = false;
  teardown();
  if (initial_connect_) {
    nvme_change_ctrl_state(CtrlState::Deleting, "connect failed: " + why);
    do_delete();
    return;
  }
  // PCIe has no reconnect loop: a controller that does not come back from a reset is removed
  // (nvme_remove_dead_ctrl).
  if (!fabrics()) {
    nvme_delete_ctrl("removing dead controller");
    return;
  }
  // A failed reset counts as a reconnect attempt (nvme_reset_ctrl_work).
  if (after_reset) ++nr_reconnects_;
  host_.log(fmt::format("{}: Failed reconnect attempt {}/{} ({})", name_, nr_reconnects_,
                        max_reconnects() < 0 ? std::string("unlimited") : std::to_string(max_reconnects()), why));
  if (profile().reconnect_stops_on_dnr && (last_setup_status_ & status::kDnr)) {
    host_.log(fmt::format("{}: Removing controller (status 0x{:03x} has DNR)", name_, last_setup_status_ & 0x7FF));
    nvme_delete_ctrl("connect failed with DNR");
    return;
  }
  reconnect_or_remove();
}

// Keep-alive period (semantics 5.5): KATO/2, or KATO/4 with traffic-based keep-alive.
sim::Time NvmeCtrl::keep_alive_period() const {
  sim::Time p = opts_.nvme.kato / profile().ka_divisor;
  if (id_.tbkas && profile().tbkas) p /= 2;
  return p;
}

// Schedules the keep-alive work one period after the last check (6.12 counts from the last check,
// so after a long outage the first Keep Alive goes out at once; 6.1 set the check time at start).
void NvmeCtrl::nvme_queue_keep_alive_work() {
  if (!link_.transport().keep_alive || opts_.nvme.kato <= 0 || ka_timer_) return;
  const sim::Time delay = std::max<sim::Time>(0, ka_last_check_ + keep_alive_period() - host_.cal().now());
  ka_timer_ = host_.cal().call_in(delay, [this]() { nvme_keep_alive_work(); });
}

bool NvmeCtrl::keep_alive_outstanding() const {
  for (const auto& [cid, a] : admin_inflight_)
    if (a.keep_alive) return true;
  return false;
}

void NvmeCtrl::nvme_keep_alive_work() {
  ka_timer_ = 0;
  if (state_ != CtrlState::Live && state_ != CtrlState::Connecting) return;
  ka_last_check_ = host_.cal().now();
  // With TBKAS a completion since the last check stands in for the Keep Alive.
  if (id_.tbkas && profile().tbkas && comp_seen_) {
    comp_seen_ = false;
    nvme_queue_keep_alive_work();
    return;
  }
  Command c;
  c.opcode = admin_opc::kKeepAlive;
  ka_sent_ = host_.cal().now();
  submit_admin(
      c,
      [this](const Completion& cqe) {
        // 6.1 runs the Keep Alive synchronously: error recovery that waited for it goes on now.
        if (err_work_waits_for_ka_) {
          err_work_waits_for_ka_ = false;
          host_.cal().call_in(0, [this]() { err_work(); });
        }
        // nvme_keep_alive_end_io: a failed KA only logs; the next one is due one period after the
        // previous was sent (the round trip is taken off the delay).
        if (cqe.status != status::kSuccess) return;
        if (state_ != CtrlState::Live && state_ != CtrlState::Connecting) return;
        comp_seen_ = false;
        const sim::Time rtt = host_.cal().now() - ka_sent_;
        ka_last_check_ = host_.cal().now();
        const sim::Time delay = std::max<sim::Time>(0, keep_alive_period() - rtt);
        if (!ka_timer_) ka_timer_ = host_.cal().call_in(delay, [this]() { nvme_keep_alive_work(); });
      },
      true);
}

void NvmeCtrl::submit_aer() {
  Command aer;
  aer.opcode = admin_opc::kAsyncEventRequest;
  submit_admin(aer, [this](const Completion& cqe) {
    if (cqe.status != status::kSuccess) return;  // aborted with the admin queue
    on_aen(cqe.result);
    if (state_ == CtrlState::Live) submit_aer();
  });
}

// nvme_handle_aen_notice: ANA change -> re-read the ANA log; namespace attribute change -> scan.
void NvmeCtrl::on_aen(std::uint32_t result) {
  if (aen::type_of(result) != aen::kTypeNotice) return;
  switch (aen::info_of(result)) {
    case aen::kNoticeAnaChange:
      if (KernelCore* k = host_.kernel()) k->queue_ana_work(this);
      else if (ana_log_) queue_ana_work();
      break;
    case aen::kNoticeNsChanged: {
      Command c;
      c.opcode = admin_opc::kGetLogPage;
      c.cdw10 = kLogChangedNs;
      c.nsid = 0xFFFFFFFF;
      submit_admin(c, nullptr);  // clears the event mask
      nvme_scan_work();
      break;
    }
    default: break;
  }
}

void NvmeCtrl::nvme_scan_work() {
  // BP-09: scan work waits while a partition read of the subsystem runs from scan work.
  if (host_.variants().bp09 && subsys_ && subsys_->bp09_part_scan) {
    auto& w = subsys_->bp09_waiting_scans;
    if (std::find(w.begin(), w.end(), this) == w.end()) w.push_back(this);
    host_.work_blocked(name_ + "/scan_work", fmt::format("{}: scan work waits for the partition read of {}", name_,
                                                         subsys_->bp09_part_scan->disk_name));
    return;
  }
  Command c;
  c.opcode = admin_opc::kIdentify;
  c.cdw10 = cns::kActiveNsList;
  submit_admin(c, [this](const Completion& cqe) {
    if (cqe.status != status::kSuccess || !cqe.admin_data) return;
    auto list = std::get<std::vector<std::uint32_t>>(*cqe.admin_data);
    // nvme_remove_invalid_namespaces: paths whose NSID left the active list go away.
    std::vector<NvmeNs*> gone;
    for (NvmeNs* ns : namespaces_)
      if (std::find(list.begin(), list.end(), ns->nsid) == list.end()) gone.push_back(ns);
    for (NvmeNs* ns : gone) nvme_ns_remove(ns);
    scan_namespace(std::move(list), 0);
  });
}

void NvmeCtrl::scan_namespace(std::vector<std::uint32_t> nsids, std::size_t i) {
  if (i >= nsids.size()) {
    // End of a scan: the ANA log is re-read (semantics 6.4 item 5).
    if (KernelCore* k = host_.kernel()) k->queue_ana_work(this);
    else if (ana_log_ && state_ == CtrlState::Live) queue_ana_work();
    return;
  }
  bool known = false;
  for (NvmeNs* ns : namespaces_) known |= ns->nsid == nsids[i];
  if (known) return scan_namespace(std::move(nsids), i + 1);
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
        if (ns && !host_.kernel()) {
          // nvme_mpath_add_disk: ANA state from the cached log, or optimized without ANA.
          if (ana_log_) mpath::nvme_update_ana_state(this, *ana_log_);
          else if (ns->head && state_ == CtrlState::Live) mpath::nvme_mpath_set_live(ns);
        }
      }
    }
    scan_namespace(std::move(nsids), i + 1);
  });
}

// nvme_ns_remove: the path stops being eligible, leaves the head's list (cursors cleared first, so
// no reader keeps a removed path), and the head disk goes when it was the last path.
void NvmeCtrl::nvme_ns_remove(NvmeNs* ns) {
  ns->ready = false;
  namespaces_.erase(std::find(namespaces_.begin(), namespaces_.end(), ns));
  host_.remove_path(ns);
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
  rq.on_wire = false;
  rq.data_tag = 0;  // not sent yet: a failover before any sending names its bios instead
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
  if (KernelCore* k = host_.kernel()) k->prepare_request(this, rq);
  rq.issued = host_.cal().now();
  for (Bio* b = rq.bios.head; b; b = b->next) b->issued = rq.issued;
  queue_rq(rq);
}

std::uint64_t NvmeCtrl::request_key(const Request& rq) const {
  return (std::uint64_t{rq.qid} << 48) | ((rq.generation & 0xFFFFFFFFull) << 16) | rq.tag;
}

void NvmeCtrl::queue_rq(Request& rq) {
  // nvme_check_ready: fabrics controllers take I/O when LIVE, or while DELETING.
  KernelCore* k = host_.kernel();
  if (k && rq.ns->ready) {
    // nvme_check_ready / nvme_fail_nonready_command, the kernel's; a queue is live while its
    // association is open.
    switch (k->queue_check(this, rq, assoc_open_)) {
      case KernelCore::Ready::Send: break;
      case KernelCore::Ready::Resource:
        host_.cal().schedule_in(3 * sim::kMillisecond, this, kRequeueRerun, request_key(rq));
        return;
      case KernelCore::Ready::Completed: return;
    }
  }
  // With the kernel core only a removed path (!ns->ready) goes on to the block below.
  const bool ready = k || state_ == CtrlState::Live || (state_ == CtrlState::Deleting && assoc_open_);
  if (!ready || !rq.ns->ready) {
    // nvme_fail_nonready_command: non-multipath I/O waits (BLK_STS_RESOURCE, re-run after 3 ms)
    // while the controller may come back; everything else bounces as a host path error.
    // BP-10: a request on a path set live early waits for I/O queues that do not exist yet.
    if (host_.variants().bp10 && state_ == CtrlState::Connecting && rq.mpath && rq.ns->bp10_early_live) {
      bp10_noq_.push_back(&rq);
      return;
    }
    // BP-08: multipath requests wait on a non-ready controller too (retried on the dead path).
    if (!nvme_state_terminal(state_) && !failfast_expired && (!rq.mpath || host_.variants().bp08) &&
        rq.ns->ready) {
      host_.cal().schedule_in(3 * sim::kMillisecond, this, kRequeueRerun, request_key(rq));
      return;
    }
    rq.status = status::kHostPathError;
    nvme_complete_rq(rq);
    return;
  }
  if (k) k->start_request(this, rq);
  else if (rq.mpath) mpath::nvme_mpath_start_request(rq);
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
  // The data tag names this sending: a lone bio's tag carries the bio's id (see CommandSent), a
  // merged request's is a fresh number with the top bit set.
  if (rq.bios.head && !rq.bios.head->next)
    rq.data_tag = (rq.bios.head->id << 6) | (rq.bios.head->sends++ & 63u);
  else
    rq.data_tag = (1ull << 63) | host_.next_tag();
  c.tag = rq.data_tag;
  c.want_tokens = rq.op == BioOp::Read && rq.bios.head && rq.bios.head->verify;
  if (host_.bus().has_subscribers<sim::events::CommandSent>()) {
    sent_scratch_.clear();
    for (const Bio* b = rq.bios.head; b; b = b->next) {
      sent_scratch_.push_back({b->id, b->root()->id, b->offset, b->bytes});
    }
    host_.bus().publish(sim::events::CommandSent{host_.cal().now(), rq.data_tag, ns->path_id, dir_of(rq.op), rq.fua,
                                                 ns->nsid, c.slba, c.nlb, ns->lba_sz, c.want_tokens, sent_scratch_});
  }
  rq.on_wire = true;
  rq.sent = host_.cal().now();
  // blk_mq_start_request arms the request timeout.
  rq.deadline = rq.sent + opts_.nvme.io_timeout;
  add_timeout(rq.deadline);
  host_.bus().publish(sim::events::RequestIssued{host_.cal().now(), ns->path_id, rq.bytes, dir_of(rq.op)});
  link_.send_command(assoc_, c);
}

std::string NvmeCtrl::describe_event(std::uint32_t kind, std::uint64_t) const {
  return "host controller " + name_ + (kind == kRetry ? ": request retry" : ": requeued request rerun");
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
  if (!rq.in_use || !rq.on_wire) return;  // already cancelled or timed out: ignore it
  rq.status = cqe.status;
  if (cqe.tokens) host_.bus().publish(sim::events::ReadReturned{host_.cal().now(), rq.data_tag, cqe.tokens});
  nvme_complete_rq(rq);
}

// nvme_decide_disposition, with the precedence of semantics 4.2.
Disposition NvmeCtrl::nvme_decide_disposition(const Request& rq) const {
  if (rq.status == status::kSuccess) return Disposition::Complete;
  if ((rq.status & status::kDnr) || rq.retries >= opts_.nvme.max_retries) return Disposition::Complete;
  const bool dying = state_ == CtrlState::DeletingNoIo || state_ == CtrlState::Dead;
  const Variants& v = host_.variants();
  const std::uint16_t code = status_code(rq.status);
  // BP-15: a cancelled multipath request ends with its error.
  if (v.bp15 && rq.mpath && code == status::kHostAbortedCmd) return Disposition::Complete;
  // BP-07: an unknown (non-path) error on a multipath request fails over (and resets the ctrl).
  if (v.bp07 && rq.mpath && status_type(rq.status) != 3 && mpath::blk_path_error_415(rq.status))
    return Disposition::Failover;
  // BP-08: everything but invalid-command errors and Abort Requested fails over, media too.
  if (v.bp08) {
    const bool invalid = code == status::kInvalidOpcode || code == status::kInvalidField ||
                         code == status::kLbaRange || code == status::kAbortRequested;
    if (rq.mpath && !invalid) return Disposition::Failover;
    return dying ? Disposition::Complete : Disposition::Retry;
  }
  if (profile().failover_on_generic_error) {
    // 4.15 (nvme_complete_rq of 2017): multipath requests fail over whenever the mapped block
    // status is a path error by blk_path_error, i.e. anything but the target/media/space codes.
    if (rq.mpath && mpath::blk_path_error_415(rq.status)) return Disposition::Failover;
    return dying ? Disposition::Complete : Disposition::Retry;
  }
  if (rq.mpath) {
    if (status_type(rq.status) == 3 || dying) return Disposition::Failover;
  } else if (dying) {
    return Disposition::Complete;
  }
  return Disposition::Retry;
}

void NvmeCtrl::nvme_complete_rq(Request& rq) {
  ++requests_completed_;
  rq.on_wire = false;
  // Traffic-based keep-alive only counts requests sent since the last check (nvme_complete_rq).
  if (rq.sent >= ka_last_check_) comp_seen_ = true;
  host_.bus().publish(sim::events::RequestCompleted{host_.cal().now(), rq.ns->path_id, rq.bytes,
                                                    dir_of(rq.op), rq.status, rq.issued});
  if (KernelCore* k = host_.kernel()) return k->complete_request(this, rq);
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
  // CRD (bits 12:11) picks one of the controller's CRDT delays, in 100 ms units.
  const unsigned crd = (rq.status & status::kCrdMask) >> 11;
  const sim::Time delay = crd ? sim::Time{id_.crdt[crd - 1]} * 100 * sim::kMillisecond : 0;
  host_.cal().schedule_in(delay, this, kRetry, request_key(rq));
}

void NvmeCtrl::free_request(Request& rq) {
  rq.in_use = false;
  rq.on_wire = false;
  rq.bios = BioList{};
  HwQueue& q = queues_[rq.qid - 1u];
  q.free_tags.push_back(rq.tag);
  if (on_drained_ && inflight() == 0) {
    auto fn = std::move(on_drained_);
    on_drained_ = nullptr;
    host_.cal().call_in(0, std::move(fn));
  }
  // A bio that was waiting for a tag gets this one (the sleeping submitter wakes up).
  if (Bio* b = q.waiting.pop_front()) {
    NvmeNs* ns = static_cast<NvmeNs*>(b->target);
    if (b->mpath && !ns->ready && host_.kernel()) {
      host_.kernel()->head_submit_bio(ns->head, b);
    } else if (b->mpath && !ns->ready) {
      // Its path was removed while it slept: back to the head.
      b->target = ns->head;
      mpath::nvme_requeue_bio(ns->head, b);
      mpath::nvme_kick_requeue(ns->head);
    } else {
      submit_to_queue(ns, b);
    }
  }
}

void NvmeCtrl::collect_bios(std::vector<const Bio*>& out) const {
  auto add = [&out](const BioList& l) {
    for (const Bio* b = l.head; b; b = b->next) out.push_back(b);
  };
  for (const HwQueue& q : queues_) {
    for (const Request& rq : q.rqs)
      if (rq.in_use) add(rq.bios);
    add(q.waiting);
  }
  add(held_);
}

int NvmeCtrl::inflight_on(const NsHead* head) const {
  int n = 0;
  for (const HwQueue& q : queues_)
    for (const Request& rq : q.rqs) n += (rq.on_wire && rq.ns && rq.ns->head == head) ? 1 : 0;
  return n;
}

// BP-11: the update is held while a head it would touch has bios parked or requests in flight.
bool NvmeCtrl::bp11_defer_ana(const AnaLog& log) {
  std::string busy;
  for (const auto& g : log.groups)
    for (std::uint32_t nsid : g.nsids)
      for (NvmeNs* ns : namespaces_) {
        if (ns->nsid != nsid || !ns->head || !busy.empty()) continue;
        bool b = !ns->head->requeue_list.empty();
        for (NvmeCtrl* c : ns->head->subsys->ctrls) b = b || c->inflight_on(ns->head) > 0;
        if (b) busy = ns->head->disk_name;
      }
  if (busy.empty()) {
    bp11_deferred_.reset();
    host_.work_unblocked(name_ + "/ana_work");
    return false;
  }
  bp11_deferred_ = std::make_shared<const AnaLog>(log);
  host_.work_blocked(name_ + "/ana_work", fmt::format("{}: ANA state update waits for I/O on {}", name_, busy));
  return true;
}

void NvmeCtrl::bp11_retry_ana() {
  if (!bp11_deferred_) return;
  const auto log = bp11_deferred_;
  mpath::nvme_update_ana_state(this, *log);
}

int NvmeCtrl::inflight() const {
  int n = 0;
  for (const HwQueue& q : queues_)
    for (const Request& rq : q.rqs) n += rq.on_wire ? 1 : 0;
  return n;
}

}  // namespace host
