#include "sim/check/checker.hpp"
#include "sim/check/secs.hpp"

#include "sim/scenario/units.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace sim::check {

namespace {

enum What : std::uint8_t { kSubmitted, kSent, kDeviceDone, kFailover, kParked, kUnparked, kCompleted };

const char* dir_name(events::Dir d) {
  switch (d) {
    case events::Dir::Read: return "read";
    case events::Dir::Write: return "write";
    case events::Dir::Trim: return "trim";
    case events::Dir::Flush: return "flush";
  }
  return "?";
}

constexpr std::size_t kKeepCompleted = 1 << 13;  // completed writes whose history stays for evidence
constexpr std::size_t kMaxLiveSends = 1 << 20;   // write sendings tracked at once (beyond: unknown)
constexpr std::size_t kMaxReadWaits = 1 << 16;   // verified reads awaiting their data (beyond: only open ones stay)
constexpr std::size_t kKeepRecent = 64;          // other completed roots kept for evidence

}  // namespace

Checker::Checker(events::Bus& bus, CheckerConfig cfg, CheckerNames names)
    : bus_(bus), cfg_(cfg), names_(std::move(names)) {
  sent_.reserve(1 << 12);
  bus_.subscribe<events::BioSubmitted>([this](const auto& e) { on_submitted(e); });
  bus_.subscribe<events::BioCompleted>([this](const auto& e) { on_completed(e); });
  bus_.subscribe<events::CommandSent>([this](const auto& e) { on_sent(e); });
  bus_.subscribe<events::CommandCompleted>([this](const auto& e) { on_device_done(e); });
  bus_.subscribe<events::CommandDropped>([this](const auto& e) { on_dropped(e); });
  bus_.subscribe<events::Failover>([this](const auto& e) { on_failover(e); });
  bus_.subscribe<events::BioParked>([this](const auto& e) { on_parked(e); });
  bus_.subscribe<events::PathState>([this](const auto& e) { on_path_state(e); });
  bus_.subscribe<events::CtrlStateChanged>([this](const auto& e) { on_ctrl_state(e); });
  bus_.subscribe<events::FailfastExpired>([this](const events::FailfastExpired& e) {
    failfast_.insert(e.ctrl_id);
    check_parked(e.t, false);
  });
  if (cfg_.linearizable || cfg_.durable) {
    bus_.subscribe<events::MediaWrite>([this](const auto& e) { on_media_write(e); });
    bus_.subscribe<events::ReadReturned>([this](const auto& e) { on_read(e); });
  }
  if (cfg_.linearizable || cfg_.durable)
    bus_.subscribe<events::MediaReverted>([this](const auto& e) { on_reverted(e); });
}

Checker::~Checker() = default;

void Checker::report(Violation v) {
  if (++counts_[v.kind] <= cfg_.max_reports_per_kind) violations_.push_back(std::move(v));
}

void Checker::step(std::uint64_t root, Step s) {
  auto it = roots_.find(root);
  if (it != roots_.end()) step(it->second, s);
}

void Checker::step(Root& r, Step s) {
  auto& steps = r.more().steps;
  if (steps.size() < 64) steps.push_back(s);
}

