#include "sim/world/world.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "device/controller.hpp"
#include "device/subsystem.hpp"
#include "host/host.hpp"
#include "host/kernel_core.hpp"
#include "host/profile.hpp"
#include "host/variants.hpp"
#include "host/workload.hpp"
#include "sim/engine/engine.hpp"
#include "sim/events.hpp"
#include "sim/fabric/link.hpp"
#include "sim/fabric/transport.hpp"
#include "sim/metrics/stats.hpp"
#include "sim/report/fio_json.hpp"
#include "sim/rng.hpp"
#include "sim/assert.hpp"
#include "sim/check/checker.hpp"
#include "sim/scenario/units.hpp"
#include "sim/scenario/error.hpp"
#include "sim/version.hpp"
#include "sim/world/outstanding.hpp"
#include "sim/report/fio_log.hpp"
#include "sim/world/report.hpp"
#include "sim/world/sysfs.hpp"

namespace sim::world {

namespace sc = sim::scenario;
using scenario::InputError;
using scenario::NotSupportedError;

namespace {

const scenario::Subsystem* find_subsystem(const scenario::Scenario& s, const std::string& nqn) {
  for (const auto& sub : s.subsystems)
    if (sub.nqn == nqn) return &sub;
  return nullptr;
}
const scenario::Link* find_link(const scenario::Scenario& s, const std::string& name) {
  for (const auto& l : s.links)
    if (l.name == name) return &l;
  return nullptr;
}
const scenario::Port& find_port(const scenario::Subsystem& sub, int id) {
  for (const auto& p : sub.ports)
    if (p.id == id) return p;
  throw InputError({}, "", fmt::format("subsystem {} has no port {}", sub.nqn, id));
}

}  // namespace

void check_profile(const scenario::Scenario& s, const scenario::Host& h);
void check_kernel_core(const scenario::Host& h);
void check_variants(const scenario::Host& h);

namespace {

// One controller a host will create by its connects, in creation order (connect time, then list
// order: the calls run FIFO at one instant), with the instance number nvme_init_ctrl gives it.
struct PlannedCtrl {
  int instance;
  const scenario::Connect* connect;
  const scenario::Link* link;
  Time identified;  // estimated end of Connect + Identify: when nvme_init_subsystem runs
  std::uint64_t shape;  // equal shapes and times race identically: the lower instance wins
};

// Estimated time from the connect to the Identify completion: two admin round trips (Connect with
// its 1 KiB data, Identify with 4 KiB back), each two link latencies plus the controller's
// command overhead and the capsules' serialisation.
Time handshake_time(const scenario::Subsystem& sub, const scenario::Port& port, const scenario::Link& l) {
  const auto d = fabric::transport_defaults(port.transport);
  const Time lat = l.latency.value_or(d.link_latency);
  const std::uint64_t bw = std::max<std::uint64_t>(1, l.bandwidth.value_or(d.link_bandwidth));
  const std::uint64_t bytes = 2ull * (d.command_bytes + d.response_bytes) + 1024 + 4096;
  return 4 * lat + 2 * sub.controller.cmd_overhead + static_cast<Time>(bytes * 1'000'000'000ull / bw);
}

std::vector<PlannedCtrl> planned_ctrls(const scenario::Scenario& s, const std::string& host_name) {
  std::vector<const scenario::Connect*> order;
  for (const auto& c : s.connect)
    if (c.host == host_name && find_link(s, c.link)) order.push_back(&c);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->at < b->at; });
  std::vector<PlannedCtrl> out;
  int instance = 0;
  for (const auto* c : order) {
    const auto* l = find_link(s, c->link);
    const auto* sub = find_subsystem(s, l->subsystem);
    Time hs = 0;
    std::uint64_t shape = 0;
    if (sub) {
      for (const auto& p : sub->ports)
        if (p.id == l->port) {
          hs = handshake_time(*sub, p, *l);
          shape = static_cast<std::uint64_t>(hs) ^ (static_cast<std::uint64_t>(p.transport) << 60);
        }
    }
    out.push_back({instance++, c, l, c->at + hs, shape});
  }
  return out;
}

// The controllers that may be the first of subsystem `nqn` to finish Identify (and so give the
// subsystem, and its head disks, their number): the likeliest first. More than one when the
// estimates are too close to call, or a fault may strike the links before they finish.
std::vector<int> first_ctrl_candidates(const scenario::Scenario& s, const std::vector<PlannedCtrl>& ctrls,
                                       const std::string& nqn) {
  std::vector<const PlannedCtrl*> mine;
  for (const auto& c : ctrls)
    if (c.link->subsystem == nqn) mine.push_back(&c);
  if (mine.empty()) return {};
  std::stable_sort(mine.begin(), mine.end(),
                   [](const auto* a, const auto* b) { return a->identified < b->identified; });
  const PlannedCtrl& first = *mine.front();
  Time last_done = 0;
  for (const auto* c : mine) last_done = std::max(last_done, c->identified);
  bool fault_early = false;
  for (const auto& f : s.faults) {
    if (f.at > last_done) continue;
    bool hits = f.subsystem == nqn;
    for (const auto* c : mine) hits |= !f.link.empty() && f.link == c->link->name;
    fault_early |= hits;
  }
  std::vector<int> out = {first.instance};
  for (std::size_t i = 1; i < mine.size(); ++i) {
    const PlannedCtrl& c = *mine[i];
    const bool same_race = c.identified == first.identified && c.shape == first.shape;  // FIFO: first wins
    const Time hs = std::max(first.identified - first.connect->at, c.identified - c.connect->at);
    const bool close = c.identified - first.identified <= kMicrosecond + hs / 20;
    if (fault_early || (close && !same_race)) out.push_back(c.instance);
  }
  return out;
}

std::vector<PredictedDevice> device_names(const scenario::Scenario& s, const scenario::Host& h,
                                          const std::vector<PlannedCtrl>& ctrls,
                                          const std::map<std::string, int>& first_of) {
  const bool mp = h.multipath == scenario::Multipath::Native;
  std::map<std::string, std::vector<int>> ctrls_of;  // nqn -> controller instances
  std::vector<std::string> order;
  for (const auto& c : ctrls) {
    if (!ctrls_of.contains(c.link->subsystem)) order.push_back(c.link->subsystem);
    ctrls_of[c.link->subsystem].push_back(c.instance);
  }
  std::vector<PredictedDevice> names;
  for (const auto& nqn : order) {
    const auto* sub = find_subsystem(s, nqn);
    if (!sub) continue;
    auto cs = ctrls_of[nqn];
    auto f = first_of.find(nqn);
    const int subsys_inst = f != first_of.end() ? f->second : cs.front();
    // A subsystem without CMIC multi-controller takes only the controller that registered first.
    if (!sub->cmic.multi_ctrl) cs = {subsys_inst};
    std::vector<const scenario::Namespace*> nss;
    for (const auto& ns : sub->namespaces) nss.push_back(&ns);
    std::sort(nss.begin(), nss.end(), [](const auto* a, const auto* b) { return a->nsid < b->nsid; });
    for (std::size_t i = 0; i < nss.size(); ++i) {
      const std::size_t head = i + 1;
      auto add = [&](std::string n, bool hidden) { names.push_back({std::move(n), nss[i]->lba_size, nss[i]->size, hidden}); };
      if (mp && sub->cmic.multi_ctrl) {
        add(fmt::format("nvme{}n{}", subsys_inst, head), false);
        for (int c : cs) add(fmt::format("nvme{}c{}n{}", subsys_inst, c, head), true);
      } else if (mp) {
        add(fmt::format("nvme{}n{}", subsys_inst, head), false);
      } else {
        for (int c : cs) add(fmt::format("nvme{}n{}", c, head), false);
      }
    }
  }
  return names;
}

const scenario::Host* find_host(const scenario::Scenario& s, const std::string& name) {
  for (const auto& x : s.hosts)
    if (x.name == name) return &x;
  return nullptr;
}

}  // namespace

