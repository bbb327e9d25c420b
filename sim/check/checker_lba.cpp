// The per-LBA checks (linearizable, durable_after_flush) and the two-tier store of their state.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "sim/check/checker.hpp"
#include "sim/check/secs.hpp"

namespace sim::check {

// ---- the per-LBA store: hot states, cold ones, pages of slots ------------------------------------

std::uint32_t* Checker::lba_slot(std::uint64_t key, bool create) {
  const std::uint64_t page = key >> 6;
  std::uint64_t i = lba_page_index_.get(page);
  if (!i) {
    if (!create) return nullptr;
    lba_pages_.emplace_back();
    lba_pages_.back().fill(0);
    i = lba_pages_.size();
    lba_page_index_.set(page, i);
  }
  return &lba_pages_[i - 1][key & 63];
}

// Sets every field a cold state determines; the others of `st` must be at their defaults (the
// view is only ever written here, and a hot state is reset when it goes cold).
void Checker::view_of(const Cold& c, LbaState& st) {
  const Time submitted = c.acked - static_cast<Time>(c.latency);
  st.land[0] = Land{c.tag, c.root, submitted, c.acked, (c.flags & kColdFua) != 0};
  st.nland = 1;
  st.head = 0;
  st.trimmed = (c.flags & kColdTrimmed) != 0;
  st.h_at[0] = c.acked;
  st.h_val[0] = submitted;
  st.h_root[0] = c.root;
  st.h_dropped = (c.flags & kColdDropped) != 0;
  st.max_landed_sub = submitted;
  st.max_landed_root = c.root;
  st.older_acked = submitted - 1;  // going cold required every older one acknowledged before L
}

const Checker::LbaState* Checker::find_lba(std::uint64_t key) const {
  const std::uint32_t* slot = const_cast<Checker*>(this)->lba_slot(key, false);
  if (!slot || !*slot) return nullptr;
  if (*slot & kHotBit) return &hot_[*slot & ~kHotBit].st;
  view_of(cold_[*slot - 1], lba_view_);
  return &lba_view_;
}

// Settled: what the cold form keeps is all the checks can still ask of this block, for reads and
// writes that begin from now on. Its newest landing L is acknowledged (strictly before now, so a
// read beginning now sees H = L without the earlier step), it is the newest submission that
// landed, and H is L's own step. Older landings are what it forgets.
bool Checker::settled(const LbaState& st, Time now) const {
  if (!st.nland || st.floor_unknown) return false;
  const Land& l = st.land[st.head];
  if (l.acked < 0 || l.acked >= now || l.submitted < 0 || l.submitted > l.acked) return false;
  if (l.acked - l.submitted > std::numeric_limits<std::uint32_t>::max()) return false;
  if (l.submitted != st.max_landed_sub || l.root != st.max_landed_root) return false;
  if (st.h_at[0] != l.acked || st.h_val[0] != l.submitted || st.h_root[0] != l.root) return false;
  // Every older landing was acknowledged before L was submitted (so a read of one is stale).
  if (st.older_unclear || st.older_acked >= l.submitted) return false;
  for (int i = 1; i < st.nland; ++i) {
    const Land& o = st.land[(st.head + kLands - i) % kLands];
    if (o.acked < 0 || o.acked >= l.submitted) return false;
  }
  return true;
}

// The clock hand passes a few hot states: one changed since its last pass gets a second chance,
// the first settled one goes cold (true). If none of those it passed can, the hot tier grows by
// one for now (its states are still in play: writes in flight on them) and shrinks back later.
bool Checker::cool_one(Time now) {
  for (int tries = 0; tries < 64 && !hot_clock_.empty(); ++tries) {
    const std::uint32_t hi = hot_clock_.front();
    hot_clock_.pop_front();
    Hot& h = hot_[hi];
    if (h.touched || !settled(h.st, now)) {
      h.touched = false;
      hot_clock_.push_back(hi);
      continue;
    }
    const Land& l = h.st.land[h.st.head];
    Cold c;
    c.tag = l.tag;
    c.root = l.root;
    c.acked = l.acked;
    c.latency = static_cast<std::uint32_t>(l.acked - l.submitted);
    c.flags = static_cast<std::uint8_t>((l.fua ? kColdFua : 0) | (h.st.trimmed ? kColdTrimmed : 0) |
                                        (h.st.h_dropped || h.st.h_at[1] >= 0 ? kColdDropped : 0));
    std::uint32_t ci;
    if (!cold_free_.empty()) {
      ci = cold_free_.back();
      cold_free_.pop_back();
      cold_[ci] = c;
    } else {
      ci = static_cast<std::uint32_t>(cold_.size());
      cold_.push_back(c);
    }
    ++cold_live_;
    *lba_slot(h.key, false) = ci + 1;
    h.st = LbaState{};
    hot_free_.push_back(hi);
    --hot_live_;
    return true;
  }
  return false;
}

std::uint32_t Checker::make_hot(std::uint64_t key, Time now) {
  while (hot_live_ >= kHotCap && cool_one(now)) {
  }
  std::uint32_t hi;
  if (!hot_free_.empty()) {
    hi = hot_free_.back();
    hot_free_.pop_back();
  } else {
    NVMSIM_ASSERT(hot_.size() < kHotBit, "checker: too many hot LBA states");
    hi = static_cast<std::uint32_t>(hot_.size());
    hot_.emplace_back();
  }
  hot_[hi].key = key;
  hot_[hi].touched = true;
  hot_clock_.push_back(hi);
  ++hot_live_;
  return hi;
}

Checker::LbaState& Checker::lba(std::uint64_t key, Time now) {
  std::uint32_t* slot = lba_slot(key, true);
  if (*slot & kHotBit) {
    Hot& h = hot_[*slot & ~kHotBit];
    h.touched = true;
    return h.st;
  }
  const std::uint32_t was = *slot;  // cold index + 1, or 0
  const std::uint32_t hi = make_hot(key, now);  // cooling others moves no page: `slot` stays valid
  if (was) {
    view_of(cold_[was - 1], hot_[hi].st);
    cold_free_.push_back(was - 1);
    --cold_live_;
  }
  *slot = kHotBit | hi;
  return hot_[hi].st;
}

// ---- per-LBA checks ------------------------------------------------------------------------------

const Checker::Land* Checker::LbaState::find(std::uint64_t tag) const {
  for (int i = 0; i < nland; ++i) {
    const Land& l = land[(head + kLands - i) % kLands];
    if (l.tag == tag) return &l;
  }
  return nullptr;
}

void Checker::LbaState::push(const Land& l) {
  if (nland) head = static_cast<std::uint8_t>((head + 1) % kLands);
  if (nland == kLands) {  // the oldest leaves the ring
    const Land& gone = land[head];
    if (gone.acked < 0) older_unclear = true;
    older_acked = std::max(older_acked, gone.acked);
  }
  land[head] = l;
  if (nland < kLands) ++nland;
}

Time Checker::LbaState::h_before(Time t, std::uint64_t* root) const {
  for (int i = 0; i < 2; ++i) {
    if (h_at[i] < 0) return -1;  // no earlier step: nothing acknowledged before t
    if (h_at[i] < t) {
      if (root) *root = h_root[i];
      return h_val[i];
    }
  }
  return h_dropped ? kUnknownTime : -1;
}

// A write was acknowledged: H steps up on each of its blocks, and its landings there learn it.
void Checker::acked_write(std::uint64_t root, const Root& r, Time t) {
  if (r.ns < 0 || r.lba_size == 0) {
    // Acknowledged without ever being sent (partial_completion's business): which blocks it
    // covered is not known, so neither is what later reads may return.
    if (cfg_.linearizable) unknown("linearizable", "write acknowledged without a sending");
    return;
  }
  const std::uint64_t first = r.offset / r.lba_size, n = r.bytes / r.lba_size;
  for (std::uint64_t l = first; l < first + n; ++l) {
    const std::uint64_t key = lba_key(r.ns, l);
    // A cold block keeps a newer acknowledged write: this one changes nothing there.
    if (const std::uint32_t* slot = lba_slot(key, false); slot && *slot && !(*slot & kHotBit)) {
      const Cold& c = cold_[*slot - 1];
      if (r.submitted <= c.acked - static_cast<Time>(c.latency)) continue;
    }
    LbaState& st = lba(key, t);
    for (Land& ld : st.land)
      if (ld.root == root && ld.acked == -1) ld.acked = t;
    if (r.submitted <= st.h_val[0]) continue;
    if (st.h_at[0] == t) {
      st.h_val[0] = r.submitted;
      st.h_root[0] = root;
      continue;
    }
    if (st.h_at[1] >= 0) st.h_dropped = true;
    st.h_at[1] = st.h_at[0];
    st.h_val[1] = st.h_val[0];
    st.h_root[1] = st.h_root[0];
    st.h_at[0] = t;
    st.h_val[0] = r.submitted;
    st.h_root[0] = root;
  }
}

void Checker::on_media_write(const events::MediaWrite& e) {
  // The sending's record lives until the device completes or drops it, however long ago its bio
  // was acknowledged: every landing, a zombie's too, is judged.
  auto it = wsends_.find(e.token);
  if (it == wsends_.end()) {
    // Data the checks cannot name landed: no read of these blocks' older data is stale by rule.
    const int ns = ns_key(fmt::format("{}/{}", e.subsystem, e.nsid));
    for (std::uint64_t lba = e.slba; lba < e.slba + e.nlb; ++lba) this->lba(lba_key(ns, lba), e.t).older_unclear = true;
    unknown("linearizable", "landing of a write sending not tracked");
    if (cfg_.durable) unknown("durable_after_flush", "landing of a write sending not tracked");
    return;
  }
  const WSend& ws = it->second;
  if (ws.lba_size == 0) {
    for (std::uint64_t lba = e.slba; lba < e.slba + e.nlb; ++lba) this->lba(lba_key(ws.ns, lba), e.t).older_unclear = true;
    unknown("linearizable", "landing of a sending without a block size");
    return;
  }
  for (std::uint64_t lba = e.slba; lba < e.slba + e.nlb; ++lba) {
    // The root whose leaf covers this block (the last one, if several do).
    const std::uint64_t byte = lba * ws.lba_size;
    std::uint64_t w = 0;
    ws.each([&](const Leaf& l) {
      if (byte >= l.offset && byte < l.offset + l.bytes) w = l.root;
    });
    if (!w) {  // the device wrote a block none of the sending's bios covers
      this->lba(lba_key(ws.ns, lba), e.t).older_unclear = true;
      unknown("linearizable", "landing outside the sending's bios");
      continue;
    }
    auto wr = wroots_.find(w);
    if (wr == wroots_.end()) {  // cannot happen: a live sending holds its roots
      this->lba(lba_key(ws.ns, lba), e.t).older_unclear = true;
      unknown("linearizable", "landing of a write no longer tracked");
      continue;
    }
    const WRoot& wi = wr->second;
    LbaState& st = this->lba(lba_key(ws.ns, lba), e.t);
    st.push(Land{e.token, w, wi.submitted, wi.acked, wi.fua});
    const Time newest = st.max_landed_sub;
    const std::uint64_t newest_root = st.max_landed_root;
    if (wi.submitted > st.max_landed_sub) {
      st.max_landed_sub = wi.submitted;
      st.max_landed_root = w;
    }
    if (!cfg_.linearizable || wi.acked < 0) continue;
    // w was acknowledged, then a write submitted after that acknowledgement (real-time order
    // w < it) landed here, and now w's data lands: the media goes back in time.
    if (newest > wi.acked) {
      Violation v{"ghost_write", e.t, "", "", w, lba, "", chain_of(w)};
      v.message = fmt::format(
          "write acknowledged at {} landed at {}{} over bio {:#x}, which was submitted after that "
          "acknowledgement (at {})",
          secs(wi.acked), secs(e.t), e.zombie ? " through a controller that had lost the host" : "", newest_root,
          secs(newest));
      report(std::move(v));
    } else if (st.floor_unknown) {
      unknown("linearizable", "landing over data a power loss restored from an unknown write");
    }
  }
}

void Checker::on_read(const events::ReadReturned& e) {
  auto it = sent_.find(e.tag);
  if (!e.tokens) return;
  if (it == sent_.end()) {
    if (cfg_.linearizable) unknown("linearizable", "read data for a sending no longer tracked");
    return;
  }
  const Sent s = it->second;
  sent_.erase(it);
  if (!cfg_.linearizable) return;
  for (std::uint32_t i = 0; i < s.nlb && i < e.tokens->size(); ++i) {
    const std::uint64_t lba = s.slba + i;
    std::uint64_t reader = 0;
    const std::uint64_t byte = lba * s.lba_size;
    s.each([&](const Leaf& l) {
      if (byte >= l.offset && byte < l.offset + l.bytes) reader = l.root;
    });
    auto rr = roots_.find(reader);
    if (rr == roots_.end() || rr->second.lba_size == 0) {
      unknown("linearizable", "read data for a bio no longer tracked");
      continue;
    }
    const Root& rd = rr->second;
    const std::uint64_t idx = lba - rd.offset / rd.lba_size;
    if (idx >= rd.read_h.size()) {
      unknown("linearizable", "read data outside its bio");
      continue;
    }
    // H: the latest submission of a write to this block acknowledged before the read began.
    const Time h = rd.read_h[idx];
    if (h == kUnknownTime) {
      unknown("linearizable", "read outlived the acknowledgements remembered per LBA");
      continue;
    }
    if (h < 0) continue;  // nothing acknowledged before it began: any value will do
    const LbaState* st = find_lba(lba_key(s.ns, lba));
    const std::uint64_t tok = (*e.tokens)[i];
    // The value's acknowledgement as of the device's completion (the instant the data was read:
    // one acknowledged later was acknowledged after the read began, and is allowed anyway).
    const Land* value = nullptr;
    const bool snapped = i < s.snap.size() && s.snap[i].first == tok && s.snap[i].second != kNoLanding;
    Time value_acked = snapped ? s.snap[i].second : -1;
    std::uint64_t value_root = 0;
    if (tok) {
      if (!snapped) {
        value = st ? st->find(tok) : nullptr;
        if (value) {
          value_acked = value->acked;
        } else if (st && !st->older_unclear && st->older_acked >= 0 && st->older_acked < h) {
          // Not one of the landings remembered; every other one was acknowledged before H.
          value_acked = st->older_acked;
        } else {
          unknown("linearizable", "read returned data whose landing is no longer remembered");
          continue;
        }
      }
      if (st)
        if (const Land* l = st->find(tok)) value_root = l->root;
      if (value_acked == kUnknownTime) {
        unknown("linearizable", "read returned data a power loss restored from an unknown write");
        continue;
      }
      // Not acknowledged (yet): concurrent with whatever came after, a linearization allows it.
      if (value_acked < 0 || h <= value_acked) continue;
    } else {
      if (st && st->trimmed) continue;  // deallocated blocks are not judged
      // Never-written data, or what a power loss restored to "never written".
      if (!snapped)
        if (const Land* reverted = st ? st->find(0) : nullptr) value_acked = reverted->acked;
      if (value_acked == kUnknownTime) {
        unknown("linearizable", "read returned data a power loss restored from an unknown write");
        continue;
      }
      if (value_acked >= 0 && h <= value_acked) continue;
    }
    std::uint64_t newer = 0;
    if (st) st->h_before(rd.submitted, &newer);
    Violation v{"stale_read", e.t, "", names_.path_name(s.path), reader, lba, "", chain_of(reader)};
    v.message = fmt::format(
        "read returned {} although bio {:#x} (submitted at {}, acknowledged before the read began) overwrote it",
        tok ? fmt::format("bio {:#x}'s data", value_root) : std::string("never-written data"), newer, secs(h));
    report(std::move(v));
  }
}

// Power loss reverted an LBA to older data. The lost write must not have been made durable; the
// restored version becomes the block's content as of the power loss: a later read may return it
// (the documented loss of unflushed cached data), but only it, and only until newer writes.
void Checker::on_reverted(const events::MediaReverted& e) {
  const int ns = ns_key(fmt::format("{}/{}", e.subsystem, e.nsid));
  LbaState& st = lba(lba_key(ns, e.lba), e.t);
  const Land* lp = st.find(e.lost);
  const Land* rp = e.restored ? st.find(e.restored) : nullptr;
  const std::optional<Land> lost = lp ? std::optional<Land>(*lp) : std::nullopt;
  const std::optional<Land> restored = rp ? std::optional<Land>(*rp) : std::nullopt;
  bool durable = false;
  if (!lost) {
    if (cfg_.durable) unknown("durable_after_flush", "power loss reverted data whose landing is no longer remembered");
  } else {
    const auto h = flush_horizon_.find(ns);
    const bool by_fua = lost->fua && lost->acked >= 0;
    const bool by_flush = lost->acked >= 0 && h != flush_horizon_.end() && lost->acked <= h->second;
    durable = by_fua || by_flush;
    if (durable && cfg_.durable) {
      Violation v{"durability", e.t, "", "", lost->root, e.lba, "", chain_of(lost->root)};
      v.message = fmt::format("power loss reverted data acknowledged at {} that {} had made durable", secs(lost->acked),
                              by_fua ? "FUA" : fmt::format("a flush submitted at {}", secs(h->second)));
      report(std::move(v));
    }
  }
  // The restored version as a landing: allowed to be read as of the power loss, unless what it
  // replaced had been made durable (then a read of it is as stale as it is).
  Land r{e.restored, 0, -1, -1, false};
  if (restored) r = *restored;
  if (!lost || (e.restored && !restored)) r.acked = kUnknownTime;  // judged "unknown" if read
  else if (!durable) r.acked = e.t;
  if (e.restored && !restored) st.floor_unknown = true;
  st.push(r);
  // Landings lost by the power loss no longer count as the newest data on the block.
  st.max_landed_sub = restored ? restored->submitted : -1;
  st.max_landed_root = restored ? restored->root : 0;
}

}  // namespace sim::check
