#pragma once
// The typed form of a scenario file (format version 1, ../shared/reference/scenario-format.md).
// Every field carries its default; the loader fills these structs and never leaves a field unset.
// Models never see YAML: sim/world builds hosts, subsystems and links from these values.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/time.hpp"

namespace sim::scenario {

// Where a value came from, for errors that are found after parsing (unknown references, impossible
// topologies). line/column are 1-based; 0 means "not from a file" (a default or --set).
struct SourceLoc {
  std::string file;
  int line = 0;
  int column = 0;

  // Every struct below compares field-wise (locations included), e.g. to check that a dumped
  // and re-loaded scenario is the same.
  bool operator==(const SourceLoc&) const = default;
};

enum class Multipath { Native, Off };
enum class IoPolicy { Numa, RoundRobin, QueueDepth };
enum class KernelProfile { K6_12, K6_17, K6_1, K4_15 };
enum class HostCore { Model, Linux };
enum class FailoverHold { None, Kato_Cqt, TwoKato_Cqt, Ccr };
enum class Transport { Tcp, Rdma, Fc, Pcie };
enum class AnaState { Optimized, NonOptimized, Inaccessible, PersistentLoss, Change };
enum class JitterDist { None, Uniform, Exp, Lognormal };
enum class RwMode { Read, Write, RandRead, RandWrite, Rw, RandRw, Trim };
// fio's continue_on_error: which I/O errors a job survives (none: the first error ends the job).
enum class ContinueOnError { None, Read, Write, Io, Verify, All };
enum class LinkDownMode { Silent, Reset };

struct NvmeOptions {
  Time kato = 5 * kSecond;
  Time io_timeout = 30 * kSecond;
  Time admin_timeout = 60 * kSecond;
  int max_retries = 5;
  Time reconnect_delay = 10 * kSecond;
  std::optional<Time> ctrl_loss_tmo = 600 * kSecond;  // nullopt = never (reconnect forever)
  std::optional<Time> fast_io_fail_tmo;               // nullopt = off
  FailoverHold failover_hold = FailoverHold::None;
  bool queue_if_no_path = false;

  bool operator==(const NvmeOptions&) const = default;
};

struct Host {
  SourceLoc loc;
  std::string name;
  std::string hostid;  // UUID; "" = derived from the name. hostnqn = nqn.2014-08.org.nvmexpress:uuid:<hostid>
  int numa_nodes = 1;
  int cpus = 4;
  Multipath multipath = Multipath::Native;
  IoPolicy iopolicy = IoPolicy::Numa;
  KernelProfile kernel = KernelProfile::K6_12;  // top-level `kernel` is the default
  HostCore core = HostCore::Model;
  std::vector<std::string> variant;  // bug-pattern ids, "BP-07"
  NvmeOptions nvme;

  bool operator==(const Host&) const = default;
};

struct Cmic {
  bool multi_port = true;
  bool multi_ctrl = true;
  bool ana = true;

  bool operator==(const Cmic&) const = default;
};

struct Port {
  SourceLoc loc;
  int id = 1;
  Transport transport = Transport::Tcp;
  std::map<int, AnaState> ana;  // ANA group -> state through this port; missing groups: optimized
  // Transport address as sysfs and nvme-cli show it: tcp/rdma "IPv4" or "IPv4:trsvcid", fc
  // "nn-0x...:pn-0x...", pcie a PCI address. "" = derived per port (sim/world/sysfs.hpp).
  std::string address;

  bool operator==(const Port&) const = default;
};

struct Namespace {
  SourceLoc loc;
  std::uint32_t nsid = 1;
  std::uint64_t size = 64ull << 30;  // bytes
  std::uint32_t lba_size = 4096;     // bytes
  int ana_group = 1;

  bool operator==(const Namespace&) const = default;
};

struct ControllerConfig {
  int max_io_queues = 16;
  int queue_depth = 128;              // MQES + 1
  std::uint64_t mdts = 128 * 1024;    // bytes
  Time cmd_overhead = 2 * kMicrosecond;
  int abort_limit = 4;
  Time zombie_window = 0;

  bool operator==(const ControllerConfig&) const = default;
};

struct Jitter {
  JitterDist dist = JitterDist::None;
  double sigma = 0.2;   // lognormal: sigma of the underlying normal
  double spread = 0.2;  // uniform: +-fraction of the base latency

  bool operator==(const Jitter&) const = default;
};

struct Media {
  Time read_latency = 80 * kMicrosecond;
  Time write_latency = 20 * kMicrosecond;
  Time flush_latency = 500 * kMicrosecond;
  std::uint64_t bandwidth = 3'000'000'000ull;  // bytes per second
  int parallelism = 32;
  Jitter jitter;

