#pragma once
// Host-side NVMe data model, after the kernel's drivers/nvme/host/nvme.h: subsystem, namespace
// head (one logical namespace, the multipath disk), per-controller namespace (one path), and the
// controller itself with its queues. Functions that mirror kernel functions keep their names.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host/block.hpp"
#include "sim/engine/calendar.hpp"
#include "sim/fabric/link.hpp"
#include "sim/nvme/nvme.hpp"
#include "sim/scenario/scenario.hpp"

namespace host {

class Host;
class NvmeCtrl;
struct NsHead;
struct NvmeSubsystem;

// enum nvme_ctrl_state (linux-mpath-semantics.md 5.1).
enum class CtrlState : std::uint8_t { New, Live, Resetting, Connecting, Deleting, DeletingNoIo, Dead };
const char* to_string(CtrlState s);
// nvme_state_terminal: the controller is being torn down and will not carry I/O again.
inline bool nvme_state_terminal(CtrlState s) {
  return s == CtrlState::Deleting || s == CtrlState::DeletingNoIo || s == CtrlState::Dead;
}

// A block device the workloads can open: a multipath head disk or a visible path disk.
class BlockDevice {
 public:
  virtual ~BlockDevice() = default;
  virtual void submit_bio(Bio* bio) = 0;
  // Open-able by a workload (disk added and not hidden).
  virtual bool is_live() const = 0;
  virtual std::uint32_t lba_size() const = 0;
  virtual std::uint64_t capacity_bytes() const = 0;
  std::string disk_name;
};

// struct nvme_ns: one namespace seen through one controller, i.e. one path.
struct NvmeNs final : BlockDevice {
  NvmeCtrl* ctrl = nullptr;
  NsHead* head = nullptr;
  std::uint32_t nsid = 0;
  std::uint64_t nlbas = 0;
  std::uint32_t lba_sz = 0;
  sim::nvme::AnaState ana_state = sim::nvme::AnaState::Optimized;
  std::uint32_t ana_grpid = 0;
  bool ana_pending = false;  // NVME_NS_ANA_PENDING
  bool ready = false;        // NVME_NS_READY
  bool hidden = true;        // path disk behind a head disk (not open-able)
  int path_id = -1;          // world-wide path number for reports
  bool bp10_early_live = false;  // BP-10: set live while its controller was CONNECTING

  void submit_bio(Bio* bio) override;
  bool is_live() const override;
  std::uint32_t lba_size() const override { return lba_sz; }
  std::uint64_t capacity_bytes() const override { return nlbas * lba_sz; }
};

// struct nvme_ns_head: the logical namespace and its multipath disk.
struct NsHead final : BlockDevice {
  NvmeSubsystem* subsys = nullptr;
  std::uint32_t nsid = 0;
  std::uint32_t instance = 0;
  std::uint64_t eui64 = 0;
  bool shared = false;
  bool has_disk = false;     // a multipath disk exists (nvme_mpath_alloc_disk)
  bool removed = false;      // the disk was deleted when its last path went away
  bool disk_live = false;    // NVME_NSHEAD_DISK_LIVE
  bool queue_if_no_path = false;
  std::uint32_t max_bytes = 0;  // stacked transfer limit of the paths
  std::vector<NvmeNs*> list;  // paths in discovery order (head->list)
  std::vector<NvmeNs*> current_path;  // per NUMA node
  BioList requeue_list;
  bool requeue_scheduled = false;
  std::uint64_t nr_failovers = 0;
  int record_id = -1;  // world head record, for events

  void submit_bio(Bio* bio) override;  // nvme_ns_head_submit_bio
  bool is_live() const override { return has_disk && disk_live; }
  std::uint32_t lba_size() const override { return list.empty() ? 512 : list.front()->lba_sz; }
  std::uint64_t capacity_bytes() const override {
    return list.empty() ? 0 : list.front()->capacity_bytes();
  }
};

// struct nvme_subsystem.
struct NvmeSubsystem {
  Host* host = nullptr;
  std::string nqn;
  std::uint32_t instance = 0;
  std::uint8_t cmic = 0;
  sim::scenario::IoPolicy iopolicy = sim::scenario::IoPolicy::Numa;
  std::vector<NvmeCtrl*> ctrls;
  std::vector<std::unique_ptr<NsHead>> nsheads;
  // BP-09: a partition read of a new head disk runs from scan work; scans wait behind it.
  NsHead* bp09_part_scan = nullptr;
  std::vector<NvmeCtrl*> bp09_waiting_scans;
  bool multi_ctrl() const { return cmic & 0x2; }
};

// A request: one NVMe command built from one or more merged bios (struct request + nvme_request).
struct Request {
  std::uint16_t tag = 0;
  std::uint16_t qid = 0;
  bool in_use = false;
  BioList bios;
  BioOp op = BioOp::Read;
  bool fua = false;
  bool mpath = false;           // REQ_NVME_MPATH
  bool nr_active_counted = false;  // NVME_MPATH_CNT_ACTIVE
  NvmeNs* ns = nullptr;
  std::uint64_t offset = 0;
  std::uint32_t bytes = 0;
  int retries = 0;
  std::uint16_t status = 0;
  Time issued = 0;
  Time sent = 0;                 // last time the command went to the controller
  std::uint64_t data_tag = 0;    // this sending's data tag (checkers)
  Time deadline = 0;             // request timeout (io_timeout after sending, re-armed on expiry)
  bool on_wire = false;          // sent and not completed yet (blk_mq_request_started)
  std::uint64_t generation = 0;  // tells a stale retry timer from the live request
  void* krq = nullptr;           // core: linux: the kernel's struct request for this slot
};

// One I/O hardware queue (blk_mq_hw_ctx + nvme queue): tags and the bios waiting for one.
struct HwQueue {
  std::uint16_t qid = 0;
  std::vector<Request> rqs;       // indexed by tag
  std::vector<std::uint16_t> free_tags;
  BioList waiting;                // bios that found no free tag (the submitter would sleep)
};

struct CtrlOptions {
  sim::scenario::NvmeOptions nvme;
  int nr_io_queues = 1;
  int queue_size = 128;
  int numa_node = -1;  // NUMA_NO_NODE
};

}  // namespace host
