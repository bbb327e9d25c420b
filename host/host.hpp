#pragma once
// One initiator host: its cpus and NUMA nodes, its NVMe controllers (nvme0, nvme1, ... in connect
// order), the subsystems and namespace heads it has discovered, and the block devices workloads
// open by name.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host/block.hpp"
#include "host/core.hpp"
#include "host/kernel_core.hpp"
#include "host/nvme.hpp"
#include "host/profile.hpp"
#include "host/variants.hpp"
#include "sim/engine/calendar.hpp"
#include "sim/events.hpp"
#include "sim/scenario/scenario.hpp"

namespace host {

class Host {
 public:
  Host(const sim::scenario::Host& cfg, sim::engine::Calendar& cal, sim::events::Bus& bus);
  ~Host();

  const std::string& name() const { return cfg_.name; }
  const sim::scenario::Host& config() const { return cfg_; }
  sim::engine::Calendar& cal() { return cal_; }
  sim::events::Bus& bus() { return bus_; }
  BioPool& bios() { return bios_; }
  bool multipath_enabled() const { return cfg_.multipath == sim::scenario::Multipath::Native; }
  const Profile& profile() const { return profile_; }
  // core: linux: the kernel's multipath code runs the decisions (nullptr: the model does).
  KernelCore* kernel() const { return kernel_.get(); }
  // A fresh data tag for one sending of a command (unique across hosts: `tag_base` is set per host).
  std::uint64_t next_tag() { return tag_base_ | ++tags_; }
  void set_tag_base(std::uint64_t base) {
    tag_base_ = base;
    bios_.set_base(base);
  }
  // Bug-pattern variants selected for this host (all false = mainline).
  const Variants& variants() const { return variants_; }
  // A kernel log line worth putting on the failover timeline.
  void log(std::string what);

  int cpu_to_node(int cpu) const { return cpu % cfg_.numa_nodes; }
  int nr_nodes() const { return cfg_.numa_nodes; }

  NvmeCtrl* add_ctrl(CtrlOptions opts, sim::fabric::Link& link, sim::scenario::Transport transport);
  const std::vector<std::unique_ptr<NvmeCtrl>>& ctrls() const { return ctrls_; }
  const std::vector<std::unique_ptr<NvmeSubsystem>>& subsystems() const { return subsystems_; }

  // nvme_init_subsystem: find the subsystem by NQN or create it; false if the controller may not
  // join (nvme_validate_cntlid: duplicate CNTLID, or a second controller without CMIC bit 1).
  bool nvme_init_subsystem(NvmeCtrl* ctrl);
  // nvme_alloc_ns + nvme_init_ns_head: a path for `id` on `ctrl`, attached to its head.
  NvmeNs* nvme_alloc_ns(NvmeCtrl* ctrl, const sim::nvme::IdentifyNamespace& id);

  BlockDevice* find_device(const std::string& name) const;
  // Ids of the submitted (root) bios the host still holds anywhere, sorted: what is in flight.
  std::vector<std::uint64_t> held_bio_roots() const;

  // nvme_ns_remove's multipath half: the path leaves its head (cursors cleared first); the head
  // disk goes when it was the last path.
  void remove_path(NvmeNs* ns);
  // The controller was deleted and torn down: it leaves its subsystem.
  void ctrl_removed(NvmeCtrl* ctrl);
  // sysfs iopolicy store (nvme_subsys_iopolicy_update). False if the host has no such subsystem.
  bool set_iopolicy(const std::string& nqn, sim::scenario::IoPolicy policy);
  // A path's usable state changed (controller state or ANA), for reports.
  std::function<void(NvmeNs*)> on_path_state;
  void path_state_changed(NvmeNs* ns) {
    if (on_path_state) on_path_state(ns);
  }

  // bio_endio: completes a split child into its parent, or hands the bio back to its owner.
  void complete_bio(Bio* bio);
  // bio_split_to_limits: children of at most `max` bytes, each passed to `submit`.
  void split_bio(Bio* bio, std::uint32_t max, const std::function<void(Bio*)>& submit);
  // Called once per new path with its ordinal on this host (for reports).
  std::function<void(NvmeNs*)> on_path_added;
  // Called when a device becomes open-able (head disk live, or a visible path disk).
  std::function<void(BlockDevice*)> on_device_live;

  void notify_device_live(BlockDevice* dev);

  // Hang detector: work that waits for something that may never happen (variants only). `key`
  // names the waiter; a HostBlocked event goes out when it starts waiting.
  void work_blocked(const std::string& key, const std::string& what);
  void work_unblocked(const std::string& key);
  // Since when the longest-waiting blocked work waits, or -1 if nothing is blocked.
  sim::Time blocked_since() const;
  const std::map<std::string, std::pair<sim::Time, std::string>>& blocked_work() const { return blocked_; }

  // BP-09: the head disk was added: read its partition table (a 4 KiB read at 0) from scan work;
  // the subsystem's scan work waits until it completes.
  void bp09_partition_scan(NsHead* head);
  // BP-11: retry deferred ANA updates once I/O completed (scheduled, at most one pending).
  void bp11_retry_deferred_ana();

  // The submitting task's plug (blk_start_plug): covers every controller, as a task's plug
  // covers every queue its bios reach.
  void blk_start_plug() {
    for (auto& c : ctrls_) c->blk_start_plug();
  }
  void blk_finish_plug() {
    for (auto& c : ctrls_) c->blk_finish_plug();
  }

 private:
  sim::scenario::Host cfg_;
  Profile profile_;
  std::uint64_t tag_base_ = 0;
  std::uint64_t tags_ = 0;
  Variants variants_;
  std::unique_ptr<KernelCore> kernel_;
  std::map<std::string, std::pair<sim::Time, std::string>> blocked_;
  bool bp11_retry_scheduled_ = false;
  class PartScanOwner final : public BioOwner {
   public:
    explicit PartScanOwner(Host& h) : host(h) {}
    void bio_endio(Bio* bio) override;
    Host& host;
  };
  PartScanOwner part_scan_owner_{*this};
  sim::engine::Calendar& cal_;
  sim::events::Bus& bus_;
  BioPool bios_;
  std::vector<std::unique_ptr<NvmeCtrl>> ctrls_;
  std::vector<std::unique_ptr<NvmeSubsystem>> subsystems_;
  std::vector<std::unique_ptr<NvmeNs>> paths_;
  std::map<std::string, BlockDevice*> devices_;
};

}  // namespace host
