// Scenario loader: workloads, expect and report.
#include <algorithm>
#include <filesystem>
#include <limits>

#include "sim/scenario/fio_job.hpp"
#include "sim/scenario/loader_sections.hpp"
#include "sim/scenario/units.hpp"

namespace sim::scenario::detail {
namespace {

constexpr std::uint64_t kSector = 512;

bool take_digits(std::string_view& s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  s.remove_prefix(i);
  return i > 0;
}

// nvme<N>n<M> (a head, or a controller's namespace without multipath) or nvme<N>c<C>n<M> (a
// hidden path device). Whether the device exists is for the world to say: names depend on connect
// order.
bool is_device_name(std::string_view s) {
  if (s.rfind("nvme", 0) != 0) return false;
  s.remove_prefix(4);
  if (!take_digits(s)) return false;
  if (!s.empty() && s.front() == 'c') {
    s.remove_prefix(1);
    if (!take_digits(s)) return false;
  }
  if (s.empty() || s.front() != 'n') return false;
  s.remove_prefix(1);
  return take_digits(s) && s.empty();
}

// "4k" or a split "4k/50:64k/50" (block size / percent of I/Os, percents add up to 100).
std::vector<BlockSplit> parse_bs(const Node& n, const std::string& key) {
  const std::string text = read_string(n, key);
  const std::string forms = "a block size such as 4k, or a split such as 4k/50:64k/50";
  auto check_bs = [&](std::uint64_t bs, const std::string& as_written) {
    if (bs == 0 || bs % kSector != 0) {
      fail(n.loc, key, "block size " + as_written + " is not a positive multiple of 512");
    }
  };
  if (text.find('/') == std::string::npos) {
    auto bs = parse_size(text);
    if (!bs) fail(n.loc, key, "invalid bs '" + text + "'", forms);
    check_bs(*bs, text);
    return {BlockSplit{*bs, 100}};
  }
  std::vector<BlockSplit> out;
  int total = 0;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find(':', begin);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(begin, end - begin);
    const std::size_t slash = part.find('/');
    auto bs = slash == std::string::npos ? std::nullopt : parse_size(part.substr(0, slash));
    auto pct = slash == std::string::npos ? std::nullopt : parse_count_rate(part.substr(slash + 1));
    if (!bs || !pct ||
        part.substr(slash + 1).find_first_not_of("0123456789") != std::string::npos) {
      fail(n.loc, key, "invalid bs split entry '" + part + "' in '" + text + "'",
           forms + " (each entry is size/percent)");
    }
    check_bs(*bs, part.substr(0, slash));
    if (*pct < 1 || *pct > 100) {
      fail(n.loc, key,
           "bs split percentage must be between 1 and 100, got " + std::to_string(*pct));
    }
    total += static_cast<int>(*pct);
    out.push_back(BlockSplit{*bs, static_cast<int>(*pct)});
    begin = end + 1;
  }
  if (total != 100) {
    fail(n.loc, key, "bs split percentages add up to " + std::to_string(total) + ", not 100");
  }
  return out;
}

std::uint64_t read_sector_multiple(const Node& n, const std::string& key) {
  const std::uint64_t v = read_size(n, key);
  if (v % kSector != 0) {
    fail(n.loc, key, key.substr(key.rfind('.') + 1) + " must be a multiple of 512, got " + n.text);
  }
  return v;
}

// `app_errors: 0` / `failovers: 2` / `{min: 1}` / `{min: 1, max: 3}`.
CountBound read_bound(const Node& n, const std::string& key, bool scalar_is_max) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  CountBound b;
  if (n.is_scalar()) {
    const std::int64_t v = read_int(n, key, 0, kMax);
    b.max = v;
    if (!scalar_is_max) b.min = v;
    return b;
  }
  MapReader m(n, key, kBoundKeys);
  if (const Node* v = m.find("min")) b.min = read_int(*v, m.path("min"), 0, kMax);
  if (const Node* v = m.find("max")) b.max = read_int(*v, m.path("max"), 0, kMax);
  if (!b.min && !b.max) {
    fail(n.loc, key, "give min, max or both", "e.g. {min: 1} or {min: 0, max: 3}");
  }
  if (b.min && b.max && *b.min > *b.max) {
    fail(m.find("max")->loc, m.path("max"),
         "max (" + std::to_string(*b.max) + ") is less than min (" + std::to_string(*b.min) + ")");
  }
  return b;
}

}  // namespace

