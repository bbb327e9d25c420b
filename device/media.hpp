#pragma once
// Shared media behind every controller of a subsystem: `parallelism` operations in service at
// once, each taking its base latency times a jitter factor, with all data moving through one
// pipe of `bandwidth`. Operations start in arrival order (FIFO), so the whole service schedule of
// an operation is known when it arrives: no queue of waiting operations is needed.
//
// The media keeps a version token per written LBA: the id of the last write that landed there.
// Oracles compare what reads return with what writes were acknowledged.
#include <cstdint>
#include <queue>
#include <unordered_map>
#include <vector>

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
  // written), a trim deallocates.
  void land_write(std::uint32_t nsid, std::uint64_t slba, std::uint32_t nlb, std::uint64_t token);
  void trim(std::uint32_t nsid, std::uint64_t slba, std::uint32_t nlb);
  std::uint64_t token_at(std::uint32_t nsid, std::uint64_t lba) const;

  std::uint64_t ops() const { return ops_; }

 private:
  sim::Time base_latency(MediaOp op, bool fua) const;
  sim::Time jittered(sim::Time base);

  sim::scenario::Media cfg_;
  bool vwc_;
  sim::Rng rng_;
  // Times at which each of the `parallelism` service slots frees up (min-heap).
  std::priority_queue<sim::Time, std::vector<sim::Time>, std::greater<>> slot_free_;
  sim::Time pipe_busy_until_ = 0;
  std::uint64_t ops_ = 0;
  // Lookups only; never iterated, so the hash order cannot leak into results.
  std::unordered_map<std::uint64_t, std::uint64_t> tokens_;
};

}  // namespace device
