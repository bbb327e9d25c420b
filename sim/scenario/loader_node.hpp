#pragma once
// Internal to the scenario loader: the document tree it reads, and the checked readers that turn
// tree values into typed values or throw InputError at the right file:line:column.
//
// The tree is our own copy of the yaml-cpp tree because a scenario is assembled from several
// sources (the file, its includes, --set overrides) and every value must keep the place it was
// written for error messages; yaml-cpp marks carry no file name.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/error.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/units.hpp"
#include "sim/time.hpp"

namespace sim::scenario::detail {

struct Node {
  enum class Kind { Null, Scalar, Seq, Map };
  Kind kind = Kind::Null;
  std::string text;         // Scalar: the text as written (unquoted)
  std::vector<Node> keys;   // Map: keys, in file order (duplicates kept, the reader rejects them)
  std::vector<Node> items;  // Seq: elements; Map: values, parallel to `keys`
  SourceLoc loc;

  static Node make(Kind kind, SourceLoc loc, std::string text = {}) {
    Node n;
    n.kind = kind;
    n.loc = std::move(loc);
    n.text = std::move(text);
    return n;
  }

  bool is_null() const { return kind == Kind::Null; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_seq() const { return kind == Kind::Seq; }
  bool is_map() const { return kind == Kind::Map; }
  // Map lookup by key text; first match.
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  // Map insert-or-replace; a new key goes last.
  void set(Node key, Node value);
};

// Limits of one parsed document (scenario-format.md, "How the file is read"). Nodes are counted
// after aliases are expanded; the top level is depth 0.
inline constexpr int kMaxDepth = 64;
#ifndef NVMSIM_MAX_YAML_NODES  // the fuzz build lowers it: sanitizers make a million nodes slow
#define NVMSIM_MAX_YAML_NODES 1'000'000
#endif
inline constexpr std::size_t kMaxNodes = NVMSIM_MAX_YAML_NODES;

// Parses one YAML document. The text must be UTF-8 without NUL bytes, may not use YAML tags, and
// must stay within kMaxDepth and kMaxNodes. Syntax errors become InputError at the parser's position. Every node's
// column is shifted by `column_offset` on the first line (a --set value sits inside a longer
// string). An empty document is a Null node located at 1:1.
Node parse_yaml(const std::string& text, const std::string& file, int column_offset = 0);

// "a map", "a list", "nothing", "'text'": for "expected X, got Y" messages.
std::string describe(const Node& n);

[[noreturn]] void fail(const SourceLoc& loc, const std::string& key, const std::string& message,
                       const std::string& hint = {});

using Names = std::span<const std::string_view>;

// The candidate closest to `word` by edit distance, or "" when none is close enough to be a typo.
std::string closest(std::string_view word, Names candidates);
std::string join(Names names);  // "a, b, c"
std::string join(const std::vector<std::string>& names);
// "did you mean 'x'? (valid: a, b, c)" or "valid: a, b, c" for enum-like values.
std::string value_hint(std::string_view word, Names valid);

std::string child_path(const std::string& parent, std::string_view key);  // "a.b"
std::string index_path(const std::string& parent, std::size_t index);     // "a[3]"

// A map section whose keys have been checked: every key is one of `allowed`, none appears twice.
// Null counts as an empty map (`nvme:` with nothing under it). Throws for anything else.
class MapReader {
 public:
  MapReader(const Node& node, std::string path, Names allowed);

  const Node* find(std::string_view key) const { return node_.find(key); }
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // The value of a key the section cannot do without; missing -> error at the map.
  const Node& require(std::string_view key) const;
  std::string path(std::string_view key) const { return child_path(path_, key); }
  const std::string& path() const { return path_; }
  const Node& node() const { return node_; }