std::vector<std::string> Checker::chain_of(std::uint64_t root) const {
  std::vector<std::string> out;
  auto it = roots_.find(root);
  if (it == roots_.end()) return out;
  const Root& r = it->second;
  std::vector<Step> steps;
  steps.push_back({r.submitted, kSubmitted, -1, 0, 0});
  if (r.sent_t >= 0) steps.push_back({r.sent_t, kSent, r.sent_path, 0, r.sent_tag});
  if (r.done_t >= 0) steps.push_back({r.done_t, kDeviceDone, r.sent_path, r.done_status, r.sent_tag});
  if (r.extra) steps.insert(steps.end(), r.extra->steps.begin(), r.extra->steps.end());
  if (r.completed >= 0) steps.push_back({r.completed, kCompleted, -1, r.completed_status, 0});
  std::stable_sort(steps.begin(), steps.end(), [](const Step& x, const Step& y) { return x.t < y.t; });
  for (const Step& s : steps) {
    std::string what;
    switch (s.what) {
      case kSubmitted:
        what = fmt::format("submitted: {} of {} bytes at offset {}", dir_name(r.dir), r.bytes, r.offset);
        break;
      case kSent: what = fmt::format("sent through {} (data tag {:#x})", names_.path_name(s.where), s.tag); break;
      case kDeviceDone:
        what = fmt::format("the device completed data tag {:#x} with status {:#05x}", s.tag, s.status);
        break;
      case kFailover:
        what = fmt::format("failed over from {} (status {:#05x})", names_.path_name(s.where), s.status);
        break;
      case kParked: what = fmt::format("parked on {}'s requeue list", names_.head_name(s.where)); break;
      case kUnparked: what = fmt::format("taken from {}'s requeue list", names_.head_name(s.where)); break;
      case kCompleted: what = fmt::format("completed to the application with status {:#05x}", s.status); break;
    }
    out.push_back(secs(s.t) + "  " + what);
  }
  return out;
}

// A completed bio's record goes, unless it is a write the per-LBA checks may still cite.
void Checker::forget(std::uint64_t root) {
  last_root_ = nullptr;
  auto it = roots_.find(root);
  if (it == roots_.end()) return;
  // Nothing judged needs these after the completion (a late landing is judged from its sending).
  if (it->second.extra)
    for (std::uint64_t leaf : it->second.extra->split) split_.erase(leaf);
  if (it->second.extra) it->second.extra->split.clear();
  std::vector<Time>().swap(it->second.read_h);
  const bool written = it->second.dir == events::Dir::Write || it->second.dir == events::Dir::Trim;
  // Writes the per-LBA checks may cite stay longer; everything else a little (a second
  // completion still finds its history).
  auto& fifo = written && (cfg_.linearizable || cfg_.durable) ? completed_writes_ : completed_recent_;
  const std::size_t keep = &fifo == &completed_writes_ ? kKeepCompleted : kKeepRecent;
  fifo.push_back(root);
  if (fifo.size() > keep) {
    roots_.erase(fifo.front());
    fifo.pop_front();
  }
}

int Checker::ns_key(const std::string& ns) {
  auto it = ns_index_.find(ns);
  if (it != ns_index_.end()) return it->second;
  const int k = static_cast<int>(ns_index_.size());
  ns_index_.emplace(ns, k);
  return k;
}

// ---- bios: exactly once, partial completion, bio steal -----------------------------------------

void Checker::on_submitted(const events::BioSubmitted& e) {
  const std::uint64_t base = e.bio >> 48;
  auto mx = std::find_if(max_submitted_.begin(), max_submitted_.end(), [&](const auto& p) { return p.first == base; });
  if (mx == max_submitted_.end()) max_submitted_.push_back({base, e.bio});
  else mx->second = std::max(mx->second, e.bio);
  Root& r = roots_[e.bio];
  r.submitted = e.t;
  r.dir = e.dir;
  r.fua = e.fua;
  r.offset = e.offset;
  r.bytes = e.bytes;
  // A verified read is judged against the writes acknowledged before it began: take H for each of
  // its blocks now, however long it then waits for a tag, a path or a requeue.
  if (cfg_.linearizable && e.verify && names_.job_namespace && e.job >= 0) {
    // A job's device never changes once it runs: resolve its namespace once, not per read.
    const auto j = static_cast<std::size_t>(e.job);
    if (j >= job_ns_.size()) job_ns_.resize(j + 1, {-1, 0});
    if (job_ns_[j].second == 0) {
      const auto [ns, lba_size] = names_.job_namespace(e.job);
      if (!ns.empty() && lba_size) job_ns_[j] = {ns_key(ns), lba_size};
    }
    if (job_ns_[j].second) snapshot_read_h(r, job_ns_[j].first, job_ns_[j].second);
  }
}

