// The floor of nvmsim_bench: a plain C++ binary-heap event loop, the cost of a hand-written
// simulation of the same shape as the throughput scenarios, and its JSON.
//
// Integer-nanosecond times, a POD event in a std::priority_queue ordered by (t, seq), three events
// per I/O (request arrives, service ends, completion arrives), closed loop at QD 32, xorshift64
// service times in [5, 15] us, a fixed 10 us latency each way. The throughput figures are nvmsim's
// simulated I/O per wall-second divided by it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace bench {

using json = nlohmann::ordered_json;  // keys in the order written: id, name, value, goal, ...

struct FloorSample {
  double ios_per_s = 0;
  double ios_per_cpu_s = 0;  // per second of CPU time of the loop (less sensitive to other load)
  std::uint64_t checksum = 0;  // sum over completions, so the loop cannot be optimised away
};

// Runs the loop until n_ios I/O have completed.
FloorSample run_floor(std::uint64_t n_ios);

std::vector<double> floor_rates(const std::vector<FloorSample>& f, bool by_cpu = false);

json floor_json(const std::vector<FloorSample>& f);

}  // namespace bench
