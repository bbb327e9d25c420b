#pragma once
// What a run leaves behind (RunRecord) and the writers that turn it into results.json,
// summary.txt and `nvmsim topology` output.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "sim/metrics/stats.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/time.hpp"

namespace host {
class Host;
}

namespace sim::world {

struct StateAt {
  Time t;
  std::string state;
};
struct Transition {
  Time t;
  std::string from, to, reason;
};
struct PathRecord {
  std::string name, head, ctrl, link, host;
  std::uint64_t ios = 0;
  std::uint64_t bytes = 0;
  std::vector<StateAt> states;
};
struct CtrlRecord {
  std::string name;  // host/nvmeN
  std::string ctrl;  // nvmeN
  std::string host, subsystem, link;
  std::uint16_t cntlid = 0;
  std::vector<Transition> transitions;
  int reconnect_attempts = 0;
  std::string state;
};

// What `nvme list-subsys` shows on one host.
struct TopoPath {
  std::string ctrl, transport, address, state, ana_state;
};
struct TopoSubsys {
  std::string name, nqn, iopolicy;
  std::vector<std::string> devices;  // visible block devices
  std::vector<TopoPath> paths;
};
struct HostTopology {
  std::string host, hostnqn;
  std::vector<TopoSubsys> subsystems;
};

struct RunRecord {
  const scenario::Scenario* scenario = nullptr;
  Time end = 0;
  Time sim_time = 0;
  std::uint64_t events = 0;
  std::uint64_t ios = 0;
  std::uint64_t app_errors = 0;
  std::uint64_t outstanding = 0;
  Time max_io_stall = 0;
  std::vector<metrics::JobStats> jobs;
  std::vector<std::string> job_hosts;
  std::vector<PathRecord> paths;
  std::vector<CtrlRecord> controllers;
  std::vector<HostTopology> topology;
};

std::vector<std::pair<std::string, std::string>> job_options(const scenario::Workload& w);
HostTopology capture_topology(const host::Host& h);
std::string hostnqn_for(const std::string& host);

nlohmann::ordered_json results_json(const RunRecord& r);
std::string summary_text(const RunRecord& r);
std::string topology_text(const std::vector<HostTopology>& t);
nlohmann::ordered_json topology_json(const std::vector<HostTopology>& t);

}  // namespace sim::world