void Checker::snapshot_read_h(Root& r, int ns, std::uint32_t lba_size) {
  const std::uint64_t first = r.offset / lba_size, n = r.bytes / lba_size;
  r.read_h.assign(n, -1);
  for (std::uint64_t l = 0; l < n; ++l) {
    if (const LbaState* st = find_lba(lba_key(ns, first + l))) r.read_h[l] = st->h_before(r.submitted, nullptr);
  }
}

void Checker::on_completed(const events::BioCompleted& e) {
  auto it = roots_.find(e.bio);
  if (it == roots_.end() || it->second.completed >= 0) {
    if (cfg_.exactly_once) {
      bool known = it != roots_.end();
      for (const auto& [base, mx] : max_submitted_) known |= base == (e.bio >> 48) && e.bio <= mx;
      Violation v{"double_completion", e.t, "", "", e.bio, {}, "", {}};
      v.message = !known ? fmt::format("bio {:#x} completed but was never submitted", e.bio)
                  : it != roots_.end()
                      ? fmt::format("bio {:#x} completed a second time (first at {})", e.bio, secs(it->second.completed))
                      : fmt::format("bio {:#x} completed a second time", e.bio);
      if (it != roots_.end()) step(e.bio, {e.t, kCompleted, -1, e.status, 0});
      v.chain = chain_of(e.bio);
      report(std::move(v));
    }
    return;
  }
  Root& r = it->second;
  r.completed = e.t;
  r.completed_status = e.status;
  // Only a violation needs the head's name.
  auto head = [&r, this]() { return r.head >= 0 ? names_.head_name(r.head) : std::string(); };
  if (cfg_.partial && e.status == 0) {
    const bool whole = r.bytes == 0 ? r.ok_cmds > 0 : r.ok_bytes >= r.bytes;
    if (!whole) {
      Violation v{"partial_completion", e.t, head(), "", e.bio, {}, "", chain_of(e.bio)};
      v.message = fmt::format("bio completed with success, but the device executed {} of its {} bytes", r.ok_bytes, r.bytes);
      report(std::move(v));
    }
  }
  if (cfg_.partial && r.extra && !r.extra->stolen.empty()) {
    Violation v{"bio_steal", e.t, head(), "", e.bio, {}, "", chain_of(e.bio)};
    v.message = fmt::format("bio completed while {} of its leaves, stolen from a failed request, were never put on the requeue list",
                            r.extra->stolen.size());
    report(std::move(v));
  }
  if (e.dir == events::Dir::Write) {
    auto w = wroots_.find(e.bio);
    if (w != wroots_.end()) {
      if (e.status == 0) {
        w->second.acked = e.t;
        acked_write(e.bio, r, e.t);
      }
      w->second.open = false;
      if (w->second.live == 0) wroots_.erase(w);
    }
  }
  if (e.status == 0 && e.dir == events::Dir::Flush && r.ns >= 0)
    flush_horizon_[r.ns] = std::max(flush_horizon_[r.ns], r.submitted);
  else if (e.status == 0 && e.dir == events::Dir::Flush && cfg_.durable)
    unknown("durable_after_flush", "flush acknowledged without a sending");
  if (cfg_.max_io_stall && e.t - e.submitted > *cfg_.max_io_stall) {
    Violation v{"stall", e.t, head(), "", e.bio, {}, "", chain_of(e.bio)};
    v.message = fmt::format("bio waited {} (bound {})", secs(e.t - e.submitted), secs(*cfg_.max_io_stall));
    report(std::move(v));
  }
  forget(e.bio);
}

