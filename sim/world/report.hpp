#pragma once
// What a run leaves behind (RunRecord) and the writers that turn it into results.json,
// summary.txt and `nvmsim topology` output.
#include <cstdint>
#include <map>
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

struct FaultRecord {
  Time t;
  std::string action, target;
};
// One nvme_failover_req call.
struct FailoverRecord {
  Time t;
  std::string head, path, ctrl;
  std::uint16_t status;
  std::uint32_t bios;
  Time release_at;
};
// Something for the failover timeline in summary.txt.
struct TimelineEntry {
  Time t;
  std::string who, what;
  std::int64_t failover = -1;  // first record of a burst of failovers (text made when printed)
};
struct HeadRecord {
  std::string name;  // host/nvme0n1
  std::uint64_t completions = 0;
  Time last_completion = -1;
  int last_path = -1;
  Time longest_gap = 0;
  Time gap_from = 0;  // start of the longest gap
  bool gap_open_at_end = false;  // the longest gap is the one still open when the run ended
  // For the gap still open at the end: bios of the head's jobs outstanding, first submission,
  // last submission or failed completion.
  std::int64_t in_flight = 0;
  Time first_submit = -1;
  Time last_activity = -1;
};
// From a fault to the head's first successful completion, of a request sent at or after the
// fault, through a path the fault did not hit (`from`: the path the head used last, or the first
// of its paths the fault hit when the last one was not hit). Requests already in flight when the
// fault happened do not decide.
struct PathSwitch {
  Time fault_t;
  std::string fault, head, from, to;
  Time at = -1;  // -1 = never
  bool stayed = false;  // a failing path completed I/O sent after the fault (no switch needed)
  int head_id = -1, from_path = -1;  // record numbers of `head` and `from` (per-I/O matching)
  std::vector<int> failing;  // the head's paths the fault hit (empty: it hit none of them)
};

// An I/O still outstanding when the run ended, and what it waits on (OutstandingTracker).
struct OutstandingRecord {
  std::uint64_t bio = 0;
  std::string job;
  Time submitted = 0;
  Time age = 0;  // end - submitted
  std::string state;  // "parked", "in flight", "held by failover hold", ...
  Time since = 0;
  std::string head, path;  // "" when it does not apply
  std::uint64_t tag = 0;
  Time until = -1;  // failover hold release
  std::string waits_on;  // one sentence
};
inline constexpr std::size_t kMaxOutstandingRecords = 16;

// One `expect` key's verdict.
struct ExpectResult {
  std::string key, expected, actual;
  bool ok = true;
};
struct ViolationRecord {
  std::string kind;
  Time t = 0;
  std::string head, path;
  std::uint64_t bio = 0;
  std::int64_t lba = -1;
  std::string message;
  std::vector<std::string> chain;
};

// What `nvme list-subsys` shows on one host, and the rest of what its sysfs holds
// (sim/world/sysfs.hpp).
struct TopoNs {  // one namespace through one controller: a path disk, or a plain disk without a head
  std::string disk;  // nvme0c1n1 (behind a head) or nvme1n1
  std::string head;  // the head's disk, "" = none
  std::uint32_t nsid = 0, ana_grpid = 0, lba_size = 0;
  std::uint64_t bytes = 0;
  std::string ana_state;  // "" without ANA
};
struct TopoPath {
  std::string ctrl, transport, address, state, ana_state;
  std::string link;  // scenario link the controller connects over
  std::uint16_t cntlid = 0;
  std::vector<TopoNs> ns;
};
struct TopoHead {  // a multipath head disk
  std::string disk;
  std::uint32_t nsid = 0, lba_size = 0;
  std::uint64_t bytes = 0;
};
struct TopoSubsys {
  std::string name, nqn, iopolicy;
  std::string model, serial, firmware;
  std::vector<std::string> devices;  // visible block devices
  std::vector<TopoPath> paths;
  std::vector<TopoHead> heads;
};
struct HostTopology {
  std::string host, hostnqn, hostid;
  std::vector<TopoSubsys> subsystems;
};

struct IdleJob {
  std::string name, reason;
};

struct RunRecord {
  const scenario::Scenario* scenario = nullptr;
  std::vector<std::string> overrides;  // --set values, in order (replay command)
  std::string host_core;               // --host-core, "" = none
  Time end = 0;
  Time sim_time = 0;
  std::uint64_t events = 0;
  std::uint64_t engine_pumps = 0;  // SimGrid timer round trips that drained the calendar
  std::uint64_t ios = 0;
  std::uint64_t app_errors = 0;
  std::uint64_t outstanding = 0;
  Time max_io_stall = 0;            // completed and outstanding (age at the end) I/Os
  Time max_completed_io_stall = 0;  // completed I/Os only
  std::vector<OutstandingRecord> outstanding_oldest;  // the kMaxOutstandingRecords oldest
  std::vector<metrics::JobStats> jobs;
  std::vector<std::string> job_hosts;
  std::vector<PathRecord> paths;
  std::vector<CtrlRecord> controllers;
  std::vector<HostTopology> topology;
  std::vector<FaultRecord> faults;
  std::vector<FailoverRecord> failovers;  // the first kMaxFailoverRecords
  std::uint64_t failover_count = 0;
  std::uint64_t zombie_writes = 0;  // writes that landed after their controller lost the host
  std::vector<TimelineEntry> timeline;
  std::vector<HeadRecord> heads;
  std::vector<PathSwitch> switches;
  bool has_expect = false;
  std::vector<ExpectResult> expect;
  std::vector<ViolationRecord> violations;
  std::map<std::string, std::uint64_t> violation_counts;
  std::vector<IdleJob> idle_jobs;  // jobs that issued no I/O, and why
};
inline constexpr std::size_t kMaxFailoverRecords = 10000;

std::vector<std::pair<std::string, std::string>> job_options(const scenario::Workload& w);
// The directions whose error ends a job under fio's continue_on_error (metrics::JobStats).
std::uint8_t stop_on_error_dirs(scenario::ContinueOnError c);
HostTopology capture_topology(const host::Host& h);
std::string hostnqn_for(const std::string& host);

nlohmann::ordered_json results_json(const RunRecord& r);
std::string summary_text(const RunRecord& r);
std::string timeline_text(const RunRecord& r);
// violations.json: every violation with its evidence, the counts per kind and the replay command.
nlohmann::ordered_json violations_json(const RunRecord& r);
// `nvmsim run FILE --seed N [--set V]... [--host-core C]`, every word shell-quoted when needed.
std::string replay_command(const RunRecord& r);
std::string shell_quote(const std::string& word);
std::string topology_text(const std::vector<HostTopology>& t);
nlohmann::ordered_json topology_json(const std::vector<HostTopology>& t);

}  // namespace sim::world
