#pragma once
// The correctness oracles (architecture section 6). They only listen to the event bus; nothing
// they do reaches back into the model. Each finding is a Violation with the evidence: where,
// when, which bio and LBA, and the chain of events that led there.
//
//   exactly-once     every submitted bio completes once; none lost, none twice
//   partial          a bio completed with success had all its blocks executed by the device;
//                    a failover moved exactly the failed request's bios to the head's requeue list
//   linearizable     per LBA: a read returns a value some linearization allows; a write that lands
//                    after it was acknowledged and overwritten is a ghost write
//   durable          after a successful flush or FUA write, power loss loses nothing acknowledged
//   liveness         no bio waits longer than a bound; no bio stays parked while its head has a
//                    usable path, or while no path can come back (it must fail)
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/events.hpp"
#include "sim/flat_map.hpp"
#include "sim/time.hpp"

namespace sim::check {

struct Violation {
  std::string kind;  // lost_io, double_completion, partial_completion, bio_steal, ghost_write, ...
  Time t = 0;
  std::string head, path;
  std::uint64_t bio = 0;
  std::optional<std::uint64_t> lba;
  std::string message;
  std::vector<std::string> chain;  // the bio's events, oldest first
};

struct CheckerConfig {
  bool exactly_once = false;
  bool partial = false;
  bool linearizable = false;
  bool durable = false;
  std::optional<Time> max_io_stall;  // liveness bound (also for parked bios)
  Time parked_bound = 100 * kMillisecond;  // parked while a path is usable / while none can come
  std::size_t max_reports_per_kind = 20;   // more are counted, not detailed
};

// What the checker needs to know about the world's numbering.
struct CheckerNames {
  std::function<std::string(int path)> path_name;
  std::function<std::string(int head)> head_name;
  // Identity of the namespace behind a path (same for every host): LBAs are keyed by it.
  std::function<std::string(int path)> path_namespace;
  std::function<bool(int head)> head_queues_without_path;  // 6.17 queue_if_no_path
  // Namespace identity (as path_namespace) and LBA size of the device a job opened; "" if none.
  std::function<std::pair<std::string, std::uint32_t>(int job)> job_namespace;
};

class Checker {
 public:
  Checker(events::Bus& bus, CheckerConfig cfg, CheckerNames names);
  ~Checker();

  // End of run. `held` = root bios the hosts still hold (sorted), for telling in-flight from lost.
  void finish(Time end, const std::vector<std::uint64_t>& held);

  const std::vector<Violation>& violations() const { return violations_; }
  // Violations per kind, including the ones not detailed.
  const std::map<std::string, std::uint64_t>& counts() const { return counts_; }
  // Judgements the checker could not make because it no longer had the evidence (a record evicted
  // by a bound, an event about something it never saw): expect key of the oracle ("linearizable",
  // "durable_after_flush", "no_partial_completion", ...) -> reason -> how often. An oracle with an
  // entry here and no violation has verdict "unknown", never "true".
  const std::map<std::string, std::map<std::string, std::uint64_t>>& unknown() const { return unknown_; }
  // What the checker holds right now: bounded by the outstanding commands and bios plus the
  // distinct LBAs written, not by the run's length (docs/checking.md).
  struct Footprint {
    std::size_t roots = 0;         // bio records (outstanding, plus completed ones kept as evidence)
    std::size_t write_roots = 0;   // written bios a sending may still land
    std::size_t sendings = 0;      // write sendings the device may still land, merged/verified sendings
    std::size_t lbas = 0;          // per-LBA states
    std::size_t hot_lbas = 0;      // of which whole (the rest are cold: settled, 32 bytes each)
    std::size_t other = 0;         // split leaves, reads awaiting their data, parked bios
  };
  Footprint footprint() const;

