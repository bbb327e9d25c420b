// SPDX-License-Identifier: GPL-2.0-only
// The kernel core: the blob of one kernel version (its own multipath.c, the rooted part of its
// core.c and our shim) behind host::KernelCore. This file links GPL-2.0-only code, so a binary
// built with it is a GPL-2.0 combined work (host/kernel/NOTICE).
//
// Entries and exits: every call into the blob goes through an Entry. Effects the kernel asks for
// while inside (bios to complete, requests to give back) are collected and carried out when the
// outermost Entry leaves, after which the mirrors the model's reports read (path ANA state,
// readiness, parked bios) are brought up to date and the same events as the model's are
// published.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>

#include <fmt/format.h>

#include "host/core.hpp"
#include "host/host.hpp"
#include "host/kernel_core.hpp"
#include "host/multipath.hpp"
#include "host/kernel/include/ks_api.h"
#include "sim/assert.hpp"
#include "sim/engine/fibers.hpp"

namespace host {
namespace {

using sim::Time;

using sim::engine::Fibers;

const ks_ops* blob_for(const std::string& version) {
#ifdef NVMSIM_KERNEL_6_1
  if (version == "6.1") return ks_ops_6_1();
#endif
#ifdef NVMSIM_KERNEL_6_12
  if (version == "6.12") return ks_ops_6_12();
#endif
  (void)version;
  return nullptr;
}

int to_ks_state(CtrlState s) {
  switch (s) {
    case CtrlState::New: return KS_CTRL_NEW;
    case CtrlState::Live: return KS_CTRL_LIVE;
    case CtrlState::Resetting: return KS_CTRL_RESETTING;
    case CtrlState::Connecting: return KS_CTRL_CONNECTING;
    case CtrlState::Deleting: return KS_CTRL_DELETING;
    case CtrlState::DeletingNoIo: return KS_CTRL_DELETING_NOIO;
    case CtrlState::Dead: return KS_CTRL_DEAD;
  }
  return KS_CTRL_NEW;
}

int to_ks_op(BioOp op) {
  switch (op) {
    case BioOp::Read: return KS_OP_READ;
    case BioOp::Write: return KS_OP_WRITE;
    case BioOp::Flush: return KS_OP_FLUSH;
    case BioOp::Discard: return KS_OP_DISCARD;
  }
  return KS_OP_READ;
}

int iopolicy_index(sim::scenario::IoPolicy p) {
  switch (p) {
    case sim::scenario::IoPolicy::Numa: return 0;
    case sim::scenario::IoPolicy::RoundRobin: return 1;
    case sim::scenario::IoPolicy::QueueDepth: return 2;
  }
  return 0;
}

const char* iopolicy_sysfs_name(sim::scenario::IoPolicy p) {
  switch (p) {
    case sim::scenario::IoPolicy::Numa: return "numa";
    case sim::scenario::IoPolicy::RoundRobin: return "round-robin";
    case sim::scenario::IoPolicy::QueueDepth: return "queue-depth";
  }
  return "numa";
}

// The ANA log page as the NVMe base specification lays it out (Asymmetric Namespace Access log):
// a 16-byte header (change count, group count) and one 32-byte descriptor per group followed by
// its NSIDs, all little endian.
std::vector<std::uint8_t> encode_ana_log(const sim::nvme::AnaLog& log) {
  std::vector<std::uint8_t> out(16, 0);
  auto put = [&out](std::size_t at, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
  };
  put(0, log.chgcnt, 8);
  put(8, log.groups.size(), 2);
  for (const auto& g : log.groups) {
    const std::size_t at = out.size();
    out.resize(at + 32 + 4 * g.nsids.size(), 0);
    put(at, g.grpid, 4);
    put(at + 4, g.nsids.size(), 4);
    put(at + 8, g.chgcnt, 8);
    out[at + 16] = static_cast<std::uint8_t>(g.state);
    for (std::size_t i = 0; i < g.nsids.size(); ++i) put(at + 32 + 4 * i, g.nsids[i], 4);
  }
  return out;
}

sim::nvme::AnaState ana_from_ks(int s) {
  switch (s) {
    case 1: return sim::nvme::AnaState::Optimized;
    case 2: return sim::nvme::AnaState::NonOptimized;
    case 3: return sim::nvme::AnaState::Inaccessible;
    case 4: return sim::nvme::AnaState::PersistentLoss;
    case 0xF: return sim::nvme::AnaState::Change;
    default: return sim::nvme::AnaState::Optimized;
  }
}

class KernelBackend;

// The callbacks of one blob: they find the backend of the host whose kernel code is running.
struct Runtime {
  ks_host_cb cb{};
  KernelBackend* current = nullptr;
};

class KernelBackend final : public KernelCore {
 public:
  KernelBackend(Host& host, const ks_ops* ops, std::string version)
      : host_(host), ops_(ops), version_(std::move(version)), runtime_(runtime_of(ops)),
        fibers_(host.cal(), [this](const std::function<void()>& fn) {
          Entry e(*this);
          fn();
        }) {}
  ~KernelBackend() override = default;