void Checker::on_sent(const events::CommandSent& e) {
  const auto pidx = static_cast<std::size_t>(e.path);
  if (pidx >= path_ns_.size()) path_ns_.resize(pidx + 1, -1);
  if (path_ns_[pidx] < 0) path_ns_[pidx] = ns_key(names_.path_namespace(e.path));
  Sent s{e.dir, e.want_tokens, e.path, path_ns_[pidx], e.lba_size, e.nlb, e.slba, {}, {}, {}};
  const int head = pidx < path_head_.size() ? path_head_[pidx] : -1;
  const bool per_lba = cfg_.linearizable || cfg_.durable;
  const bool written = e.dir == events::Dir::Write && per_lba;
  if (written && !wsends_.count(e.tag) && wsends_.size() >= kMaxLiveSends) {
    // The bound on what the checker tracks: this sending's landing cannot be judged.
    unknown("linearizable", "write sending not tracked (too many outstanding)");
    if (cfg_.durable) unknown("durable_after_flush", "write sending not tracked (too many outstanding)");
  } else if (written) {
    auto [ws, fresh] = wsends_.try_emplace(e.tag, WSend{s.ns, e.lba_size, 0, {}, {}});
    ++ws->second.refs;
    for (std::size_t i = 0; i < e.bios.size(); ++i) {
      const auto& b = e.bios[i];
      const Leaf leaf{b.leaf, b.root, b.offset, b.bytes};
      if (fresh) {
        if (i == 0) ws->second.first = leaf;
        else ws->second.more.push_back(leaf);
      }
      auto [wi, wnew] = wroots_.try_emplace(b.root);
      WRoot& w = wi->second;
      ++w.live;
      if (auto it = roots_.find(b.root); it != roots_.end()) {
        w.submitted = it->second.submitted;
        w.fua = it->second.fua;
        // Sent again after it completed (a host bug the exactly-once oracle judges): its facts
        // as they are.
        if (it->second.completed >= 0) {
          w.open = false;
          if (it->second.completed_status == 0) w.acked = it->second.completed;
        }
      } else if (wnew) {
        w.open = false;
        unknown("linearizable", "write sent for a bio no longer tracked");
      }
    }
  }
  for (std::size_t i = 0; i < e.bios.size(); ++i) {
    const auto& b = e.bios[i];
    const Leaf leaf{b.leaf, b.root, b.offset, b.bytes};
    if (i == 0) s.first = leaf;
    else s.more.push_back(leaf);
    auto it = roots_.find(b.root);
    if (it == roots_.end()) continue;
    Root& r = it->second;
    r.ns = s.ns;
    r.lba_size = e.lba_size;
    r.cur_path = e.path;
    if (head >= 0) r.head = head;
    if (r.sent_t < 0) {
      r.sent_t = e.t;
      r.sent_path = e.path;
      r.sent_tag = e.tag;
      // Without the job's namespace at submission (hand-made streams), H is taken at the first
      // sending, while the steps before the submission may still be remembered.
      if (cfg_.linearizable && e.dir == events::Dir::Read && e.want_tokens && e.lba_size && r.read_h.empty())
        snapshot_read_h(r, s.ns, e.lba_size);
    } else {
      step(r, {e.t, kSent, e.path, 0, e.tag});
    }
    if (e.dir == events::Dir::Trim && per_lba && e.lba_size) {
      const std::uint64_t first = b.offset / e.lba_size, n = b.bytes / e.lba_size;
      for (std::uint64_t l = first; l < first + n; ++l) lba(lba_key(s.ns, l), e.t).trimmed = true;
    }
  }
  // A lone bio's tag names it (CommandSent): no record per sending is needed, except for a read
  // whose data comes back later, and for a split bio's leaf (its root is not in the tag).
  if (e.bios.size() == 1 && !e.want_tokens && !(e.tag >> 63)) {
    const auto& b = e.bios[0];
    if (b.leaf != b.root && split_.insert_or_assign(b.leaf, Leaf{b.leaf, b.root, b.offset, b.bytes}).second)
      if (auto it = roots_.find(b.root); it != roots_.end()) it->second.more().split.push_back(b.leaf);
    return;
  }
  sent_.insert_or_assign(e.tag, std::move(s));
}

// The bios a tag's sending carried: from its record, or from the tag itself for a lone bio.
template <class F>
bool Checker::each_leaf(std::uint64_t tag, int* path, F&& f) {
  if (!sent_.empty()) {
    auto it = sent_.find(tag);
    if (it != sent_.end()) {
      if (path) *path = it->second.path;
      it->second.each(f);
      return true;
    }
  }
  if (tag >> 63) return false;
  const std::uint64_t leaf = tag >> 6;
  auto sp = split_.empty() ? split_.end() : split_.find(leaf);
  if (sp != split_.end()) {
    if (path) *path = -1;
    if (Root* r = find_root(sp->second.root); r && path) *path = r->cur_path;
    f(sp->second);
    return true;
  }
  Root* r = find_root(leaf);
  if (!r) return false;
  if (path) *path = r->cur_path;
  f(Leaf{leaf, leaf, r->offset, r->bytes});
  return true;
}

