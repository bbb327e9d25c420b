#pragma once
// Native NVMe multipath (drivers/nvme/host/multipath.c), one function per kernel function, in our
// own words. Behaviour: linux-mpath-semantics.md sections 2-4 and 6 (mainline 6.12 profile).
#include "host/nvme.hpp"

namespace host::mpath {

inline constexpr int kLocalDistance = 10;
inline constexpr int kRemoteDistance = 20;

int node_distance(int a, int b);

bool nvme_path_is_disabled(const NvmeNs* ns);
bool nvme_path_is_optimized(const NvmeNs* ns);
// __nvme_find_path: best optimized path by NUMA distance, else best non-optimized; caches it.
NvmeNs* find_path_by_distance(NsHead* head, int node);
NvmeNs* nvme_round_robin_path(NsHead* head, int node);
NvmeNs* nvme_queue_depth_path(NsHead* head);
NvmeNs* nvme_numa_path(NsHead* head, int node);
NvmeNs* nvme_find_path(NsHead* head, int node);
bool nvme_available_path(const NsHead* head);

// bio_split_to_limits on the head queue: the bio is larger than the stacked transfer limit.
bool nvme_head_needs_split(const NsHead* head, const Bio* bio);
void nvme_ns_head_submit_bio(NsHead* head, Bio* bio);
void nvme_failover_req(Request& rq);
void nvme_kick_requeue(NsHead* head);  // schedules head->requeue_work
// Appends to head->requeue_list (bio->target must already be the head).
void nvme_requeue_bio(NsHead* head, Bio* bio);
void nvme_requeue_bios(NsHead* head, BioList& bios);
void nvme_requeue_work(NsHead* head);
void nvme_kick_requeue_lists(NvmeCtrl* ctrl);
bool nvme_mpath_clear_current_path(NvmeNs* ns);
void nvme_mpath_set_live(NvmeNs* ns);
// Applies an ANA log to the controller's namespaces (nvme_parse_ana_log + nvme_update_ana_state).
void nvme_update_ana_state(NvmeCtrl* ctrl, const sim::nvme::AnaLog& log);
void nvme_mpath_start_request(Request& rq);
void nvme_mpath_end_request(Request& rq);
bool blk_path_error_415(std::uint16_t status);
void nvme_mpath_remove_head(NsHead* head);
// nvme_mpath_alloc_disk: a head disk only for multi-controller subsystems with multipath on.
bool nvme_mpath_wants_disk(const NsHead* head, bool multipath_enabled);

}  // namespace host::mpath