  const std::string& version() const override { return version_; }

  // ---- objects --------------------------------------------------------------------------------
  void subsys_added(NvmeSubsystem* s) override {
    Entry e(*this);
    subsys_[s] = ops_->subsys_create(s->nqn.c_str(), static_cast<int>(s->instance), s->cmic,
                                     iopolicy_index(s->iopolicy));
  }
  void ctrl_added(NvmeCtrl* c) override {
    Entry e(*this);
    ctrls_[c] = ops_->ctrl_create(c, c->instance(), c->name().c_str(), c->fabrics() ? 1 : 0);
  }
  void ctrl_joined(NvmeCtrl* c) override {
    NVMSIM_ASSERT(c->subsys(), "kernel: controller without a subsystem");
    ops_->ctrl_join(ctrl(c), subsys_.at(c->subsys()));
  }
  void ctrl_freed(NvmeCtrl* c) override {
    auto it = ctrls_.find(c);
    if (it == ctrls_.end()) return;
    Entry e(*this);
    ops_->ctrl_free(it->second);
    ctrls_.erase(it);
  }
  void init_identify(NvmeCtrl* c, std::function<void(bool)> then) override {
    ks_ctrl* k = ctrl(c);
    const auto& id = c->id();
    ks_id_ctrl kid{};
    kid.nn = id.nn;
    kid.mnan = id.mnan ? id.mnan : id.nn;
    kid.cmic = id.cmic;
    kid.anacap = (id.cmic & 0x8) ? 0x5f : 0;
    kid.anatt = id.anatt_s;
    kid.nanagrpid = id.nanagrpid;
    kid.anagrpmax = id.anagrpmax;
    for (int i = 0; i < 3; ++i) kid.crdt[i] = id.crdt[i];
    kid.max_hw_sectors = id.mdts_bytes ? id.mdts_bytes / 512 : 0xFFFFFFFFu / 512;
    kid.vwc = id.vwc ? 1 : 0;
    Entry e(*this);
    ops_->ctrl_identify(k, &kid);
    fibers_.run([this, k, then = std::move(then)]() {
      const int err = ops_->ctrl_mpath_init_identify(k);
      if (then) {
        // Back on the event loop: the setup continues there, in this instant.
        host_.cal().call_in(0, [this, then, err]() {
          Entry e2(*this);
          then(err == 0);
        });
      }
    });
  }
  bool change_state(NvmeCtrl* c, CtrlState to) override {
    Entry e(*this);
    return ops_->ctrl_change_state(ctrl(c), to_ks_state(to)) != 0;
  }
  void mpath_update(NvmeCtrl* c) override {
    Entry e(*this);
    ks_ctrl* k = ctrl(c);
    fibers_.run([this, k]() { ops_->ctrl_mpath_update(k); });
  }
  void queue_ana_work(NvmeCtrl* c) override {
    Entry e(*this);
    ops_->ctrl_queue_ana_work(ctrl(c));
  }
  void mpath_stop(NvmeCtrl* c) override {
    Entry e(*this);
    ops_->ctrl_mpath_stop(ctrl(c));
  }
  void clear_ctrl_paths(NvmeCtrl* c) override {
    Entry e(*this);
    ops_->ctrl_clear_paths(ctrl(c));
  }
  void kick_requeue_lists(NvmeCtrl* c) override {
    Entry e(*this);
    ops_->ctrl_kick_requeue_lists(ctrl(c));
  }
  void set_failfast_expired(NvmeCtrl* c, bool expired) override {
    ops_->ctrl_set_failfast_expired(ctrl(c), expired ? 1 : 0);
  }
  void mark_dead(NvmeCtrl* c) override { ops_->ctrl_mark_dead(ctrl(c)); }
  int nr_active(const NvmeCtrl* c) const override {
    auto it = ctrls_.find(const_cast<NvmeCtrl*>(c));
    return it == ctrls_.end() ? 0 : ops_->ctrl_nr_active(it->second);
  }