  bool operator==(const Media&) const = default;
};

struct Subsystem {
  SourceLoc loc;
  std::string nqn;
  std::string model = "nvmsim array";
  std::string serial;    // default: derived from the NQN
  std::string firmware = "1.0";
  Cmic cmic;
  Time anatt = 10 * kSecond;
  Time cqt = 0;
  // Command Retry Delay Times CRDT1-3 (Identify), 100 ms units: how long a host waits before
  // retrying a command completed with CRD = 1, 2, 3. Extension to format v1.
  std::array<Time, 3> crdt = {0, 0, 0};
  Time kas = 100 * kMillisecond;
  bool tbkas = false;
  bool ccr = false;
  bool vwc = true;
  std::vector<Port> ports;
  std::vector<Namespace> namespaces;
  ControllerConfig controller;
  Media media;

  bool operator==(const Subsystem&) const = default;
};

struct Link {
  SourceLoc loc;
  std::string name;
  std::string host;
  std::string subsystem;  // NQN
  int port = 1;
  // Defaults come from the port's transport when not given (see docs/scenario-format.md).
  std::optional<Time> latency;
  std::optional<std::uint64_t> bandwidth;  // bytes per second

  bool operator==(const Link&) const = default;
};

struct Connect {
  SourceLoc loc;
  std::string host;
  std::string link;
  int nr_io_queues = 0;  // 0 = one per host cpu, capped by the controller's max_io_queues
  int queue_size = 128;
  Time at = 0;
  // NUMA node of the host adapter behind this connect (RDMA HCA, PCIe root port); -1 = none, as
  // for NVMe/TCP. Only the numa iopolicy looks at it.
  int numa_node = -1;

  bool operator==(const Connect&) const = default;
};

struct BlockSplit {
  std::uint64_t bs = 4096;  // bytes
  int percent = 100;

  bool operator==(const BlockSplit&) const = default;
};

struct Workload {
  SourceLoc loc;
  std::string name;
  std::string host;
  std::string target;  // head device name (nvme0n1) or path device when multipath is off
  RwMode rw = RwMode::RandRead;
  int rwmixread = 50;
  std::vector<BlockSplit> bs = {BlockSplit{}};
  int iodepth = 1;
  int numjobs = 1;
  std::vector<int> cpus;  // empty = cpu 0
  std::uint64_t size = 0;  // 0 = whole namespace
  std::uint64_t offset = 0;
  std::uint64_t rate_iops = 0;  // 0 = closed loop
  Time start = 0;
  std::optional<Time> runtime;  // nullopt = until the scenario's duration
  // fio's ramp_time: the job runs this long before its statistics start, and runtime follows.
  Time ramp_time = 0;
  bool fua = false;
  std::uint64_t flush_every = 0;
  bool verify = false;
  ContinueOnError continue_on_error = ContinueOnError::None;
  // After an error the job survives, its next submission waits this long (one at a time), so a
  // job on a dead device fails at a bounded rate instead of in zero time.
  Time error_resubmit_delay = 10 * kMicrosecond;

  bool operator==(const Workload&) const = default;
};

// A fault on the timeline. Fields not used by an action stay at their defaults; the loader checks
// that every field an action needs is present and that no foreign field is given.
struct Fault {
  SourceLoc loc;
  std::string action;  // link-down, link-up, ... (scenario-format.md, faults table)
  Time at = 0;
  std::optional<Time> every;
  int count = 1;
  std::string link;
  std::string host;
  std::string subsystem;
  std::optional<int> port;
  std::optional<int> cntlid;
  std::optional<int> group;
  std::optional<std::uint32_t> nsid;
  LinkDownMode mode = LinkDownMode::Silent;
  std::optional<Time> latency;
  std::optional<std::uint64_t> bandwidth;
  std::optional<double> loss;  // fraction 0..1
  std::optional<AnaState> state;
  bool via_change = true;
  bool aen = true;
  std::optional<std::uint8_t> match_opcode;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> match_lba_range;  // [first, last]
  std::optional<std::uint16_t> status;  // NVMe status (SCT << 8 | SC)
  bool dnr = false;
  std::optional<int> crd;  // inject-status: Command Retry Delay field 1..3 (extension)
  std::optional<int> inject_count;  // inject-status `count`
  std::optional<IoPolicy> iopolicy;

  bool operator==(const Fault&) const = default;
};

struct CountBound {
  std::optional<std::int64_t> min;
  std::optional<std::int64_t> max;

