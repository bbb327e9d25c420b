#include "host/profile.hpp"

namespace host {

using sim::scenario::KernelProfile;

// The differences, version by version (docs/kernel-profiles.md has the sources for each).
Profile profile_for(KernelProfile k) {
  Profile p;
  p.id = k;
  switch (k) {
    case KernelProfile::K6_17:
      p.queue_if_no_path = true;  // delayed_removal_secs (6.16)
      break;
    case KernelProfile::K6_12: break;
    case KernelProfile::K6_1:
      p.queue_depth = false;              // queue-depth iopolicy came in 6.11
      p.available_path_disk_live = false;  // DISK_LIVE test came in 6.12 (BP-03 fix)
      p.ka_start_at_init = false;
      p.ka_sync = true;
      p.reconnect_stops_on_dnr = false;
      p.iopolicy_change_clears_paths = false;
      break;
    case KernelProfile::K4_15:
      p.ana = false;
      p.round_robin = false;
      p.queue_depth = false;
      p.per_node_paths = false;
      p.available_path_by_state = false;
      p.available_path_disk_live = false;
      p.fast_io_fail = false;
      p.ka_divisor = 1;
      p.ka_start_at_init = false;
      p.reconnect_stops_on_dnr = false;
      p.failover_resets_ctrl = true;
      p.tbkas = false;
      p.kato_grace = 10 * sim::kSecond;  // NVME_KATO_GRACE
      p.failover_on_generic_error = true;
      p.cancel_with_abort_requested = true;
      p.live_from_new_or_resetting = true;
      p.iopolicy_change_clears_paths = false;  // no iopolicy attribute at all
      break;
  }
  return p;
}

}  // namespace host