  void ns_added(NvmeNs* ns) override {
    Entry e(*this);
    NsHead* h = ns->head;
    ks_head*& kh = heads_[h];
    if (!kh) {
      const int shift = __builtin_ctz(ns->lba_sz);
      const std::uint32_t max_sectors = h->max_bytes ? h->max_bytes / 512 : 0xFFFFFFFFu;
      head_seq_[h] = ++seq_;
      head_order_[seq_] = h;
      kh = ops_->head_create(ctrl(ns->ctrl), h, h->nsid, static_cast<int>(h->instance),
                             ns->nlbas * ns->lba_sz / 512, static_cast<unsigned>(shift), max_sectors,
                             h->shared ? 1 : 0);
    }
    ks_ns* kns = ops_->ns_create(ctrl(ns->ctrl), kh, ns, ns->disk_name.c_str());
    nss_[ns] = kns;
    path_seq_[ns] = ++seq_;
    mirror_[seq_] = PathMirror{ns, ns->ana_state, false, true};
    fibers_.run([this, kns, grp = ns->ana_grpid]() { ops_->ns_mpath_add_disk(kns, grp); });
  }
  void ns_removed(NvmeNs* ns) override {
    auto it = nss_.find(ns);
    if (it == nss_.end()) return;
    Entry e(*this);
    const bool last = ops_->ns_remove(it->second) != 0;
    nss_.erase(it);
    mirror_.erase(path_seq_[ns]);
    path_seq_.erase(ns);
    if (last) {
      auto h = heads_.find(ns->head);
      if (h != heads_.end()) {
        ops_->head_shutdown(h->second);
        ops_->head_free(h->second);
        heads_.erase(h);
        head_order_.erase(head_seq_[ns->head]);
        head_seq_.erase(ns->head);
        parked_.erase(ns->head);
      }
    }
  }