Workload parse_workload(const Node& n, const std::string& path, const Scenario& s,
                        const Registry& r) {
  MapReader m(n, path, kWorkloadKeys);
  Workload w;
  w.loc = n.loc;
  w.name = read_name(m.require("name"), m.path("name"));
  const Host& host = s.hosts[lookup(r.hosts, m.require("host"), m.path("host"), "host")];
  w.host = host.name;
  const Node& target = m.require("target");
  w.target = read_string(target, m.path("target"));
  if (!is_device_name(w.target)) {
    fail(target.loc, m.path("target"), "invalid target '" + w.target + "'",
         "a block device name such as nvme0n1 (head) or nvme0c1n1 (path)");
  }
  get_enum(m, "rw", w.rw, kRwModes, "rw mode");
  get_int(m, "rwmixread", w.rwmixread, 0, 100);
  if (const Node* v = m.find("bs")) w.bs = parse_bs(*v, m.path("bs"));
  get_int(m, "iodepth", w.iodepth, 1, 65536);
  get_int(m, "numjobs", w.numjobs, 1, 1024);
  if (const Node* v = m.find("cpus")) {
    const std::string cpath = m.path("cpus");
    const auto& items = read_list(*v, cpath, "cpus: [0, 1]");
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string key = index_path(cpath, i);
      const int cpu = static_cast<int>(read_int(items[i], key, 0, 1 << 20));
      if (cpu >= host.cpus) {
        fail(items[i].loc, key,
             "cpu " + std::to_string(cpu) + " does not exist on host '" + host.name + "'",
             "its cpus are 0.." + std::to_string(host.cpus - 1));
      }
      if (std::find(w.cpus.begin(), w.cpus.end(), cpu) != w.cpus.end()) {
        fail(items[i].loc, key, "cpu " + std::to_string(cpu) + " is listed twice");
      }
      w.cpus.push_back(cpu);
    }
  }
  if (const Node* v = m.find("size")) {
    w.size = read_sector_multiple(*v, m.path("size"));
    std::uint64_t largest = 0;
    for (const BlockSplit& b : w.bs) largest = std::max(largest, b.bs);
    if (w.size != 0 && w.size < largest) {
      fail(
          v->loc, m.path("size"),
          "size " + format_size(w.size) + " is smaller than the block size " + format_size(largest),
          "size 0 means the whole namespace");
    }
  }
  if (const Node* v = m.find("offset")) w.offset = read_sector_multiple(*v, m.path("offset"));
  if (const Node* v = m.find("rate_iops")) w.rate_iops = read_count_rate(*v, m.path("rate_iops"));
  get_duration(m, "start", w.start);
  get_duration(m, "ramp_time", w.ramp_time);
  if (const Node* v = m.find("runtime"))
    w.runtime = read_duration(*v, m.path("runtime"), {.min = 1});
  get_bool(m, "fua", w.fua);
  if (const Node* v = m.find("flush_every")) w.flush_every = read_uint(*v, m.path("flush_every"));
  get_bool(m, "verify", w.verify);
  get_enum(m, "continue_on_error", w.continue_on_error, kContinueOnErrors, "continue_on_error value");
  if (const Node* v = m.find("error_resubmit_delay"))
    w.error_resubmit_delay =
        read_duration(*v, m.path("error_resubmit_delay"), {.min = 1, .max = sim::kSecond});
  return w;
}

// `- {fio: job.fio, host: h1, target: nvme0n1, start: 1s}`: one workload per job section of the
// file (path relative to the file that names it). host, target (when a job has no filename) and
// start come from here; everything else from the job file.
std::vector<Workload> parse_workloads(const Node& n, const std::string& path, const Scenario& s,
                                      const Registry& r) {
  if (!n.is_map() || n.find("fio") == nullptr) return {parse_workload(n, path, s, r)};
  for (std::size_t i = 0; i < n.keys.size(); ++i) {
    const std::string& k = n.keys[i].text;
    if (std::find(std::begin(kFioWorkloadKeys), std::end(kFioWorkloadKeys), k) != std::end(kFioWorkloadKeys)) continue;
    if (std::find(std::begin(kWorkloadKeys), std::end(kWorkloadKeys), k) != std::end(kWorkloadKeys))
      fail(n.keys[i].loc, path + "." + k, "'" + k + "' cannot be given next to 'fio'",
           "set it in the job file; next to fio only host, target and start are read");
  }
  MapReader m(n, path, kFioWorkloadKeys);
  const Node& f = m.require("fio");
  const std::string rel = read_string(f, m.path("fio"));
  const std::filesystem::path base = std::filesystem::path(f.loc.file).parent_path();
  const std::string file = (base / rel).lexically_normal().string();
  std::vector<Workload> out;
  for (FioJob& job : read_fio_jobs(file, f.loc, m.path("fio"))) {
    Node& w = job.workload;
    const Node& host = m.require("host");
    w.set(Node::make(Node::Kind::Scalar, host.loc, "host"), host);
    if (!job.has_target) {
      const Node* t = m.find("target");
      if (t == nullptr)
        fail(job.loc, "[" + job.section + "].filename",
             "job '" + job.section + "' has no filename and " + path + " has no target",
             "add filename=/dev/nvme0n1 to the job, or target: nvme0n1 next to fio");
      w.set(Node::make(Node::Kind::Scalar, t->loc, "target"), *t);
    }
    if (const Node* st = m.find("start")) w.set(Node::make(Node::Kind::Scalar, st->loc, "start"), *st);
    out.push_back(parse_workload(w, "[" + job.section + "]", s, r));
  }
  return out;
}

