#pragma once
// `core: linux`: the kernel's own multipath code instead of the model's (host/multipath.cpp and
// the core.c decisions). The backend lives in host/kernel/ (GPL-2.0-only, built only with
// NVMSIM_KERNEL_BACKEND); this interface is all the model's controller code sees of it. The
// model keeps the transport (bring-up, keep-alive, timeouts, error recovery, reconnect) and calls
// the kernel where Linux's core and multipath code would run: controller state changes, the
// head's submit_bio, request completion (disposition, retry, failover), ANA log handling,
// iopolicy stores and path teardown.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host/nvme.hpp"

namespace host {

class KernelCore {
 public:
  virtual ~KernelCore() = default;
  virtual const std::string& version() const = 0;  // the kernel release the blob came from

  virtual void subsys_added(NvmeSubsystem* s) = 0;
  virtual void ctrl_added(NvmeCtrl* c) = 0;   // nvme_init_ctrl
  virtual void ctrl_joined(NvmeCtrl* c) = 0;  // nvme_init_subsystem
  virtual void ctrl_freed(NvmeCtrl* c) = 0;
  // nvme_mpath_init_identify after Identify Controller: reads the ANA log over the admin queue.
  virtual void init_identify(NvmeCtrl* c, std::function<void(bool ok)> then) = 0;
  // nvme_change_ctrl_state: the kernel's transition table decides.
  virtual bool change_state(NvmeCtrl* c, CtrlState to) = 0;
  virtual void mpath_update(NvmeCtrl* c) = 0;  // nvme_mpath_update, once LIVE
  // queue_work(nvme_wq, &ctrl->ana_work) when the controller uses ANA: an ANA change notice
  // (nvme_handle_aen_notice) or the end of a namespace scan (nvme_scan_work).
  virtual void queue_ana_work(NvmeCtrl* c) = 0;
  virtual void mpath_stop(NvmeCtrl* c) = 0;
  virtual void clear_ctrl_paths(NvmeCtrl* c) = 0;
  virtual void kick_requeue_lists(NvmeCtrl* c) = 0;
  virtual void set_failfast_expired(NvmeCtrl* c, bool expired) = 0;
  virtual void mark_dead(NvmeCtrl* c) = 0;

  virtual void ns_added(NvmeNs* ns) = 0;    // nvme_alloc_ns + nvme_mpath_add_disk
  virtual void ns_removed(NvmeNs* ns) = 0;  // nvme_ns_remove (and the head disk with the last path)

  virtual void head_submit_bio(NsHead* h, Bio* b) = 0;
  // A new request (its bios are final) before its first queue_rq.
  virtual void prepare_request(NvmeCtrl* c, Request& rq) = 0;
  enum class Ready { Send, Resource, Completed };
  // nvme_check_ready, and nvme_fail_nonready_command when not ready.
  virtual Ready queue_check(NvmeCtrl* c, Request& rq, bool queue_live) = 0;
  virtual void start_request(NvmeCtrl* c, Request& rq) = 0;  // nvme_start_request
  // nvme_complete_rq with rq.status.
  virtual void complete_request(NvmeCtrl* c, Request& rq) = 0;
  virtual void set_iopolicy(NvmeSubsystem* s, sim::scenario::IoPolicy p) = 0;
  // Bios parked on the kernel's head requeue lists.
  virtual void collect_bios(std::vector<const Bio*>& out) const = 0;
  virtual int nr_active(const NvmeCtrl* c) const = 0;
};

// The kernel versions this build carries ("6.1", "6.12"), empty without NVMSIM_KERNEL_BACKEND.
std::vector<std::string> kernel_core_versions();
// A kernel core for `host` running the blob of `version`; nullptr if that blob is not built.
std::unique_ptr<KernelCore> make_kernel_core(Host& host, const std::string& version);

}  // namespace host