// Linux numbers controllers in the order they are created (the connects), and a subsystem (so
// its head disks, nvme<S>n<H>) after the controller that registers it first: the first whose
// Identify completes (nvme_init_subsystem), which over a faster link can be a later one.
std::vector<PredictedDevice> predicted_device_info(const scenario::Scenario& s, const std::string& host_name) {
  const scenario::Host* h = find_host(s, host_name);
  if (!h) return {};
  const auto ctrls = planned_ctrls(s, host_name);
  std::map<std::string, int> first_of;
  for (const auto& c : ctrls)
    if (!first_of.contains(c.link->subsystem)) first_of[c.link->subsystem] = first_ctrl_candidates(s, ctrls, c.link->subsystem).front();
  return device_names(s, *h, ctrls, first_of);
}

std::vector<std::vector<PredictedDevice>> possible_device_sets(const scenario::Scenario& s, const std::string& host_name) {
  const scenario::Host* h = find_host(s, host_name);
  if (!h) return {};
  const auto ctrls = planned_ctrls(s, host_name);
  std::vector<std::pair<std::string, std::vector<int>>> cands;
  for (const auto& c : ctrls)
    if (std::none_of(cands.begin(), cands.end(), [&](const auto& x) { return x.first == c.link->subsystem; }))
      cands.emplace_back(c.link->subsystem, first_ctrl_candidates(s, ctrls, c.link->subsystem));
  // Every combination of first controllers (the likeliest first), capped: names rarely depend on
  // more than one race.
  std::vector<std::map<std::string, int>> combos(1);
  for (const auto& [nqn, cs] : cands) {
    std::vector<std::map<std::string, int>> next;
    for (const auto& m : combos)
      for (int c : cs) {
        if (next.size() >= 64) break;
        auto n = m;
        n[nqn] = c;
        next.push_back(std::move(n));
      }
    combos = std::move(next);
  }
  std::vector<std::vector<PredictedDevice>> out;
  for (const auto& m : combos) out.push_back(device_names(s, *h, ctrls, m));
  return out;
}

std::vector<std::string> topology_warnings(const scenario::Scenario& s) {
  std::vector<std::string> out;
  for (const auto& w : s.workloads) {
    const auto sets = possible_device_sets(s, w.host);
    if (sets.size() < 2) continue;
    std::vector<std::string> heads;
    std::size_t with_target = 0;
    for (const auto& set : sets) {
      for (const auto& d : set) {
        if (d.name == w.target) ++with_target;
        if (!d.hidden && std::find(heads.begin(), heads.end(), d.name) == heads.end()) heads.push_back(d.name);
      }
    }
    if (with_target == sets.size()) continue;
    out.push_back(fmt::format(
        "{}:{}:{}: workload '{}': host '{}' names its devices after the controller that finishes connecting "
        "first, and that is too close to call (or a fault strikes before the connects finish): '{}' "
        "exists in {} of {} possible outcomes; the possible devices are {}. A job whose device never "
        "appears issues nothing and fails the run (expect.idle_jobs).",
        w.loc.file, w.loc.line, w.loc.column, w.name, w.host, w.target, with_target, sets.size(),
        fmt::join(heads, ", ")));
  }
  return out;
}

void check_runnable(const scenario::Scenario& s) {
  check_topology(s);
  if (s.report.trace)
    throw NotSupportedError({s.file, 0, 0}, "report.trace", "trace.json is not supported by this build yet");
  for (const auto& h : s.hosts) {
    check_variants(h);
    if (h.core == scenario::HostCore::Linux) check_kernel_core(h);
    check_profile(s, h);
  }
}

// hosts[].variant: known bug-pattern ids only; BP-01, BP-18 and BP-19 are how mainline behaves.
void check_variants(const scenario::Host& h) {
  std::vector<std::string> ids;
  for (const auto& v : host::variant_catalogue()) ids.emplace_back(v.id);
  for (const auto& id : h.variant) {
    if (host::is_mainline_property(id))
      throw InputError(h.loc, "variant",
                       fmt::format("{} is a mainline property, not a bug: it is how the default host model "
                                   "behaves (see the scenarios that demonstrate it), so it cannot be selected as a variant",
                                   id),
                       fmt::format("valid variants: {}", fmt::join(ids, ", ")));
    bool known = false;
    for (const auto& v : host::variant_catalogue()) known |= id == v.id;
    if (!known)
      throw InputError(h.loc, "variant", fmt::format("unknown bug-pattern variant '{}'", id),
                       fmt::format("valid variants: {}", fmt::join(ids, ", ")));
  }
}

// Settings the chosen kernel profile does not have (a 6.1 host has no queue-depth policy, ...).
// core: linux runs the kernel's multipath.c of the host's `kernel` version as it is: that blob
// must be in this build, and model-only knobs (variants, failover holds) do not apply.
void check_kernel_core(const scenario::Host& h) {
  const std::string k = scenario::to_string(h.kernel);
  const auto built = host::kernel_core_versions();
  if (built.empty())
    throw NotSupportedError(h.loc, "core",
                            "core: linux needs a build with the kernel backend (cmake -DNVMSIM_KERNEL_BACKEND=ON, "
                            "or scripts/setup --kernel)");
  if (std::find(built.begin(), built.end(), k) == built.end())
    throw NotSupportedError(h.loc, "core",
                            fmt::format("core: linux has no kernel {} in this build (built: {})", k, fmt::join(built, ", ")));
  if (!h.variant.empty())
    throw NotSupportedError(h.loc, "variant",
                            "variants are mutations of the model host; core: linux runs the kernel's code unchanged");
  if (h.multipath != scenario::Multipath::Native)
    throw NotSupportedError(h.loc, "multipath", "core: linux runs the kernel's native multipath: multipath must be native");
  if (h.nvme.failover_hold != scenario::FailoverHold::None)
    throw NotSupportedError(h.loc, "failover_hold", "the kernel has no failover hold (a model option): use core: model");
}

void check_profile(const scenario::Scenario& s, const scenario::Host& h) {
  const host::Profile p = host::profile_for(h.kernel);
  const std::string k = scenario::to_string(h.kernel);
  auto policy_ok = [&](scenario::IoPolicy pol) {
    return (pol != scenario::IoPolicy::QueueDepth || p.queue_depth) &&
           (pol != scenario::IoPolicy::RoundRobin || p.round_robin);
  };
  if (!policy_ok(h.iopolicy))
    throw InputError(h.loc, "iopolicy",
                     fmt::format("kernel {} has no iopolicy '{}'", k, scenario::to_string(h.iopolicy)),
                     p.round_robin ? "6.1 has numa and round-robin; queue-depth came in 6.11"
                                   : "4.15 has no iopolicy setting: it always uses the first live path");
  if (h.nvme.fast_io_fail_tmo && !p.fast_io_fail)
    throw InputError(h.loc, "nvme.fast_io_fail_tmo", fmt::format("kernel {} has no fast_io_fail_tmo", k),
                     "it came in 5.10");
  if (h.nvme.queue_if_no_path && !p.queue_if_no_path)
    throw InputError(h.loc, "nvme.queue_if_no_path",
                     fmt::format("kernel {} cannot queue I/O on a head with no path left", k),
                     "the head's delayed_removal_secs (queue_if_no_path) came in 6.16: use kernel \"6.17\"");
  for (const auto& f : s.faults) {
    if (f.action == "set-iopolicy" && f.host == h.name && f.iopolicy && !policy_ok(*f.iopolicy))
      throw InputError(f.loc, "iopolicy",
                       fmt::format("host '{}' runs kernel {}, which has no iopolicy '{}'", h.name, k,
                                   scenario::to_string(*f.iopolicy)));
  }
}