  // ---- I/O ------------------------------------------------------------------------------------
  void head_submit_bio(NsHead* h, Bio* b) override {
    Entry e(*this);
    auto it = heads_.find(h);
    if (it == heads_.end()) {
      // No kernel head (its last path went): the disk is gone.
      b->status = sim::nvme::status::kHostPathError;
      done_.push_back({b, nullptr});
      return;
    }
    b->target = h;
    ops_->bio_prepare(kbio(b), to_ks_op(b->op), b->offset / 512, b->bytes, b->fua ? KS_BIO_FUA : 0);
    ops_->head_submit_bio(it->second, kbio(b));
  }
  void prepare_request(NvmeCtrl* c, Request& rq) override {
    if (!rq.krq) rq.krq = ops_->rq_alloc(&rq, ctrl(c));
    std::vector<void*>& k = scratch_;
    k.clear();
    for (Bio* b = rq.bios.head; b; b = b->next) k.push_back(kbio(b));
    ops_->rq_prepare(rq.krq, ns(rq.ns), k.data(), static_cast<int>(k.size()), to_ks_op(rq.op), rq.offset / 512,
                     rq.bytes, rq.mpath ? 1 : 0);
  }
  Ready queue_check(NvmeCtrl*, Request& rq, bool queue_live) override {
    Entry e(*this);
    in_complete_.push_back({&rq, done_.size()});
    const int r = ops_->rq_queue_check(rq.krq, queue_live ? 1 : 0);
    in_complete_.pop_back();
    return r == 0 ? Ready::Send : r == 1 ? Ready::Resource : Ready::Completed;
  }
  void start_request(NvmeCtrl*, Request& rq) override {
    Entry e(*this);
    ops_->rq_start(rq.krq);
  }
  void complete_request(NvmeCtrl* c, Request& rq) override {
    Entry e(*this);
    // What a failover needs to report, taken before the kernel moves the bios.
    const std::uint16_t st = rq.status;
    const std::uint64_t tag = rq.data_tag;
    NvmeNs* path = rq.ns;
    BioList bios = rq.bios;
    in_complete_.push_back({&rq, done_.size()});
    const int disp = ops_->rq_complete(rq.krq, rq.status);
    in_complete_.pop_back();
    if (disp == KS_DISP_FAILOVER) {
      NsHead* head = path->head;
      for (Bio* b = bios.head; b; b = b->next) b->target = head;
      ++head->nr_failovers;
      sim::events::Failover fo{host_.cal().now(), host_.name() + "/" + head->disk_name, path->path_id,
                               c->record_id, st, bios.count, host_.cal().now(), tag, {}};
      if (tag == 0)  // refused before it was sent: name the bios
        for (const Bio* b = bios.head; b; b = b->next) fo.unsent.push_back({b->id, b->root()->id, b->offset, b->bytes});
      host_.bus().publish(fo);
    }
  }
  void set_iopolicy(NvmeSubsystem* s, sim::scenario::IoPolicy p) override {
    Entry e(*this);
    const int r = ops_->subsys_store_iopolicy(subsys_.at(s), iopolicy_sysfs_name(p));
    NVMSIM_ASSERT(r == 0, "kernel {}: iopolicy store refused {}", version_, iopolicy_sysfs_name(p));
  }
  void collect_bios(std::vector<const Bio*>& out) const override {
    for (const auto& [id, h] : head_order_)
      ops_->head_for_each_requeued(heads_.at(h), [](void* cbio, void* arg) {
        static_cast<std::vector<const Bio*>*>(arg)->push_back(static_cast<const Bio*>(cbio));
      }, &out);
    for (const auto& d : done_) out.push_back(d.bio);
  }

 private:
  struct PathMirror {
    NvmeNs* ns;
    sim::nvme::AnaState ana;
    bool pending;
    bool ready;
  };
  struct Done {
    Bio* bio;
    Request* rq;  // non-null: give this request back (blk_mq_end_request)
  };

  // Depth of calls into the blob; effects run when the outermost one leaves.
  class Entry {
   public:
    explicit Entry(KernelBackend& k) : k_(k), prev_(k.runtime_.current) {
      k.runtime_.current = &k;
      ++k.depth_;
    }
    ~Entry() {
      if (--k_.depth_ == 0) k_.leave();
      k_.runtime_.current = prev_;
    }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

   private:
    KernelBackend& k_;
    KernelBackend* prev_;
  };

  ks_ctrl* ctrl(NvmeCtrl* c) const {
    auto it = ctrls_.find(c);
    NVMSIM_ASSERT(it != ctrls_.end(), "kernel: unknown controller {}", c->name());
    return it->second;
  }
  ks_ns* ns(NvmeNs* n) const {
    auto it = nss_.find(n);
    NVMSIM_ASSERT(it != nss_.end(), "kernel: unknown path {}", n->disk_name);
    return it->second;
  }
  void* kbio(Bio* b) {
    if (!b->kbio) b->kbio = ops_->bio_alloc(b);
    return b->kbio;
  }

