#include "host/multipath.hpp"

#include <algorithm>
#include <limits>

#include "host/core.hpp"
#include "host/host.hpp"
#include "sim/assert.hpp"

namespace host::mpath {

using sim::nvme::AnaState;
using sim::scenario::IoPolicy;

int node_distance(int a, int b) { return a == b ? kLocalDistance : kRemoteDistance; }

// Disabled: controller neither LIVE nor DELETING (DELETING can still complete I/O), an ANA error
// is waiting for the log re-read, or the path is not ready (semantics 2.1).
bool nvme_path_is_disabled(const NvmeNs* ns) {
  const CtrlState s = ns->ctrl->state();
  const Variants& v = ns->ctrl->host().variants();
  // BP-12: DELETING counts as disabled (before ecca390e8056).
  if (v.bp12 && s == CtrlState::Deleting) return true;
  // BP-10: a path set live while its controller was CONNECTING counts as usable.
  const bool early = v.bp10 && s == CtrlState::Connecting && ns->bp10_early_live;
  if (s != CtrlState::Live && s != CtrlState::Deleting && !early) return true;
  return ns->ana_pending || !ns->ready;
}

bool nvme_path_is_optimized(const NvmeNs* ns) {
  return ns->ctrl->state() == CtrlState::Live && ns->ana_state == AnaState::Optimized;
}

NvmeNs* find_path_by_distance(NsHead* head, int node) {
  int found_distance = std::numeric_limits<int>::max();
  int fallback_distance = std::numeric_limits<int>::max();
  NvmeNs* found = nullptr;
  NvmeNs* fallback = nullptr;
  const bool numa = head->subsys->iopolicy == IoPolicy::Numa;
  for (NvmeNs* ns : head->list) {
    if (nvme_path_is_disabled(ns)) continue;
    // Only the numa policy looks at distance; controllers without a node count as local.
    const int ctrl_node = ns->ctrl->numa_node();
    const int distance = (numa && ctrl_node >= 0) ? node_distance(node, ctrl_node) : kLocalDistance;
    switch (ns->ana_state) {
      case AnaState::Optimized:
        if (distance < found_distance) {  // strict: the first path in list order wins ties
          found_distance = distance;
          found = ns;
        }
        break;
      case AnaState::NonOptimized:
        if (distance < fallback_distance) {
          fallback_distance = distance;
          fallback = ns;
        }
        break;
      default: break;  // inaccessible, persistent loss, change: never selected
    }
  }
  if (!found) found = fallback;
  if (found) head->current_path[node] = found;
  return found;
}

// Rotates among optimized paths, per NUMA node (semantics 2.4). The kernel walks head->list from
// the current path with nvme_next_ns(); here the list is a vector, so the walk goes by index from
// the current path's position, found once per call.
NvmeNs* nvme_round_robin_path(NsHead* head, int node) {
  NvmeNs* old = head->current_path[node];
  const std::size_t n = head->list.size();
  // A cursor always points into head->list (paths are unlinked only after the cursors were
  // cleared); a stale one would make the walk below go round forever.
  const auto at = old ? std::find(head->list.begin(), head->list.end(), old) : head->list.end();
  if (at == head->list.end()) return find_path_by_distance(head, node);
  const auto pos = static_cast<std::size_t>(at - head->list.begin());
  // A sole path is used unless disabled: its ANA state is not looked at (BP-19, mainline quirk).
  if (n == 1) return nvme_path_is_disabled(old) ? nullptr : old;
  NvmeNs* found = nullptr;
  for (std::size_t step = 1; step < n; ++step) {
    NvmeNs* ns = head->list[(pos + step) % n];
    if (nvme_path_is_disabled(ns)) continue;
    if (ns->ana_state == AnaState::Optimized) {  // the next optimized path wins at once
      head->current_path[node] = ns;
      return ns;
    }
    if (ns->ana_state == AnaState::NonOptimized) found = ns;  // the last one seen is the fallback
  }
  // No other optimized path: stay on `old` if it is optimized, or usable and nothing else is.
  if (!nvme_path_is_disabled(old) &&
      (old->ana_state == AnaState::Optimized || (!found && old->ana_state == AnaState::NonOptimized)))
    return old;
  if (!found) return nullptr;
  head->current_path[node] = found;
  return found;
}

// Least-busy controller among optimized paths, else among non-optimized (semantics 2.5).
NvmeNs* nvme_queue_depth_path(NsHead* head) {
  NvmeNs* best_opt = nullptr;
  NvmeNs* best_nonopt = nullptr;
  int min_opt = std::numeric_limits<int>::max();
  int min_nonopt = std::numeric_limits<int>::max();
  for (NvmeNs* ns : head->list) {
    if (nvme_path_is_disabled(ns)) continue;
    const int depth = ns->ctrl->nr_active;
    switch (ns->ana_state) {
      case AnaState::Optimized:
        if (depth < min_opt) {
          min_opt = depth;
          best_opt = ns;
        }
        break;
      case AnaState::NonOptimized:
        if (depth < min_nonopt) {
          min_nonopt = depth;
          best_nonopt = ns;
        }
        break;
      default: break;
    }
    if (min_opt == 0) return best_opt;  // an idle optimized path cannot be beaten
  }
  return best_opt ? best_opt : best_nonopt;
}

NvmeNs* nvme_numa_path(NsHead* head, int node) {
  NvmeNs* ns = head->current_path[node];
  if (!ns) return find_path_by_distance(head, node);
  // The fast path only trusts a cached optimized path on a LIVE controller.
  if (!nvme_path_is_optimized(ns)) return find_path_by_distance(head, node);
  return ns;
}

NvmeNs* nvme_find_path(NsHead* head, int node) {
  switch (head->subsys->iopolicy) {
    case IoPolicy::QueueDepth: return nvme_queue_depth_path(head);
    case IoPolicy::RoundRobin: return nvme_round_robin_path(head, node);
    case IoPolicy::Numa: return nvme_numa_path(head, node);
  }
  return nullptr;
}

// "A path may come back": some controller is live or reconnecting and has not fast-failed
// (semantics 3.1). ANA state does not matter here.
bool nvme_available_path(const NsHead* head) {
  const Profile& prof = head->subsys->host->profile();
  const Variants& v = head->subsys->host->variants();
  // 4.15 parked a bio whenever the head still listed a path, whatever its controller's state
  // (BP-04 re-enacts that on a newer profile).
  if (!prof.available_path_by_state || v.bp04) return !head->list.empty();
  // BP-03: the head's DISK_LIVE flag is not looked at.
  if (prof.available_path_disk_live && !v.bp03 && !head->disk_live) return false;
  for (const NvmeNs* ns : head->list) {
    // BP-17: fast-fail expiry is ignored.
    if (ns->ctrl->failfast_expired && !v.bp17) continue;
    switch (ns->ctrl->state()) {
      case CtrlState::Live:
      case CtrlState::Resetting:
      case CtrlState::Connecting: return true;
      default: break;
    }
  }
  return head->queue_if_no_path;
}

bool nvme_head_needs_split(const NsHead* head, const Bio* bio) {
  return head->max_bytes && bio->bytes > head->max_bytes && bio->op != BioOp::Flush;
}

void nvme_ns_head_submit_bio(NsHead* head, Bio* bio) {
  if (nvme_head_needs_split(head, bio)) {
    // bio_split_to_limits on the head queue, so split bios come from the head and can be stolen.
    head->subsys->host->split_bio(bio, head->max_bytes, [head](Bio* child) {
      child->target = head;
      nvme_ns_head_submit_bio(head, child);
    });
    return;
  }
  Host* host = head->subsys->host;
  const int node = host->profile().per_node_paths ? host->cpu_to_node(bio->cpu) : 0;
  NvmeNs* ns = nvme_find_path(head, node);
  if (ns) {
    bio->target = ns;
    bio->mpath = true;
    ns->ctrl->submit_to_queue(ns, bio);
  } else if (nvme_available_path(head)) {
    // No usable path now, one may come back: park the bio until a kick (semantics 3, step 4).
    nvme_requeue_bio(head, bio);
  } else {
    bio->status = sim::nvme::status::kHostPathError;
    host->complete_bio(bio);
  }
}

// Path error on a multipath request: clear the path, note ANA trouble, steal every bio to the
// head's requeue list, end the request with no bios and no error, kick the requeue work (4.6).
void nvme_failover_req(Request& rq) {
  NvmeNs* ns = rq.ns;
  NsHead* head = ns->head;
  nvme_mpath_clear_current_path(ns);
  const std::uint16_t code = sim::nvme::status_code(rq.status);
  const bool ana_error = code == sim::nvme::status::kAnaPersistentLoss ||
                         code == sim::nvme::status::kAnaInaccessible ||
                         code == sim::nvme::status::kAnaTransition;
  // The controller is alive but not serving this namespace here: rather than guess the new state
  // from the I/O path, disable the path and re-read the log.
  if (ana_error && ns->ctrl->subsys() && (ns->ctrl->subsys()->cmic & 0x8)) {
    ns->ana_pending = true;
    ns->ctrl->queue_ana_work();
  }
  std::uint32_t nbios = 0;
  for (Bio* b = rq.bios.head; b; b = b->next, ++nbios) b->target = head;
  ++head->nr_failovers;
  Host* host = head->subsys->host;
  const std::uint16_t st = rq.status;
  // Option, not mainline: hold cancelled requests until the old controller is known quiet.
  const bool held = ns->ctrl->hold_failed_over(rq.bios, st);
  sim::events::Failover fo{host->cal().now(), host->name() + "/" + head->disk_name, ns->path_id,
                           ns->ctrl->record_id, st, nbios, held ? ns->ctrl->hold_until() : host->cal().now(),
                           rq.data_tag, {}};
  // Refused before it was ever sent (nvme_fail_nonready_command): no data tag names its bios.
  if (rq.data_tag == 0)
    for (const Bio* b = rq.bios.head; b; b = b->next) fo.unsent.push_back({b->id, b->root()->id, b->offset, b->bytes});
  host->bus().publish(fo);
  // BP-14: the first bio of a multi-bio request is completed with success; only the rest is
  // stolen back to the head.
  Bio* partial = nullptr;
  if (host->variants().bp14 && !held && rq.bios.count > 1) partial = rq.bios.pop_front();
  if (!held) nvme_requeue_bios(head, rq.bios);
  rq.status = 0;
  if (!held) nvme_kick_requeue(head);
  if (partial) {
    partial->status = 0;
    host->complete_bio(partial);
  }
  // 4.15 reset the whole controller on every failover (BP-07's ancestor). BP-07: ~4.19-5.8 did
  // it for every status that is neither an ANA error nor a host path error / host abort.
  const bool unknown = !ana_error && code != sim::nvme::status::kHostPathError &&
                       code != sim::nvme::status::kHostAbortedCmd;
  if (host->profile().failover_resets_ctrl || (host->variants().bp07 && unknown))
    ns->ctrl->nvme_reset_ctrl("failover");
}

namespace {
void publish_parked(NsHead* head, const Bio* b, bool parked) {
  Host* host = head->subsys->host;
  if (!host->bus().has_subscribers<sim::events::BioParked>()) return;
  host->bus().publish(sim::events::BioParked{host->cal().now(), head->record_id, b->id, b->root()->id, parked});
}
}  // namespace

void nvme_requeue_bio(NsHead* head, Bio* bio) {
  publish_parked(head, bio, true);
  head->requeue_list.push_back(bio);
}

void nvme_requeue_bios(NsHead* head, BioList& bios) {
  for (const Bio* b = bios.head; b; b = b->next) publish_parked(head, b, true);
  head->requeue_list.append(bios);
}

void nvme_kick_requeue(NsHead* head) {
  if (head->requeue_scheduled) return;
  head->requeue_scheduled = true;
  head->subsys->host->cal().call_in(0, [head]() { nvme_requeue_work(head); });
}

void nvme_requeue_work(NsHead* head) {
  head->requeue_scheduled = false;
  BioList bios;
  bios.append(head->requeue_list);  // detach the whole list first: every bio leaves it at once
  for (const Bio* b = bios.head; b; b = b->next) publish_parked(head, b, false);
  while (Bio* b = bios.pop_front()) nvme_ns_head_submit_bio(head, b);
}

void nvme_kick_requeue_lists(NvmeCtrl* ctrl) {
  for (NvmeNs* ns : ctrl->namespaces())
    if (ns->head) nvme_kick_requeue(ns->head);
}

bool nvme_mpath_clear_current_path(NvmeNs* ns) {
  NsHead* head = ns->head;
  bool changed = false;
  for (auto& cur : head->current_path) {
    if (cur == ns) {
      cur = nullptr;
      changed = true;
    }
  }
  return changed;
}

// A path became usable: make the head disk live on first use, refresh NUMA cursors when it is
// optimized, and kick parked bios (semantics 6.3).
void nvme_mpath_set_live(NvmeNs* ns) {
  NsHead* head = ns->head;
  Host* host = head->subsys->host;
  const Variants& v = host->variants();
  // BP-10: activated before the controller is LIVE: the path counts as usable while CONNECTING.
  if (v.bp10 && ns->ctrl->state() != CtrlState::Live) ns->bp10_early_live = true;
  if (head->has_disk && !head->disk_live) {
    head->disk_live = true;
    head->removed = false;
    host->notify_device_live(head);
    // BP-09: adding the disk reads its partition table synchronously from scan work.
    if (v.bp09) host->bp09_partition_scan(head);
  }
  if (nvme_path_is_optimized(ns)) {
    for (int node = 0; node < static_cast<int>(head->current_path.size()); ++node)
      find_path_by_distance(head, node);
  }
  // BP-02: no kick; bios parked by a submitter that raced with this path coming back stay parked.
  if (!v.bp02) nvme_kick_requeue(head);
}

void nvme_update_ana_state(NvmeCtrl* ctrl, const sim::nvme::AnaLog& log) {
  const Variants& v = ctrl->host().variants();
  // BP-11: the update waits until no head it touches has I/O outstanding.
  if (v.bp11 && ctrl->bp11_defer_ana(log)) return;
  // The controller's namespaces are sorted by NSID and so are each group's NSIDs: walk both in
  // lockstep, skipping NSIDs this host does not have.
  for (const auto& g : log.groups) {
    auto& nss = ctrl->namespaces();
    std::size_t j = 0;
    for (std::uint32_t nsid : g.nsids) {
      while (j < nss.size() && nss[j]->nsid < nsid) ++j;
      if (j == nss.size()) break;
      if (nss[j]->nsid != nsid) {
        // BP-06: on an NSID the host lacks, the host cursor moves on too, past a namespace that a
        // later NSID of the group would have matched.
        if (v.bp06) ++j;
        continue;
      }
      NvmeNs* ns = nss[j];
      ns->ana_grpid = g.grpid;
      const bool changed = ns->ana_state != g.state;
      ns->ana_state = g.state;
      ns->ana_pending = false;
      if (changed) ctrl->host().path_state_changed(ns);
      const bool usable = g.state == AnaState::Optimized || g.state == AnaState::NonOptimized;
      // BP-10: activated whatever the controller state (before nvme_mpath_update, b18d0db6985e).
      if (usable && (ctrl->state() == CtrlState::Live || v.bp10) && ns->head) nvme_mpath_set_live(ns);
    }
  }
}

void nvme_mpath_start_request(Request& rq) {
  if (rq.ns->head->subsys->iopolicy != IoPolicy::QueueDepth) return;
  ++rq.ns->ctrl->nr_active;
  rq.nr_active_counted = true;
}

void nvme_mpath_end_request(Request& rq) {
  if (!rq.nr_active_counted) return;
  rq.nr_active_counted = false;
  if (rq.ns->ctrl->nr_active > 0) --rq.ns->ctrl->nr_active;
}

// 4.15 mapped an NVMe status to a block status and failed over whenever blk_path_error said the
// block status could be a path problem: everything except the "not supported", "no space",
// target, nexus, medium and protection classes.
bool blk_path_error_415(std::uint16_t status) {
  using namespace sim::nvme::status;
  switch (sim::nvme::status_code(status)) {
    case kInvalidOpcode:
    case kInvalidField:
    case kLbaRange:
    case kWriteFault:
    case kUnrecoveredRead: return false;
    default: return true;
  }
}

// nvme_mpath_remove_disk (last path gone, no delayed removal): the head disk stops being live and
// the requeue list is kicked so parked bios fail.
void nvme_mpath_remove_head(NsHead* head) {
  if (head->queue_if_no_path && head->subsys->host->profile().queue_if_no_path) return;
  if (!head->has_disk) return;
  head->disk_live = false;
  head->removed = true;
  // BP-03: no kick after clearing DISK_LIVE: bios parked on the head stay parked.
  if (!head->subsys->host->variants().bp03) nvme_kick_requeue(head);
}

bool nvme_mpath_wants_disk(const NsHead* head, bool multipath_enabled) {
  return multipath_enabled && head->subsys->multi_ctrl();
}

}  // namespace host::mpath