 private:
  const Node& node_;
  std::string path_;
};

// Throws "unknown key" for `key` in the map at `path`, with the most useful hint: a close spelling
// from `allowed`, else the section the key belongs to, else the list of valid keys.
[[noreturn]] void fail_unknown_key(const Node& key, const std::string& path, Names allowed);

// ---- typed readers; `key` is the dotted path used in errors ------------------------------------

std::string read_string(const Node& n, const std::string& key, bool allow_empty = false);
bool read_bool(const Node& n, const std::string& key);
// Decimal integer in [lo, hi]; `allow_hex` also takes "0x302".
std::int64_t read_int(const Node& n, const std::string& key, std::int64_t lo, std::int64_t hi,
                      bool allow_hex = false);
std::uint64_t read_uint(const Node& n, const std::string& key, std::uint64_t lo = 0,
                        std::uint64_t hi = UINT64_MAX);
double read_double(const Node& n, const std::string& key, double lo, double hi, bool open_lo,
                   bool open_hi);

struct DurationRule {
  Time min = 0;
  Time max = kMaxTime;  // and never more than kMaxTime
  Time step = 1;                   // the value must be a multiple (e.g. whole milliseconds)
  const char* off_word = nullptr;  // "never" / "off": also accepted, gives nullopt
};
// A duration; nullopt only when `rule.off_word` is set and the text says never/off.
std::optional<Time> read_duration_or_off(const Node& n, const std::string& key,
                                         const DurationRule& rule);
Time read_duration(const Node& n, const std::string& key, const DurationRule& rule = {});
std::uint64_t read_size(const Node& n, const std::string& key);
std::uint64_t read_bandwidth(const Node& n, const std::string& key);
std::uint64_t read_count_rate(const Node& n, const std::string& key);

// A list section; Null counts as empty.
const std::vector<Node>& read_list(const Node& n, const std::string& key, const char* example);

template <typename E, std::size_t N>
E read_enum(const Node& n, const std::string& key, const E (&values)[N], std::string_view what) {
  const std::string text = read_string(n, key);
  std::vector<std::string_view> names;
  for (E v : values) {
    if (text == to_string(v)) return v;
    names.emplace_back(to_string(v));
  }
  fail(n.loc, key, "unknown " + std::string(what) + " '" + text + "'", value_hint(text, names));
}

// Shorthands for optional keys of a section: leave `out` at its default when the key is absent.
inline void get_int(const MapReader& m, std::string_view key, int& out, std::int64_t lo,
                    std::int64_t hi) {
  if (const Node* v = m.find(key)) out = static_cast<int>(read_int(*v, m.path(key), lo, hi));
}
inline void get_bool(const MapReader& m, std::string_view key, bool& out) {
  if (const Node* v = m.find(key)) out = read_bool(*v, m.path(key));
}
inline void get_duration(const MapReader& m, std::string_view key, Time& out,
                         const DurationRule& rule = {}) {
  if (const Node* v = m.find(key)) out = read_duration(*v, m.path(key), rule);
}
template <typename E, std::size_t N>
void get_enum(const MapReader& m, std::string_view key, E& out, const E (&values)[N],
              std::string_view what) {
  if (const Node* v = m.find(key)) out = read_enum(*v, m.path(key), values, what);
}

// Every value of each enum, in declaration order (the order hints list them).
inline constexpr Multipath kMultipaths[] = {Multipath::Native, Multipath::Off};
inline constexpr IoPolicy kIoPolicies[] = {IoPolicy::Numa, IoPolicy::RoundRobin,
                                           IoPolicy::QueueDepth};
inline constexpr KernelProfile kKernels[] = {KernelProfile::K6_12, KernelProfile::K6_17,
                                             KernelProfile::K6_1, KernelProfile::K4_15};
inline constexpr HostCore kCores[] = {HostCore::Model, HostCore::Linux};
inline constexpr FailoverHold kHolds[] = {FailoverHold::None, FailoverHold::Kato_Cqt,
                                          FailoverHold::TwoKato_Cqt, FailoverHold::Ccr};
inline constexpr Transport kTransports[] = {Transport::Tcp, Transport::Rdma, Transport::Fc,
                                            Transport::Pcie};
inline constexpr AnaState kAnaStates[] = {AnaState::Optimized, AnaState::NonOptimized,
                                          AnaState::Inaccessible, AnaState::PersistentLoss,
                                          AnaState::Change};
inline constexpr JitterDist kJitterDists[] = {JitterDist::None, JitterDist::Uniform,
                                              JitterDist::Exp, JitterDist::Lognormal};
inline constexpr RwMode kRwModes[] = {RwMode::Read,      RwMode::Write, RwMode::RandRead,
                                      RwMode::RandWrite, RwMode::Rw,    RwMode::RandRw,
                                      RwMode::Trim};
inline constexpr ContinueOnError kContinueOnErrors[] = {
    ContinueOnError::None, ContinueOnError::Read,   ContinueOnError::Write,
    ContinueOnError::Io,   ContinueOnError::Verify, ContinueOnError::All};
inline constexpr LinkDownMode kLinkDownModes[] = {LinkDownMode::Silent, LinkDownMode::Reset};

// ---- the keys of every section (scenario-format.md) --------------------------------------------

inline constexpr std::string_view kTopKeys[] = {
    "nvmsim", "name",    "description", "seed",   "duration", "kernel", "hosts",  "subsystems",
    "links",  "connect", "workloads",   "faults", "expect",   "report", "include", "limits",
    "explore"};
inline constexpr std::string_view kHostKeys[] = {
    "name", "numa_nodes", "cpus", "multipath", "iopolicy", "kernel", "core", "variant", "nvme", "hostid"};
inline constexpr std::string_view kNvmeKeys[] = {
    "kato",          "io_timeout",       "admin_timeout", "max_retries",     "reconnect_delay",
    "ctrl_loss_tmo", "fast_io_fail_tmo", "failover_hold", "queue_if_no_path"};
inline constexpr std::string_view kSubsystemKeys[] = {
    "nqn",   "model", "serial", "firmware", "cmic",       "anatt",      "cqt",  "crdt", "kas",
    "tbkas", "ccr",   "vwc",    "ports",    "namespaces", "controller", "media"};
inline constexpr std::string_view kCmicKeys[] = {"multi_port", "multi_ctrl", "ana"};
inline constexpr std::string_view kPortKeys[] = {"id", "transport", "ana", "address"};
inline constexpr std::string_view kNamespaceKeys[] = {"nsid", "size", "lba_size", "ana_group"};
inline constexpr std::string_view kControllerKeys[] = {
    "max_io_queues", "queue_depth", "mdts", "cmd_overhead", "abort_limit", "zombie_window"};
inline constexpr std::string_view kMediaKeys[] = {"read_latency", "write_latency", "flush_latency",
                                                  "bandwidth",    "parallelism",   "jitter"};
inline constexpr std::string_view kJitterKeys[] = {"dist", "sigma", "spread"};
inline constexpr std::string_view kLinkKeys[] = {"name", "host",    "subsystem",
                                                 "port", "latency", "bandwidth"};
inline constexpr std::string_view kConnectKeys[] = {"host",       "link",      "nr_io_queues",
                                                    "queue_size", "numa_node", "at"};
inline constexpr std::string_view kWorkloadKeys[] = {
    "name", "host",   "target",    "rw",    "rwmixread", "bs",  "iodepth",     "numjobs", "cpus",
    "size", "offset", "rate_iops", "start", "ramp_time", "runtime",   "fua", "flush_every", "verify",
    "continue_on_error", "error_resubmit_delay"};
// A workloads[] entry that imports a fio job file (loader_workloads.cpp, fio_job.hpp).
inline constexpr std::string_view kFioWorkloadKeys[] = {"fio", "host", "target", "start"};
inline constexpr std::string_view kFaultKeys[] = {
    "at",         "every", "count", "action", "link",    "host",      "subsystem", "port",
    "cntlid",     "group", "nsid",  "mode",   "latency", "bandwidth", "loss",      "state",
    "via_change", "aen",   "match", "status", "dnr",     "crd",       "iopolicy"};
inline constexpr std::string_view kMatchKeys[] = {"opcode", "lba_range"};
inline constexpr std::string_view kExpectKeys[] = {"no_lost_io",
                                                   "no_partial_completion",
                                                   "linearizable",
                                                   "durable_after_flush",
                                                   "app_errors",
                                                   "max_io_stall",
                                                   "failovers",
                                                   "path_switch_within",
                                                   "max_outstanding_at_end",
                                                   "idle_jobs"};
inline constexpr std::string_view kBoundKeys[] = {"min", "max"};
inline constexpr std::string_view kReportKeys[] = {"percentiles", "timeseries", "trace", "fio_logs"};
inline constexpr std::string_view kLimitsKeys[] = {"events_per_instant"};
inline constexpr std::string_view kExploreKeys[] = {"faults", "subsystem", "targets", "from",
                                                    "until",  "count",     "rate",    "durations",
                                                    "liveness"};
inline constexpr std::string_view kExploreTargetKeys[] = {"links", "ports", "controllers", "groups"};
inline constexpr std::string_view kExploreDurationKeys[] = {"down", "hang", "degrade"};

}  // namespace sim::scenario::detail
