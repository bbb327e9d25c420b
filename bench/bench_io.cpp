// Simulated I/O completions per wall-second, next to the floor: a plain C++ binary-heap event
// loop running the same closed-loop shape (simgrid-notes.md 3.3), measured in the same process.
//
//   ./build/release/bench/nvmsim_bench
//
// BM_Nvmsim runs bench/bench-2path-qd32.yaml (2 paths, QD 32, 4 KiB random reads) in a forked
// child (one SimGrid engine per process) and reports the child's own measurement.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <queue>
#include <random>
#include <vector>

#include "sim/api/api.hpp"
#include "sim/scenario/loader.hpp"

namespace {

// The floor: POD events {t, seq, kind, req} in a std::priority_queue ordered by (t, seq); per I/O
// three events (request arrives, service ends, completion arrives) over an analytic FIFO link,
// QD 32 over 2 paths, service U[5,15] us.
void BM_PlainHeapLoop(benchmark::State& state) {
  struct Ev {
    double t;
    std::uint64_t seq;
    std::uint32_t kind, req;
  };
  struct Later {
    bool operator()(const Ev& a, const Ev& b) const { return a.t != b.t ? a.t > b.t : a.seq > b.seq; }
  };
  const std::uint64_t kIos = 2'000'000;
  std::uint64_t total = 0;
  for (auto _ : state) {
    std::priority_queue<Ev, std::vector<Ev>, Later> q;
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> svc(5e-6, 15e-6);
    double link_free[2][2] = {{0, 0}, {0, 0}};
    const double lat = 10e-6, bw = 10e9;
    std::uint64_t seq = 0, done = 0;
    auto send = [&](double now, int path, int dir, double bytes) {
      double& f = link_free[path][dir];
      f = std::max(now, f) + bytes / bw;
      return f + lat;
    };
    for (std::uint32_t r = 0; r < 32; ++r) q.push({send(0, r % 2, 0, 4096), seq++, 0, r});
    while (done < kIos) {
      Ev e = q.top();
      q.pop();
      switch (e.kind) {
        case 0: q.push({e.t + svc(rng), seq++, 1, e.req}); break;
        case 1: q.push({send(e.t, e.req % 2, 1, 16), seq++, 2, e.req}); break;
        default:
          ++done;
          q.push({send(e.t, e.req % 2, 0, 4096), seq++, 0, e.req});
      }
    }
    total += done;
    benchmark::DoNotOptimize(done);
  }
  state.counters["ios_per_wall_s"] = benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PlainHeapLoop)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_Nvmsim(benchmark::State& state) {
  const auto s = sim::scenario::load_file(std::string(NVMSIM_SOURCE_DIR) + "/bench/bench-2path-qd32.yaml");
  double ios = 0, wall = 0, events = 0;
  for (auto _ : state) {
    const auto r = sim::api::run_forked(s);
    if (r.exit_code != 0) {
      state.SkipWithError(r.error.c_str());
      return;
    }
    ios += static_cast<double>(r.ios);
    wall += r.wall_seconds;
    events += static_cast<double>(r.events);
    state.SetIterationTime(r.wall_seconds);
  }
  state.counters["ios_per_wall_s"] = ios / wall;
  state.counters["events_per_io"] = events / ios;
}
BENCHMARK(BM_Nvmsim)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
