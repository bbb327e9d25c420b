#pragma once
// sim/world assembles a scenario (the ns-3 "helper" role): SimGrid platform, links, subsystems,
// hosts, connects and workloads; it runs the simulation and turns what the event bus saw into
// results.json, summary.txt and timeseries.csv. Models never parse YAML and never write reports.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "sim/time.hpp"
#include "sim/world/decision_trace.hpp"
#include "sim/world/report.hpp"

namespace sim::engine {
class Engine;
}

namespace sim::world {

struct Progress {
  Time now = 0;
  Time end = 0;
  std::uint64_t events = 0;
  std::uint64_t ios = 0;
};

struct RunOptions {
  std::function<void(const Progress&)> progress;
  DecisionTraceOptions decision_trace;  // file empty = none (nothing subscribes)
  std::vector<std::string> overrides;   // --set values as given (replay command, results.json)
  std::string host_core;                // --host-core, "" = none
};

struct RunOutput {
  int exit_code = 0;  // 0 all expectations held, 1 an expectation was violated
  nlohmann::ordered_json results;  // results.json without the "wall" figures
  std::string summary;
  std::string timeseries_csv;
  std::vector<std::pair<std::string, std::string>> fio_logs;  // (file name, text), report.fio_logs
  std::string violations_json;
  std::vector<HostTopology> topology;
  std::uint64_t events = 0;
  std::uint64_t ios = 0;
};

// Checks what can only be checked against the assembled topology (workload targets that will
// never exist) and the features this build does not have. Throws scenario::InputError.
void check_runnable(const scenario::Scenario& s);
// The part of check_runnable that is about the file itself (workload targets and block sizes
// against the topology), not about this build's features: what `nvmsim validate` checks too.
void check_topology(const scenario::Scenario& s);

// Builds and runs the scenario on `engine` (the process's one SimGrid engine).
RunOutput run_world(const scenario::Scenario& s, engine::Engine& engine, const RunOptions& opts);

struct PredictedDevice {
  std::string name;
  std::uint32_t lba_size;
  std::uint64_t bytes;
  bool hidden;  // a path disk behind a multipath head
};
// The block devices a host will have after its connects, named as Linux would name them
// (nvme0n1, nvme0c0n1, ...), predicted from the scenario alone.
std::vector<PredictedDevice> predicted_device_info(const scenario::Scenario& s, const std::string& host);
// Every naming the host's devices may end up with when which controller registers a subsystem
// first is too close to call (the likeliest first; one set when the names are certain).
std::vector<std::vector<PredictedDevice>> possible_device_sets(const scenario::Scenario& s, const std::string& host);
// Workloads whose target exists in only some of those outcomes, as file:line:column messages.
std::vector<std::string> topology_warnings(const scenario::Scenario& s);

}  // namespace sim::world