 private:
  struct Step {
    Time t;
    std::uint8_t what;
    int where;  // path or head
    std::uint16_t status;
    std::uint64_t tag;
  };
  // What only an eventful bio needs (a failover, a park, a resend): allocated then, not per I/O.
  struct Extra {
    std::vector<Step> steps;            // everything after the first sending, bounded
    std::vector<std::uint64_t> stolen;  // leaves failed over and not yet on a requeue list
    std::vector<std::uint64_t> ok_leaves;  // leaves executed with success beyond the first
    Time release = 0;                   // latest failover-hold release of the stolen ones
    std::vector<std::uint64_t> split;   // split leaves recorded in split_
  };
  struct Root {
    Time submitted = 0, completed = -1;
    Time sent_t = -1, done_t = -1;  // first sending and its device completion
    std::uint64_t sent_tag = 0;
    int sent_path = -1;
    std::uint16_t done_status = 0, completed_status = 0;
    std::uint64_t offset = 0;
    std::uint32_t bytes = 0;
    std::uint64_t ok_bytes = 0;  // executed by the device with success
    std::uint64_t ok_leaf = 0;   // the first leaf executed
    std::vector<Time> read_h;    // a verified read: per LBA, H just before its submission
    std::uint32_t ok_cmds = 0;
    events::Dir dir = events::Dir::Read;
    bool fua = false;
    int head = -1;
    int ns = -1;
    int cur_path = -1;  // path of the latest sending
    std::uint32_t lba_size = 0;
    std::unique_ptr<Extra> extra;
    Extra& more() {
      if (!extra) extra = std::make_unique<Extra>();
      return *extra;
    }
  };
  struct Leaf {
    std::uint64_t leaf, root, offset;
    std::uint32_t bytes;
  };
  struct Sent {
    events::Dir dir;
    bool want_tokens;
    int path;
    int ns;  // namespace key index
    std::uint32_t lba_size;
    std::uint32_t nlb;
    std::uint64_t slba;
    Leaf first;
    std::vector<Leaf> more;  // merged requests only
    // A verified read completed by the device: per block, the newest landing at that instant
    // (its data tag and acknowledgement), i.e. what the read returned, whatever lands meanwhile.
    std::vector<std::pair<std::uint64_t, Time>> snap;
    template <class F>
    void each(F&& f) const {
      f(first);
      for (const Leaf& l : more) f(l);
    }
  };
  static constexpr Time kNoLanding = -3;  // Sent::snap: nothing had landed on the block
  // A written bio, for as long as one of its sendings may still land (or it is outstanding).
  struct WRoot {
    Time submitted = 0;
    Time acked = -1;
    std::uint32_t live = 0;  // sendings the device has neither completed nor dropped
    bool open = true;        // not completed yet
    bool fua = false;
  };
  // A write sending the device may still land: what judging its landing needs.
  struct WSend {
    int ns;
    std::uint32_t lba_size;
    std::uint32_t refs;  // a lone bio sent 64 times reuses its tag
    Leaf first;
    std::vector<Leaf> more;
    template <class F>
    void each(F&& f) const {
      f(first);
      for (const Leaf& l : more) f(l);
    }
  };
  static constexpr Time kUnknownTime = -2;
  // One landing on an LBA, with the facts of its write at the time it was judged.
  struct Land {
    std::uint64_t tag = 0, root = 0;
    Time submitted = kUnknownTime, acked = -1;  // acked: -1 not (yet), kUnknownTime not known
    bool fua = false;
  };
  static constexpr int kLands = 4;  // landings remembered per LBA (reads find their value here)
  struct LbaState {
    Land land[kLands];              // ring, newest at land[head]
    std::uint8_t nland = 0, head = 0;
    bool trimmed = false;           // a trim was sent here: reads of never-written data not judged
    bool floor_unknown = false;     // a power loss restored data whose write is no longer known
    // H(t) = latest submission of a write acknowledged at or before t: the last two steps.
    Time h_at[2] = {-1, -1}, h_val[2] = {-1, -1};
    std::uint64_t h_root[2] = {0, 0};
    bool h_dropped = false;         // older steps were dropped
    Time max_landed_sub = -1;       // latest submission among the writes whose data landed here
    std::uint64_t max_landed_root = 0;
    // The landings no longer in `land`: the latest acknowledgement among them, and whether one
    // was not (or not knowingly) acknowledged when it left. A read returning one of them is stale
    // if they were all acknowledged before its H; otherwise it cannot be judged.
    Time older_acked = -1;
    bool older_unclear = false;
    const Land* find(std::uint64_t tag) const;
    void push(const Land& l);
    // H just before t; kUnknownTime if that step was dropped.
    Time h_before(Time t, std::uint64_t* root) const;
  };

