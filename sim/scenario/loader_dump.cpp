// dump_yaml: the fully defaulted scenario as YAML, in the format's own vocabulary (units, enum
// spellings), so that `nvmsim validate` output can be read, edited and loaded again.
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdio>

#include "sim/scenario/loader.hpp"
#include "sim/scenario/loader_sections.hpp"
#include "sim/scenario/units.hpp"

namespace sim::scenario {
namespace {

// Shortest text that reads back as the same double.
std::string number(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string hex(unsigned v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", v);
  return buf;
}

class Writer {
 public:
  Writer() { out_.SetIndent(2); }

  template <typename T>
  Writer& kv(const char* key, const T& value) {
    out_ << YAML::Key << key << YAML::Value << value;
    return *this;
  }
  Writer& kv(const char* key, const std::string& value) {
    out_ << YAML::Key << key << YAML::Value << value;
    return *this;
  }
  Writer& kv(const char* key, std::uint64_t value) { return kv(key, std::to_string(value)); }
  // Strings such as "6.12" or "1.0" would read as numbers to other YAML tools: quote them.
  Writer& quoted(const char* key, const std::string& value) {
    out_ << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
    return *this;
  }
  Writer& time(const char* key, Time t) { return kv(key, format_duration(t)); }
  Writer& time_or(const char* key, const std::optional<Time>& t, const char* off) {
    return kv(key, t ? format_duration(*t) : std::string(off));
  }
  Writer& begin_map(const char* key, bool flow = false) {
    if (key != nullptr) out_ << YAML::Key << key << YAML::Value;
    if (flow) out_ << YAML::Flow;
    out_ << YAML::BeginMap;
    return *this;
  }
  Writer& end_map() {
    out_ << YAML::EndMap;
    return *this;
  }
  // Block list; an empty one is written `[]` so that it stays present (an absent `connect` means
  // "connect every link", an empty one means "connect none").
  Writer& begin_list(const char* key, bool empty, bool flow = false) {
    out_ << YAML::Key << key << YAML::Value;
    if (flow || empty) out_ << YAML::Flow;
    out_ << YAML::BeginSeq;
    return *this;
  }
  Writer& end_list() {
    out_ << YAML::EndSeq;
    return *this;
  }
  YAML::Emitter& raw() { return out_; }
  std::string text() const { return std::string(out_.c_str()) + "\n"; }

 private:
  YAML::Emitter out_;
};

void write_host(Writer& w, const Host& h) {
  w.begin_map(nullptr)
      .kv("name", h.name)
      .kv("numa_nodes", h.numa_nodes)
      .kv("cpus", h.cpus)
      .kv("multipath", to_string(h.multipath))
      .kv("iopolicy", to_string(h.iopolicy))
      .quoted("kernel", to_string(h.kernel))
      .kv("core", to_string(h.core));
  if (!h.hostid.empty()) w.kv("hostid", h.hostid);
  w.begin_list("variant", h.variant.empty(), true);
  for (const std::string& v : h.variant) w.raw() << v;
  w.end_list();
  const NvmeOptions& o = h.nvme;
  w.begin_map("nvme")
      .time("kato", o.kato)
      .time("io_timeout", o.io_timeout)
      .time("admin_timeout", o.admin_timeout)
      .kv("max_retries", o.max_retries)
      .time("reconnect_delay", o.reconnect_delay)
      .time_or("ctrl_loss_tmo", o.ctrl_loss_tmo, "never")
      .time_or("fast_io_fail_tmo", o.fast_io_fail_tmo, "off")
      .kv("failover_hold", to_string(o.failover_hold))
      .kv("queue_if_no_path", o.queue_if_no_path)
      .end_map();
  w.end_map();
}

void write_subsystem(Writer& w, const Subsystem& s) {
  w.begin_map(nullptr)
      .kv("nqn", s.nqn)
      .kv("model", s.model)
      .kv("serial", s.serial)
      .quoted("firmware", s.firmware);
  w.begin_map("cmic", true)
      .kv("multi_port", s.cmic.multi_port)
      .kv("multi_ctrl", s.cmic.multi_ctrl)
      .kv("ana", s.cmic.ana)
      .end_map();
  w.time("anatt", s.anatt).time("cqt", s.cqt);
  w.begin_list("crdt", false, true);
  for (Time t : s.crdt) w.raw() << format_duration(t);
  w.end_list();
  w.time("kas", s.kas);
  w.kv("tbkas", s.tbkas).kv("ccr", s.ccr).kv("vwc", s.vwc);
  w.begin_list("ports", s.ports.empty());
  for (const Port& p : s.ports) {
    w.begin_map(nullptr, true).kv("id", p.id).kv("transport", to_string(p.transport));
    if (!p.address.empty()) w.quoted("address", p.address);
    w.begin_map("ana", true);
    for (const auto& [group, state] : p.ana) w.kv(std::to_string(group).c_str(), to_string(state));
    w.end_map().end_map();
  }
  w.end_list();
  w.begin_list("namespaces", s.namespaces.empty());
  for (const Namespace& ns : s.namespaces) {
    w.begin_map(nullptr, true)
        .kv("nsid", std::uint64_t{ns.nsid})
        .kv("size", format_size(ns.size))
        .kv("lba_size", format_size(ns.lba_size))
        .kv("ana_group", ns.ana_group)
        .end_map();
  }
  w.end_list();
  const ControllerConfig& c = s.controller;
  w.begin_map("controller")
      .kv("max_io_queues", c.max_io_queues)
      .kv("queue_depth", c.queue_depth)
      .kv("mdts", format_size(c.mdts))
      .time("cmd_overhead", c.cmd_overhead)
      .kv("abort_limit", c.abort_limit)
      .time("zombie_window", c.zombie_window)
      .end_map();
  const Media& m = s.media;
  w.begin_map("media")
      .time("read_latency", m.read_latency)
      .time("write_latency", m.write_latency)
      .time("flush_latency", m.flush_latency)
      .kv("bandwidth", format_bandwidth(m.bandwidth))
      .kv("parallelism", m.parallelism);
  w.begin_map("jitter", true)
      .kv("dist", to_string(m.jitter.dist))
      .kv("sigma", number(m.jitter.sigma))
      .kv("spread", number(m.jitter.spread))
      .end_map();
  w.end_map();
  w.end_map();
}

void write_workload(Writer& w, const Workload& wl) {
  w.begin_map(nullptr)
      .kv("name", wl.name)
      .kv("host", wl.host)
      .kv("target", wl.target)
      .kv("rw", to_string(wl.rw))
      .kv("rwmixread", wl.rwmixread);
  std::string bs;
  if (wl.bs.size() == 1 && wl.bs[0].percent == 100) {
    bs = format_size(wl.bs[0].bs);
  } else {
    for (const BlockSplit& b : wl.bs) {
      if (!bs.empty()) bs += ":";
      bs += format_size(b.bs) + "/" + std::to_string(b.percent);
    }
  }
  w.kv("bs", bs).kv("iodepth", wl.iodepth).kv("numjobs", wl.numjobs);
  w.begin_list("cpus", wl.cpus.empty(), true);
  for (int cpu : wl.cpus) w.raw() << cpu;
  w.end_list();
  w.kv("size", format_size(wl.size))
      .kv("offset", format_size(wl.offset))
      .kv("rate_iops", wl.rate_iops)
      .time("start", wl.start);
  if (wl.ramp_time) w.time("ramp_time", wl.ramp_time);
  if (wl.runtime) w.time("runtime", *wl.runtime);
  w.kv("fua", wl.fua).kv("flush_every", wl.flush_every).kv("verify", wl.verify);
  w.kv("continue_on_error", to_string(wl.continue_on_error)).time("error_resubmit_delay", wl.error_resubmit_delay);
  w.end_map();
}

void write_fault(Writer& w, const Fault& f) {
  w.begin_map(nullptr, true).time("at", f.at).kv("action", f.action);
  for (std::string_view field : detail::fault_fields(f.action)) {
    if (field == "link") w.kv("link", f.link);
    if (field == "host") w.kv("host", f.host);
    if (field == "subsystem") w.kv("subsystem", f.subsystem);
    if (field == "port" && f.port) w.kv("port", *f.port);
    if (field == "cntlid" && f.cntlid) w.kv("cntlid", *f.cntlid);
    if (field == "group" && f.group) w.kv("group", *f.group);
    if (field == "nsid" && f.nsid) w.kv("nsid", std::uint64_t{*f.nsid});
    if (field == "mode") w.kv("mode", to_string(f.mode));
    if (field == "latency" && f.latency) w.time("latency", *f.latency);
    if (field == "bandwidth" && f.bandwidth) w.kv("bandwidth", format_bandwidth(*f.bandwidth));
    if (field == "loss" && f.loss) w.kv("loss", number(*f.loss));
    if (field == "state" && f.state) w.kv("state", to_string(*f.state));
    if (field == "via_change") w.kv("via_change", f.via_change);
    if (field == "aen") w.kv("aen", f.aen);
    if (field == "status" && f.status) w.kv("status", hex(*f.status));
    if (field == "dnr") w.kv("dnr", f.dnr);
    if (field == "crd" && f.crd) w.kv("crd", *f.crd);
    if (field == "count" && f.inject_count) w.kv("count", *f.inject_count);
    if (field == "iopolicy" && f.iopolicy) w.kv("iopolicy", to_string(*f.iopolicy));
    if (field == "match" && (f.match_opcode || f.match_lba_range)) {
      w.begin_map("match", true);
      if (f.match_opcode) {
        static const char* const kNames[] = {"flush", "write", "read"};
        if (*f.match_opcode < 3) {
          w.kv("opcode", std::string(kNames[*f.match_opcode]));
        } else {
          w.kv("opcode", static_cast<int>(*f.match_opcode));
        }
      }
      if (f.match_lba_range) {
        w.begin_list("lba_range", false, true);
        w.raw() << std::to_string(f.match_lba_range->first)
                << std::to_string(f.match_lba_range->second);
        w.end_list();
      }
      w.end_map();
    }
  }
  if (f.every) w.time("every", *f.every).kv("count", f.count);
  w.end_map();
}

void write_bound(Writer& w, const char* key, const std::optional<CountBound>& b) {
  if (!b) return;
  w.begin_map(key, true);
  if (b->min) w.kv("min", std::to_string(*b->min));
  if (b->max) w.kv("max", std::to_string(*b->max));
  w.end_map();
}

void write_expect(Writer& w, const Expect& e) {
  w.begin_map("expect", e.empty());
  if (e.no_lost_io) w.kv("no_lost_io", *e.no_lost_io);
  if (e.no_partial_completion) w.kv("no_partial_completion", *e.no_partial_completion);
  if (e.linearizable) w.kv("linearizable", *e.linearizable);
  if (e.durable_after_flush) w.kv("durable_after_flush", *e.durable_after_flush);
  write_bound(w, "app_errors", e.app_errors);
  if (e.max_io_stall) w.time("max_io_stall", *e.max_io_stall);
  write_bound(w, "failovers", e.failovers);
  if (e.path_switch_within) w.time("path_switch_within", *e.path_switch_within);
  if (e.max_outstanding_at_end) {
    w.kv("max_outstanding_at_end", std::to_string(*e.max_outstanding_at_end));
  }
  write_bound(w, "idle_jobs", e.idle_jobs);
  w.end_map();
}

void write_range(Writer& w, const char* key, const TimeRange& r) {
  w.begin_map(key, true).time("min", r.min).time("max", r.max).end_map();
}

void write_ints(Writer& w, const char* key, const std::vector<int>& v) {
  if (v.empty()) return;
  w.begin_list(key, false, true);
  for (int x : v) w.raw() << x;
  w.end_list();
}

void write_explore(Writer& w, const Explore& e) {
  w.begin_map("explore");
  w.begin_map("faults", true);
  for (const ExploreAction& a : e.faults) w.kv(a.action.c_str(), a.weight);
  w.end_map();
  w.kv("subsystem", e.subsystem);
  if (!e.links.empty() || !e.ports.empty() || !e.controllers.empty() || !e.groups.empty()) {
    w.begin_map("targets", true);
    if (!e.links.empty()) {
      w.begin_list("links", false, true);
      for (const std::string& l : e.links) w.raw() << l;
      w.end_list();
    }
    write_ints(w, "ports", e.ports);
    write_ints(w, "controllers", e.controllers);
    write_ints(w, "groups", e.groups);
    w.end_map();
  }
  w.time("from", e.from).time("until", e.until);
  if (e.rate > 0) {
    w.kv("rate", e.rate);
  } else {
    w.begin_map("count", true).kv("min", e.count_min).kv("max", e.count_max).end_map();
  }
  w.begin_map("durations");
  write_range(w, "down", e.down);
  write_range(w, "hang", e.hang);
  write_range(w, "degrade", e.degrade);
  w.end_map();
  w.time("liveness", e.liveness);
  w.end_map();
}

}  // namespace

std::string dump_yaml(const Scenario& s) {
  Writer w;
  w.begin_map(nullptr).kv("nvmsim", s.version).kv("name", s.name).kv("description", s.description);
  w.kv("seed", s.seed);
  if (s.duration) w.time("duration", *s.duration);
  w.quoted("kernel", to_string(s.kernel));

  w.begin_list("hosts", s.hosts.empty());
  for (const Host& h : s.hosts) write_host(w, h);
  w.end_list();
  w.begin_list("subsystems", s.subsystems.empty());
  for (const Subsystem& sub : s.subsystems) write_subsystem(w, sub);
  w.end_list();
  w.begin_list("links", s.links.empty());
  for (const Link& l : s.links) {
    w.begin_map(nullptr, true)
        .kv("name", l.name)
        .kv("host", l.host)
        .kv("subsystem", l.subsystem)
        .kv("port", l.port);
    if (l.latency) w.time("latency", *l.latency);
    if (l.bandwidth) w.kv("bandwidth", format_bandwidth(*l.bandwidth));
    w.end_map();
  }
  w.end_list();
  w.begin_list("connect", s.connect.empty());
  for (const Connect& c : s.connect) {
    w.begin_map(nullptr, true)
        .kv("host", c.host)
        .kv("link", c.link)
        .kv("nr_io_queues", c.nr_io_queues)
        .kv("queue_size", c.queue_size)
        .time("at", c.at)
        .kv("numa_node", c.numa_node)
        .end_map();
  }
  w.end_list();
  w.begin_list("workloads", s.workloads.empty());
  for (const Workload& wl : s.workloads) write_workload(w, wl);
  w.end_list();
  w.begin_list("faults", s.faults.empty());
  for (const Fault& f : s.faults) write_fault(w, f);
  w.end_list();
  write_expect(w, s.expect);

  w.begin_map("report");
  w.begin_list("percentiles", s.report.percentiles.empty(), true);
  for (double p : s.report.percentiles) w.raw() << number(p);
  w.end_list();
  w.time_or("timeseries", s.report.timeseries, "off").kv("trace", s.report.trace);
  w.kv("fio_logs", s.report.fio_logs);
  w.end_map();
  w.begin_map("limits").kv("events_per_instant", s.limits.events_per_instant).end_map();
  if (s.explore) write_explore(w, *s.explore);

  w.end_map();
  return w.text();
}

}  // namespace sim::scenario