// The same root is looked up several times per event: remember the last one (map nodes do not
// move; forget() clears it before erasing).
Checker::Root* Checker::find_root(std::uint64_t id) {
  if (id == last_id_ && last_root_) return last_root_;
  auto it = roots_.find(id);
  last_id_ = id;
  last_root_ = it == roots_.end() ? nullptr : &it->second;
  return last_root_;
}

void Checker::on_device_done(const events::CommandCompleted& e) {
  int path = -1;
  each_leaf(e.tag, &path, [&](const Leaf& l) {
    Root* r = find_root(l.root);
    if (!r) return;
    Root& root = *r;
    if (root.done_t < 0 && root.sent_tag == e.tag) {
      root.done_t = e.t;
      root.done_status = e.status;
    } else {
      step(root, {e.t, kDeviceDone, path, e.status, e.tag});
    }
    if (e.status != 0) return;
    ++root.ok_cmds;
    // Each leaf counts once, whichever sending executed it.
    if (root.ok_leaf == 0) {
      root.ok_leaf = l.leaf;
      root.ok_bytes += l.bytes;
    } else if (root.ok_leaf != l.leaf) {
      auto& ok = root.more().ok_leaves;
      if (std::find(ok.begin(), ok.end(), l.leaf) == ok.end()) {
        ok.push_back(l.leaf);
        root.ok_bytes += l.bytes;
      }
    }
  });
  // A write's landing (MediaWrite) precedes its completion, a verified read's data comes after:
  // keep the reads that still wait for it.
  if (e.tag >> 63 || !sent_.empty()) {
    auto it = sent_.find(e.tag);
    if (it != sent_.end()) {
      if (it->second.dir == events::Dir::Read && it->second.want_tokens && e.status == 0) {
        // The data follows unless the host ignores the completion (cancelled meanwhile): bounded.
        if (cfg_.linearizable) {
          Sent& rs = it->second;
          rs.snap.assign(rs.nlb, {0, kNoLanding});
          for (std::uint32_t i = 0; i < rs.nlb; ++i) {
            const LbaState* lst = find_lba(lba_key(rs.ns, rs.slba + i));
            if (!lst || !lst->nland) continue;
            const Land& newest = lst->land[lst->head];
            rs.snap[i] = {newest.tag, newest.acked};
          }
        }
        read_waits_.push_back(e.tag);
        prune_read_waits();
      } else {
        sent_.erase(it);
      }
    }
  }
  sending_done(e.tag, false);
}

// Past kMaxReadWaits, the oldest records go, but only those the host can no longer use: their
// data came (on_read took them), or every bio they carried has completed (the host publishes a
// read's data before completing it, and takes none for a request it ended). A read whose data is
// held up, by a hung controller for instance, while many others complete stays: the bound is the
// outstanding reads, not a count of later ones (it used to evict them, and a long hang at a high
// rate made linearizable "unknown").
void Checker::prune_read_waits() {
  for (int i = 0; i < 2 && read_waits_.size() > kMaxReadWaits; ++i) {
    const std::uint64_t tag = read_waits_.front();
    read_waits_.pop_front();
    auto it = sent_.find(tag);
    if (it == sent_.end()) continue;
    bool open = false;
    it->second.each([&](const Leaf& l) {
      if (const auto* r = roots_.find(l.root); r && r->second.completed < 0) open = true;
    });
    if (open) read_waits_.push_back(tag);
    else sent_.erase(it);
  }
}

void Checker::on_dropped(const events::CommandDropped& e) {
  if (!sent_.empty()) sent_.erase(e.tag);
  sending_done(e.tag, true);
}

