#include "sim/fabric/link.hpp"

#include <algorithm>

#include "sim/assert.hpp"

namespace sim::fabric {

Link::Link(std::string name, engine::Calendar& cal, engine::LinkHandle handle, TransportDefaults tp)
    : name_(std::move(name)),
      cal_(cal),
      handle_(handle),
      tp_(tp),
      latency_(handle ? handle.latency() : tp.link_latency),
      bandwidth_(handle ? handle.bandwidth() : tp.link_bandwidth) {}

void Link::set_latency(Time t) {
  latency_ = t;
  if (handle_) handle_.set_latency(t);
}

void Link::set_bandwidth(std::uint64_t b) {
  bandwidth_ = b;
  if (handle_) handle_.set_bandwidth(b);
}

std::uint32_t Link::open_association(CapsuleSink* host, CapsuleSink* device) {
  assoc_.push_back(Association{host, device, true});
  return static_cast<std::uint32_t>(assoc_.size() - 1);
}

void Link::close_association(std::uint32_t assoc, Side closer, bool notify_peer) {
  Association& a = assoc_.at(assoc);
  if (!a.open) return;
  a.open = false;
  if (!up_ || !notify_peer) return;  // nothing reaches the peer; it finds out by timeout
  CapsuleSink* peer = closer == Side::Host ? a.device : a.host;
  const std::uint64_t epoch = epoch_;
  cal_.call_in(latency_, [this, peer, assoc, epoch]() {
    if (epoch == epoch_) peer->on_transport_error(assoc);
  });
}

void Link::set_loss(double p, Rng rng) {
  loss_ = p;
  loss_rng_ = rng;
}

Time Link::transmit(Side from, std::uint32_t bytes) {
  Direction& d = dir_[static_cast<int>(from)];
  const Time start = std::max(cal_.now(), d.busy_until);
  const Time ser = transfer_time(bytes, bandwidth_);
  d.busy_until = start + ser;
  d.busy += ser;
  d.bytes += bytes;
  ++d.capsules;
  Time retransmit = 0;
  if (loss_ > 0 && loss_rng_.uniform() < loss_) retransmit = 200 * kMillisecond;
  // In-order delivery even if the latency was lowered meanwhile.
  const Time arrival = std::max(d.busy_until + latency_ + retransmit, d.last_arrival);
  d.last_arrival = arrival;
  return arrival;
}

bool Link::send_command(std::uint32_t assoc, const nvme::Command& c) {
  if (!up_ || !is_open(assoc)) return false;
  const Time arrival = transmit(Side::Host, tp_.command_bytes + c.data_bytes);
  commands_.push(cal_, arrival, this, 0, epoch_, {assoc, c});
  return true;
}

bool Link::send_completion(std::uint32_t assoc, nvme::Completion&& c) {
  if (!up_ || !is_open(assoc)) return false;
  const Time arrival = transmit(Side::Device, tp_.response_bytes + c.data_bytes);
  completions_.push(cal_, arrival, this, 1, epoch_, {assoc, std::move(c)});
  return true;
}

std::string Link::describe_event(std::uint32_t kind, std::uint64_t) const {
  return "link " + name_ + (kind == 0 ? ": command capsule arrival" : ": completion capsule arrival");
}

void Link::on_event(std::uint32_t kind, std::uint64_t epoch) {
  if (epoch != epoch_) return;  // lost when the link went down
  if (kind == 0) {
    const InFlight<nvme::Command> f = commands_.pop(cal_, this, 0, epoch_);
    const Association& a = assoc_[f.assoc];
    if (a.open) a.device->on_command(f.capsule);
    return;
  }
  InFlight<nvme::Completion> f = completions_.pop(cal_, this, 1, epoch_);
  const Association& a = assoc_[f.assoc];
  if (a.open) a.host->on_completion(std::move(f.capsule));
}

void Link::go_down(bool reset) {
  ++epoch_;
  commands_.clear();
  completions_.clear();
  up_ = false;
  for (auto& d : dir_) {
    d.busy_until = std::min(d.busy_until, cal_.now());
    d.last_arrival = 0;
  }
  if (handle_) handle_.set_on(false);
  if (reset) {
    for (std::uint32_t i = 0; i < assoc_.size(); ++i) {
      Association& a = assoc_[i];
      if (!a.open) continue;
      a.open = false;
      a.host->on_transport_error(i);
      a.device->on_transport_error(i);
    }
  }
}

void Link::go_up() {
  up_ = true;
  if (handle_) handle_.set_on(true);
}

}  // namespace sim::fabric