  void on_submitted(const events::BioSubmitted& e);
  void snapshot_read_h(Root& r, int ns, std::uint32_t lba_size);
  std::vector<std::pair<int, std::uint32_t>> job_ns_;  // job -> (namespace key, LBA size); size 0: not known yet
  void on_completed(const events::BioCompleted& e);
  void on_sent(const events::CommandSent& e);
  void on_device_done(const events::CommandCompleted& e);
  void on_failover(const events::Failover& e);
  void on_parked(const events::BioParked& e);
  void on_media_write(const events::MediaWrite& e);
  void on_read(const events::ReadReturned& e);
  void on_reverted(const events::MediaReverted& e);
  void on_dropped(const events::CommandDropped& e);
  void prune_read_waits();
  void sending_done(std::uint64_t tag, bool dropped);
  void unknown(const char* oracle, const char* reason) { ++unknown_[oracle][reason]; }
  void acked_write(std::uint64_t root, const Root& r, Time t);
  void on_path_state(const events::PathState& e);
  void on_ctrl_state(const events::CtrlStateChanged& e);

  void report(Violation v);
  void step(std::uint64_t root, Step s);
  void step(Root& r, Step s);  // the root already in hand
  std::vector<std::string> chain_of(std::uint64_t root) const;
  int ns_key(const std::string& ns);
  std::uint64_t lba_key(int ns, std::uint64_t lba) const { return (std::uint64_t(ns) << 48) | lba; }
  template <class F>
  bool each_leaf(std::uint64_t tag, int* path, F&& f);
  Root* find_root(std::uint64_t id);
  bool head_available(int head) const;
  void check_parked(Time now, bool at_end);
  void forget(std::uint64_t root);

  events::Bus& bus_;
  CheckerConfig cfg_;
  CheckerNames names_;
  std::vector<Violation> violations_;
  std::map<std::string, std::uint64_t> counts_;
  std::map<std::string, std::map<std::string, std::uint64_t>> unknown_;

  // Bio records by id, in a pool that reuses freed entries (no allocation per bio once warm;
  // entries never move, so Root pointers stay valid) and a flat index. The surface is the
  // subset of std::unordered_map the checker uses: find() gives nullptr for end().
  class RootTable {
   public:
    struct Entry {
      std::uint64_t first = 0;
      Root second;
    };
    Entry* find(std::uint64_t id) {
      const std::uint64_t i = index_.get(id);
      return i ? &pool_[i - 1] : nullptr;
    }
    const Entry* find(std::uint64_t id) const { return const_cast<RootTable*>(this)->find(id); }
    Entry* end() const { return nullptr; }
    Root& operator[](std::uint64_t id) {
      if (Entry* e = find(id)) return e->second;
      std::size_t i;
      if (!free_.empty()) {
        i = free_.back();
        free_.pop_back();
      } else {
        i = pool_.size();
        pool_.emplace_back();
      }
      pool_[i].first = id;
      index_.set(id, i + 1);
      ++size_;
      return pool_[i].second;
    }
    void erase(std::uint64_t id) {
      const std::uint64_t i = index_.get(id);
      if (!i) return;
      index_.erase(id);
      pool_[i - 1].second = Root{};  // frees its vectors and extra
      free_.push_back(static_cast<std::size_t>(i - 1));
      --size_;
    }
    std::size_t size() const { return size_; }
    // Every live entry, in index slot order (callers sort what reaches a result).
    template <class F>
    void for_each(F&& f) const {
      index_.for_each([&](std::uint64_t, std::uint64_t i) { f(pool_[i - 1].first, pool_[i - 1].second); });
    }

