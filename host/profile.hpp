#pragma once
// Kernel behaviour profiles: where the host stack changed across kernel versions, the model asks
// the profile instead of hard-coding one version. docs/kernel-profiles.md lists each difference
// with the kernel function it comes from.
#include "sim/scenario/scenario.hpp"
#include "sim/time.hpp"

namespace host {

struct Profile {
  sim::scenario::KernelProfile id = sim::scenario::KernelProfile::K6_12;
  // ANA support (4.19): ANA log at identify, ANA states in path selection, ANA errors set
  // ANA_PENDING. Without it every path is treated as optimized.
  bool ana = true;
  // iopolicies that exist: round-robin since 5.1, queue-depth since 6.11.
  bool round_robin = true;
  bool queue_depth = true;
  // One cached path per NUMA node (4.15 had a single head->current_path).
  bool per_node_paths = true;
  // nvme_available_path looks at controller states (5.3, 0157ec8dad3c); before, a bio was parked
  // whenever the head still listed any path.
  bool available_path_by_state = true;
  // ... and at the head's DISK_LIVE flag (6.12, 3b97f5a05cfc).
  bool available_path_disk_live = true;
  // fast_io_fail_tmo exists (5.10).
  bool fast_io_fail = true;
  // delayed_removal_secs / NVME_NSHEAD_QUEUE_IF_NO_PATH (6.16).
  bool queue_if_no_path = false;
  // Keep-alive work period = KATO / ka_divisor (4.15 sent one per KATO); TBKAS halves it again
  // and skips the command when completions were seen (traffic-based keep-alive support).
  int ka_divisor = 2;
  bool tbkas = true;
  // Keep-alive starts right after admin-queue init, while CONNECTING, and is due one period after
  // the last check (so at once after an outage) (6.12: nvme_init_ctrl_finish); before, it started
  // in nvme_start_ctrl, one full period after LIVE.
  bool ka_start_at_init = true;
  // The keep-alive command is synchronous (6.1.y): error recovery first waits for an outstanding
  // Keep Alive, which on a dead link completes only when its re-armed timeout fires again.
  bool ka_sync = false;
  // A failed reconnect whose status has DNR deletes the controller at once (6.12
  // nvmf_should_reconnect(ctrl, status)); 6.1 retries until ctrl_loss_tmo.
  bool reconnect_stops_on_dnr = true;
  // Every failover also resets the controller (4.15; later only for unknown statuses, until
  // 764e9332098c in 5.8).
  bool failover_resets_ctrl = false;
  // Extra seconds added to the KATO the host puts in the Connect command (NVME_KATO_GRACE).
  sim::Time kato_grace = 0;
  // Error classification before the disposition helper (4.15): fail over any status the block
  // layer calls a path error (blk_path_error on the mapped status), not only SCT 3.
  bool failover_on_generic_error = false;
  // 4.15 cancelled in-flight commands with the generic Abort Requested status, not 0x371.
  bool cancel_with_abort_requested = false;
  // 4.x: LIVE may also be entered from NEW and RESETTING.
  bool live_from_new_or_resetting = false;
  // A sysfs iopolicy change clears every cached path and kicks the requeue lists
  // (nvme_subsys_iopolicy_update, 6.12); 6.1 only stored the new value.
  bool iopolicy_change_clears_paths = true;
};

Profile profile_for(sim::scenario::KernelProfile k);

}  // namespace host
