// Scenario loader: the `explore` section (what `nvmsim explore` draws; sim/explore/).
#include <algorithm>
#include <set>

#include "sim/scenario/loader_sections.hpp"

namespace sim::scenario::detail {
namespace {

// Each drawable action comes with its undo (link-down .. link-up, ctrl-hang .. ctrl-resume, ...),
// so the undo actions themselves are not in the vocabulary.
const char* undo_of(std::string_view action) {
  if (action == "link-up") return "link-down";
  if (action == "port-up") return "port-down";
  if (action == "ctrl-resume") return "ctrl-hang";
  if (action == "power-restore") return "power-loss";
  if (action == "host-connect") return "host-disconnect";
  if (action == "ns-attach") return "ns-detach";
  return nullptr;
}

TimeRange read_range(const Node& n, const std::string& key) {
  TimeRange r;
  if (n.is_scalar()) {
    r.min = r.max = read_duration(n, key, {.min = 1});
    return r;
  }
  MapReader m(n, key, kBoundKeys);
  const Node& lo = m.require("min");
  const Node& hi = m.require("max");
  r.min = read_duration(lo, m.path("min"), {.min = 1});
  r.max = read_duration(hi, m.path("max"), {.min = 1});
  if (r.max < r.min) {
    fail(hi.loc, m.path("max"),
         "max (" + format_duration(r.max) + ") is less than min (" + format_duration(r.min) + ")");
  }
  return r;
}

void read_weights(const Node& n, const std::string& key, Explore& e) {
  if (!n.is_map() || n.keys.empty()) {
    fail(n.loc, key, "explore.faults must be a map of action: weight, got " + describe(n),
         "e.g. faults: {link-down: 3, ctrl-hang: 1}");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < n.keys.size(); ++i) {
    const Node& k = n.keys[i];
    const std::string path = child_path(key, k.text);
    if (!seen.insert(k.text).second) fail(k.loc, path, "action '" + k.text + "' given twice");
    const auto& actions = explore_actions();
    if (std::find(actions.begin(), actions.end(), k.text) == actions.end()) {
      if (const char* undo = undo_of(k.text)) {
        fail(k.loc, path, "'" + k.text + "' is not drawn on its own",
             std::string("it is drawn as the end of every '") + undo + "' interval; name '" + undo +
                 "'");
      }
      fail(k.loc, path, "action '" + k.text + "' cannot be drawn by explore",
           value_hint(k.text, actions));
    }
    e.faults.push_back({k.text, static_cast<int>(read_int(n.items[i], path, 1, 1000))});
  }
}

std::vector<int> read_int_list(const Node& n, const std::string& key, const std::set<int>& valid,
                               const char* what) {
  std::vector<int> out;
  for (std::size_t i = 0; i < read_list(n, key, "[1, 2]").size(); ++i) {
    const Node& item = n.items[i];
    const int v = static_cast<int>(read_int(item, index_path(key, i), 0, 0xFFFF));
    if (valid.count(v) == 0) {
      std::vector<std::string> names;
      for (int x : valid) names.push_back(std::to_string(x));
      fail(item.loc, index_path(key, i), std::string("no ") + what + " " + std::to_string(v),
           "valid: " + join(names));
    }
    if (std::find(out.begin(), out.end(), v) != out.end())
      fail(item.loc, index_path(key, i),
           std::string(what) + " " + std::to_string(v) + " given twice");
    out.push_back(v);
  }
  if (out.empty())
    fail(n.loc, key, "an empty target list leaves nothing to draw", "leave the key out for all");
  return out;
}

void read_targets(const Node& n, const std::string& key, const Scenario& s, const Registry& r,
                  const Subsystem& sub, Explore& e) {
  MapReader m(n, key, kExploreTargetKeys);
  if (const Node* v = m.find("links")) {
    const auto& items = read_list(*v, m.path("links"), "[a, b]");
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string path = index_path(m.path("links"), i);
      const Link& l = s.links[lookup(r.links, items[i], path, "link")];
      if (l.subsystem != sub.nqn) {
        fail(items[i].loc, path,
             "link '" + l.name + "' goes to subsystem '" + l.subsystem + "', not '" + sub.nqn + "'",
             "explore draws faults on one subsystem (explore.subsystem)");
      }
      if (std::find(e.links.begin(), e.links.end(), l.name) != e.links.end())
        fail(items[i].loc, path, "link '" + l.name + "' given twice");
      e.links.push_back(l.name);
    }
    if (e.links.empty())
      fail(v->loc, m.path("links"), "an empty target list leaves nothing to draw",
           "leave the key out for all");
  }
  std::set<int> ports, groups;
  for (const Port& p : sub.ports) ports.insert(p.id);
  for (const Namespace& ns : sub.namespaces) groups.insert(ns.ana_group);
  for (const Port& p : sub.ports)
    for (const auto& [g, _] : p.ana) groups.insert(g);
  if (const Node* v = m.find("ports")) e.ports = read_int_list(*v, m.path("ports"), ports, "port");
  if (const Node* v = m.find("controllers"))
    e.controllers = read_int_list(*v, m.path("controllers"), ports, "port");
  if (const Node* v = m.find("groups"))
    e.groups = read_int_list(*v, m.path("groups"), groups, "ANA group");
}

}  // namespace