   private:
    std::deque<Entry> pool_;
    std::vector<std::size_t> free_;
    FlatU64Map index_;
    std::size_t size_ = 0;
  };
  RootTable roots_;  // outstanding, and completed roots kept for evidence
  std::deque<std::uint64_t> completed_writes_;     // the latter, oldest first (bounded)
  std::deque<std::uint64_t> completed_recent_;     // other completed roots, briefly
  // Highest bio id submitted per host (ids are per-host counters above a host base): a completion
  // of an id no longer tracked but not above it is a second completion.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> max_submitted_;
  std::unordered_map<std::uint64_t, Sent> sent_;   // data tag -> what it carried (merged or verified)
  std::unordered_map<std::uint64_t, Leaf> split_;  // a split bio's leaf -> its root and range
  std::uint64_t last_id_ = 0;
  Root* last_root_ = nullptr;
  // Per-LBA checks.
  std::map<std::string, int> ns_index_;
  std::vector<int> path_ns_;  // path id -> namespace key (-1: not known yet)
  std::unordered_map<std::uint64_t, WRoot> wroots_;  // written roots that may still land
  std::unordered_map<std::uint64_t, WSend> wsends_;  // write sendings that may still land
  // Per-LBA states in two tiers (docs/checking.md, "Memory"). A hot state is the whole LbaState;
  // a settled one (its newest landing acknowledged, H = that write, nothing else pending on it
  // that the checks could still need) is kept cold in 32 bytes, and turned hot again the moment
  // an event changes it. What going cold forgets is only the older landings: a read returning one
  // of them, or a power loss restoring one, is judged "unknown", never passed. The slot of an LBA
  // is found through pages of 64 LBAs (4 bytes each) in a flat map: no hash entry per LBA.
  struct Cold {
    std::uint64_t tag = 0, root = 0;
    Time acked = 0;
    std::uint32_t latency = 0;  // acknowledgement - submission
    std::uint8_t flags = 0;     // kColdFua, kColdTrimmed, kColdDropped
  };
  static constexpr std::uint8_t kColdFua = 1, kColdTrimmed = 2, kColdDropped = 4;
  static constexpr std::uint32_t kHotBit = 1u << 31;
  static constexpr std::size_t kHotCap = 4096;  // hot states beyond which settled ones go cold
  struct Hot {
    LbaState st;
    std::uint64_t key = 0;
    bool touched = false;  // changed since the clock hand last passed (second chance)
  };
  using LbaPage = std::array<std::uint32_t, 64>;  // 0 none, kHotBit | hot index, cold index + 1
  std::deque<Hot> hot_;
  std::vector<std::uint32_t> hot_free_;
  std::deque<std::uint32_t> hot_clock_;  // hot indexes, oldest first
  std::size_t hot_live_ = 0;
  std::deque<Cold> cold_;
  std::vector<std::uint32_t> cold_free_;
  std::size_t cold_live_ = 0;
  std::deque<LbaPage> lba_pages_;
  FlatU64Map lba_page_index_;  // key >> 6 -> page index + 1
  mutable LbaState lba_view_;  // a cold state, seen as an LbaState (valid until the next find_lba)
  std::uint32_t* lba_slot(std::uint64_t key, bool create);
  // The state of `key`, or nullptr; a cold one is returned as a read-only view.
  const LbaState* find_lba(std::uint64_t key) const;
  // The state of `key` to change, created or made hot as needed; `now` is the event's time.
  LbaState& lba(std::uint64_t key, Time now);
  std::uint32_t make_hot(std::uint64_t key, Time now);
  bool settled(const LbaState& st, Time now) const;
  bool cool_one(Time now);
  static void view_of(const Cold& c, LbaState& st);
  std::deque<std::uint64_t> read_waits_;  // verified reads completed by the device, awaiting data
  std::unordered_map<int, Time> flush_horizon_;  // ns -> latest submit time of a successful flush
  // Liveness.
  struct Parked {
    Time since;
    int head;
    std::uint64_t root;
  };
  std::map<std::uint64_t, Parked> parked_;  // leaf -> where and since when
  struct PathInfo {
    int head = -1, ctrl = -1;
    bool usable = false, attached = false;
  };
  std::map<int, PathInfo> paths_;
  std::vector<int> path_head_;  // path id -> head (dense copy of paths_ for the per-I/O lookups)
  std::map<int, Time> usable_since_;       // head -> since when some path is usable (absent: none)
  std::map<int, Time> unavailable_since_;  // head -> since when no path can come back
  std::map<int, std::string> ctrl_state_;
  std::set<int> failfast_;
};

}  // namespace sim::check
