#include "sim/world/report.hpp"

#include <fmt/format.h>

#include "host/host.hpp"
#include "sim/report/fio_json.hpp"
#include "sim/report/fio_text.hpp"
#include "sim/rng.hpp"
#include "sim/scenario/loader.hpp"
#include "sim/scenario/units.hpp"
#include "sim/version.hpp"

namespace sim::world {

namespace sc = sim::scenario;

namespace {
// Timeline times: seconds with microsecond resolution read better than raw nanoseconds
// (results.json keeps the exact values).
std::string secs(Time t) { return sc::format_seconds(t); }
}  // namespace

std::vector<std::pair<std::string, std::string>> job_options(const sc::Workload& w) {
  std::vector<std::pair<std::string, std::string>> o;
  o.emplace_back("name", w.name);
  o.emplace_back("filename", "/dev/" + w.target);
  o.emplace_back("rw", sc::to_string(w.rw));
  if (w.rw == sc::RwMode::Rw || w.rw == sc::RwMode::RandRw) o.emplace_back("rwmixread", std::to_string(w.rwmixread));
  std::string bs;
  for (const auto& b : w.bs) {
    if (!bs.empty()) bs += ":";
    bs += sc::format_size(b.bs);
    if (w.bs.size() > 1) bs += "/" + std::to_string(b.percent);
  }
  o.emplace_back(w.bs.size() > 1 ? "bssplit" : "bs", bs);
  o.emplace_back("iodepth", std::to_string(w.iodepth));
  o.emplace_back("numjobs", std::to_string(w.numjobs));
  if (w.size) o.emplace_back("size", sc::format_size(w.size));
  if (w.offset) o.emplace_back("offset", sc::format_size(w.offset));
  if (w.rate_iops) o.emplace_back("rate_iops", std::to_string(w.rate_iops));
  if (w.ramp_time) o.emplace_back("ramp_time", sc::format_duration(w.ramp_time));
  if (w.runtime) o.emplace_back("runtime", sc::format_duration(*w.runtime));
  if (w.fua) o.emplace_back("fua", "1");
  if (w.flush_every) o.emplace_back("fsync", std::to_string(w.flush_every));
  if (w.continue_on_error != sc::ContinueOnError::None)
    o.emplace_back("continue_on_error", sc::to_string(w.continue_on_error));
  o.emplace_back("ioengine", "nvmsim");
  o.emplace_back("direct", "1");
  return o;
}

std::uint8_t stop_on_error_dirs(sc::ContinueOnError c) {
  using metrics::Dir;
  using metrics::dir_bit;
  // The job's own rule (sc::continue_on_error_covers), as the directions whose errors end it.
  const std::uint8_t reads = sc::continue_on_error_covers(c, true) ? 0 : dir_bit(Dir::Read);
  const std::uint8_t writes =
      sc::continue_on_error_covers(c, false) ? 0 : dir_bit(Dir::Write) | dir_bit(Dir::Trim) | dir_bit(Dir::Flush);
  return static_cast<std::uint8_t>(reads | writes);
}

std::string hostnqn_for(const std::string& host) {
  const std::uint64_t a = fnv1a(host), b = fnv1a(host, a);
  return fmt::format("nqn.2014-08.org.nvmexpress:uuid:{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32,
                     (a >> 16) & 0xFFFF, a & 0xFFFF, b >> 48, b & 0xFFFFFFFFFFFFull);
}

HostTopology capture_topology(const host::Host& h) {
  HostTopology t;
  t.host = h.name();
  t.hostnqn = hostnqn_for(h.name());
  for (const auto& s : h.subsystems()) {
    TopoSubsys ts;
    ts.name = fmt::format("nvme-subsys{}", s->instance);
    ts.nqn = s->nqn;
    ts.iopolicy = sc::to_string(s->iopolicy);
    for (const auto& head : s->nsheads) {
      if (head->has_disk) ts.devices.push_back(head->disk_name);
      else
        for (const auto* ns : head->list) ts.devices.push_back(ns->disk_name);
      if (head->has_disk && !head->removed)
        ts.heads.push_back({head->disk_name, head->nsid, head->lba_size(), head->capacity_bytes()});
    }
    // One line per controller; with ANA, its state for the subsystem's first namespace.
    for (const host::NvmeCtrl* c : s->ctrls) {
      TopoPath p;
      p.ctrl = c->name();
      const auto& ctrl = *c;
      p.transport = sc::to_string(ctrl.transport());
      p.link = c->link().name();
      p.address = fmt::format("traddr={},trsvcid=4420", p.link);  // resolve_topology gives the port's address
      p.state = host::to_string(ctrl.state());
      p.cntlid = ctrl.id().cntlid;
      const bool ana = s->cmic & 0x8;
      for (const host::NvmeNs* ns : ctrl.namespaces()) {
        if (ns->head == s->nsheads.front().get() && ana) p.ana_state = nvme::to_string(ns->ana_state);
        const bool behind_head = ns->head != nullptr && ns->head->has_disk && !ns->head->removed;
        p.ns.push_back({ns->disk_name, behind_head ? ns->head->disk_name : std::string(), ns->nsid, ns->ana_grpid,
                        ns->lba_sz, ns->capacity_bytes(), ana ? nvme::to_string(ns->ana_state) : std::string()});
      }
      ts.paths.push_back(std::move(p));
    }
    t.subsystems.push_back(std::move(ts));
  }
  return t;
}

nlohmann::ordered_json results_json(const RunRecord& r) {
  const auto& s = *r.scenario;
  report::FioJsonOptions fo;
  fo.percentiles = s.report.percentiles;
  fo.plus_bins = true;
  // A fixed timestamp: results must be byte-identical across runs (simulated, not wall, time).
  auto root = report::fio_root_json(r.jobs, fo, std::string("nvmsim-") + kVersion, 0);
  nlohmann::ordered_json nv;
  nv["version"] = kVersion;
  nv["scenario"] = s.name;
  nv["seed"] = s.seed;
  nv["overrides"] = r.overrides;
  if (!r.host_core.empty()) nv["host_core"] = r.host_core;
  nv["replay"] = replay_command(r);
  // The scenario as run: every include, override and default applied (`nvmsim validate` text).
  nv["scenario_effective"] = sc::dump_yaml(s);
  nv["sim_time_ns"] = r.sim_time;
  nv["events"] = r.events;
  nv["engine_pumps"] = r.engine_pumps;
  auto& paths = nv["paths"] = nlohmann::ordered_json::array();
  for (const auto& p : r.paths) {
    nlohmann::ordered_json j;
    j["name"] = p.name;
    j["host"] = p.host;
    j["head"] = p.head;
    j["ctrl"] = p.ctrl;
    j["link"] = p.link;
    j["ios"] = p.ios;
    j["bytes"] = p.bytes;
    auto& st = j["states"] = nlohmann::ordered_json::array();
    for (const auto& x : p.states) st.push_back({{"t_ns", x.t}, {"state", x.state}});
    paths.push_back(std::move(j));
  }
  auto& ctrls = nv["controllers"] = nlohmann::ordered_json::array();
  for (const auto& c : r.controllers) {
    nlohmann::ordered_json j;
    j["name"] = c.ctrl;
    j["host"] = c.host;
    j["subsystem"] = c.subsystem;
    j["link"] = c.link;
    j["cntlid"] = c.cntlid;
    j["state"] = c.state;
    auto& tr = j["transitions"] = nlohmann::ordered_json::array();
    for (const auto& t : c.transitions)
      tr.push_back({{"t_ns", t.t}, {"from", t.from}, {"to", t.to}, {"reason", t.reason}});
    j["reconnect_attempts"] = c.reconnect_attempts;
    ctrls.push_back(std::move(j));
  }
  auto& faults = nv["faults"] = nlohmann::ordered_json::array();
  for (const auto& f : r.faults) faults.push_back({{"t_ns", f.t}, {"action", f.action}, {"target", f.target}});
  nv["failover_count"] = r.failover_count;
  nv["late_writes"] = r.zombie_writes;
  auto& fov = nv["failovers"] = nlohmann::ordered_json::array();
  for (const auto& f : r.failovers)
    fov.push_back({{"t_ns", f.t}, {"head", f.head}, {"path", f.path}, {"ctrl", f.ctrl},
                  {"status", fmt::format("0x{:03x}", f.status & 0x7FF)}, {"bios", f.bios},
                  {"release_ns", f.release_at}});
  auto& heads = nv["heads"] = nlohmann::ordered_json::array();
  for (const auto& h : r.heads)
    heads.push_back({{"name", h.name}, {"completions", h.completions}, {"longest_gap_ns", h.longest_gap},
                     {"longest_gap_from_ns", h.gap_from}, {"longest_gap_open_at_end", h.gap_open_at_end}});
  auto& sw = nv["path_switches"] = nlohmann::ordered_json::array();
  for (const auto& x : r.switches)
    sw.push_back({{"fault_t_ns", x.fault_t}, {"fault", x.fault}, {"head", x.head}, {"from", x.from},
                  {"to", x.to}, {"switch_ns", x.at < 0 ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(x.at - x.fault_t)},
                  {"stayed", x.stayed}});
  nv["app_errors"] = r.app_errors;
  nv["outstanding_at_end"] = r.outstanding;
  auto& oldest = nv["outstanding_oldest"] = nlohmann::ordered_json::array();
  for (const auto& o : r.outstanding_oldest) {
    nlohmann::ordered_json j;
    j["bio"] = fmt::format("{:#x}", o.bio);
    j["job"] = o.job;
    j["submitted_ns"] = o.submitted;
    j["age_ns"] = o.age;
    j["state"] = o.state;
    j["since_ns"] = o.since;
    if (!o.head.empty()) j["head"] = o.head;
    if (!o.path.empty()) j["path"] = o.path;
    if (o.state == "in flight" || !o.path.empty()) j["tag"] = fmt::format("{:#x}", o.tag);
    if (o.until >= 0) j["until_ns"] = o.until;
    j["waits_on"] = o.waits_on;
    oldest.push_back(std::move(j));
  }
  nv["max_io_stall_ns"] = r.max_io_stall;
  nv["max_completed_io_stall_ns"] = r.max_completed_io_stall;
  auto& ex = nv["expect"] = nlohmann::ordered_json::array();
  for (const auto& e : r.expect)
    ex.push_back({{"key", e.key}, {"expected", e.expected}, {"actual", e.actual}, {"ok", e.ok}});
  nv["violations"] = violations_json(r).at("violations");
  root["nvmsim"] = std::move(nv);
  return root;
}

std::string shell_quote(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                              "0123456789_./=:+,@%-") == std::string::npos;
  if (plain) return word;
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string replay_command(const RunRecord& r) {
  std::string cmd = fmt::format("nvmsim run {} --seed {}", shell_quote(r.scenario->file), r.scenario->seed);
  for (const auto& o : r.overrides) cmd += " --set " + shell_quote(o);
  if (!r.host_core.empty()) cmd += " --host-core " + shell_quote(r.host_core);
  return cmd;
}

nlohmann::ordered_json violations_json(const RunRecord& r) {
  nlohmann::ordered_json j;
  auto& vs = j["violations"] = nlohmann::ordered_json::array();
  for (const auto& v : r.violations) {
    nlohmann::ordered_json x;
    x["kind"] = v.kind;
    x["t_ns"] = v.t;
    x["head"] = v.head;
    x["path"] = v.path;
    x["bio"] = fmt::format("{:#x}", v.bio);
    if (v.lba >= 0) x["lba"] = v.lba;
    x["message"] = v.message;
    x["chain"] = v.chain;
    x["replay"] = replay_command(r);
    vs.push_back(std::move(x));
  }
  auto& counts = j["counts"] = nlohmann::ordered_json::object();
  for (const auto& [k, n] : r.violation_counts) counts[k] = n;
  j["replay"] = replay_command(r);
  return j;
}

std::string topology_text(const std::vector<HostTopology>& topo) {
  std::string out;
  for (const auto& h : topo) {
    if (topo.size() > 1) out += fmt::format("host {}:\n", h.host);
    for (const auto& s : h.subsystems) {
      const std::string pad(s.name.size(), ' ');
      out += fmt::format("{} - NQN={}\n", s.name, s.nqn);
      out += fmt::format("{}   hostnqn={}\n", pad, h.hostnqn);
      out += fmt::format("{}   iopolicy={}\n", pad, s.iopolicy);
      out += "\\\n";
      for (const auto& p : s.paths) {
        out += fmt::format(" +- {} {} {} {}", p.ctrl, p.transport, p.address, p.state);
        if (!p.ana_state.empty()) out += " " + p.ana_state;
        out += "\n";
      }
    }
  }
  return out;
}

nlohmann::ordered_json topology_json(const std::vector<HostTopology>& topo) {
  auto arr = nlohmann::ordered_json::array();
  for (const auto& h : topo) {
    nlohmann::ordered_json jh;
    jh["HostNQN"] = h.hostnqn;
    jh["HostName"] = h.host;
    auto& subs = jh["Subsystems"] = nlohmann::ordered_json::array();
    for (const auto& s : h.subsystems) {
      nlohmann::ordered_json js;
      js["Name"] = s.name;
      js["NQN"] = s.nqn;
      js["IOPolicy"] = s.iopolicy;
      js["Namespaces"] = s.devices;
      auto& paths = js["Paths"] = nlohmann::ordered_json::array();
      for (const auto& p : s.paths)
        paths.push_back({{"Name", p.ctrl}, {"Transport", p.transport}, {"Address", p.address},
                         {"State", p.state}, {"ANAState", p.ana_state}});
      subs.push_back(std::move(js));
    }
    arr.push_back(std::move(jh));
  }
  return arr;
}

// The timeline, with failovers folded into bursts (one line per path per burst: requests that
// failed over from the same path with less than 1 ms between them).
std::string timeline_text(const RunRecord& r) {
  std::string out;
  for (const auto& e : r.timeline) {
    std::string what = e.what;
    if (e.failover >= 0) {
      // A burst: requests that failed over from the same path less than 1 ms apart.
      std::size_t i = static_cast<std::size_t>(e.failover), j = i;
      const auto& first = r.failovers[i];
      std::uint64_t bios = 0;
      Time last = first.t, release = first.release_at;
      while (j < r.failovers.size() && r.failovers[j].path == first.path && r.failovers[j].t - last < kMillisecond) {
        bios += r.failovers[j].bios;
        last = r.failovers[j].t;
        release = std::max(release, r.failovers[j].release_at);
        ++j;
      }
      what = fmt::format("{} request(s), {} bio(s) failed over from {} (status 0x{:03x})", j - i, bios, first.path,
                         first.status & 0x7FF);
      bool ccr = false;
      for (std::size_t k = i; k < j; ++k) ccr |= r.failovers[k].release_at < 0;
      if (ccr) what += ", held for the cross-controller reset";
      else if (release > last) what += ", held until " + secs(release);
    }
    out += fmt::format("  {:>14}  {:<14} {}\n", secs(e.t), e.who, what);
  }
  if (r.failover_count > r.failovers.size())
    out += fmt::format("  ({} more failovers not listed)\n", r.failover_count - r.failovers.size());
  return out;
}

std::string summary_text(const RunRecord& r) {
  const auto& s = *r.scenario;
  std::string out;
  out += fmt::format("nvmsim {} - scenario: {}\n", kVersion, s.name.empty() ? s.file : s.name);
  if (!s.description.empty()) out += fmt::format("  {}\n", s.description);
  out += fmt::format("seed {}  simulated {}  events {}  I/Os completed {}\n", s.seed,
                     sc::format_duration(r.sim_time), r.events, r.ios);
  out += fmt::format("replay: {}\n\n", replay_command(r));
  out += "Topology (nvme list-subsys)\n";
  out += topology_text(r.topology);
  out += "\nJobs\n";
  for (const auto& j : r.jobs) out += report::fio_text_job(j, s.report.percentiles);
  out += "\nPaths\n";
  std::uint64_t total = 0;
  for (const auto& p : r.paths) total += p.ios;
  out += fmt::format("  {:<14} {:<8} {:<10} {:<8} {:>12} {:>14} {:>7}\n", "path", "head", "ctrl", "link",
                     "requests", "bytes", "share");
  for (const auto& p : r.paths)
    out += fmt::format("  {:<14} {:<8} {:<10} {:<8} {:>12} {:>14} {:>6.1f}%\n", p.name, p.head,
                       p.host + "/" + p.ctrl, p.link, p.ios, p.bytes,
                       total ? 100.0 * static_cast<double>(p.ios) / static_cast<double>(total) : 0.0);
  out += "\nControllers\n";
  for (const auto& c : r.controllers) {
    out += fmt::format("  {} (cntlid {}, {} via {}): {}\n", c.name, c.cntlid, c.subsystem, c.link, c.state);
    for (const auto& t : c.transitions)
      out += fmt::format("    {:>14} {} -> {} ({})\n", secs(t.t), t.from, t.to, t.reason);
  }
  // Without faults the timeline would only repeat the controllers' connects.
  if (!r.timeline.empty() && (!r.faults.empty() || r.failover_count > 0)) {
    out += "\nFailover timeline\n";
    out += timeline_text(r);
  }
  if (!r.heads.empty()) {
    out += "\nHeads\n";
    for (const auto& h : r.heads)
      out += fmt::format("  {:<12} completions {:>10}   longest gap {} (from {}{})\n", h.name, h.completions,
                         secs(h.longest_gap), secs(h.gap_from), h.gap_open_at_end ? ", still open at the end" : "");
    for (const auto& x : r.switches)
      out += fmt::format("  {} at {}: {} {} -> {}\n", x.fault, secs(x.fault_t), x.head, x.from,
                         x.at >= 0   ? fmt::format("{} after {}", x.to, secs(x.at - x.fault_t))
                         : x.stayed ? fmt::format("no switch: {} still served I/O sent after the fault", x.to)
                                    : std::string("no completion on another path"));
  }
  // The I/Os that never finished, when one of them is the longest I/O of the run (a healthy run
  // ends with young I/O in flight: nothing to show).
  if (!r.outstanding_oldest.empty() && r.outstanding_oldest.front().age > r.max_completed_io_stall) {
    out += fmt::format("\nOutstanding at end (oldest {} of {})\n", r.outstanding_oldest.size(), r.outstanding);
    for (const auto& o : r.outstanding_oldest)
      out += fmt::format("  bio {:#x} {} submitted {}, age {}: {}\n", o.bio, o.job, secs(o.submitted), secs(o.age),
                         o.waits_on);
  }
  out += fmt::format("\nfailovers: {}   app errors: {}   outstanding at end: {}   longest I/O: {}{}\n",
                     r.failover_count, r.app_errors, r.outstanding, secs(r.max_io_stall),
                     r.max_io_stall > r.max_completed_io_stall ? " (still outstanding)" : "");
  if (!r.has_expect) {
    out += "expectations: none set\n";
    return out;
  }
  const bool all_ok = std::all_of(r.expect.begin(), r.expect.end(), [](const ExpectResult& e) { return e.ok; });
  out += fmt::format("expectations: {}\n", all_ok ? "all held" : "VIOLATED");
  for (const auto& e : r.expect)
    out += fmt::format("  {:<4} {:<24} expected {:<14} got {}\n", e.ok ? "ok" : "FAIL", e.key, e.expected, e.actual);
  if (!r.violations.empty()) {
    out += "\nViolations (evidence)\n";
    for (const auto& v : r.violations) {
      out += fmt::format("  [{}] at {}{}{}: {}\n", v.kind, secs(v.t), v.head.empty() ? "" : " on " + v.head,
                         v.lba >= 0 ? fmt::format(" lba {}", v.lba) : std::string(), v.message);
      for (const auto& c : v.chain) out += "      " + c + "\n";
    }
    std::uint64_t total = 0;
    for (const auto& [k, n] : r.violation_counts) total += n;
    if (total > r.violations.size())
      out += fmt::format("  ({} more not listed; counts per kind in violations.json)\n", total - r.violations.size());
  }
  if (!all_ok) out += fmt::format("replay: {}\n", replay_command(r));
  return out;
}

}  // namespace sim::world
