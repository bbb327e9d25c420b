#pragma once
// A fabric link between a host and a subsystem port (architecture section 5). Per direction:
// FIFO serialisation (busy_until) at the link's bandwidth, then the link's propagation latency,
// both read from the SimGrid link. Capsules are delivered in order, like a TCP stream or an RDMA
// queue pair. A link that goes down loses everything in flight; the ends learn of it only the
// NVMe-oF way (transport error, timeout, keep-alive expiry), never from the link itself.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "sim/engine/calendar.hpp"
#include "sim/engine/engine.hpp"
#include "sim/engine/lane.hpp"
#include "sim/fabric/transport.hpp"
#include "sim/nvme/nvme.hpp"
#include "sim/rng.hpp"

namespace sim::fabric {

enum class Side : std::uint8_t { Host = 0, Device = 1 };

// One end of an association (an NVMe-oF connection set: admin + I/O queues of one controller).
class CapsuleSink {
 public:
  virtual void on_command(const nvme::Command&) {}
  virtual void on_completion(nvme::Completion&&) {}
  // The transport connection of association `assoc` broke (TCP reset, QP error, or the peer
  // closed it): in-flight capsules are gone. A sink ignores associations it no longer uses.
  virtual void on_transport_error(std::uint32_t /*assoc*/) {}

 protected:
  ~CapsuleSink() = default;
};

class Link final : public engine::EventTarget {
 public:
  Link(std::string name, engine::Calendar& cal, engine::LinkHandle handle, TransportDefaults tp);

  const std::string& name() const { return name_; }
  const TransportDefaults& transport() const { return tp_; }

  // A new association over this link; returns its id. Both sinks must outlive the association.
  std::uint32_t open_association(CapsuleSink* host, CapsuleSink* device);
  // `closer` ends the association (socket close, QP destroy). Capsules still in flight for it are
  // dropped; if the link is up the peer learns of it one link latency later (a FIN/RST arriving)
  // through on_transport_error. With `notify_peer` false the peer is never told (the closer lost
  // power: no FIN/RST leaves it), so it finds out by timeout as on a dead link.
  void close_association(std::uint32_t assoc, Side closer, bool notify_peer = true);
  // A capsule for an association that is closed (or was never opened) has no connection to go on.
  bool is_open(std::uint32_t assoc) const { return assoc < assoc_.size() && assoc_[assoc].open; }

  // Sends a capsule; it arrives at the other side after serialisation and latency unless the link
  // or the association dies first. Returns false when the link is down (the capsule is lost).
  bool send_command(std::uint32_t assoc, const nvme::Command& c);
  bool send_completion(std::uint32_t assoc, nvme::Completion&& c);

  bool is_up() const { return up_; }
  Time latency() const { return latency_; }
  std::uint64_t bandwidth() const { return bandwidth_; }
  void set_latency(Time t);
  void set_bandwidth(std::uint64_t bytes_per_s);
  // Capsule loss as the transport sees it: a lost segment is retransmitted after the minimum
  // retransmission timeout (TCP_RTO_MIN, 200 ms), holding back everything behind it (in-order
  // delivery). `p` is the loss probability per capsule.
  void set_loss(double p, Rng rng);
  // Link failure: everything in flight is lost. With `reset`, both ends of every association get
  // on_transport_error() at once (a connection reset), otherwise nothing tells them.
  void go_down(bool reset);
  void go_up();

  std::uint64_t bytes_sent(Side from) const { return dir_[static_cast<int>(from)].bytes; }
  std::uint64_t capsules_sent(Side from) const { return dir_[static_cast<int>(from)].capsules; }
  Time busy_time(Side from) const { return dir_[static_cast<int>(from)].busy; }

  void on_event(std::uint32_t kind, std::uint64_t arg) override;
  std::string describe_event(std::uint32_t kind, std::uint64_t arg) const override;

 private:
  template <class Capsule>
  struct InFlight {
    std::uint32_t assoc;
    Capsule capsule;
  };
  struct Direction {
    Time busy_until = 0;
    Time last_arrival = 0;
    std::uint64_t bytes = 0;
    std::uint64_t capsules = 0;
    Time busy = 0;
  };
  struct Association {
    CapsuleSink* host = nullptr;
    CapsuleSink* device = nullptr;
    bool open = false;
  };

  Time transmit(Side from, std::uint32_t bytes);

  std::string name_;
  engine::Calendar& cal_;
  engine::LinkHandle handle_;
  TransportDefaults tp_;
  Direction dir_[2];
  // Host -> device carries commands, device -> host completions; each stream is a FIFO lane
  // (one calendar event armed per direction, whatever is in flight).
  engine::Lane<InFlight<nvme::Command>> commands_;
  engine::Lane<InFlight<nvme::Completion>> completions_;
  // Link parameters as last set through this object; SimGrid's link holds the same values (the
  // per-capsule path must not call into SimGrid).
  Time latency_;
  std::uint64_t bandwidth_;
  bool up_ = true;
  double loss_ = 0;
  Rng loss_rng_{0, "loss"};
  std::vector<Association> assoc_;
  std::uint64_t epoch_ = 0;
};

}  // namespace sim::fabric
