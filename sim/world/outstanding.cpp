#include "sim/world/outstanding.hpp"

#include <algorithm>

namespace sim::world {

const char* to_string(WaitState s) {
  switch (s) {
    case WaitState::NotSent: return "waiting for a tag";
    case WaitState::InFlight: return "in flight";
    case WaitState::Held: return "held by failover hold";
    case WaitState::HeldCcr: return "held for cross-controller reset";
    case WaitState::Parked: return "parked";
    case WaitState::Requeued: return "requeue pending";
  }
  return "?";
}

OutstandingTracker::OutstandingTracker(events::Bus& bus) {
  bus.subscribe<events::BioSubmitted>([this](const events::BioSubmitted& e) {
    OutstandingIo io;
    io.bio = e.bio;
    io.job = e.job;
    io.submitted = e.t;
    io.since = e.t;
    OutstandingIo& slot = slots_[e.bio & (kSlots - 1)];
    if (slot.bio != 0 && slot.bio != e.bio) overflow_.insert_or_assign(slot.bio, slot);
    slot = io;
  });
  bus.subscribe<events::CommandSent>([this](const events::CommandSent& e) {
    if (!holds_.empty()) holds_.erase(e.tag);  // a tag can come back after 64 sendings
    std::uint64_t last = 0;
    for (const auto& b : e.bios) {
      if (b.root == last) continue;  // the leaves of one split bio are adjacent
      last = b.root;
      OutstandingIo* found = find(b.root);
      if (!found) continue;
      OutstandingIo& io = *found;
      io.state = WaitState::InFlight;
      io.since = e.t;
      io.path = e.path;
      io.tag = e.tag;
      io.head = -1;
      io.until = -1;
    }
  });
  bus.subscribe<events::Failover>([this](const events::Failover& e) {
    if (e.release_at < 0 || e.release_at > e.t) holds_[e.tag] = {e.t, e.release_at};
  });
  bus.subscribe<events::BioParked>([this](const events::BioParked& e) {
    OutstandingIo* found = find(e.root);
    if (!found) return;
    OutstandingIo& io = *found;
    io.state = e.parked ? WaitState::Parked : WaitState::Requeued;
    io.since = e.t;
    io.head = e.head;
    io.until = -1;
  });
  bus.subscribe<events::BioCompleted>([this](const events::BioCompleted& e) {
    OutstandingIo& slot = slots_[e.bio & (kSlots - 1)];
    if (slot.bio == e.bio) slot.bio = 0;
    else if (!overflow_.empty()) overflow_.erase(e.bio);
  });
  slots_.resize(kSlots);
}

OutstandingIo* OutstandingTracker::find(std::uint64_t bio) {
  OutstandingIo& slot = slots_[bio & (kSlots - 1)];
  if (slot.bio == bio) return &slot;
  if (overflow_.empty()) return nullptr;
  auto it = overflow_.find(bio);
  return it == overflow_.end() ? nullptr : &it->second;
}

std::size_t OutstandingTracker::count() const {
  std::size_t n = overflow_.size();
  for (const OutstandingIo& s : slots_) n += s.bio != 0 ? 1 : 0;
  return n;
}

std::vector<OutstandingIo> OutstandingTracker::outstanding() const {
  std::vector<OutstandingIo> out;
  std::vector<const OutstandingIo*> live;
  for (const OutstandingIo& s : slots_)
    if (s.bio != 0) live.push_back(&s);
  for (const auto& [id, io] : overflow_) live.push_back(&io);
  out.reserve(live.size());
  for (const OutstandingIo* p : live) {
    const OutstandingIo& io = *p;
    out.push_back(io);
    // A sending failed over into a hold: the bio waits for the hold's release (or the CCR).
    if (io.state != WaitState::InFlight) continue;
    auto h = holds_.find(io.tag);
    if (h == holds_.end()) continue;
    OutstandingIo& x = out.back();
    x.state = h->second.until < 0 ? WaitState::HeldCcr : WaitState::Held;
    x.since = h->second.t;
    x.until = h->second.until;
  }
  std::sort(out.begin(), out.end(), [](const OutstandingIo& a, const OutstandingIo& b) {
    return a.submitted != b.submitted ? a.submitted < b.submitted : a.bio < b.bio;
  });
  return out;
}

}  // namespace sim::world