// The device will not land this sending any more: its record, and its roots' once none of their
// sendings is live and they completed, go.
void Checker::sending_done(std::uint64_t tag, bool) {
  if (wsends_.empty()) return;
  auto it = wsends_.find(tag);
  if (it == wsends_.end()) return;
  it->second.each([&](const Leaf& l) {
    auto w = wroots_.find(l.root);
    if (w == wroots_.end()) return;
    if (w->second.live) --w->second.live;
    if (w->second.live == 0 && !w->second.open) wroots_.erase(w);
  });
  if (--it->second.refs == 0) wsends_.erase(it);
}

void Checker::on_failover(const events::Failover& e) {
  const auto stolen = [&](const Leaf& l) {
    step(l.root, {e.t, kFailover, e.path, e.status, e.tag});
    auto r = roots_.find(l.root);
    if (r == roots_.end()) {
      // Failed over after it completed (and its record went): whether it reaches the requeue
      // list can no longer be followed.
      unknown("no_partial_completion", "failover of a bio no longer tracked");
      return;
    }
    Extra& x = r->second.more();
    x.stolen.push_back(l.leaf);
    // -1: held until a cross-controller reset completes (failover_hold: ccr), time not known yet.
    x.release = std::max(x.release, e.release_at < 0 ? kNever : e.release_at);
  };
  if (e.tag == 0 && !e.unsent.empty()) {  // refused before it was sent: the event names the bios
    for (const auto& b : e.unsent) stolen(Leaf{b.leaf, b.root, b.offset, b.bytes});
    return;
  }
  const bool known = each_leaf(e.tag, nullptr, stolen);
  if (!known) unknown("no_partial_completion", "failover of a sending no longer tracked");
}

void Checker::on_parked(const events::BioParked& e) {
  step(e.root, {e.t, e.parked ? kParked : kUnparked, e.head, 0, 0});
  if (e.parked) {
    auto r = roots_.find(e.root);
    if (r != roots_.end() && r->second.extra) {
      auto& st = r->second.extra->stolen;
      auto f = std::find(st.begin(), st.end(), e.leaf);
      if (f != st.end()) st.erase(f);
    }
    parked_[e.leaf] = {e.t, e.head, e.root};
    return;
  }
  auto p = parked_.find(e.leaf);
  if (p == parked_.end()) return;
  const Parked pk = p->second;
  parked_.erase(p);
  auto us = usable_since_.find(pk.head);
  if (cfg_.max_io_stall && us != usable_since_.end()) {
    const Time waited = e.t - std::max(pk.since, us->second);
    if (waited > cfg_.parked_bound) {
      Violation v{"parked_with_path", e.t, names_.head_name(pk.head), "", pk.root, {}, "", chain_of(pk.root)};
      v.message = fmt::format("bio stayed parked {} while {} had a usable path", secs(waited), names_.head_name(pk.head));
      report(std::move(v));
    }
  }
}

// ---- liveness ----------------------------------------------------------------------------------

void Checker::on_path_state(const events::PathState& e) {
  PathInfo& p = paths_[e.path];
  p.head = e.head;
  if (static_cast<std::size_t>(e.path) >= path_head_.size()) path_head_.resize(static_cast<std::size_t>(e.path) + 1, -1);
  path_head_[static_cast<std::size_t>(e.path)] = e.head;
  p.ctrl = e.ctrl_id;
  p.usable = e.usable && e.attached;
  p.attached = e.attached;
  bool any = false;
  for (const auto& [id, q] : paths_) any |= q.head == e.head && q.usable;
  if (any && !usable_since_.count(e.head)) usable_since_[e.head] = e.t;
  if (!any) usable_since_.erase(e.head);
  check_parked(e.t, false);
}

void Checker::on_ctrl_state(const events::CtrlStateChanged& e) {
  if (e.ctrl_id < 0) return;
  ctrl_state_[e.ctrl_id] = e.to;
  if (std::string(e.to) == "live") failfast_.erase(e.ctrl_id);
  check_parked(e.t, false);
}

