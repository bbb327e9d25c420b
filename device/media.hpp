#pragma once
// Shared media behind every controller of a subsystem: `parallelism` operations in service at
// once, each taking its base latency times a jitter factor, with all data moving through one
// pipe of `bandwidth`. Operations start in arrival order (FIFO), so the whole service schedule of
// an operation is known when it arrives: no queue of waiting operations is needed.
//
// The media keeps a version token per written LBA: the id of the last write that landed there.
// Oracles compare what reads return with what writes were acknowledged.
//
// Durability (nvme-spec-facts.md 7.2): with a volatile write cache (VWC) a write that lands sits in
// the cache until a Flush; a FUA write, or any write without VWC, is durable as it lands. For each
// LBA overwritten since the last flush the media remembers the durable token from before the
// first volatile overwrite; a power loss reverts those LBAs to it.
#include <cstdint>
#include <vector>

#include "sim/flat_map.hpp"
#include "sim/rng.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/time.hpp"

namespace device {

enum class MediaOp : std::uint8_t { Read, Write, Flush, Trim };

class Media {
 public:
  Media(const sim::scenario::Media& cfg, bool vwc, sim::Rng rng);

  // When an operation of `bytes` arriving at `now` finishes. Reserves the service slot.
  sim::Time schedule(sim::Time now, MediaOp op, std::uint64_t bytes, bool fua);

  // Version tokens: a write lands (all its LBAs get `token`), a read looks them up (0 = never
  // written), a trim deallocates. A trim is a cached metadata change: volatile like a plain write.
  void land_write(std::uint32_t nsid, std::uint64_t slba, std::uint32_t nlb, std::uint64_t token,
                  bool fua = false);
  void trim(std::uint32_t nsid, std::uint64_t slba, std::uint32_t nlb);
  std::uint64_t token_at(std::uint32_t nsid, std::uint64_t lba) const;

  // A Flush finished: everything landed in `nsid` so far (every namespace for 0xFFFFFFFF) is
  // durable.
  void flush(std::uint32_t nsid);
  // Power is gone: the volatile cache's content is lost, every LBA changed since its last flush
  // reads its last durable token again.
  // Power loss: LBAs that only the volatile cache held go back to their durable data. Returns
  // what was reverted, sorted by (nsid, lba).
  struct Reverted {
    std::uint32_t nsid;
    std::uint64_t lba;
    std::uint64_t lost, restored;
  };
  std::vector<Reverted> lose_volatile();
  // LBAs whose current token would not survive a power loss.
  std::size_t volatile_lbas() const { return volatile_prev_.size(); }

  std::uint64_t ops() const { return ops_; }

 private:
  sim::Time base_latency(MediaOp op, bool fua) const;
  sim::Time jittered(sim::Time base);
  void remember_durable(std::uint64_t key);

  sim::scenario::Media cfg_;
  bool vwc_;
  sim::Rng rng_;
  void replace_earliest_slot(sim::Time end);
  // Times at which each of the `parallelism` service slots frees up (binary min-heap).
  std::vector<sim::Time> slot_free_;
  sim::Time pipe_busy_until_ = 0;
  std::uint64_t ops_ = 0;
  // Lookups only; never iterated, so the slot order cannot leak into results.
  sim::FlatU64Map tokens_;
  // Durable token (0 = none) of each LBA changed in the cache since its last flush. Reverting
  // treats entries independently (and sorts what it reports), so its slot order cannot change a result.
  sim::FlatU64Map volatile_prev_;
};

}  // namespace device