  // Effects, one at a time and depth first: whatever one completion causes (the workload's next
  // bio failing at once, say) is carried out before the next completion, as the model's
  // synchronous bio_endio does it. A request goes back to its queue before its bios complete
  // (rq_end puts itself ahead of them), as in the model's nvme_end_req.
  void leave() {
    if (leaving_) return;
    leaving_ = true;
    ++depth_;
    while (!done_.empty()) {
      const Done d = done_.front();
      done_.pop_front();
      const std::size_t before = done_.size();
      if (d.rq) d.rq->ns->ctrl->kernel_end_request(*d.rq);
      if (d.bio) host_.complete_bio(d.bio);
      std::rotate(done_.begin(), done_.begin() + static_cast<std::ptrdiff_t>(before), done_.end());
    }
    sync_mirrors();
    --depth_;
    leaving_ = false;
  }

  // nvme_requeue_work takes the whole list: report what was parked, then every bio as unparked,
  // before they are submitted again (the order the model reports them in).
  void requeue_work_starts(NsHead* h) {
    if (!host_.bus().has_subscribers<sim::events::BioParked>()) return;
    sync_parked();
    auto it = parked_.find(h);
    if (it == parked_.end()) return;
    for (const Bio* b : it->second)
      host_.bus().publish(sim::events::BioParked{host_.cal().now(), h->record_id, b->id, b->root()->id, false});
    it->second.clear();
  }

  // The model's path records follow the kernel's: ANA state, pending, ready; and parked bios
  // are reported as the model reports them.
  void sync_mirrors() {
    for (auto& [id, m] : mirror_) {
      NvmeNs* n = m.ns;
      ks_ns* k = nss_.at(n);
      const auto ana = ana_from_ks(ops_->ns_ana_state(k));
      const bool pending = ops_->ns_ana_pending(k) != 0;
      const bool ready = ops_->ns_ready(k) != 0;
      n->ana_pending = pending;
      if (ana != m.ana || pending != m.pending || ready != m.ready) {
        m = PathMirror{n, ana, pending, ready};
        n->ana_state = ana;
        host_.path_state_changed(n);
      }
    }
    if (host_.bus().has_subscribers<sim::events::BioParked>()) sync_parked();
  }

  void sync_parked() {
    for (auto& [id, h] : head_order_) {
      std::vector<const Bio*> now;
      ops_->head_for_each_requeued(heads_.at(h), [](void* cbio, void* arg) {
        static_cast<std::vector<const Bio*>*>(arg)->push_back(static_cast<const Bio*>(cbio));
      }, &now);
      std::vector<const Bio*>& was = parked_[h];
      if (now == was) continue;
      for (const Bio* b : was)
        if (std::find(now.begin(), now.end(), b) == now.end())
          host_.bus().publish(sim::events::BioParked{host_.cal().now(), h->record_id, b->id, b->root()->id, false});
      for (const Bio* b : now)
        if (std::find(was.begin(), was.end(), b) == was.end())
          host_.bus().publish(sim::events::BioParked{host_.cal().now(), h->record_id, b->id, b->root()->id, true});
      was = std::move(now);
    }
  }

  static KernelBackend& self(void* ctx) {
    auto* rt = static_cast<Runtime*>(ctx);
    NVMSIM_ASSERT(rt->current, "kernel: a callback with no host running");
    return *rt->current;
  }

  struct Timer {
    KernelBackend* k;
    void (*fn)(void*);
    void* arg;
  };

  // One callback table per blob, for every host that runs it (the shim keeps one pointer).
  static Runtime& runtime_of(const ks_ops* ops) {
    static std::map<const ks_ops*, std::unique_ptr<Runtime>> all;
    auto& rt = all[ops];
    if (!rt) {
      rt = std::make_unique<Runtime>();
      rt->cb = make_callbacks(rt.get());
      ops->init(&rt->cb);
    }
    return *rt;
  }