  bool operator==(const CountBound&) const = default;
};

struct Expect {
  SourceLoc loc;
  std::optional<bool> no_lost_io;
  std::optional<bool> no_partial_completion;
  std::optional<bool> linearizable;
  std::optional<bool> durable_after_flush;
  std::optional<CountBound> app_errors;   // `app_errors: 0` means {max: 0}
  std::optional<Time> max_io_stall;
  std::optional<CountBound> failovers;
  std::optional<Time> path_switch_within;
  std::optional<std::int64_t> max_outstanding_at_end;
  // Jobs allowed to issue no I/O (their device never appeared, or they never started). Checked
  // on every run; absent means {max: 0}.
  std::optional<CountBound> idle_jobs;
  // Whether any oracle is asked for (idle_jobs is checked without the oracles).
  bool empty() const {
    return !no_lost_io && !no_partial_completion && !linearizable && !durable_after_flush &&
           !app_errors && !max_io_stall && !failovers && !path_switch_within &&
           !max_outstanding_at_end;
  }

  bool operator==(const Expect&) const = default;
};

struct Report {
  std::vector<double> percentiles = {1,  5,  10, 20, 30, 40, 50,   60,   70,    80,
                                     90, 95, 99, 99.5, 99.9, 99.95, 99.99};
  std::optional<Time> timeseries = 100 * kMillisecond;  // nullopt = off
  bool trace = false;
  // fio's lat/clat/slat/iops/bw logs per job, log_avg_msec = timeseries (sim/report/fio_log.hpp).
  bool fio_logs = false;

  bool operator==(const Report&) const = default;
};

// Guards of the run itself, not of the system simulated.
struct Limits {
  // Events (and job submissions) allowed at one simulated instant before the run is declared a
  // zero-time livelock (exit 3 with a diagnosis).
  std::uint64_t events_per_instant = 10'000'000;

  bool operator==(const Limits&) const = default;
};

// A [min, max] range of durations (`explore.durations.*`); min == max for a single value.
struct TimeRange {
  Time min = 0;
  Time max = 0;

  bool operator==(const TimeRange&) const = default;
};

// One fault action `nvmsim explore` may draw, with its relative weight.
struct ExploreAction {
  std::string action;  // link-down, port-down, ctrl-hang, ... (docs/scenario-format.md, explore)
  int weight = 1;

  bool operator==(const ExploreAction&) const = default;
};

// The `explore` section: what random fault schedules `nvmsim explore` draws (sim/explore/).
// `nvmsim run` ignores it and runs the scenario's own faults only.
struct Explore {
  SourceLoc loc;
  std::vector<ExploreAction> faults;  // file order; default: the vocabulary in sim/explore
  std::string subsystem;              // NQN whose ports, controllers and groups are targets
  std::vector<std::string> links;     // target links; empty = every link to `subsystem`
  std::vector<int> ports;             // target ports (port-down, ana-change, inject-status, ns-detach)
  std::vector<int> controllers;       // ports whose controllers may hang/reset/fail; empty = all
  std::vector<int> groups;            // ANA groups for ana-change; empty = all
  Time from = 0;
  Time until = 0;                     // default: the scenario's end
  int count_min = 1;                  // faults drawn per run, uniformly in [count_min, count_max]
  int count_max = 4;
  std::uint64_t rate = 0;             // per second of window: count ~ Poisson(rate x window)
  TimeRange down{100 * kMillisecond, 2 * kSecond};     // link/port down, disconnect, detach, ANA
  TimeRange hang{100 * kMillisecond, 2 * kSecond};     // ctrl-hang .. ctrl-resume, power-loss
  TimeRange degrade{100 * kMillisecond, 2 * kSecond};  // link-degrade .. restore
  Time liveness = 30 * kSecond;       // heal phase: outstanding I/O completes within this

  bool operator==(const Explore&) const = default;
};

struct Scenario {
  std::string file;  // path the scenario was read from
  int version = 1;
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  std::optional<Time> duration;  // required unless every workload has a runtime
  KernelProfile kernel = KernelProfile::K6_12;
  std::vector<Host> hosts;
  std::vector<Subsystem> subsystems;
  std::vector<Link> links;
  std::vector<Connect> connect;  // the loader fills one per link when the section is absent
  std::vector<Workload> workloads;
  std::vector<Fault> faults;
  Expect expect;
  Report report;
  Limits limits;
  std::optional<Explore> explore;  // only `nvmsim explore` reads it

  // Simulated end time: `duration`, else the latest workload start + runtime.
  Time end_time() const;

  bool operator==(const Scenario&) const = default;
};

// Names as written in YAML, for printing and for error hints.
const char* to_string(Multipath);
const char* to_string(IoPolicy);
const char* to_string(KernelProfile);
const char* to_string(HostCore);
const char* to_string(FailoverHold);
const char* to_string(Transport);
const char* to_string(AnaState);
const char* to_string(JitterDist);
const char* to_string(RwMode);
const char* to_string(ContinueOnError);
// fio's continue_on_error classes: whether an error of a read (or of a write, trim or flush, fio's
// ERROR_TYPE_WRITE) lets the job go on. nvmsim's verify never fails an I/O: `verify` covers none.
bool continue_on_error_covers(ContinueOnError c, bool read);
const char* to_string(LinkDownMode);

}  // namespace sim::scenario
