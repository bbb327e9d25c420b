#pragma once
// Internal to the scenario loader: interpretation of each section of the merged document into the
// typed structs. Sections are read in dependency order (hosts, subsystems, links, connect,
// workloads, faults) so that every reference is checked while its node, and so its file:line:col,
// is at hand.
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/loader_node.hpp"
#include "sim/scenario/scenario.hpp"

namespace sim::scenario::detail {

// Names already defined, mapped to their index in the Scenario's lists.
struct Registry {
  std::map<std::string, std::size_t> hosts;
  std::map<std::string, std::size_t> subsystems;  // by NQN
  std::map<std::string, std::size_t> links;
  std::map<std::string, std::size_t> workloads;
};

// Index of the name `n` names in `names`; otherwise "unknown <what> 'x'" with a did-you-mean hint.
std::size_t lookup(const std::map<std::string, std::size_t>& names, const Node& n,
                   const std::string& key, const char* what);
// "file:line:col", for hints that point at another place.
std::string where(const SourceLoc& loc);
// Names of hosts, links and workloads: they end up in reports and file names.
std::string read_name(const Node& n, const std::string& key);

const Port* find_port(const Subsystem& s, int id);
// The port `n` names in `s` (an int that must be one of its port ids).
int read_port_ref(const Node& n, const std::string& key, const Subsystem& s);

Host parse_host(const Node& n, const std::string& path, KernelProfile default_kernel);
Subsystem parse_subsystem(const Node& n, const std::string& path);
Link parse_link(const Node& n, const std::string& path, const Scenario& s, const Registry& r);
Connect parse_connect(const Node& n, const std::string& path, const Scenario& s, const Registry& r);
Workload parse_workload(const Node& n, const std::string& path, const Scenario& s,
                        const Registry& r);
// One workload, or one per job section of the fio job file a `fio:` entry names.
std::vector<Workload> parse_workloads(const Node& n, const std::string& path, const Scenario& s,
                                      const Registry& r);
Fault parse_fault(const Node& n, const std::string& path, const Scenario& s, const Registry& r);
// The fields an action takes (required first, then optional), in the order of the faults table.
std::vector<std::string_view> fault_fields(const std::string& action);
Expect parse_expect(const Node& n, const std::string& path);
Report parse_report(const Node& n, const std::string& path);
Limits parse_limits(const Node& n, const std::string& path);
// After every other section: targets refer to links, ports and groups (loader_explore.cpp).
Explore parse_explore(const Node& n, const std::string& path, const Scenario& s, const Registry& r);
// The actions `explore.faults` may name (each drawn with its undo), in table order.
const std::vector<std::string_view>& explore_actions();

// Serial number for a subsystem that does not give one: stable across runs and machines, and
// distinct for distinct NQNs in practice ("NVMSIM" + 12 hex digits of an FNV-1a hash).
std::string derived_serial(const std::string& nqn);

}  // namespace sim::scenario::detail