void check_topology(const scenario::Scenario& s) {
  for (const auto& w : s.workloads) {
    // The likeliest naming first, then the other outcomes of a connect race (topology_warnings).
    std::vector<PredictedDevice> devs;
    for (const auto& set : possible_device_sets(s, w.host)) devs.insert(devs.end(), set.begin(), set.end());
    const PredictedDevice* dev = nullptr;
    std::vector<std::string> visible;
    for (const auto& d : devs) {
      if (d.name == w.target && (!dev || (dev->hidden && !d.hidden))) dev = &d;
      if (!d.hidden && std::find(visible.begin(), visible.end(), d.name) == visible.end()) visible.push_back(d.name);
    }
    const std::string list = visible.empty() ? "none" : fmt::format("{}", fmt::join(visible, ", "));
    if (!dev)
      throw InputError(w.loc, "target", fmt::format("host '{}' will have no block device '{}'", w.host, w.target),
                       "its devices will be: " + list);
    if (dev->hidden)
      throw InputError(w.loc, "target",
                       fmt::format("'{}' is a hidden path device behind a multipath disk", w.target),
                       "open the head device instead: " + list);
    for (const auto& b : w.bs)
      if (b.bs % dev->lba_size != 0)
        throw InputError(w.loc, "bs",
                         fmt::format("block size {} is not a multiple of {}'s logical block size {}", b.bs,
                                     w.target, dev->lba_size));
    if (w.offset % dev->lba_size != 0 || w.size % dev->lba_size != 0)
      throw InputError(w.loc, w.offset % dev->lba_size ? "offset" : "size",
                       fmt::format("offset and size must be multiples of {}'s logical block size {}", w.target,
                                   dev->lba_size));
    if (w.offset >= dev->bytes)
      throw InputError(w.loc, "offset", fmt::format("offset is beyond the end of {} ({} bytes)", w.target, dev->bytes));
  }
}

namespace {

// Everything one run owns; destroyed in reverse order of construction.
class Run {
 public:
  Run(const scenario::Scenario& s, engine::Engine& eng) : s_(s), eng_(eng), cal_(eng.calendar()) {}

  RunOutput execute(const RunOptions& opts);

 private:
  void build_platform();
  void build_models();
  void connect_all();
  host::NvmeCtrl* add_controller(const scenario::Connect& c);
  void create_jobs();
  void subscribe();
  void schedule_faults();
  void apply_fault(const scenario::Fault& f);
  bool apply_device_fault(const scenario::Fault& f, device::Subsystem& sub);
  void record_path_state(host::NvmeNs* ns);
  void create_checker();
  void create_decision_trace(const DecisionTraceOptions& o);
  void evaluate_expectations();
  void evaluate_idle_jobs(const scenario::CountBound& b);
  std::string idle_reason(const host::Job& j) const;
  void note(Time t, std::string who, std::string what) { rec_.timeline.push_back({t, std::move(who), std::move(what)}); }
  HeadRecord& head_record(const std::string& name);
  HeadRecord* job_head(int job);
  std::vector<int> fault_paths(const scenario::Fault& f) const;
  void finish_heads();