// nvme_available_path as the checker sees it: some attached path's controller is live, resetting
// or connecting and has not fast-failed (or the head queues without paths).
bool Checker::head_available(int head) const {
  if (names_.head_queues_without_path && names_.head_queues_without_path(head)) return true;
  for (const auto& [id, p] : paths_) {
    if (p.head != head || !p.attached) continue;
    auto s = ctrl_state_.find(p.ctrl);
    if (s == ctrl_state_.end() || failfast_.count(p.ctrl)) continue;
    if (s->second == "live" || s->second == "resetting" || s->second == "connecting") return true;
  }
  return false;
}

// Tracks since when each head has had no path that could come back; at the end (or whenever a
// bio is found parked too long) such bios are violations: they had to fail.
void Checker::check_parked(Time now, bool at_end) {
  std::set<int> heads;
  for (const auto& [id, p] : paths_) heads.insert(p.head);
  for (int h : heads) {
    const bool avail = head_available(h);
    if (avail) unavailable_since_.erase(h);
    else if (!unavailable_since_.count(h)) unavailable_since_[h] = now;
  }
  if (!at_end || !cfg_.max_io_stall) return;
  for (const auto& [leaf, pk] : parked_) {
    auto us = usable_since_.find(pk.head);
    if (us != usable_since_.end() && now - std::max(pk.since, us->second) > cfg_.parked_bound) {
      Violation v{"parked_with_path", now, names_.head_name(pk.head), "", pk.root, {}, "", chain_of(pk.root)};
      v.message = fmt::format("bio parked since {} is still parked although {} has had a usable path since {}",
                              secs(pk.since), names_.head_name(pk.head), secs(us->second));
      report(std::move(v));
      continue;
    }
    auto un = unavailable_since_.find(pk.head);
    if (un != unavailable_since_.end() && now - std::max(pk.since, un->second) > cfg_.parked_bound) {
      Violation v{"no_path_not_failed", now, names_.head_name(pk.head), "", pk.root, {}, "", chain_of(pk.root)};
      v.message = fmt::format("bio parked since {} was not failed although no path of {} could come back since {}",
                              secs(pk.since), names_.head_name(pk.head), secs(un->second));
      report(std::move(v));
    }
  }
}

Checker::Footprint Checker::footprint() const {
  Footprint f;
  f.roots = roots_.size();
  f.write_roots = wroots_.size();
  f.sendings = wsends_.size() + sent_.size();
  f.lbas = hot_live_ + cold_live_;
  f.hot_lbas = hot_live_;
  f.other = split_.size() + read_waits_.size() + parked_.size();
  return f;
}

void Checker::finish(Time end, const std::vector<std::uint64_t>& held) {
  check_parked(end, true);
  std::vector<std::uint64_t> open;
  roots_.for_each([&](std::uint64_t id, const Root& r) {
    if (r.completed < 0) open.push_back(id);
  });
  std::sort(open.begin(), open.end());  // the map's order must not reach the report
  for (std::uint64_t id : open) {
    const Root& r = roots_[id];
    const std::string head = r.head >= 0 ? names_.head_name(r.head) : "";
    if (cfg_.exactly_once && !std::binary_search(held.begin(), held.end(), id)) {
      Violation v{"lost_io", end, head, "", id, {}, "", chain_of(id)};
      v.message = "bio never completed and the host no longer holds it anywhere";
      report(std::move(v));
      continue;
    }
    if (cfg_.partial && r.extra && !r.extra->stolen.empty() && r.extra->release <= end) {
      Violation v{"bio_steal", end, head, "", id, {}, "", chain_of(id)};
      v.message = "bios of a failed-over request never reached the requeue list";
      report(std::move(v));
    }
    if (cfg_.max_io_stall && end - r.submitted > *cfg_.max_io_stall) {
      Violation v{"stall", end, head, "", id, {}, "", chain_of(id)};
      v.message = fmt::format("bio still outstanding after {} (bound {})", secs(end - r.submitted), secs(*cfg_.max_io_stall));
      report(std::move(v));
    }
  }
}

}  // namespace sim::check
