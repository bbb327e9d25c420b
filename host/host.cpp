#include "host/host.hpp"

#include <algorithm>

#include "host/multipath.hpp"
#include "sim/assert.hpp"

namespace host {

void NvmeNs::submit_bio(Bio* bio) {
  if (!ready) {  // the disk is gone: the bio fails at once
    bio->status = sim::nvme::status::kHostPathError;
    ctrl->subsys()->host->complete_bio(bio);
    return;
  }
  ctrl->submit_to_queue(this, bio);
}

bool NvmeNs::is_live() const { return !hidden && ready; }

void NsHead::submit_bio(Bio* bio) {
  if (KernelCore* k = subsys->host->kernel()) return k->head_submit_bio(this, bio);
  mpath::nvme_ns_head_submit_bio(this, bio);
}

Host::Host(const sim::scenario::Host& cfg, sim::engine::Calendar& cal, sim::events::Bus& bus)
    : cfg_(cfg), profile_(profile_for(cfg.kernel)), variants_(variants_from(cfg.variant)), cal_(cal), bus_(bus) {
  if (cfg.core == sim::scenario::HostCore::Linux) {
    kernel_ = make_kernel_core(*this, sim::scenario::to_string(cfg.kernel));
    NVMSIM_ASSERT(kernel_, "host {}: no kernel core {} in this build", cfg.name, sim::scenario::to_string(cfg.kernel));
  }
}

void Host::log(std::string what) { bus_.publish(sim::events::HostEvent{cal_.now(), cfg_.name, std::move(what)}); }

Host::~Host() = default;

NvmeCtrl* Host::add_ctrl(CtrlOptions opts, sim::fabric::Link& link, sim::scenario::Transport transport) {
  // Controller instances come from an IDA: the smallest number no live controller holds.
  int instance = 0;
  for (bool taken = true; taken;) {
    taken = false;
    for (const auto& c : ctrls_)
      if (!c->removed() && c->instance() == instance) {
        taken = true;
        ++instance;
      }
  }
  ctrls_.push_back(std::make_unique<NvmeCtrl>(*this, instance, std::move(opts), link, transport));
  if (kernel_) kernel_->ctrl_added(ctrls_.back().get());
  return ctrls_.back().get();
}

bool Host::nvme_init_subsystem(NvmeCtrl* ctrl) {
  const auto& id = ctrl->id();
  for (auto& s : subsystems_) {
    if (s->nqn != id.subnqn) continue;
    // nvme_validate_cntlid: controllers on their way out do not count; any other one must have a
    // different CNTLID, and sharing needs CMIC multi-controller in the joining controller's Identify.
    for (NvmeCtrl* other : s->ctrls) {
      if (other == ctrl || nvme_state_terminal(other->state())) continue;
      if (other->id().cntlid == id.cntlid) return false;
      if (!(id.cmic & 0x2)) return false;
    }
    if (std::find(s->ctrls.begin(), s->ctrls.end(), ctrl) == s->ctrls.end()) s->ctrls.push_back(ctrl);
    ctrl->set_subsys(s.get());
    if (kernel_) kernel_->ctrl_joined(ctrl);
    return true;
  }
  auto s = std::make_unique<NvmeSubsystem>();
  s->host = this;
  s->nqn = id.subnqn;
  // The subsystem takes the instance number of the controller that created it.
  s->instance = static_cast<std::uint32_t>(ctrl->instance());
  s->cmic = id.cmic;
  s->iopolicy = cfg_.iopolicy;
  s->ctrls.push_back(ctrl);
  ctrl->set_subsys(s.get());
  subsystems_.push_back(std::move(s));
  if (kernel_) {
    kernel_->subsys_added(subsystems_.back().get());
    kernel_->ctrl_joined(ctrl);
  }
  return true;
}

NvmeNs* Host::nvme_alloc_ns(NvmeCtrl* ctrl, const sim::nvme::IdentifyNamespace& id) {
  NvmeSubsystem* subsys = nullptr;
  for (auto& s : subsystems_)
    if (s->nqn == ctrl->id().subnqn) subsys = s.get();
  NVMSIM_ASSERT(subsys, "namespace scan before the subsystem was known");

  // nvme_init_ns_head: find the head by NSID (identifiers must match), or create it.
  NsHead* head = nullptr;
  for (auto& h : subsys->nsheads)
    if (h->nsid == id.nsid) head = h.get();
  if (head) {
    if (head->eui64 != id.eui64 && !head->list.empty()) return nullptr;
    head->eui64 = id.eui64;  // identifiers differ: no path on this ctrl
    if ((!head->shared || !id.shared) && !head->list.empty()) return nullptr;
  } else {
    auto h = std::make_unique<NsHead>();
    h->subsys = subsys;
    h->nsid = id.nsid;
    h->eui64 = id.eui64;
    h->shared = id.shared;
    h->queue_if_no_path = cfg_.nvme.queue_if_no_path;
    // Head instances are the smallest free number per subsystem, from 1.
    std::uint32_t inst = 1;
    for (bool taken = true; taken; ) {
      taken = false;
      for (auto& other : subsys->nsheads)
        if (other->instance == inst) { taken = true; ++inst; }
    }
    h->instance = inst;
    h->current_path.assign(static_cast<std::size_t>(cfg_.numa_nodes), nullptr);
    h->has_disk = mpath::nvme_mpath_wants_disk(h.get(), multipath_enabled());
    if (h->has_disk) {
      h->disk_name = "nvme" + std::to_string(subsys->instance) + "n" + std::to_string(inst);
      devices_[h->disk_name] = h.get();
    }
    subsys->nsheads.push_back(std::move(h));
    head = subsys->nsheads.back().get();
  }

  auto ns = std::make_unique<NvmeNs>();
  ns->ctrl = ctrl;
  ns->head = head;
  ns->nsid = id.nsid;
  ns->nlbas = id.nsze;
  ns->lba_sz = id.lba_size;
  ns->ana_grpid = id.anagrpid;
  ns->ready = true;
  // Naming (semantics 1.4): hidden nvme<S>c<C>n<H> behind a head disk; without a head disk the
  // path is the visible disk, nvme<S>n<H> with multipath on and nvme<C>n<H> with it off.
  if (head->has_disk) {
    ns->hidden = true;
    ns->disk_name = "nvme" + std::to_string(subsys->instance) + "c" + std::to_string(ctrl->instance()) +
                    "n" + std::to_string(head->instance);
  } else {
    ns->hidden = false;
    const int prefix = multipath_enabled() ? static_cast<int>(subsys->instance) : ctrl->instance();
    ns->disk_name = "nvme" + std::to_string(prefix) + "n" + std::to_string(head->instance);
  }
  devices_[ns->disk_name] = ns.get();
  head->list.push_back(ns.get());
  // The head's transfer limit is the smallest of its paths' (stacked queue limits).
  head->max_bytes = head->max_bytes ? std::min(head->max_bytes, ctrl->max_bytes()) : ctrl->max_bytes();
  auto& list = ctrl->namespaces();
  list.insert(std::upper_bound(list.begin(), list.end(), ns.get(),
                               [](const NvmeNs* a, const NvmeNs* b) { return a->nsid < b->nsid; }),
              ns.get());
  NvmeNs* raw = ns.get();
  paths_.push_back(std::move(ns));
  if (on_path_added) on_path_added(raw);
  if (!raw->hidden) notify_device_live(raw);
  if (kernel_) kernel_->ns_added(raw);
  return raw;
}

std::vector<std::uint64_t> Host::held_bio_roots() const {
  std::vector<const Bio*> bios;
  for (const auto& c : ctrls_) c->collect_bios(bios);
  if (kernel_) kernel_->collect_bios(bios);
  for (const auto& s : subsystems_)
    for (const auto& h : s->nsheads)
      for (const Bio* b = h->requeue_list.head; b; b = b->next) bios.push_back(b);
  std::vector<std::uint64_t> roots;
  for (const Bio* b : bios) roots.push_back(b->root()->id);
  std::sort(roots.begin(), roots.end());
  roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
  return roots;
}

BlockDevice* Host::find_device(const std::string& name) const {
  auto it = devices_.find(name);
  return it == devices_.end() ? nullptr : it->second;
}

void Host::remove_path(NvmeNs* ns) {
  NsHead* head = ns->head;
  if (devices_.count(ns->disk_name) && devices_[ns->disk_name] == ns) devices_.erase(ns->disk_name);
  if (!head) return;
  // BP-16: the path is unlinked with its cursors still pointing at it. (The kernel core clears
  // its own cursors in ns_removed.)
  if (!kernel_ && !variants_.bp16) mpath::nvme_mpath_clear_current_path(ns);
  auto it = std::find(head->list.begin(), head->list.end(), ns);
  if (it != head->list.end()) head->list.erase(it);
  path_state_changed(ns);
  if (kernel_) kernel_->ns_removed(ns);
  else if (head->list.empty()) mpath::nvme_mpath_remove_head(head);
  else mpath::nvme_kick_requeue(head);
}

void Host::ctrl_removed(NvmeCtrl* ctrl) {
  if (kernel_) kernel_->ctrl_freed(ctrl);
  if (NvmeSubsystem* s = ctrl->subsys()) {
    auto it = std::find(s->ctrls.begin(), s->ctrls.end(), ctrl);
    if (it != s->ctrls.end()) s->ctrls.erase(it);
  }
}

bool Host::set_iopolicy(const std::string& nqn, sim::scenario::IoPolicy policy) {
  for (auto& s : subsystems_) {
    if (s->nqn != nqn) continue;
    const auto old = s->iopolicy;
    s->iopolicy = policy;
    if (kernel_) {
      kernel_->set_iopolicy(s.get(), policy);
      return true;  // the kernel logs the change itself
    }
    // nvme_subsys_iopolicy_update: every cached path of every head is cleared, unless the
    // policy written is the one already in force (then the store changes nothing at all).
    if (profile_.iopolicy_change_clears_paths && old != policy)
      for (auto& h : s->nsheads) {
        // BP-21: the cached paths of the old policy stay.
        if (!variants_.bp21)
          for (auto& cur : h->current_path) cur = nullptr;
        mpath::nvme_kick_requeue(h.get());
      }
    log(std::string("iopolicy changed from ") + sim::scenario::to_string(old) + " to " +
        sim::scenario::to_string(policy) + " on " + nqn);
    return true;
  }
  return false;
}

void Host::notify_device_live(BlockDevice* dev) {
  if (on_device_live) on_device_live(dev);
}

void Host::work_blocked(const std::string& key, const std::string& what) {
  if (blocked_.count(key)) return;
  blocked_[key] = {cal_.now(), what};
  bus_.publish(sim::events::HostBlocked{cal_.now(), cfg_.name, what});
  log("blocked: " + what);
}

void Host::work_unblocked(const std::string& key) { blocked_.erase(key); }

sim::Time Host::blocked_since() const {
  sim::Time t = -1;
  for (const auto& [key, b] : blocked_)
    if (t < 0 || b.first < t) t = b.first;
  return t;
}

void Host::bp09_partition_scan(NsHead* head) {
  NvmeSubsystem* s = head->subsys;
  if (s->bp09_part_scan) return;
  s->bp09_part_scan = head;
  Bio* b = bios_.get();
  b->owner = &part_scan_owner_;
  b->op = BioOp::Read;
  b->offset = 0;
  b->bytes = head->lba_size();
  b->submitted = cal_.now();
  b->target = head;
  b->cookie = reinterpret_cast<std::uintptr_t>(s);
  cal_.call_in(0, [head, b]() { head->submit_bio(b); });
}

void Host::PartScanOwner::bio_endio(Bio* bio) {
  const std::uint64_t subsys = bio->cookie;
  host.bios_.put(bio);
  for (auto& s : host.subsystems_) {
    if (reinterpret_cast<std::uintptr_t>(s.get()) != subsys) continue;
    s->bp09_part_scan = nullptr;
    std::vector<NvmeCtrl*> waiting;
    waiting.swap(s->bp09_waiting_scans);
    for (NvmeCtrl* c : waiting) {
      host.work_unblocked(c->name() + "/scan_work");
      if (!c->removed()) c->resume_scan_work();
    }
  }
}

void Host::bp11_retry_deferred_ana() {
  if (bp11_retry_scheduled_) return;
  bp11_retry_scheduled_ = true;
  cal_.call_in(0, [this]() {
    bp11_retry_scheduled_ = false;
    for (auto& c : ctrls_)
      if (!c->removed()) {
        c->bp11_retry_ana();
        c->bp_retry_delete();
      }
  });
}

void Host::complete_bio(Bio* bio) {
  if (variants_.bp11 || variants_.bp04 || variants_.bp12) bp11_retry_deferred_ana();
  if (Bio* parent = bio->parent) {
    if (bio->status && !parent->status) parent->status = bio->status;
    parent->issued = std::max(parent->issued, bio->issued);
    bios_.put(bio);
    if (--parent->pending_children == 0) complete_bio(parent);
    return;
  }
  NVMSIM_ASSERT(bio->owner, "bio {} completed with no owner", bio->id);
  bio->owner->bio_endio(bio);
}

void Host::split_bio(Bio* bio, std::uint32_t max, const std::function<void(Bio*)>& submit) {
  const std::uint32_t n = (bio->bytes + max - 1) / max;
  bio->pending_children = n;
  for (std::uint32_t i = 0; i < n; ++i) {
    Bio* child = bios_.get();
    child->op = bio->op;
    child->fua = bio->fua;
    child->mpath = bio->mpath;
    child->offset = bio->offset + std::uint64_t{i} * max;
    child->bytes = std::min(max, bio->bytes - i * max);
    child->cpu = bio->cpu;
    child->verify = bio->verify;
    child->submitted = bio->submitted;
    child->parent = bio;
    submit(child);
  }
}

}  // namespace host
