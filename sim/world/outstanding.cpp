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
    ios_[e.bio] = io;
  });
  bus.subscribe<events::CommandSent>([this](const events::CommandSent& e) {
    std::vector<std::uint64_t> roots;
    for (const auto& b : e.bios) {
      auto it = ios_.find(b.root);
      if (it == ios_.end()) continue;
      OutstandingIo& io = it->second;
      io.state = WaitState::InFlight;
      io.since = e.t;
      io.path = e.path;
      io.tag = e.tag;
      io.head = -1;
      io.until = -1;
      if (roots.empty() || roots.back() != b.root) roots.push_back(b.root);
    }
    if (!roots.empty()) tags_[e.tag] = std::move(roots);
  });
  bus.subscribe<events::Failover>([this](const events::Failover& e) { on_failover(e); });
  bus.subscribe<events::BioParked>([this](const events::BioParked& e) {
    auto it = ios_.find(e.root);
    if (it == ios_.end()) return;
    OutstandingIo& io = it->second;
    io.state = e.parked ? WaitState::Parked : WaitState::Requeued;
    io.since = e.t;
    io.head = e.head;
    io.until = -1;
  });
  bus.subscribe<events::BioCompleted>([this](const events::BioCompleted& e) {
    auto it = ios_.find(e.bio);
    if (it == ios_.end()) return;
    if (it->second.tag != 0) tags_.erase(it->second.tag);
    ios_.erase(it);
  });
}

void OutstandingTracker::on_failover(const events::Failover& e) {
  auto t = tags_.find(e.tag);
  if (t == tags_.end()) return;
  for (std::uint64_t root : t->second) {
    auto it = ios_.find(root);
    if (it == ios_.end() || it->second.tag != e.tag) continue;
    OutstandingIo& io = it->second;
    if (e.release_at < 0) io.state = WaitState::HeldCcr;
    else if (e.release_at > e.t) io.state = WaitState::Held;
    else continue;  // released at once: the requeue list (BioParked) comes next
    io.since = e.t;
    io.until = e.release_at;
  }
  tags_.erase(t);
}

std::vector<OutstandingIo> OutstandingTracker::outstanding() const {
  std::vector<OutstandingIo> out;
  out.reserve(ios_.size());
  for (const auto& [id, io] : ios_) out.push_back(io);
  std::stable_sort(out.begin(), out.end(), [](const OutstandingIo& a, const OutstandingIo& b) {
    return a.submitted != b.submitted ? a.submitted < b.submitted : a.bio < b.bio;
  });
  return out;
}

}  // namespace sim::world
