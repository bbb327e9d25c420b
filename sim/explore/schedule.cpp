// Drawing fault schedules and turning them into scenarios (schedule.hpp).
#include "sim/explore/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "sim/fabric/transport.hpp"
#include "sim/rng.hpp"
#include "sim/scenario/units.hpp"

namespace sim::explore {
namespace {

using scenario::AnaState;
using scenario::Fault;
using scenario::Scenario;

const scenario::Explore& spec_of(const Scenario& s) { return *s.explore; }

std::vector<const scenario::Link*> target_links(const Scenario& s) {
  const auto& e = spec_of(s);
  std::vector<const scenario::Link*> out;
  for (const auto& l : s.links) {
    if (l.subsystem != e.subsystem) continue;
    if (!e.links.empty() && std::find(e.links.begin(), e.links.end(), l.name) == e.links.end())
      continue;
    out.push_back(&l);
  }
  return out;
}

// The host whose paths are explored: the host of the first target link (set-iopolicy, the
// timeouts behind allowed_app_errors).
const scenario::Host& host_of(const Scenario& s) {
  const auto links = target_links(s);
  for (const auto& h : s.hosts)
    if (!links.empty() && h.name == links.front()->host) return h;
  return s.hosts.front();  // a link to the subsystem exists (loader), so hosts do
}

const scenario::Subsystem& subsystem_of(const Scenario& s) {
  for (const auto& sub : s.subsystems)
    if (sub.nqn == spec_of(s).subsystem) return sub;
  return s.subsystems.front();  // the loader made sure it exists
}

std::vector<int> or_all(const std::vector<int>& chosen, const std::vector<int>& all) {
  return chosen.empty() ? all : chosen;
}

std::vector<int> all_ports(const scenario::Subsystem& sub) {
  std::vector<int> v;
  for (const auto& p : sub.ports) v.push_back(p.id);
  return v;
}

std::vector<int> all_groups(const scenario::Subsystem& sub) {
  std::vector<int> v;
  for (const auto& ns : sub.namespaces) v.push_back(ns.ana_group);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// A whole number of microseconds in [r.min, r.max] (ns when the range is narrower than 1 us).
Time draw_length(Rng& rng, const scenario::TimeRange& r) {
  if (r.max - r.min < kMicrosecond)
    return r.min + static_cast<Time>(rng.below(static_cast<std::uint64_t>(r.max - r.min) + 1));
  const auto steps = static_cast<std::uint64_t>((r.max - r.min) / kMicrosecond);
  return r.min + static_cast<Time>(rng.below(steps + 1)) * kMicrosecond;
}

template <typename T>
const T& pick(Rng& rng, const std::vector<T>& v) {
  return v[rng.below(v.size())];
}

int draw_count(Rng& rng, const scenario::Explore& e) {
  if (e.rate == 0)
    return e.count_min +
           static_cast<int>(rng.below(static_cast<std::uint64_t>(e.count_max - e.count_min) + 1));
  // Poisson(rate x window) by Knuth's product of uniforms; capped at 1000 faults.
  const double mean = static_cast<double>(e.rate) * static_cast<double>(e.until - e.from) * 1e-9;
  if (mean > 500) return 1000;
  const double limit = std::exp(-mean);
  int k = 0;
  for (double p = rng.uniform_open0(); p > limit && k < 1000; p *= rng.uniform_open0()) ++k;
  return k;
}

// The episode's undo needs to know the time the target's last interval of the same kind ends,
// so that two intervals of one action on one target never overlap (a second link-down of a
// link already down, a host-connect of a connected link).
std::string target_key(const Episode& ep) {
  return ep.action + "|" + ep.link + "|" + std::to_string(ep.port) + "|" +
         std::to_string(ep.group) + "|" + std::to_string(ep.nsid);
}

scenario::Transport port_transport(const scenario::Subsystem& sub, int port) {
  for (const auto& p : sub.ports)
    if (p.id == port) return p.transport;
  return scenario::Transport::Tcp;
}

}  // namespace

std::uint64_t run_seed(std::uint64_t s, std::uint64_t i) {
  // splitmix64 of the exploration seed, then of the run index mixed in.
  auto mix = [](std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  return mix(mix(s) ^ (i * 0xd1b54a32d192ed03ull + 1));
}

Schedule draw(const Scenario& s, std::uint64_t seed) {
  const scenario::Explore& e = spec_of(s);
  const scenario::Subsystem& sub = subsystem_of(s);
  Rng rng(seed, "explore");
  Schedule sch;
  sch.until = e.until;
  const auto links = target_links(s);
  const auto ports = or_all(e.ports, all_ports(sub));
  const auto ctrls = or_all(e.controllers, all_ports(sub));
  const auto groups = or_all(e.groups, all_groups(sub));
  std::uint64_t total = 0;
  for (const auto& a : e.faults) total += static_cast<std::uint64_t>(a.weight);
  std::map<std::string, std::vector<std::pair<Time, Time>>>
      busy;  // ordered: never iterated for order
  const int count = draw_count(rng, e);
  const auto window = static_cast<std::uint64_t>((e.until - e.from) / kMicrosecond);
  for (int n = 0; n < count; ++n) {
    std::uint64_t w = rng.below(total);
    const scenario::ExploreAction* chosen = &e.faults.front();
    for (const auto& a : e.faults) {
      if (w < static_cast<std::uint64_t>(a.weight)) {
        chosen = &a;
        break;
      }
      w -= static_cast<std::uint64_t>(a.weight);
    }
    Episode ep;
    ep.action = chosen->action;
    ep.at = e.from + (window > 0 ? static_cast<Time>(rng.below(window)) * kMicrosecond : 0);
    const std::string& a = ep.action;
    if (a == "link-down" || a == "link-degrade" || a == "host-disconnect") {
      ep.link = pick(rng, links)->name;
    } else if (a == "ctrl-hang" || a == "ctrl-reset" || a == "ctrl-fatal") {
      ep.port = pick(rng, ctrls);
    } else if (a != "power-loss" && a != "set-iopolicy") {
      ep.port = pick(rng, ports);
    }
    if (a == "link-down") {
      ep.length = draw_length(rng, e.down);
      ep.mode = rng.below(2) ? scenario::LinkDownMode::Reset : scenario::LinkDownMode::Silent;
    } else if (a == "link-degrade") {
      ep.length = draw_length(rng, e.degrade);
      static const std::vector<Time> kLatencies = {200 * kMicrosecond, 2 * kMillisecond,
                                                   20 * kMillisecond};
      ep.latency = pick(rng, kLatencies);
    } else if (a == "port-down" || a == "host-disconnect") {
      ep.length = draw_length(rng, e.down);
    } else if (a == "ctrl-hang" || a == "power-loss") {
      ep.length = draw_length(rng, e.hang);
    } else if (a == "ana-change") {
      ep.length = draw_length(rng, e.down);
      ep.group = pick(rng, groups);
      static const std::vector<AnaState> kStates = {AnaState::Inaccessible, AnaState::Inaccessible,
                                                    AnaState::NonOptimized};
      ep.state = pick(rng, kStates);
      ep.via_change = rng.below(2) == 1;
      ep.aen = rng.below(4) != 0;
    } else if (a == "inject-status") {
      // Path errors (SCT 3: ANA inaccessible, host path error) and generic ones (internal
      // error, media error), as kernels classify them (nvme_decide_disposition).
      static const std::vector<std::uint16_t> kStatuses = {0x302, 0x370, 0x006, 0x281};
      ep.status = pick(rng, kStatuses);
      ep.inject_count = 1 + static_cast<int>(rng.below(8));
    } else if (a == "set-iopolicy") {
      std::vector<scenario::IoPolicy> pols = {scenario::IoPolicy::Numa,
                                              scenario::IoPolicy::RoundRobin};
      if (host_of(s).kernel != scenario::KernelProfile::K6_1 &&
          host_of(s).kernel != scenario::KernelProfile::K4_15)
        pols.push_back(scenario::IoPolicy::QueueDepth);
      ep.iopolicy = pick(rng, pols);
      ep.length = e.until - ep.at;  // the host's own policy comes back at the heal
    } else if (a == "ns-detach") {
      ep.length = draw_length(rng, e.down);
      std::vector<std::uint32_t> nsids;
      for (const auto& ns : sub.namespaces) nsids.push_back(ns.nsid);
      ep.nsid = pick(rng, nsids);
    }
    ep.length = std::min(ep.length, e.until - ep.at);
    // Same action on the same target: no overlap (the episode is dropped, its draws are kept).
    auto& spans = busy[target_key(ep)];
    const Time end = ep.at + std::max<Time>(ep.length, 1);
    const bool overlaps = std::any_of(spans.begin(), spans.end(), [&](const auto& sp) {
      return ep.at <= sp.second && sp.first <= end;
    });
    if (overlaps) continue;
    spans.emplace_back(ep.at, end);
    sch.episodes.push_back(ep);
  }
  return sch;
}

std::vector<Fault> to_faults(const Scenario& s, const Schedule& sch) {
  const scenario::Subsystem& sub = subsystem_of(s);
  const std::string& host = host_of(s).name;
  std::vector<Fault> out;
  auto base = [&](const std::string& action, Time at) {
    Fault f;
    f.loc = scenario::SourceLoc{"explore", 0, 0};
    f.action = action;
    f.at = at;
    return f;
  };
  for (const Episode& ep : sch.episodes) {
    const Time end = std::min(ep.at + ep.length, sch.until);
    const std::string& a = ep.action;
    if (a == "link-down" || a == "link-degrade" || a == "host-disconnect") {
      Fault f = base(a, ep.at), u = base(a == "link-down"      ? "link-up"
                                         : a == "link-degrade" ? "link-degrade"
                                                               : "host-connect",
                                         end);
      f.link = u.link = ep.link;
      if (a == "link-down") f.mode = ep.mode;
      if (a == "host-disconnect")
        f.host = u.host = [&] {
          for (const auto& l : s.links)
            if (l.name == ep.link) return l.host;
          return host;
        }();
      if (a == "link-degrade") {
        f.latency = ep.latency;
        for (const auto& l : s.links) {
          if (l.name != ep.link) continue;
          const auto d = fabric::transport_defaults(port_transport(sub, l.port));
          u.latency = l.latency.value_or(d.link_latency);
          u.bandwidth = l.bandwidth.value_or(d.link_bandwidth);
          u.loss = 0.0;
        }
      }
      out.push_back(f);
      out.push_back(u);
      continue;
    }
    Fault f = base(a, ep.at);
    f.subsystem = sub.nqn;
    if (a == "power-loss") {
      Fault u = base("power-restore", end);
      u.subsystem = sub.nqn;
      out.push_back(f);
      out.push_back(u);
      continue;
    }
    if (a == "set-iopolicy") {
      Fault u = base(a, end);
      f.host = u.host = host;
      u.subsystem = sub.nqn;
      f.iopolicy = ep.iopolicy;
      u.iopolicy = host_of(s).iopolicy;
      out.push_back(f);
      out.push_back(u);
      continue;
    }
    f.port = ep.port;
    if (a == "ctrl-reset" || a == "ctrl-fatal") {
      out.push_back(f);
      continue;
    }
    if (a == "inject-status") {
      f.status = ep.status;
      f.inject_count = ep.inject_count;
      out.push_back(f);
      continue;
    }
    Fault u = base(a == "port-down"   ? "port-up"
                   : a == "ctrl-hang" ? "ctrl-resume"
                   : a == "ns-detach" ? "ns-attach"
                                      : a,
                   end);
    u.subsystem = sub.nqn;
    u.port = ep.port;
    if (a == "ana-change") {
      f.group = u.group = ep.group;
      f.state = ep.state;
      f.via_change = ep.via_change;
      f.aen = ep.aen;
      AnaState back = AnaState::Optimized;
      for (const auto& p : sub.ports)
        if (p.id == ep.port && p.ana.count(ep.group)) back = p.ana.at(ep.group);
      u.state = back;
      u.via_change = false;
      u.aen = true;
    }
    if (a == "ns-detach") f.nsid = u.nsid = ep.nsid;
    out.push_back(f);
    out.push_back(u);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Fault& x, const Fault& y) { return x.at < y.at; });
  return out;
}

std::optional<std::int64_t> allowed_app_errors(const Scenario& s, const Schedule& sch) {
  const scenario::NvmeOptions& nv = host_of(s).nvme;
  const auto links = target_links(s);
  // A path is lost from its fault until it can be back: the fault's end plus one reconnect delay
  // and one KATO (the reconnect attempt and its connect); forever once the outage reaches
  // ctrl_loss_tmo (the controller is deleted, nvme_delete_ctrl, and nothing reconnects it).
  const Time back = nv.reconnect_delay + nv.kato + nv.io_timeout;
  std::vector<std::vector<std::pair<Time, Time>>> lost(links.size());
  std::int64_t generic = 0;
  for (const Episode& ep : sch.episodes) {
    if (ep.action == "inject-status" && (ep.status >> 8) != 3) generic += ep.inject_count;
    // The I/O a detached namespace had in flight completes with Invalid Namespace, not a path
    // error: it reaches the application (nvme_decide_disposition).
    if (ep.action == "ns-detach") return std::nullopt;
    const bool whole = ep.action == "power-loss";
    for (std::size_t i = 0; i < links.size(); ++i) {
      const bool hit =
          whole ||
          (!ep.link.empty() && ep.link == links[i]->name &&
           (ep.action == "link-down" || ep.action == "host-disconnect")) ||
          (ep.port != 0 && ep.port == links[i]->port &&
           (ep.action == "port-down" || ep.action == "ctrl-hang" || ep.action == "ns-detach" ||
            ep.action == "ctrl-fatal" || ep.action == "ctrl-reset"));
      if (!hit) continue;
      const Time len = std::min(ep.at + ep.length, sch.until) - ep.at;
      Time end = ep.at + len + back;
      if (ep.action == "ns-detach" || (nv.ctrl_loss_tmo && len >= *nv.ctrl_loss_tmo))
        end = scenario::kMaxTime;
      lost[i].emplace_back(ep.at, end);
    }
  }
  if (links.empty()) return generic;
  // The longest time every path is lost at once: from each span's start, as long as every path
  // has a span covering that instant.
  Time longest = 0;
  for (const auto& spans : lost) {
    for (const auto& span : spans) {
      const Time t = span.first;
      Time until = scenario::kMaxTime;
      for (std::size_t i = 0; i < links.size() && until > t; ++i) {
        Time best = t;
        for (const auto& sp : lost[i])
          if (sp.first <= t && t < sp.second) best = std::max(best, sp.second);
        until = std::min(until, best);
      }
      longest = std::max(longest, until - t);
    }
  }
  if (longest == 0) return generic;
  if (longest >= scenario::kMaxTime / 2) return std::nullopt;
  if (nv.fast_io_fail_tmo && longest >= *nv.fast_io_fail_tmo) return std::nullopt;
  return generic;
}

Time run_length(const Scenario& s, const Schedule& sch) { return sch.until + spec_of(s).liveness; }

Scenario materialize(const Scenario& s, const Schedule& sch, std::uint64_t seed) {
  const scenario::Explore& e = spec_of(s);
  Scenario out = s;
  out.explore.reset();
  out.seed = seed;
  for (Fault& f : to_faults(s, sch)) out.faults.push_back(std::move(f));
  for (auto& w : out.workloads) {
    const Time stop = std::max<Time>(sch.until - w.start, 1);
    w.runtime = std::min(w.runtime.value_or(stop), stop);
  }
  out.duration = run_length(s, sch);
  scenario::Expect& x = out.expect;
  if (!x.no_lost_io) x.no_lost_io = true;
  if (!x.no_partial_completion) x.no_partial_completion = true;
  if (!x.linearizable) x.linearizable = true;
  if (!x.app_errors) {
    if (auto n = allowed_app_errors(s, sch)) x.app_errors = scenario::CountBound{std::nullopt, *n};
  }
  if (!x.max_io_stall) x.max_io_stall = sch.until - e.from + e.liveness;
  if (!x.max_outstanding_at_end) x.max_outstanding_at_end = 0;
  return out;
}

}  // namespace sim::explore
