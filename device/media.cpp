#include "device/media.hpp"

#include <algorithm>
#include <cmath>

namespace device {
namespace {
// Namespace and LBA folded into one key: NSIDs stay far below 2^20 in any scenario.
std::uint64_t key(std::uint32_t nsid, std::uint64_t lba) {
  return (static_cast<std::uint64_t>(nsid) << 44) ^ lba;
}
}  // namespace

Media::Media(const sim::scenario::Media& cfg, bool vwc, sim::Rng rng)
    : cfg_(cfg), vwc_(vwc), rng_(rng) {
  slot_free_.assign(static_cast<std::size_t>(cfg_.parallelism), 0);  // all free: a valid min-heap
}

sim::Time Media::base_latency(MediaOp op, bool fua) const {
  switch (op) {
    case MediaOp::Read: return cfg_.read_latency;
    // Without a volatile cache (or with FUA) a write is only done once it is on the media; the
    // scenario's write_latency is the to-cache figure, so charge a flush on top.
    case MediaOp::Write: return cfg_.write_latency + ((!vwc_ || fua) ? cfg_.flush_latency : 0);
    case MediaOp::Flush: return vwc_ ? cfg_.flush_latency : 0;
    case MediaOp::Trim: return cfg_.write_latency;
  }
  return 0;
}

// Every distribution keeps the mean at `base`, so the scenario's latencies stay the averages.
sim::Time Media::jittered(sim::Time base) {
  using sim::scenario::JitterDist;
  double f = 1.0;
  switch (cfg_.jitter.dist) {
    case JitterDist::None: return base;
    case JitterDist::Uniform: f = 1.0 + cfg_.jitter.spread * (2.0 * rng_.uniform() - 1.0); break;
    case JitterDist::Exp: f = rng_.exponential(1.0); break;
    case JitterDist::Lognormal: {
      const double s = cfg_.jitter.sigma;
      f = std::exp(s * rng_.standard_normal() - 0.5 * s * s);
      break;
    }
  }
  return std::max<sim::Time>(0, std::llround(static_cast<double>(base) * f));
}

sim::Time Media::schedule(sim::Time now, MediaOp op, std::uint64_t bytes, bool fua) {
  ++ops_;
  const sim::Time start = std::max(now, slot_free_.front());
  const sim::Time lat = jittered(base_latency(op, fua));
  sim::Time end = start + lat;
  if (bytes > 0 && (op == MediaOp::Read || op == MediaOp::Write)) {
    // Data shares one pipe: a large transfer holds it, small ones barely touch it.
    const sim::Time pipe_start = std::max(start, pipe_busy_until_);
    pipe_busy_until_ = pipe_start + sim::transfer_time(bytes, cfg_.bandwidth);
    end = std::max(end, pipe_busy_until_);
  }
  replace_earliest_slot(end);
  return end;
}

// The earliest-free slot now frees at `end`: one sift-down instead of a pop and a push.
void Media::replace_earliest_slot(sim::Time end) {
  const std::size_t n = slot_free_.size();
  std::size_t i = 0;
  for (;;) {
    std::size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && slot_free_[c + 1] < slot_free_[c]) ++c;
    if (slot_free_[c] >= end) break;
    slot_free_[i] = slot_free_[c];
    i = c;
  }
  slot_free_[i] = end;
}

void Media::remember_durable(std::uint64_t k) {
  if (volatile_prev_.contains(k)) return;  // an older volatile overwrite already saved it
  volatile_prev_.set(k, tokens_.get(k));
}

void Media::land_write(std::uint32_t nsid, std::uint64_t slba, std::uint32_t nlb,
                       std::uint64_t token, bool fua) {
  const bool durable = fua || !vwc_;
  for (std::uint32_t i = 0; i < nlb; ++i) {
    const std::uint64_t k = key(nsid, slba + i);
    // A durable write makes this LBA's current content the durable one; an empty map (no VWC, or
    // everything flushed) keeps the common path to one lookup.
    if (durable) {
      if (!volatile_prev_.empty()) volatile_prev_.erase(k);
    } else {
      remember_durable(k);
    }
    tokens_.set(k, token);
  }
}

void Media::trim(std::uint32_t nsid, std::uint64_t slba, std::uint32_t nlb) {
  for (std::uint32_t i = 0; i < nlb; ++i) {
    const std::uint64_t k = key(nsid, slba + i);
    if (vwc_) remember_durable(k);
    tokens_.erase(k);
  }
}

void Media::flush(std::uint32_t nsid) {
  if (nsid == 0xFFFFFFFF) {
    volatile_prev_.clear();
    return;
  }
  volatile_prev_.retain([nsid](std::uint64_t k, std::uint64_t) { return (k >> 44) != nsid; });
}

std::vector<Media::Reverted> Media::lose_volatile() {
  std::vector<Reverted> out;
  out.reserve(volatile_prev_.size());
  volatile_prev_.for_each([&](std::uint64_t k, std::uint64_t durable) {
    const std::uint64_t lost = tokens_.get(k);
    out.push_back({static_cast<std::uint32_t>(k >> 44), k & ((1ull << 44) - 1), lost, durable});
    if (durable == 0)
      tokens_.erase(k);
    else
      tokens_.set(k, durable);
  });
  volatile_prev_.clear();
  // The map's order is its slots': sort so that what is reported does not depend on it.
  std::sort(out.begin(), out.end(), [](const Reverted& a, const Reverted& b) {
    return a.nsid != b.nsid ? a.nsid < b.nsid : a.lba < b.lba;
  });
  return out;
}

std::uint64_t Media::token_at(std::uint32_t nsid, std::uint64_t lba) const {
  return tokens_.get(key(nsid, lba));
}

}  // namespace device
