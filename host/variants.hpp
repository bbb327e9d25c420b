#pragma once
// Bug-pattern variants (hosts[].variant: [BP-NN, ...]): host-model switches that re-enact the bug
// patterns of linux-mpath-semantics.md section 7.3, one flag per pattern. Each flag guards one
// small, delimited change at the place the real bug was; docs/bug-pattern-variants.md lists the
// symptom each one produces. All false = mainline behaviour.
#include <string>
#include <vector>

namespace host {

struct Variants {
  // BP-02: nvme_mpath_set_live does not kick the requeue work (the kick raced with submitters that
  // had just parked a bio; fix 504db087aacc waits for them, then kicks). Parked bios stay parked.
  bool bp02 = false;
  // BP-03: nvme_available_path does not test the head's DISK_LIVE flag and head removal does not
  // kick the requeue list (fix 3b97f5a05cfc): bios parked on a head whose last (inaccessible)
  // path goes away are never failed.
  bool bp03 = false;
  // BP-04: a bio is parked whenever head->list is non-empty, whatever the controller states, and
  // controller deletion does not clear cursors / kick before removing namespaces (fix 0157ec8dad3c).
  // Simulator form of the hang: namespace removal waits for the head's parked bios.
  bool bp04 = false;
  // BP-05: ANA log re-reads ask for groups only (RGO): no NSID lists, so nothing clears a path's
  // ANA_PENDING and no per-namespace state changes (fix 86cccfbf773f reads the full log).
  bool bp05 = false;
  // BP-06: the lockstep walk of nvme_update_ana_state moves the host's cursor instead of the log's
  // on an NSID the host lacks, and misses a later NSID (fix bd5a8c5a0a7b).
  bool bp06 = false;
  // BP-07: any non-ANA, non-host-path error on a multipath request fails over and resets the whole
  // controller (fix 764e9332098c "do not reset on unknown status").
  bool bp07 = false;
  // BP-08: 4.15-era classification: fail over every generic/media error (not only SCT 3), and
  // cancel with Abort Requested (0x007), which is retried on the dead path (multipath requests
  // wait on a non-ready controller) instead of failing over. Fixes: SCT 3 rule, HOST_ABORTED_CMD.
  bool bp08 = false;
  // BP-09: making the head disk live reads the partition table synchronously from scan work; until
  // that read completes no scan work of the subsystem runs (fixes 2b81a5f01519, 1f021341eef4,
  // 6d87cd533578).
  bool bp09 = false;
  // BP-10: nvme_update_ana_state activates paths while the controller is still CONNECTING; the
  // path counts as usable and I/O is queued to a controller without I/O queues, and the reconnect
  // waits for that I/O to drain before starting its queues (fix b18d0db6985e).
  bool bp10 = false;
  // BP-11: the ANA state update of a controller waits until the affected heads have no I/O
  // outstanding (lock-order deadlocks, fixes 489dd102a2c7, d8a22f85609f, 657f1975e9d9).
  bool bp11 = false;
  // BP-12: a DELETING controller's paths are disabled for I/O (before ecca390e8056), and namespace
  // removal waits for the head's parked bios.
  bool bp12 = false;
  // BP-13: cancellation races a completion already on its way and both are acted on: the bios
  // complete with success (the late CQE) and are also failed over (the cancel): double completion.
  bool bp13 = false;
  // BP-14: nvme_failover_req completes the first bio of a multi-bio request with success and
  // requeues only the rest (violates all-or-nothing, semantics 4.7).
  bool bp14 = false;
  // BP-15: cancelled multipath requests (0x371) complete with an error instead of failing over
  // (the withdrawn 2023 "do not resubmit cancelled I/O" idea).
  bool bp15 = false;
  // BP-16: a removed path leaves head->list without its current_path cursors being cleared: I/O is
  // still dispatched to it.
  bool bp16 = false;
  // BP-17: nvme_available_path ignores FAILFAST_EXPIRED: I/O waits for ctrl_loss_tmo.
  bool bp17 = false;
  // BP-20: entering LIVE does not kick the requeue lists (nvme_kick_requeue_lists).
  bool bp20 = false;
  // BP-21: an iopolicy change does not clear the cached paths.
  bool bp21 = false;

  bool any() const;
};

struct VariantInfo {
  const char* id;  // "BP-02"
  bool Variants::*flag;
  const char* summary;
};

// Every variant that can be selected, in id order.
const std::vector<VariantInfo>& variant_catalogue();
// BP-01, BP-18, BP-19 describe how mainline behaves: they are not selectable.
bool is_mainline_property(const std::string& id);
// Unknown ids are ignored here (sim/world validates the list first).
Variants variants_from(const std::vector<std::string>& ids);

}  // namespace host
