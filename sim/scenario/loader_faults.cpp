// Scenario loader: the fault timeline.
#include <algorithm>
#include <set>

#include "sim/scenario/loader_sections.hpp"

namespace sim::scenario::detail {
namespace {

// One row of the faults table in scenario-format.md: the fields an action needs and the ones it
// may take. `at`, `every`, `count` and `action` are common to all.
struct ActionSpec {
  enum class Also { Nothing, PortOrCntlid, SomeOptional };
  std::string_view name;
  std::vector<std::string_view> required;
  std::vector<std::string_view> optional;
  Also also = Also::Nothing;  // a rule on the optional fields beyond "may be given"
};
using Also = ActionSpec::Also;

const std::vector<ActionSpec>& action_specs() {
  static const std::vector<ActionSpec> kSpecs = {
      {"link-down", {"link"}, {"mode"}},
      {"link-up", {"link"}, {}},
      {"link-degrade", {"link"}, {"latency", "bandwidth", "loss"}, Also::SomeOptional},
      {"port-down", {"subsystem", "port"}, {}},
      {"port-up", {"subsystem", "port"}, {}},
      {"ctrl-reset", {"subsystem"}, {"port", "cntlid"}, Also::PortOrCntlid},
      {"ctrl-hang", {"subsystem"}, {"port", "cntlid"}, Also::PortOrCntlid},
      {"ctrl-resume", {"subsystem"}, {"port", "cntlid"}, Also::PortOrCntlid},
      {"ctrl-fatal", {"subsystem"}, {"port", "cntlid"}, Also::PortOrCntlid},
      {"ana-change", {"subsystem", "port", "group", "state"}, {"via_change", "aen"}},
      {"inject-status", {"subsystem", "port", "status"}, {"match", "dnr", "crd", "count"}},
      {"power-loss", {"subsystem"}, {}},
      {"power-restore", {"subsystem"}, {}},
      {"host-disconnect", {"host", "link"}, {}},
      {"host-connect", {"host", "link"}, {}},
      {"set-iopolicy", {"host", "subsystem", "iopolicy"}, {}},
      {"ns-detach", {"subsystem", "nsid", "port"}, {}},
      {"ns-attach", {"subsystem", "nsid", "port"}, {}},
  };
  return kSpecs;
}

bool contains(const std::vector<std::string_view>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string takes(const ActionSpec& spec) {
  std::string out = std::string(spec.name) + " takes " + join(Names(spec.required));
  if (spec.also == Also::PortOrCntlid) return out + " and one of " + join(Names(spec.optional));
  if (spec.also == Also::SomeOptional)
    return out + " and at least one of " + join(Names(spec.optional));
  if (!spec.optional.empty()) out += "; optionally " + join(Names(spec.optional));
  return out;
}

const ActionSpec& read_action(const MapReader& m) {
  const Node& n = m.require("action");
  const std::string action = read_string(n, m.path("action"));
  std::vector<std::string_view> names;
  for (const ActionSpec& spec : action_specs()) {
    if (spec.name == action) return spec;
    names.push_back(spec.name);
  }
  fail(n.loc, m.path("action"), "unknown fault action '" + action + "'", value_hint(action, names));
}

// Keys that exist in the format but not for this action, then keys the action cannot do without.
void check_fields(const MapReader& m, const ActionSpec& spec) {
  static const std::vector<std::string_view> kCommon = {"at", "every", "count", "action"};
  const Node& n = m.node();
  for (const Node& key : n.keys) {
    if (contains(kCommon, key.text) || contains(spec.required, key.text) ||
        contains(spec.optional, key.text)) {
      continue;
    }
    fail(key.loc, m.path(key.text),
         "'" + key.text + "' does not apply to action '" + std::string(spec.name) + "'",
         takes(spec));
  }
  for (std::string_view field : spec.required) {
    if (!m.has(field)) {
      fail(n.loc, m.path(field),
           "action '" + std::string(spec.name) + "' needs '" + std::string(field) + "'",
           takes(spec));
    }
  }
}

std::uint8_t read_opcode(const Node& n, const std::string& key) {
  if (n.is_scalar()) {
    // I/O command set opcodes (NVM Command Set): Flush 00h, Write 01h, Read 02h.
    if (n.text == "flush") return 0x00;
    if (n.text == "write") return 0x01;
    if (n.text == "read") return 0x02;
    const bool numeric = !n.text.empty() && (n.text[0] >= '0' && n.text[0] <= '9');
    if (numeric) return static_cast<std::uint8_t>(read_int(n, key, 0, 255, true));
  }
  fail(n.loc, key, "invalid opcode " + describe(n), "read, write, flush or a number 0..255");
}

void parse_match(const Node& n, const std::string& path, Fault& f) {
  MapReader m(n, path, kMatchKeys);
  if (const Node* v = m.find("opcode")) f.match_opcode = read_opcode(*v, m.path("opcode"));
  if (const Node* v = m.find("lba_range")) {
    const std::string key = m.path("lba_range");
    if (!v->is_seq() || v->items.size() != 2) {
      fail(v->loc, key, "lba_range must be a list [first, last], got " + describe(*v),
           "e.g. lba_range: [0, 1023]");
    }
    const std::uint64_t first = read_uint(v->items[0], index_path(key, 0));
    const std::uint64_t last = read_uint(v->items[1], index_path(key, 1));
    if (first > last) {
      fail(v->items[1].loc, index_path(key, 1),
           "lba_range last (" + std::to_string(last) + ") is before first (" +
               std::to_string(first) + ")");
    }
    f.match_lba_range = std::make_pair(first, last);
  }
}

// When and how often: `at`, or `every` + `count` (first occurrence at `at`, default one period in).
void parse_timing(const MapReader& m, const ActionSpec& spec, Fault& f) {
  const bool is_inject = spec.name == "inject-status";
  const Node* every = m.find("every");
  const Node* count = is_inject ? nullptr : m.find("count");
  if (every != nullptr && is_inject) {
    fail(every->loc, m.path("every"), "inject-status cannot repeat with every",
         "its count is the number of commands to complete with the status; add one entry per "
         "injection time");
  }
  if (every != nullptr) {
    f.every = read_duration(*every, m.path("every"), {.min = 1});
    if (count == nullptr) {
      fail(m.node().loc, m.path("count"), "a repeating fault needs 'count' next to 'every'",
           "e.g. every: 10s, count: 3");
    }
  }
  if (count != nullptr) {
    if (every == nullptr) {
      fail(count->loc, m.path("count"), "count repeats a fault and needs 'every'",
           "e.g. every: 10s, count: 3");
    }
    f.count = static_cast<int>(read_int(*count, m.path("count"), 1, 1'000'000));
  }
  if (const Node* at = m.find("at")) {
    f.at = read_duration(*at, m.path("at"));
  } else if (f.every) {
    f.at = *f.every;
  } else {
    fail(m.node().loc, m.path("at"), "a fault needs 'at' (or 'every' and 'count')", "e.g. at: 5s");
  }
  if (f.every) {
    // Occurrences past the run's end never happen, but the run computes each one's time.
    const __int128 last = static_cast<__int128>(f.at) + static_cast<__int128>(f.count - 1) * *f.every;
    if (last > kMaxTime) {
      fail(m.find("count")->loc, m.path("count"),
           "the last occurrence (at + (count - 1) x every) would be past " +
               format_duration(kMaxTime) + " (365 days), the latest time a scenario can name",
           "lower count or every");
    }
  }
}

// What the fault acts on: host, link, subsystem and the parts of it. Every reference must exist.
void parse_targets(const MapReader& m, const ActionSpec& spec, const Scenario& s, const Registry& r,
                   Fault& f) {
  const Subsystem* sub = nullptr;
  if (const Node* v = m.find("subsystem")) {
    sub = &s.subsystems[lookup(r.subsystems, *v, m.path("subsystem"), "subsystem")];
    f.subsystem = sub->nqn;
  }
  if (const Node* v = m.find("host")) {
    f.host = s.hosts[lookup(r.hosts, *v, m.path("host"), "host")].name;
  }
  if (const Node* v = m.find("link")) {
    const Link& link = s.links[lookup(r.links, *v, m.path("link"), "link")];
    f.link = link.name;
    if (!f.host.empty() && link.host != f.host) {
      fail(v->loc, m.path("link"),
           "link '" + link.name + "' belongs to host '" + link.host + "', not '" + f.host + "'");
    }
  }
  // Every action that takes port, cntlid, group or nsid also requires subsystem (check_fields).
  if (const Node* v = m.find("port")) f.port = read_port_ref(*v, m.path("port"), *sub);
  if (const Node* v = m.find("cntlid")) {
    if (f.port) {
      fail(v->loc, m.path("cntlid"), "give either port or cntlid, not both",
           "port selects every controller behind it, cntlid one controller");
    }
    // Linux nvmet hands out CNTLIDs 1..FFEFh; the rest of the range has special meanings.
    f.cntlid = static_cast<int>(read_int(*v, m.path("cntlid"), 1, 0xFFEF, true));
  }
  if (spec.also == Also::PortOrCntlid && !f.port && !f.cntlid) {
    fail(m.node().loc, m.path("port"), "action '" + f.action + "' needs 'port' or 'cntlid'",
         takes(spec));
  }
  if (const Node* v = m.find("group")) {
    const int group = static_cast<int>(read_int(*v, m.path("group"), 1, 255));
    std::set<int> groups;
    for (const Namespace& ns : sub->namespaces) groups.insert(ns.ana_group);
    for (const Port& p : sub->ports) {
      for (const auto& [g, _] : p.ana) groups.insert(g);
    }
    if (groups.count(group) == 0) {
      std::vector<std::string> names;
      for (int g : groups) names.push_back(std::to_string(g));
      fail(v->loc, m.path("group"),
           "subsystem '" + sub->nqn + "' has no ANA group " + std::to_string(group),
           "its groups: " + join(names));
    }
    f.group = group;
  }
  if (const Node* v = m.find("nsid")) {
    const auto nsid = static_cast<std::uint32_t>(read_int(*v, m.path("nsid"), 1, 0xFFFFFFFE));
    std::vector<std::string> nsids;
    bool found = false;
    for (const Namespace& ns : sub->namespaces) {
      nsids.push_back(std::to_string(ns.nsid));
      found = found || ns.nsid == nsid;
    }
    if (!found) {
      fail(v->loc, m.path("nsid"),
           "subsystem '" + sub->nqn + "' has no namespace " + std::to_string(nsid),
           nsids.empty() ? "it has no namespaces" : "its nsids: " + join(nsids));
    }
    f.nsid = nsid;
  }
}

// What the fault does: the action's parameters.
void parse_effects(const MapReader& m, const ActionSpec& spec, const Scenario& s, Fault& f) {
  get_enum(m, "mode", f.mode, kLinkDownModes, "link-down mode");
  if (const Node* v = m.find("latency")) f.latency = read_duration(*v, m.path("latency"));
  if (const Node* v = m.find("bandwidth")) {
    f.bandwidth = read_bandwidth(*v, m.path("bandwidth"));
    if (*f.bandwidth == 0) fail(v->loc, m.path("bandwidth"), "bandwidth must be greater than 0");
  }
  if (const Node* v = m.find("loss")) f.loss = read_double(*v, m.path("loss"), 0, 1, false, false);
  if (spec.also == Also::SomeOptional && !f.latency && !f.bandwidth && !f.loss) {
    fail(m.node().loc, m.path("latency"),
         "link-degrade needs at least one of latency, bandwidth, loss", takes(spec));
  }
  if (const Node* v = m.find("state")) {
    f.state = read_enum(*v, m.path("state"), kAnaStates, "ANA state");
  }
  get_bool(m, "via_change", f.via_change);
  get_bool(m, "aen", f.aen);
  if (const Node* v = m.find("match")) parse_match(*v, m.path("match"), f);
  if (const Node* v = m.find("status")) {
    // Status field without the phase/DNR/More bits: SCT (3 bits) << 8 | SC (8 bits).
    f.status = static_cast<std::uint16_t>(read_int(*v, m.path("status"), 1, 0x7FF, true));
  }
  get_bool(m, "dnr", f.dnr);
  if (const Node* v = m.find("crd")) f.crd = static_cast<int>(read_int(*v, m.path("crd"), 1, 3));
  if (spec.name == "inject-status") {
    if (const Node* v = m.find("count")) {
      f.inject_count = static_cast<int>(read_int(*v, m.path("count"), 1, 1'000'000'000));
    }
  }
  if (const Node* v = m.find("iopolicy")) {
    f.iopolicy = read_enum(*v, m.path("iopolicy"), kIoPolicies, "iopolicy");
    const bool linked = std::any_of(s.links.begin(), s.links.end(), [&](const Link& l) {
      return l.host == f.host && l.subsystem == f.subsystem;
    });
    if (!linked) {
      fail(m.find("subsystem")->loc, m.path("subsystem"),
           "host '" + f.host + "' has no link to subsystem '" + f.subsystem + "'",
           "set-iopolicy changes the policy of a subsystem the host is connected to");
    }
  }
}

}  // namespace

Fault parse_fault(const Node& n, const std::string& path, const Scenario& s, const Registry& r) {
  MapReader m(n, path, kFaultKeys);
  Fault f;
  f.loc = n.loc;
  const ActionSpec& spec = read_action(m);
  f.action = std::string(spec.name);
  check_fields(m, spec);
  parse_timing(m, spec, f);
  parse_targets(m, spec, s, r, f);
  parse_effects(m, spec, s, f);
  return f;
}

// Used by dump_yaml: the fields of an action, in table order.
std::vector<std::string_view> fault_fields(const std::string& action) {
  for (const ActionSpec& spec : action_specs()) {
    if (spec.name != action) continue;
    std::vector<std::string_view> out = spec.required;
    out.insert(out.end(), spec.optional.begin(), spec.optional.end());
    return out;
  }
  return {};
}

}  // namespace sim::scenario::detail