  const scenario::Scenario& s_;
  engine::Engine& eng_;
  engine::Calendar& cal_;
  std::map<std::string, std::vector<std::string>> appeared_;  // host -> devices announced live, in order
  events::Bus bus_;
  std::map<std::string, engine::LinkHandle> link_handles_;
  std::map<std::string, std::unique_ptr<fabric::Link>> links_;
  std::map<std::string, std::unique_ptr<device::Subsystem>> subsystems_;
  std::map<std::string, std::unique_ptr<host::Host>> hosts_;
  std::vector<std::unique_ptr<host::Job>> jobs_;
  RunRecord rec_;
  std::vector<const host::NvmeCtrl*> ctrls_;  // same order as rec_.controllers
  std::vector<host::NvmeNs*> paths_;
  std::vector<int> path_head_;  // path id -> index in rec_.heads
  std::vector<std::size_t> open_switches_;  // rec_.switches not decided yet
  std::map<std::string, std::size_t> head_index_;
  std::vector<int> job_head_;  // job -> index in rec_.heads, -1 = not known yet
  std::unique_ptr<check::Checker> checker_;
  std::unique_ptr<metrics::TimeSeries> ts_;
  metrics::TimeSeries::ScopeId ts_total_ = 0;
  std::vector<metrics::TimeSeries::ScopeId> ts_job_, ts_path_;
  std::vector<report::FioJobLog> fio_logs_;  // per job, report.fio_logs
  std::unique_ptr<DecisionTrace> trace_;
  std::unique_ptr<OutstandingTracker> outstanding_;
  void finish_outstanding();
};

void Run::build_platform() {
  for (const auto& h : s_.hosts) eng_.add_host("host:" + h.name);
  for (const auto& sub : s_.subsystems)
    for (const auto& p : sub.ports) eng_.add_host(fmt::format("port:{}:{}", sub.nqn, p.id));
  for (const auto& l : s_.links) {
    const auto* sub = find_subsystem(s_, l.subsystem);
    const auto& port = find_port(*sub, l.port);
    const auto tp = fabric::transport_defaults(port.transport);
    link_handles_[l.name] = eng_.add_link(l.name, "host:" + l.host, fmt::format("port:{}:{}", l.subsystem, l.port),
                                          l.latency.value_or(tp.link_latency),
                                          l.bandwidth.value_or(tp.link_bandwidth));
  }
  eng_.seal();
}

HeadRecord& Run::head_record(const std::string& name) {
  auto it = head_index_.find(name);
  if (it == head_index_.end()) {
    it = head_index_.emplace(name, rec_.heads.size()).first;
    rec_.heads.push_back(HeadRecord{name});
  }
  return rec_.heads[it->second];
}

// The head record of the device a job opened (its own record for a disk without a head); null
// before the device exists.
HeadRecord* Run::job_head(int job) {
  const auto j = static_cast<std::size_t>(job);
  if (job_head_.size() <= j) job_head_.resize(j + 1, -1);
  if (job_head_[j] < 0) {
    auto it = head_index_.find(rec_.job_hosts[j] + "/" + jobs_[j]->config().target);
    if (it == head_index_.end()) return nullptr;
    job_head_[j] = static_cast<int>(it->second);
  }
  return &rec_.heads[static_cast<std::size_t>(job_head_[j])];
}

// A gap still open when the run ends counts as a gap (end - its start) if the head had I/O in it:
// a bio submitted or failed after its start, or one still outstanding at the end. It starts at
// the head's last successful completion, or at its first submission if nothing ever succeeded.
void Run::finish_heads() {
  for (HeadRecord& h : rec_.heads) {
    const Time from = h.last_completion >= 0 ? h.last_completion : h.first_submit;
    if (from < 0) continue;
    const bool busy = h.in_flight > 0 || h.last_activity > from || (h.last_completion < 0 && h.first_submit >= 0);
    if (busy && rec_.sim_time - from > h.longest_gap) {
      h.longest_gap = rec_.sim_time - from;
      h.gap_from = from;
      h.gap_open_at_end = true;
    }
  }
}

// Liveness counts what never finished: an I/O outstanding at the end stalled for its age.
void Run::finish_outstanding() {
  rec_.max_io_stall = rec_.max_completed_io_stall;
  const auto path_name = [this](int p) {
    if (p < 0 || static_cast<std::size_t>(p) >= rec_.paths.size()) return std::string();
    const auto& r = rec_.paths[static_cast<std::size_t>(p)];
    return r.host + "/" + r.name;
  };
  const auto head_name = [this](int h) {
    return h >= 0 && static_cast<std::size_t>(h) < rec_.heads.size() ? rec_.heads[static_cast<std::size_t>(h)].name
                                                                      : std::string();
  };
  const std::vector<OutstandingIo> open = outstanding_->outstanding();
  for (const OutstandingIo& io : open) rec_.max_io_stall = std::max(rec_.max_io_stall, rec_.sim_time - io.submitted);
  for (std::size_t i = 0; i < open.size() && i < kMaxOutstandingRecords; ++i) {
    const OutstandingIo& io = open[i];
    OutstandingRecord r;
    r.bio = io.bio;
    r.job = io.job >= 0 && static_cast<std::size_t>(io.job) < rec_.jobs.size()
                ? rec_.jobs[static_cast<std::size_t>(io.job)].jobname
                : std::string();
    r.submitted = io.submitted;
    r.age = rec_.sim_time - io.submitted;
    r.state = to_string(io.state);
    r.since = io.since;
    r.tag = io.tag;
    r.until = io.until;
    const std::string since = sc::format_seconds(io.since);
    switch (io.state) {
      case WaitState::NotSent:
        r.waits_on = "waiting for a tag: not sent to any path yet";
        break;
      case WaitState::InFlight:
        r.path = path_name(io.path);
        r.waits_on = fmt::format("in flight on path {} since {} (tag {:#x})", r.path, since, io.tag);
        break;
      case WaitState::Held:
        r.path = path_name(io.path);
        r.waits_on = fmt::format("held by failover hold until {} (failed over from {} at {})",
                                 sc::format_seconds(io.until), r.path, since);
        break;
      case WaitState::HeldCcr:
        r.path = path_name(io.path);
        r.waits_on = fmt::format("held until a cross-controller reset decides (failed over from {} at {})", r.path,
                                 since);
        break;
      case WaitState::Parked:
        r.head = head_name(io.head);
        r.waits_on = fmt::format("parked on head {}'s requeue list since {}", r.head, since);
        break;
      case WaitState::Requeued:
        r.head = head_name(io.head);
        r.waits_on = fmt::format("requeue pending: taken off head {}'s requeue list at {}, not sent again", r.head,
                                 since);
        break;
    }
    rec_.outstanding_oldest.push_back(std::move(r));
  }
}

void Run::build_models() {
  for (const auto& l : s_.links) {
    const auto& port = find_port(*find_subsystem(s_, l.subsystem), l.port);
    links_[l.name] = std::make_unique<fabric::Link>(l.name, cal_, link_handles_.at(l.name),
                                                    fabric::transport_defaults(port.transport));
  }
  for (const auto& sub : s_.subsystems)
    subsystems_[sub.nqn] = std::make_unique<device::Subsystem>(sub, cal_, bus_, s_.seed);
  for (const auto& h : s_.hosts) {
    auto host = std::make_unique<host::Host>(h, cal_, bus_);
    // Data tags unique across hosts: the host's number in the top 16 bits.
    host->set_tag_base(static_cast<std::uint64_t>(hosts_.size() + 1) << 48);
    host->on_path_added = [this](host::NvmeNs* ns) {
      ns->path_id = static_cast<int>(paths_.size());
      paths_.push_back(ns);
      PathRecord p;
      p.name = ns->disk_name;
      p.host = ns->ctrl->subsys()->host->name();
      p.head = ns->head && ns->head->has_disk ? ns->head->disk_name : ns->disk_name;
      p.ctrl = ns->ctrl->name();
      p.link = ns->ctrl->link().name();
      path_head_.push_back(static_cast<int>(&head_record(p.host + "/" + p.head) - rec_.heads.data()));
      if (ns->head) ns->head->record_id = path_head_.back();
      rec_.paths.push_back(std::move(p));
      if (ts_) ts_path_.push_back(ts_->scope("path:" + rec_.paths.back().host + "/" + ns->disk_name));
      record_path_state(ns);
    };
    host->on_path_state = [this](host::NvmeNs* ns) {
      if (ns->path_id >= 0) record_path_state(ns);
    };
    hosts_[h.name] = std::move(host);
  }
}

void Run::record_path_state(host::NvmeNs* ns) {
  auto& p = rec_.paths[static_cast<std::size_t>(ns->path_id)];
  std::string st;
  if (ns->ctrl->removed() || !ns->ready) st = "removed";
  else st = host::to_string(ns->ctrl->state());
  if (ns->ctrl->state() == host::CtrlState::Live && ns->ready && (ns->ctrl->subsys()->cmic & 0x8) &&
      ns->ctrl->profile().ana)
    st += std::string(" ") + nvme::to_string(ns->ana_state);
  if (bus_.has_subscribers<events::PathState>()) {
    const bool usable = st == "live optimized" || st == "live non-optimized" ||
                        (st == "live" && !ns->ctrl->removed() && ns->ready);
    bus_.publish(events::PathState{cal_.now(), ns->path_id, path_head_[static_cast<std::size_t>(ns->path_id)], usable,
                                   st != "removed", ns->ctrl->record_id});
  }
  if (bus_.has_subscribers<events::PathStateChanged>()) bus_.publish(events::PathStateChanged{cal_.now(), ns->path_id, st});
  if (!p.states.empty() && p.states.back().t == cal_.now()) p.states.back().state = st;  // same instant
  else if (p.states.empty() || p.states.back().state != st) p.states.push_back({cal_.now(), st});
  if (p.states.size() >= 2 && p.states[p.states.size() - 2].state == p.states.back().state) p.states.pop_back();
}

// One `nvme connect`: a host controller whose associations are opened by the connector, each time
// it (re)connects: the link must be up and the port must take the connection.
host::NvmeCtrl* Run::add_controller(const scenario::Connect& c) {
  auto& host = *hosts_.at(c.host);
  const auto* l = find_link(s_, c.link);
  auto& sub = *subsystems_.at(l->subsystem);
  const auto& port = find_port(sub.config(), l->port);
  host::CtrlOptions o;
  o.nvme = host.config().nvme;
  // Fabrics default: one I/O queue per online cpu (nvmf nr_io_queues), capped by the target.
  o.nr_io_queues = c.nr_io_queues > 0 ? c.nr_io_queues : host.config().cpus;
  o.queue_size = c.queue_size;
  o.numa_node = c.numa_node;
  fabric::Link& link = *links_.at(c.link);
  host::NvmeCtrl* ctrl = host.add_ctrl(o, link, port.transport);
  ctrl->record_id = static_cast<int>(ctrls_.size());
  ctrls_.push_back(ctrl);
  CtrlRecord rec;
  rec.name = host.name() + "/" + ctrl->name();
  rec.ctrl = ctrl->name();
  rec.host = host.name();
  rec.subsystem = l->subsystem;
  rec.link = l->name;
  rec_.controllers.push_back(std::move(rec));
  const int port_id = l->port;
  ctrl->start_connect([&link, &sub, port_id](host::NvmeCtrl& hc) -> std::optional<std::uint32_t> {
    if (!link.is_up()) return std::nullopt;  // ENETUNREACH: the connect fails at once
    device::Controller* d = sub.accept(port_id);
    if (!d) return std::nullopt;  // refused: port down or subsystem powered off
    const std::uint32_t assoc = link.open_association(&hc, d);
    d->bind(&link, assoc);
    return assoc;
  });
  return ctrl;
}

void Run::connect_all() {
  for (const auto& c : s_.connect) cal_.call_at(c.at, [this, &c]() { add_controller(c); });
}

void Run::create_jobs() {
  int index = 0;
  const Time end = s_.end_time();
  for (const auto& w : s_.workloads) {
    auto& host = *hosts_.at(w.host);
    for (int clone = 0; clone < w.numjobs; ++clone) {
      jobs_.push_back(std::make_unique<host::Job>(host, w, clone, index++, end, s_.seed));
      rec_.jobs.emplace_back(jobs_.back()->name(), 0);
      rec_.job_hosts.push_back(w.host);
    }
  }
  for (auto& [name, host] : hosts_) {
    host->on_device_live = [this, name = name](host::BlockDevice* dev) {
      auto& seen = appeared_[name];
      if (std::find(seen.begin(), seen.end(), dev->disk_name) == seen.end()) seen.push_back(dev->disk_name);
      for (auto& j : jobs_)
        if (j->config().host == name && j->config().target == dev->disk_name) j->device_ready(dev);
    };
  }
}

void Run::subscribe() {
  outstanding_ = std::make_unique<OutstandingTracker>(bus_);
  bus_.subscribe<events::BioCompleted>([this](const events::BioCompleted& e) {
    ++rec_.ios;
    const Time slat = e.issued - e.submitted;
    const Time clat = e.t - e.issued;
    const auto dir = static_cast<metrics::Dir>(e.dir);
    auto& job = rec_.jobs[static_cast<std::size_t>(e.job)];
    rec_.max_completed_io_stall = std::max(rec_.max_completed_io_stall, e.t - e.submitted);
    // Failed I/O is not throughput (fio): errors are counted apart, in no rate or latency.
    if (e.status != 0) {
      ++rec_.app_errors;
      job.add_error(dir, e.t, e.status);
      if (ts_) {
        ts_->add_error(ts_total_, e.t);
        ts_->add_error(ts_job_[static_cast<std::size_t>(e.job)], e.t);
      }
      return;
    }
    const auto& src = *jobs_[static_cast<std::size_t>(e.job)];
    const Time stats_from = src.started() + src.config().ramp_time;  // fio: nothing counts during ramp_time
    if (e.t >= stats_from) {
      job.add(dir, e.t, e.bytes, slat, clat);
      if (!fio_logs_.empty()) fio_logs_[static_cast<std::size_t>(e.job)].add(dir, e.t - stats_from, e.bytes, slat, clat);
    }
    if (ts_) {
      ts_->add(ts_total_, e.t, dir, e.bytes, e.t - e.submitted);
      ts_->add(ts_job_[static_cast<std::size_t>(e.job)], e.t, dir, e.bytes, e.t - e.submitted);
    }
  });
  // Per head: I/O submitted to it, failed on it and still outstanding, for the gap still open at
  // the end of the run (finish_heads).
  bus_.subscribe<events::BioSubmitted>([this](const events::BioSubmitted& e) {
    if (HeadRecord* h = job_head(e.job)) {
      ++h->in_flight;
      if (h->first_submit < 0) h->first_submit = e.t;
      h->last_activity = e.t;
    }
  });
  bus_.subscribe<events::BioCompleted>([this](const events::BioCompleted& e) {
    if (HeadRecord* h = job_head(e.job)) {
      if (h->in_flight > 0) --h->in_flight;  // a double completion (BP-13) must not wrap it
      if (e.status != 0) h->last_activity = e.t;
    }
  });
  bus_.subscribe<events::RequestCompleted>([this](const events::RequestCompleted& e) {
    if (e.path < 0) return;
    auto& p = rec_.paths[static_cast<std::size_t>(e.path)];
    ++p.ios;
    p.bytes += e.bytes;
    if (ts_) {
      if (e.status != 0) ts_->add_error(ts_path_[static_cast<std::size_t>(e.path)], e.t);
      else
        ts_->add(ts_path_[static_cast<std::size_t>(e.path)], e.t, static_cast<metrics::Dir>(e.dir), e.bytes,
                 e.t - e.issued);
    }
    if (e.status != 0) return;
    const int head_id = path_head_[static_cast<std::size_t>(e.path)];
    HeadRecord& h = rec_.heads[static_cast<std::size_t>(head_id)];
    if (h.last_completion >= 0 && e.t - h.last_completion > h.longest_gap) {
      h.longest_gap = e.t - h.last_completion;
      h.gap_from = h.last_completion;
    }
    ++h.completions;
    h.last_completion = e.t;
    h.last_path = e.path;
    // The head's first completion of a request sent after a fault decides: another path took over, or the old one
    // still serves (no switch needed). Decided records leave the open list.
    // Only a request sent at or after the fault decides: one already in flight when it happened
    // shows where the head stood, not where it went.
    for (std::size_t k = 0; k < open_switches_.size();) {
      PathSwitch& sw = rec_.switches[open_switches_[k]];
      if (sw.head_id != head_id || e.issued < sw.fault_t) {
        ++k;
        continue;
      }
      // A path the fault hit (or, when it hit none of the head's, the path used before) still
      // serving means no switch was needed.
      const bool failing = sw.failing.empty()
                               ? sw.from_path == e.path
                               : std::find(sw.failing.begin(), sw.failing.end(), e.path) != sw.failing.end();
      if (!failing) {
        sw.at = e.t;
        sw.to = p.name;
      } else {
        sw.stayed = true;
        sw.to = p.name;
      }
      open_switches_[k] = open_switches_.back();
      open_switches_.pop_back();
    }
  });
  bus_.subscribe<events::CtrlStateChanged>([this](const events::CtrlStateChanged& e) {
    if (e.ctrl_id < 0) return;
    const auto i = static_cast<std::size_t>(e.ctrl_id);
    rec_.controllers[i].transitions.push_back({e.t, e.from, e.to, e.reason});
    note(e.t, e.ctrl, fmt::format("{} -> {} ({})", e.from, e.to, e.reason));
    for (host::NvmeNs* ns : paths_)
      if (ns->ctrl == ctrls_[i]) record_path_state(ns);
  });
  bus_.subscribe<events::Failover>([this](const events::Failover& e) {
    ++rec_.failover_count;
    if (rec_.failovers.size() >= kMaxFailoverRecords) return;
    const std::string path = e.path >= 0 ? rec_.paths[static_cast<std::size_t>(e.path)].name : "";
    const std::string ctrl = e.ctrl_id >= 0 ? rec_.controllers[static_cast<std::size_t>(e.ctrl_id)].name : "";
    const bool new_burst = rec_.failovers.empty() || rec_.failovers.back().path != path ||
                           e.t - rec_.failovers.back().t >= kMillisecond;
    if (new_burst)
      rec_.timeline.push_back({e.t, e.head, "", static_cast<std::int64_t>(rec_.failovers.size())});
    rec_.failovers.push_back({e.t, e.head, path, ctrl, e.status, e.bios, e.release_at});
  });
  bus_.subscribe<events::ReconnectAttempt>([this](const events::ReconnectAttempt& e) {
    if (e.ctrl_id < 0) return;
    ++rec_.controllers[static_cast<std::size_t>(e.ctrl_id)].reconnect_attempts;
  });
  bus_.subscribe<events::HostEvent>([this](const events::HostEvent& e) { note(e.t, e.host, e.what); });
  // Writes that land after their controller lost the host (only possible with a zombie window).
  bool zombies = false;
  for (const auto& sub : s_.subsystems) zombies |= sub.controller.zombie_window > 0;
  if (zombies)
    bus_.subscribe<events::MediaWrite>([this](const events::MediaWrite& e) {
      if (!e.zombie) return;
      ++rec_.zombie_writes;
      note(e.t, "target", fmt::format("late write landed: nsid {} lba {}+{} (its controller lost the host)", e.nsid,
                                      e.slba, e.nlb));
    });
  bus_.subscribe<events::DeviceEvent>([this](const events::DeviceEvent& e) {
    std::string who = "target";
    if (e.port >= 0) who += fmt::format(" port {}", e.port);
    if (e.cntlid >= 0) who += fmt::format(" ctrl {}", e.cntlid);
    note(e.t, who, e.what);
  });
}

// Every fault occurrence (at, at + every, ...) runs at its exact simulated time.
void Run::schedule_faults() {
  for (const auto& f : s_.faults) {
    for (int i = 0; i < f.count; ++i) {
      const Time t = f.at + (f.every ? Time{i} * *f.every : 0);
      if (t > rec_.end) break;
      eng_.at(t, [this, &f]() { apply_fault(f); });
    }
  }
}

namespace {
std::string fault_target(const scenario::Fault& f) {
  std::vector<std::string> parts;
  if (!f.host.empty()) parts.push_back("host " + f.host);
  if (!f.link.empty()) parts.push_back("link " + f.link);
  if (!f.subsystem.empty()) parts.push_back(f.subsystem);
  if (f.port) parts.push_back(fmt::format("port {}", *f.port));
  if (f.cntlid) parts.push_back(fmt::format("cntlid {}", *f.cntlid));
  if (f.group) parts.push_back(fmt::format("group {}", *f.group));
  if (f.nsid) parts.push_back(fmt::format("nsid {}", *f.nsid));
  if (f.state) parts.push_back(std::string("-> ") + scenario::to_string(*f.state));
  if (f.iopolicy) parts.push_back(std::string("-> ") + scenario::to_string(*f.iopolicy));
  if (f.action == "link-down") parts.push_back(std::string("mode ") + scenario::to_string(f.mode));
  if (f.status) parts.push_back(fmt::format("status 0x{:03x}{}", *f.status, f.dnr ? " dnr" : ""));
  return fmt::format("{}", fmt::join(parts, ", "));
}
}  // namespace

// The paths (world ids, ascending) a fault acts on: its link's, or its subsystem's on its port,
// narrowed to its ANA group, namespace or controller. set-iopolicy acts on none.
std::vector<int> Run::fault_paths(const scenario::Fault& f) const {
  std::vector<int> out;
  if (f.action == "set-iopolicy") return out;
  for (std::size_t p = 0; p < paths_.size(); ++p) {
    const host::NvmeNs* ns = paths_[p];
    const auto& rec = rec_.paths[p];
    bool on = false;
    if (!f.link.empty()) {
      on = rec.link == f.link;
    } else if (!f.subsystem.empty()) {
      const auto* l = find_link(s_, rec.link);
      on = l && l->subsystem == f.subsystem && (!f.port || l->port == *f.port);
      if (on && f.cntlid) on = ns->ctrl->id().cntlid == *f.cntlid;
      if (on && f.nsid) on = ns->nsid == static_cast<std::uint32_t>(*f.nsid);
      if (on && f.group) {
        const auto* sub = find_subsystem(s_, f.subsystem);
        bool in_group = false;
        for (const auto& n : sub->namespaces) in_group |= n.nsid == ns->nsid && n.ana_group == *f.group;
        on = in_group;
      }
    }
    if (on) out.push_back(static_cast<int>(p));
  }
  return out;
}

void Run::apply_fault(const scenario::Fault& f) {
  const Time now = cal_.now();
  rec_.faults.push_back({now, f.action, fault_target(f)});
  note(now, "fault", f.action + " " + rec_.faults.back().target);
  if (trace_) trace_->fault(now, f.action, rec_.faults.back().target);
  // Where each head stood: the next completion, of a request sent from now on, through a path the
  // fault did not hit ends the switch.
  // A restoring fault (or a change to optimized) breaks no path: the head's last path is `from`.
  static const std::set<std::string> kRestoring = {"link-up",     "port-up",       "host-connect", "ns-attach",
                                                   "power-restore", "ctrl-resume", "set-iopolicy"};
  const bool restoring = kRestoring.count(f.action) != 0 ||
                         (f.action == "ana-change" && f.state && *f.state == scenario::AnaState::Optimized);
  const std::vector<int> hit = restoring ? std::vector<int>{} : fault_paths(f);
  for (std::size_t i = 0; i < rec_.heads.size(); ++i) {
    const HeadRecord& h = rec_.heads[i];
    if (h.last_path < 0) continue;
    // A switch still open from an earlier instant ends here: nothing completed on another path
    // before the next fault.
    for (std::size_t k = 0; k < open_switches_.size();) {
      const PathSwitch& sw = rec_.switches[open_switches_[k]];
      if (sw.head_id == static_cast<int>(i) && sw.fault_t < now) {
        open_switches_[k] = open_switches_.back();
        open_switches_.pop_back();
      } else {
        ++k;
      }
    }
    // The head's paths this fault hits; `from` is the one it used last if that is one of them.
    std::vector<int> head_hit;
    for (int p : hit)
      if (path_head_[static_cast<std::size_t>(p)] == static_cast<int>(i)) head_hit.push_back(p);
    int from = h.last_path;
    if (!head_hit.empty() && std::find(head_hit.begin(), head_hit.end(), from) == head_hit.end()) from = head_hit.front();
    // Faults at the same instant share one switch record per head (the records of this instant
    // are the last ones).
    bool same = false;
    for (auto it = rec_.switches.rbegin(); it != rec_.switches.rend() && it->fault_t == now && !same; ++it)
      same = it->head_id == static_cast<int>(i);
    if (!same) {
      open_switches_.push_back(rec_.switches.size());
      rec_.switches.push_back({now, f.action, h.name, rec_.paths[static_cast<std::size_t>(from)].name, "", -1,
                               false, static_cast<int>(i), from, std::move(head_hit)});
    } else {
      // Same instant, same head: the paths of every fault of this instant failed.
      for (auto it = rec_.switches.rbegin(); it != rec_.switches.rend() && it->fault_t == now; ++it)
        if (it->head_id == static_cast<int>(i)) {
          for (int p : head_hit)
            if (std::find(it->failing.begin(), it->failing.end(), p) == it->failing.end()) it->failing.push_back(p);
          std::sort(it->failing.begin(), it->failing.end());
          break;
        }
    }
  }
  if (f.action == "link-down") return links_.at(f.link)->go_down(f.mode == scenario::LinkDownMode::Reset);
  if (f.action == "link-up") return links_.at(f.link)->go_up();
  if (f.action == "link-degrade") {
    auto& l = *links_.at(f.link);
    if (f.latency) l.set_latency(*f.latency);
    if (f.bandwidth) l.set_bandwidth(*f.bandwidth);
    if (f.loss) l.set_loss(*f.loss, Rng(s_.seed, "loss:" + f.link));
    return;
  }
  if (f.action == "host-disconnect") {
    for (const host::NvmeCtrl* c : ctrls_) {
      auto* ctrl = const_cast<host::NvmeCtrl*>(c);
      if (ctrl->link().name() == f.link && !ctrl->removed() && !host::nvme_state_terminal(ctrl->state()))
        ctrl->nvme_delete_ctrl("nvme disconnect");
    }
    return;
  }
  if (f.action == "host-connect") {
    scenario::Connect c;
    c.host = f.host;
    c.link = f.link;
    for (const auto& orig : s_.connect)
      if (orig.link == f.link && orig.host == f.host) c = orig;
    add_controller(c);
    return;
  }
  if (f.action == "set-iopolicy") {
    hosts_.at(f.host)->set_iopolicy(f.subsystem, *f.iopolicy);
    return;
  }
  auto& sub = *subsystems_.at(f.subsystem);
  if (!apply_device_fault(f, sub)) NVMSIM_ASSERT(false, "fault action '{}' has no implementation", f.action);
}

// The oracles run only for scenarios with expectations (they cost time and memory).
void Run::create_checker() {
  const auto& x = s_.expect;
  if (x.empty()) return;
  check::CheckerConfig cfg;
  cfg.exactly_once = x.no_lost_io.value_or(false);
  cfg.partial = x.no_partial_completion.value_or(false);
  cfg.linearizable = x.linearizable.value_or(false);
  cfg.durable = x.durable_after_flush.value_or(false);
  cfg.max_io_stall = x.max_io_stall;
  check::CheckerNames names;
  names.path_name = [this](int p) {
    const auto& r = rec_.paths[static_cast<std::size_t>(p)];
    return r.host + "/" + r.name;
  };
  names.head_name = [this](int h) { return h >= 0 ? rec_.heads[static_cast<std::size_t>(h)].name : std::string("?"); };
  names.path_namespace = [this](int p) {
    const host::NvmeNs* ns = paths_[static_cast<std::size_t>(p)];
    return fmt::format("{}/{}", ns->ctrl->id().subnqn, ns->nsid);
  };
  names.head_queues_without_path = [this](int h) {
    for (const host::NvmeNs* ns : paths_)
      if (ns->head && ns->head->record_id == h)
        return ns->head->queue_if_no_path && ns->ctrl->profile().queue_if_no_path;
    return false;
  };
  names.job_namespace = [this](int j) -> std::pair<std::string, std::uint32_t> {
    const host::BlockDevice* dev = jobs_[static_cast<std::size_t>(j)]->device();
    if (const auto* head = dynamic_cast<const host::NsHead*>(dev); head && head->subsys)
      return {fmt::format("{}/{}", head->subsys->nqn, head->nsid), head->lba_size()};
    if (const auto* ns = dynamic_cast<const host::NvmeNs*>(dev); ns && ns->ctrl)
      return {fmt::format("{}/{}", ns->ctrl->id().subnqn, ns->nsid), ns->lba_size()};
    return {};
  };
  checker_ = std::make_unique<check::Checker>(bus_, cfg, std::move(names));
}

// --decision-trace: created before the metrics subscribe, so that its line for a controller's
// transition comes before the path state changes that transition causes.
void Run::create_decision_trace(const DecisionTraceOptions& o) {
  if (o.file.empty()) return;
  TraceNames names;
  names.path = [this](int p) {
    const auto& r = rec_.paths[static_cast<std::size_t>(p)];
    return TraceNames::Path{r.host + "/" + r.name, r.host + "/" + r.head, r.host + "/" + r.ctrl};
  };
  names.head = [this](int h) { return h >= 0 ? rec_.heads[static_cast<std::size_t>(h)].name : std::string("?"); };
  names.ctrl = [this](int c) { return c >= 0 ? rec_.controllers[static_cast<std::size_t>(c)].name : std::string("?"); };
  trace_ = std::make_unique<DecisionTrace>(bus_, o, std::move(names), s_.name, s_.seed);
}

// Every `expect` key against what the run did; the oracles' findings become violations.
// Why a job issued nothing: its device never appeared (and which did), or it never got to start.
std::string Run::idle_reason(const host::Job& j) const {
  const auto& w = j.config();
  if (!j.running()) {
    std::vector<std::string> seen;
    if (auto it = appeared_.find(w.host); it != appeared_.end()) seen = it->second;
    if (!j.has_device())
      return fmt::format("its device {} never appeared on host {} (devices that did: {})", w.target, w.host,
                         seen.empty() ? std::string("none") : fmt::format("{}", fmt::join(seen, ", ")));
    return fmt::format("its device {} appeared, but the run ended before the job's start at {}", w.target,
                       sc::format_duration(std::max(w.start, Time{0})));
  }
  return "it started, but its runtime ended before its first submission";
}

void Run::evaluate_expectations() {
  const auto& x = s_.expect;
  // A job that did nothing is a failed run unless the scenario allows it (expect.idle_jobs):
  // checked on every run, with or without the oracles.
  const scenario::CountBound idle_bound = x.idle_jobs.value_or(scenario::CountBound{std::nullopt, 0});
  const bool idle_check = x.idle_jobs || !rec_.idle_jobs.empty();
  if (x.empty() && !idle_check) return;
  rec_.has_expect = true;
  if (!checker_) {
    evaluate_idle_jobs(idle_bound);
    return;
  }
  std::vector<std::uint64_t> held;
  for (const auto& [name, h] : hosts_) {
    auto roots = h->held_bio_roots();
    held.insert(held.end(), roots.begin(), roots.end());
  }
  std::sort(held.begin(), held.end());
  checker_->finish(rec_.sim_time, held);
  for (const auto& v : checker_->violations())
    rec_.violations.push_back({v.kind, v.t, v.head, v.path, v.bio, v.lba ? static_cast<std::int64_t>(*v.lba) : -1,
                               v.message, v.chain});
  rec_.violation_counts = checker_->counts();
  // Deadlock/hang detector: host work (scan, ANA update, deletion, reconnect) still waiting for
  // something that cannot happen at the end of the run.
  if (x.max_io_stall) {
    for (const auto& [name, h] : hosts_) {
      const Time since = h->blocked_since();
      if (since < 0 || rec_.sim_time - since <= check::CheckerConfig{}.parked_bound) continue;
      for (const auto& [key, blocked] : h->blocked_work()) {
        rec_.violations.push_back({"hang", rec_.sim_time, name, "", 0, -1,
                                   fmt::format("host work blocked since {:.6f}s and still waiting: {}",
                                               static_cast<double>(blocked.first) / 1e9, blocked.second),
                                   {}});
        ++rec_.violation_counts["hang"];
      }
    }
  }
  auto count = [&](std::initializer_list<const char*> kinds) {
    std::uint64_t n = 0;
    for (const char* k : kinds) {
      auto it = rec_.violation_counts.find(k);
      if (it != rec_.violation_counts.end()) n += it->second;
    }
    return n;
  };
  auto oracle = [&](const char* key, std::optional<bool> want, std::initializer_list<const char*> kinds) {
    if (!want) return;
    const std::uint64_t n = count(kinds);
    // Evidence the checker had to give up on makes a clean verdict unknown, never true.
    const auto unk = checker_->unknown().find(key);
    if (n == 0 && *want && unk != checker_->unknown().end()) {
      std::vector<std::string> why;
      for (const auto& [reason, c] : unk->second) why.push_back(fmt::format("{} x {}", c, reason));
      rec_.expect.push_back({key, "true", fmt::format("unknown (evidence evicted: {})", fmt::join(why, "; ")), false});
      return;
    }
    rec_.expect.push_back({key, *want ? "true" : "false", n ? fmt::format("{} violation(s)", n) : "none",
                           !*want || n == 0});
  };
  oracle("no_lost_io", x.no_lost_io, {"lost_io", "double_completion"});
  oracle("no_partial_completion", x.no_partial_completion, {"partial_completion", "bio_steal"});
  oracle("linearizable", x.linearizable, {"ghost_write", "stale_read"});
  oracle("durable_after_flush", x.durable_after_flush, {"durability"});
  auto bound = [](const scenario::CountBound& b) {
    if (b.min && b.max && *b.min == *b.max) return fmt::format("{}", *b.min);
    std::string s;
    if (b.min) s += fmt::format(">= {}", *b.min);
    if (b.max) s += fmt::format("{}<= {}", s.empty() ? "" : ", ", *b.max);
    return s;
  };
  auto within = [](const scenario::CountBound& b, std::uint64_t v) {
    const auto iv = static_cast<std::int64_t>(v);
    return (!b.min || iv >= *b.min) && (!b.max || iv <= *b.max);
  };
  if (x.app_errors)
    rec_.expect.push_back({"app_errors", bound(*x.app_errors), std::to_string(rec_.app_errors),
                           within(*x.app_errors, rec_.app_errors)});
  if (x.failovers)
    rec_.expect.push_back({"failovers", bound(*x.failovers), std::to_string(rec_.failover_count),
                           within(*x.failovers, rec_.failover_count)});
  if (x.max_io_stall) {
    // The checker's stall rule (completed or outstanding bio older than the bound) and the
    // reported max_io_stall (outstanding ones at their age at the end) measure the same thing:
    // the figure above the bound fails the key even if the checker saw nothing.
    const std::uint64_t n = count({"stall", "parked_with_path", "no_path_not_failed", "hang"});
    const bool over = rec_.max_io_stall > *x.max_io_stall;
    rec_.expect.push_back({"max_io_stall", sc::format_duration(*x.max_io_stall),
                           n ? fmt::format("{} violation(s), longest I/O {}", n, sc::format_duration(rec_.max_io_stall))
                             : fmt::format("longest I/O {}", sc::format_duration(rec_.max_io_stall)),
                           n == 0 && !over});
  }
  if (x.path_switch_within) {
    Time worst = 0;
    bool ok = true;
    for (const auto& sw : rec_.switches) {
      // Restoring something (link-up, port-up, host-connect, ns-attach, power-restore,
      // ctrl-resume) or changing the policy breaks no path: nothing has to switch.
      static const std::set<std::string> kNotDisruptive = {"link-up",     "port-up",       "host-connect",
                                                           "ns-attach",   "power-restore", "ctrl-resume",
                                                           "set-iopolicy"};
      if (kNotDisruptive.count(sw.fault)) continue;
      if (sw.at >= 0) {
        worst = std::max(worst, sw.at - sw.fault_t);
        if (sw.at - sw.fault_t > *x.path_switch_within) ok = false;
      } else if (!sw.stayed) {
        ok = false;  // its path stopped and no other took over
        worst = kNever;
      }
    }
    rec_.expect.push_back({"path_switch_within", sc::format_duration(*x.path_switch_within),
                           worst == kNever ? std::string("a head never switched") : sc::format_duration(worst), ok});
  }
  if (x.max_outstanding_at_end)
    rec_.expect.push_back({"max_outstanding_at_end", std::to_string(*x.max_outstanding_at_end),
                           std::to_string(rec_.outstanding),
                           static_cast<std::int64_t>(rec_.outstanding) <= *x.max_outstanding_at_end});
  if (idle_check) evaluate_idle_jobs(idle_bound);
}

void Run::evaluate_idle_jobs(const scenario::CountBound& b) {
  const auto n = static_cast<std::int64_t>(rec_.idle_jobs.size());
  std::string expected = b.max ? fmt::format("<= {}", *b.max) : std::string();
  if (b.min) expected = fmt::format(">= {}{}", *b.min, expected.empty() ? "" : ", " + expected);
  std::string actual = std::to_string(n);
  for (const auto& j : rec_.idle_jobs) actual += fmt::format("; {}: {}", j.name, j.reason);
  rec_.expect.push_back({"idle_jobs", expected, actual, (!b.min || n >= *b.min) && (!b.max || n <= *b.max)});
}

// Subsystem-side actions (device/ owns their behaviour).
bool Run::apply_device_fault(const scenario::Fault& f, device::Subsystem& sub) {
  const auto each_ctrl = [&](void (device::Subsystem::*fn)(device::Controller&)) {
    for (device::Controller* c : sub.select(f.port, f.cntlid)) (sub.*fn)(*c);
  };
  if (f.action == "port-down") sub.port_down(*f.port);
  else if (f.action == "port-up") sub.port_up(*f.port);
  else if (f.action == "ctrl-reset") each_ctrl(&device::Subsystem::ctrl_reset);
  else if (f.action == "ctrl-hang") each_ctrl(&device::Subsystem::ctrl_hang);
  else if (f.action == "ctrl-resume") each_ctrl(&device::Subsystem::ctrl_resume);
  else if (f.action == "ctrl-fatal") each_ctrl(&device::Subsystem::ctrl_fatal);
  else if (f.action == "ana-change")
    sub.ana_change(*f.port, static_cast<std::uint32_t>(*f.group), nvme::from_scenario(*f.state), f.via_change, f.aen);
  else if (f.action == "inject-status") {
    device::StatusInjection inj;
    inj.port = *f.port;
    inj.opcode = f.match_opcode;
    inj.lba_range = f.match_lba_range;
    inj.status = static_cast<std::uint16_t>(*f.status | (f.dnr ? nvme::status::kDnr : 0) | (f.crd.value_or(0) << 11));
    inj.remaining = f.inject_count ? *f.inject_count : -1;
    sub.inject_status(inj);
  } else if (f.action == "power-loss") sub.power_loss();
  else if (f.action == "power-restore") sub.power_restore();
  else if (f.action == "ns-detach") sub.ns_detach(*f.nsid, *f.port);
  else if (f.action == "ns-attach") sub.ns_attach(*f.nsid, *f.port);
  else return false;
  return true;
}

RunOutput Run::execute(const RunOptions& opts) {
  rec_.scenario = &s_;
  rec_.overrides = opts.overrides;
  rec_.host_core = opts.host_core;
  rec_.end = s_.end_time();
  if (s_.report.timeseries) {
    ts_ = std::make_unique<metrics::TimeSeries>(*s_.report.timeseries);
    ts_total_ = ts_->scope("total");
  }
  build_platform();
  build_models();
  connect_all();
  create_jobs();
  if (ts_)
    for (const auto& j : jobs_) ts_job_.push_back(ts_->scope("job:" + j->name()));
  if (s_.report.fio_logs) fio_logs_.assign(jobs_.size(), report::FioJobLog(*s_.report.timeseries));
  create_decision_trace(opts.decision_trace);
  subscribe();
  create_checker();
  schedule_faults();

  std::function<void(const engine::Calendar&)> progress;
  if (opts.progress)
    progress = [&](const engine::Calendar& cal) {
      opts.progress(Progress{cal.now(), rec_.end, cal.events_run(), rec_.ios});
    };
  cal_.set_instant_limit(s_.limits.events_per_instant);
  eng_.run(rec_.end, progress, 1u << 18);
  if (cal_.livelocked())
    throw std::runtime_error(fmt::format("{}\nreplay: {}", cal_.livelock_report(), replay_command(rec_)));

  rec_.sim_time = cal_.now();
  rec_.events = cal_.events_run();
  rec_.engine_pumps = eng_.pumps();
  if (trace_) trace_->finish(rec_.sim_time);
  for (std::size_t i = 0; i < jobs_.size(); ++i) {
    const auto& j = *jobs_[i];
    auto& st = rec_.jobs[i];
    st.job_start = j.running() ? std::min(j.started() + j.config().ramp_time, std::max(j.last_completion(), j.started())) : 0;
    st.iodepth = j.config().iodepth;
    st.job_options = job_options(j.config());
    st.stop_on_error = stop_on_error_dirs(j.config().continue_on_error);
    st.finish(j.running() ? std::max(j.last_completion(), st.job_start) : 0);
    rec_.outstanding += j.in_flight();
    if (j.submitted() == 0) rec_.idle_jobs.push_back({j.name(), idle_reason(j)});
  }
  finish_heads();
  finish_outstanding();
  for (std::size_t i = 0; i < ctrls_.size(); ++i) {
    rec_.controllers[i].cntlid = ctrls_[i]->id().cntlid;
    rec_.controllers[i].state = host::to_string(ctrls_[i]->state());
  }
  for (const auto& [name, h] : hosts_) rec_.topology.push_back(capture_topology(*h));
  resolve_topology(rec_.topology, s_);
  if (ts_) ts_->finish(rec_.sim_time);
  evaluate_expectations();

  RunOutput out;
  out.results = results_json(rec_);
  out.topology = rec_.topology;
  out.events = rec_.events;
  out.ios = rec_.ios;
  out.summary = summary_text(rec_);
  if (ts_) out.timeseries_csv = ts_->csv();
  // fio names a job's logs after its job name and thread number (1, 2, ... over the run).
  for (std::size_t i = 0; i < fio_logs_.size(); ++i) {
    fio_logs_[i].finish(rec_.jobs[i].runtime_ns);
    for (auto& f : report::fio_log_files(fio_logs_[i], jobs_[i]->config().name, static_cast<int>(i) + 1))
      out.fio_logs.push_back(std::move(f));
  }
  out.violations_json = rec_.has_expect ? violations_json(rec_).dump(2) + "\n" : std::string();
  out.exit_code = std::all_of(rec_.expect.begin(), rec_.expect.end(), [](const ExpectResult& x) { return x.ok; }) ? 0 : 1;
  return out;
}

}  // namespace

RunOutput run_world(const scenario::Scenario& s, engine::Engine& engine, const RunOptions& opts) {
  check_runnable(s);
  Run run(s, engine);
  return run.execute(opts);
}

}  // namespace sim::world
