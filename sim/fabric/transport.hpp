#pragma once
// Per-transport defaults: link parameters a scenario gets when it does not say, capsule sizes on
// the wire, and the host-side per-command software cost of the transport. Figures are judgement
// from public numbers (nvme-spec-facts.md section 9.2); every one can be overridden per link.
#include <cstdint>

#include "sim/scenario/scenario.hpp"
#include "sim/time.hpp"

namespace sim::fabric {

struct TransportDefaults {
  Time link_latency;              // one-way propagation + switching
  std::uint64_t link_bandwidth;   // bytes per second, per direction
  std::uint32_t command_bytes;    // command capsule (SQE + transport header)
  std::uint32_t response_bytes;   // response capsule (CQE + transport header)
  bool keep_alive;                // fabrics transports run keep-alive; PCIe does not
};

constexpr TransportDefaults transport_defaults(scenario::Transport t) {
  switch (t) {
    case scenario::Transport::Tcp:  // 25 Gb/s Ethernet; PDU header 8 B + digest-free capsule
      return {10 * kMicrosecond, 3'125'000'000ull, 72, 24, true};
    case scenario::Transport::Rdma:  // 100 Gb/s RoCE
      return {3 * kMicrosecond, 12'500'000'000ull, 64, 16, true};
    case scenario::Transport::Fc:  // 32GFC
      return {6 * kMicrosecond, 3'200'000'000ull, 96, 32, true};
    case scenario::Transport::Pcie:  // Gen4 x4 port of a dual-port drive
      return {1 * kMicrosecond, 7'880'000'000ull, 64, 16, false};
  }
  return {10 * kMicrosecond, 3'125'000'000ull, 72, 24, true};
}

}  // namespace sim::fabric
