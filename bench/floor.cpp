// The floor of nvmsim_bench (floor.hpp): the binary-heap event loop and its JSON.
#include "floor.hpp"

#include <queue>
#include <utility>

#include "harness.hpp"

namespace bench {

namespace {

struct FloorEv {
  std::int64_t t;  // ns
  std::uint64_t seq;
  std::uint32_t kind, req;
};
struct FloorLater {
  bool operator()(const FloorEv& a, const FloorEv& b) const {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }
};

}  // namespace

FloorSample run_floor(std::uint64_t n_ios) {
  constexpr std::uint32_t kQd = 32;
  constexpr std::int64_t kLatency = 10'000;  // one way, ns
  enum : std::uint32_t { kArrive, kServiceEnd, kCompletionArrive };
  std::vector<FloorEv> store;
  store.reserve(2 * kQd);
  std::priority_queue<FloorEv, std::vector<FloorEv>, FloorLater> q(FloorLater{}, std::move(store));
  std::uint64_t x = 0x9E3779B97F4A7C15ull;  // xorshift64 state
  auto service = [&x]() -> std::int64_t {   // [5000, 15000] ns
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return 5'000 + static_cast<std::int64_t>(((x >> 32) * 10'001) >> 32);
  };
  std::uint64_t seq = 0, done = 0, sum = 0;
  const auto t0 = Clock::now();
  const double c0 = thread_cpu_s();
  for (std::uint32_t r = 0; r < kQd; ++r) q.push({kLatency, seq++, kArrive, r});
  while (done < n_ios) {
    const FloorEv e = q.top();
    q.pop();
    switch (e.kind) {
      case kArrive: q.push({e.t + service(), seq++, kServiceEnd, e.req}); break;
      case kServiceEnd: q.push({e.t + kLatency, seq++, kCompletionArrive, e.req}); break;
      default:  // the I/O is complete; the closed loop submits the next one at once
        ++done;
        sum += static_cast<std::uint64_t>(e.t) ^ e.req;
        q.push({e.t + kLatency, seq++, kArrive, e.req});
    }
  }
  const double wall = since(t0), cpu = thread_cpu_s() - c0;
  return {static_cast<double>(done) / wall, static_cast<double>(done) / cpu, sum};
}

std::vector<double> floor_rates(const std::vector<FloorSample>& f, bool by_cpu) {
  std::vector<double> v;
  for (const auto& x : f) v.push_back(by_cpu ? x.ios_per_cpu_s : x.ios_per_s);
  return v;
}

json floor_json(const std::vector<FloorSample>& f) {
  std::vector<double> sums;
  for (const auto& x : f) sums.push_back(static_cast<double>(x.checksum % 1000003));
  return {{"ios_per_wall_s", stats(floor_rates(f))},
          {"ios_per_cpu_s", stats(floor_rates(f, true))},
          {"checksum_mod_1000003", sums}};
}

}  // namespace bench