Expect parse_expect(const Node& n, const std::string& path) {
  MapReader m(n, path, kExpectKeys);
  Expect e;
  e.loc = n.loc;
  auto flag = [&m](std::string_view key, std::optional<bool>& out) {
    if (const Node* v = m.find(key)) out = read_bool(*v, m.path(key));
  };
  flag("no_lost_io", e.no_lost_io);
  flag("no_partial_completion", e.no_partial_completion);
  flag("linearizable", e.linearizable);
  flag("durable_after_flush", e.durable_after_flush);
  // A plain number is the tolerated error count; for failovers it is the exact count expected.
  if (const Node* v = m.find("app_errors"))
    e.app_errors = read_bound(*v, m.path("app_errors"), true);
  if (const Node* v = m.find("failovers")) e.failovers = read_bound(*v, m.path("failovers"), false);
  if (const Node* v = m.find("max_io_stall")) {
    e.max_io_stall = read_duration(*v, m.path("max_io_stall"), {.min = 1});
  }
  if (const Node* v = m.find("path_switch_within")) {
    e.path_switch_within = read_duration(*v, m.path("path_switch_within"), {.min = 1});
  }
  if (const Node* v = m.find("max_outstanding_at_end")) {
    e.max_outstanding_at_end =
        read_int(*v, m.path("max_outstanding_at_end"), 0, std::numeric_limits<std::int64_t>::max());
  }
  if (const Node* v = m.find("idle_jobs")) e.idle_jobs = read_bound(*v, m.path("idle_jobs"), true);
  return e;
}

Report parse_report(const Node& n, const std::string& path) {
  MapReader m(n, path, kReportKeys);
  Report rep;
  if (const Node* v = m.find("percentiles")) {
    const std::string ppath = m.path("percentiles");
    rep.percentiles.clear();
    const auto& items = read_list(*v, ppath, "percentiles: [50, 99, 99.9]");
    for (std::size_t i = 0; i < items.size(); ++i) {
      const double p = read_double(items[i], index_path(ppath, i), 0, 100, true, true);
      if (!rep.percentiles.empty() && p <= rep.percentiles.back()) {
        fail(items[i].loc, index_path(ppath, i),
             "percentiles must be in increasing order without repeats, got " + items[i].text +
                 " after " + items[i - 1].text);
      }
      rep.percentiles.push_back(p);
    }
  }
  if (const Node* v = m.find("timeseries")) {
    rep.timeseries = read_duration_or_off(*v, m.path("timeseries"), {.min = 1, .off_word = "off"});
  }
  get_bool(m, "trace", rep.trace);
  get_bool(m, "fio_logs", rep.fio_logs);
  // fio's log_avg_msec is report.timeseries, a whole number of milliseconds.
  if (rep.fio_logs) {
    const Node& at = *m.find("fio_logs");
    if (!rep.timeseries)
      fail(at.loc, m.path("fio_logs"), "fio_logs needs report.timeseries (it is fio's log_avg_msec)",
           "set report.timeseries to a whole number of milliseconds, e.g. 100ms");
    if (*rep.timeseries % kMillisecond != 0)
      fail(m.find("timeseries")->loc, m.path("timeseries"),
           "with fio_logs, timeseries is fio's log_avg_msec and must be a whole number of milliseconds, got " +
               m.find("timeseries")->text);
  }
  return rep;
}

Limits parse_limits(const Node& n, const std::string& path) {
  MapReader m(n, path, kLimitsKeys);
  Limits l;
  if (const Node* v = m.find("events_per_instant"))
    l.events_per_instant = static_cast<std::uint64_t>(
        read_int(*v, m.path("events_per_instant"), 1000, std::int64_t{1'000'000'000'000}));
  return l;
}

}  // namespace sim::scenario::detail