  static ks_host_cb make_callbacks(Runtime* rt) {
    ks_host_cb c{};
    c.ctx = rt;
    c.now_ns = [](void* ctx) -> long long { return self(ctx).host_.cal().now(); };
    c.schedule = [](void* ctx, long long at, void (*fn)(void*), void* arg) -> unsigned long long {
      KernelBackend& k = self(ctx);
      const Time when = std::max<Time>(at, k.host_.cal().now());
      return k.host_.cal().call_at(when, [kp = &k, fn, arg]() {
        Entry e(*kp);
        fn(arg);
      });
    };
    c.cancel = [](void* ctx, unsigned long long id) { self(ctx).host_.cal().cancel(id); };
    c.run_on_fiber = [](void* ctx, void (*fn)(void*), void* arg) {
      self(ctx).fibers_.run([fn, arg]() { fn(arg); });
    };
    c.in_fiber = [](void* ctx) -> int { return self(ctx).fibers_.current_id(); };
    c.sleep_on = [](void* ctx, const void* ch) { self(ctx).fibers_.sleep_on(ch); };
    c.wake = [](void* ctx, const void* ch) { self(ctx).fibers_.wake_all(ch); };
    c.get_log = [](void* ctx, void* cctrl, unsigned nsid, unsigned char lid, unsigned char lsp, void* buf,
                   unsigned long len, unsigned long long off) -> int {
      return self(ctx).get_log(static_cast<NvmeCtrl*>(cctrl), nsid, lid, lsp, buf, len, off);
    };
    c.submit_to_path = [](void* ctx, void* cns, void* cbio) {
      auto* n = static_cast<NvmeNs*>(cns);
      auto* b = static_cast<Bio*>(cbio);
      b->target = n;
      b->mpath = true;
      (void)self(ctx);  // asserts that a host's kernel code is running
      n->ctrl->submit_to_queue(n, b);
    };
    c.bio_endio = [](void* ctx, void* cbio, int blk_status) {
      KernelBackend& k = self(ctx);
      auto* b = static_cast<Bio*>(cbio);
      if (blk_status == 0) b->status = 0;
      else if (!k.in_complete_.empty() && k.in_complete_.back().rq->status) b->status = k.in_complete_.back().rq->status;
      else b->status = sim::nvme::status::kHostPathError;
      k.done_.push_back({b, nullptr});
    };
    c.rq_end = [](void* ctx, void* crq) {
      KernelBackend& k = self(ctx);
      auto* rq = static_cast<Request*>(crq);
      std::size_t at = k.done_.size();
      for (const InComplete& ic : k.in_complete_)
        if (ic.rq == rq) at = std::min(ic.first_done, at);
      k.done_.insert(k.done_.begin() + static_cast<std::ptrdiff_t>(at), Done{nullptr, rq});
    };
    c.rq_requeue = [](void* ctx, void* crq, unsigned long delay_ms) {
      (void)self(ctx);
      auto* rq = static_cast<Request*>(crq);
      rq->ns->ctrl->kernel_retry_request(*rq, static_cast<Time>(delay_ms) * sim::kMillisecond);
    };
    c.split = [](void* ctx, void* chead, void* cbio) -> int {
      KernelBackend& k = self(ctx);
      auto* h = static_cast<NsHead*>(chead);
      auto* b = static_cast<Bio*>(cbio);
      if (!mpath::nvme_head_needs_split(h, b)) return 0;
      k.host_.split_bio(b, h->max_bytes, [&k, h](Bio* child) {
        child->target = h;
        k.head_submit_bio(h, child);
      });
      return 1;
    };
    c.reset_ctrl = [](void* ctx, void* cctrl) -> int {
      (void)self(ctx);
      return static_cast<NvmeCtrl*>(cctrl)->nvme_reset_ctrl("ANATT timeout") ? 0 : -16;
    };
    c.requeue_work = [](void* ctx, void* chead) { self(ctx).requeue_work_starts(static_cast<NsHead*>(chead)); };
    c.head_disk = [](void* ctx, void* chead, int live) {
      KernelBackend& k = self(ctx);
      auto* h = static_cast<NsHead*>(chead);
      h->disk_live = live != 0;
      if (live) {
        h->removed = false;
        k.host_.notify_device_live(h);
      } else {
        h->removed = true;
      }
    };
    c.log = [](void* ctx, int level, const char* dev, const char* msg) {
      KernelBackend& k = self(ctx);
      if (level > 4 && std::strstr(msg, "ANA") == nullptr) return;  // errors, warnings and ANA news
      k.host_.log(std::string(*dev ? dev : "kernel") + ": " + msg);
    };
    c.fatal = [](void* ctx, const char* msg) {
      KernelBackend& k = self(ctx);
      NVMSIM_ASSERT(false, "kernel {} backend: {}", k.version_, msg);
    };
    c.alloc = [](void*, unsigned long n) -> void* { return std::calloc(1, n); };
    c.free = [](void*, void* p) { std::free(p); };
    return c;
  }