const std::vector<std::string_view>& explore_actions() {
  static const std::vector<std::string_view> kActions = {
      "link-down",  "link-degrade",  "port-down",  "ctrl-reset",      "ctrl-hang",    "ctrl-fatal",
      "ana-change", "inject-status", "power-loss", "host-disconnect", "set-iopolicy", "ns-detach"};
  return kActions;
}

Explore parse_explore(const Node& n, const std::string& path, const Scenario& s,
                      const Registry& r) {
  MapReader m(n, path, kExploreKeys);
  Explore e;
  e.loc = n.loc;
  if (s.subsystems.empty()) fail(n.loc, path, "explore needs a subsystem to draw faults on");
  const Subsystem* sub = &s.subsystems.front();
  if (const Node* v = m.find("subsystem"))
    sub = &s.subsystems[lookup(r.subsystems, *v, m.path("subsystem"), "subsystem")];
  e.subsystem = sub->nqn;
  if (const Node* v = m.find("faults")) {
    read_weights(*v, m.path("faults"), e);
  } else {
    // Default vocabulary: the path faults every fabrics topology has.
    for (const char* a : {"link-down", "port-down", "ctrl-hang", "ctrl-reset", "ana-change"})
      e.faults.push_back({a, 1});
  }
  if (const Node* v = m.find("targets")) read_targets(*v, m.path("targets"), s, r, *sub, e);
  const bool has_link = std::any_of(s.links.begin(), s.links.end(),
                                    [&](const Link& l) { return l.subsystem == sub->nqn; });
  if (!has_link)
    fail(n.loc, path, "no link goes to subsystem '" + sub->nqn + "': nothing to explore");

  get_duration(m, "from", e.from);
  const Time end = s.end_time();
  e.until = end;
  if (const Node* v = m.find("until")) {
    e.until = read_duration(*v, m.path("until"), {.min = 1});
  }
  if (e.until <= e.from) {
    const Node* at = m.find("until") ? m.find("until") : m.find("from");
    fail(
        at ? at->loc : n.loc, m.path(m.find("until") ? "until" : "from"),
        "the window is empty: until (" + format_duration(e.until) + ") is not after from (" +
            format_duration(e.from) + ")",
        m.find("until") ? "until must be later than from" : "until defaults to the scenario's end");
  }
  const Node* count = m.find("count");
  const Node* rate = m.find("rate");
  if (count && rate)
    fail(rate->loc, m.path("rate"), "give count or rate, not both",
         "count draws a number of faults per run, rate a mean per second");
  if (count) {
    if (count->is_scalar()) {
      e.count_min = e.count_max = static_cast<int>(read_int(*count, m.path("count"), 1, 1000));
    } else {
      MapReader c(*count, m.path("count"), kBoundKeys);
      const Node& lo = c.require("min");
      const Node& hi = c.require("max");
      e.count_min = static_cast<int>(read_int(lo, c.path("min"), 0, 1000));
      e.count_max = static_cast<int>(read_int(hi, c.path("max"), 1, 1000));
      if (e.count_max < e.count_min) {
        fail(hi.loc, c.path("max"),
             "max (" + std::to_string(e.count_max) + ") is less than min (" +
                 std::to_string(e.count_min) + ")");
      }
    }
  }
  if (rate) {
    e.rate = read_count_rate(*rate, m.path("rate"));
    if (e.rate == 0 || e.rate > 1000)
      fail(rate->loc, m.path("rate"), "rate must be 1..1000 faults per second");
  }
  if (const Node* v = m.find("durations")) {
    MapReader d(*v, m.path("durations"), kExploreDurationKeys);
    if (const Node* x = d.find("down")) e.down = read_range(*x, d.path("down"));
    if (const Node* x = d.find("hang")) e.hang = read_range(*x, d.path("hang"));
    if (const Node* x = d.find("degrade")) e.degrade = read_range(*x, d.path("degrade"));
  }
  get_duration(m, "liveness", e.liveness, {.min = 1});
  if (static_cast<__int128>(e.until) + e.liveness > kMaxTime) {
    fail(n.loc, m.path("liveness"),
         "until + liveness is past " + format_duration(kMaxTime) + " (365 days)");
  }
  return e;
}

}  // namespace sim::scenario::detail