  // nvme_get_log: a Get Log Page over the admin queue; the fiber sleeps until it completes.
  int get_log(NvmeCtrl* c, unsigned nsid, unsigned char lid, unsigned char lsp, void* buf, unsigned long len,
              unsigned long long off) {
    Fibers::Fiber* me = fibers_.current();
    NVMSIM_ASSERT(me, "kernel: nvme_get_log outside a fiber");
    struct Result {
      bool done = false;
      int ret = 0;
    };
    auto res = std::make_shared<Result>();
    c->kernel_get_log(lid, lsp, nsid, [this, me, res, buf, len, off](const sim::nvme::Completion& cqe) {
      if (cqe.status != sim::nvme::status::kSuccess || !cqe.admin_data) {
        res->ret = cqe.status ? cqe.status : -5;
      } else if (const auto* log = std::get_if<sim::nvme::AnaLog>(&*cqe.admin_data)) {
        const auto bytes = encode_ana_log(*log);
        std::memset(buf, 0, len);
        if (off < bytes.size())
          std::memcpy(buf, bytes.data() + off, std::min<std::size_t>(len, bytes.size() - off));
      }
      res->done = true;
      fibers_.wake(me);
    });
    while (!res->done) fibers_.sleep();
    return res->ret;
  }

  Host& host_;
  const ks_ops* ops_;
  std::string version_;
  Runtime& runtime_;
  Fibers fibers_;
  int depth_ = 0;
  bool leaving_ = false;
  std::deque<Done> done_;
  struct InComplete {
    Request* rq;
    std::size_t first_done;  // where this request's effects start in done_
  };
  std::vector<InComplete> in_complete_;
  std::vector<void*> scratch_;
  std::map<NvmeSubsystem*, ks_subsys*> subsys_;
  std::map<NvmeCtrl*, ks_ctrl*> ctrls_;
  std::map<NsHead*, ks_head*> heads_;
  std::map<NvmeNs*, ks_ns*> nss_;
  // Iterated in creation order (our own sequence numbers), never in address order.
  std::uint64_t seq_ = 0;
  std::map<NvmeNs*, std::uint64_t> path_seq_;
  std::map<NsHead*, std::uint64_t> head_seq_;
  std::map<std::uint64_t, PathMirror> mirror_;
  std::map<std::uint64_t, NsHead*> head_order_;
  std::map<NsHead*, std::vector<const Bio*>> parked_;
};

}  // namespace

std::vector<std::string> kernel_core_versions() {
  std::vector<std::string> v;
#ifdef NVMSIM_KERNEL_6_1
  v.emplace_back("6.1");
#endif
#ifdef NVMSIM_KERNEL_6_12
  v.emplace_back("6.12");
#endif
  return v;
}

std::unique_ptr<KernelCore> make_kernel_core(Host& host, const std::string& version) {
  const ks_ops* ops = blob_for(version);
  if (!ops) return nullptr;
  return std::make_unique<KernelBackend>(host, ops, ops->version);
}

}  // namespace host
