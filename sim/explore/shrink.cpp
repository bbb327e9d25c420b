// Shrinking a failing run (explore.hpp, shrink()): greedy delta debugging over the schedule and
// the scenario. Each pass proposes candidates, runs them `jobs` at a time and keeps the first (in
// proposal order, so the result never depends on which child finishes first) that still fails
// with the same primary kind; passes repeat until none of them makes progress.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "sim/explore/explore.hpp"

namespace sim::explore {
namespace {

using scenario::Scenario;

struct Candidate {
  Scenario base;
  Schedule sch;
  std::string what;  // for the log
};

class Shrinker {
 public:
  Shrinker(const Scenario& base, const RunRecord& r, int jobs,
           const std::function<void(const std::string&)>& log)
      : base_(base), run_(r), jobs_(std::max(1, jobs)), log_(log), kind_(r.verdict.primary()) {}

  // Runs the candidates in batches of `jobs`; takes the first one that still fails. True if one
  // did.
  bool try_all(std::vector<Candidate> cands) {
    for (std::size_t at = 0; at < cands.size(); at += static_cast<std::size_t>(jobs_)) {
      const std::size_t end = std::min(cands.size(), at + static_cast<std::size_t>(jobs_));
      std::vector<Scenario> runs;
      for (std::size_t i = at; i < end; ++i)
        runs.push_back(materialize(cands[i].base, cands[i].sch, run_.seed));
      const auto verdicts = run_batch(runs, jobs_);
      tried_ += runs.size();
      for (std::size_t i = at; i < end; ++i) {
        const Verdict& v = verdicts[i - at];
        if (std::find(v.kinds.begin(), v.kinds.end(), kind_) == v.kinds.end()) continue;
        base_ = std::move(cands[i].base);
        run_.schedule = std::move(cands[i].sch);
        run_.verdict = v;
        if (log_)
          log_(fmt::format("  shrink: {} -> {} episode(s)", cands[i].what,
                           run_.schedule.episodes.size()));
        return true;
      }
    }
    return false;
  }

  // ddmin on the episodes: remove chunks of n/2, n/4, ... 1 episodes.
  bool drop_episodes() {
    bool any = false;
    for (std::size_t chunk = std::max<std::size_t>(1, run_.schedule.episodes.size() / 2);
         chunk >= 1;) {
      std::vector<Candidate> cands;
      const auto& eps = run_.schedule.episodes;
      for (std::size_t at = 0; at < eps.size(); at += chunk) {
        Candidate c{base_, run_.schedule,
                    fmt::format("drop episodes {}..{}", at, std::min(eps.size(), at + chunk) - 1)};
        c.sch.episodes.erase(
            c.sch.episodes.begin() + static_cast<std::ptrdiff_t>(at),
            c.sch.episodes.begin() + static_cast<std::ptrdiff_t>(std::min(eps.size(), at + chunk)));
        cands.push_back(std::move(c));
      }
      if (try_all(std::move(cands))) {
        any = true;
        chunk = std::min(chunk, std::max<std::size_t>(1, run_.schedule.episodes.size() / 2));
        if (run_.schedule.episodes.empty()) break;
        continue;
      }
      if (chunk == 1) break;
      chunk /= 2;
    }
    return any;
  }

  // Per episode: halve its length, move it halfway to `from`.
  bool simplify_episodes() {
    bool any = false;
    const Time from = base_.explore->from;
    for (std::size_t i = 0; i < run_.schedule.episodes.size(); ++i) {
      for (;;) {
        std::vector<Candidate> cands;
        const Episode& ep = run_.schedule.episodes[i];
        if (ep.length >= 2 * kMillisecond) {
          Candidate c{base_, run_.schedule, fmt::format("episode {} length /2", i)};
          c.sch.episodes[i].length = ep.length / 2 / kMicrosecond * kMicrosecond;
          cands.push_back(std::move(c));
        }
        if (ep.at - from >= 2 * kMillisecond) {
          Candidate c{base_, run_.schedule, fmt::format("episode {} earlier", i)};
          c.sch.episodes[i].at = from + (ep.at - from) / 2 / kMicrosecond * kMicrosecond;
          cands.push_back(std::move(c));
        }
        if (cands.empty() || !try_all(std::move(cands))) break;
        any = true;
      }
    }
    return any;
  }

  // The heal as early as the last episode's end allows (the run gets shorter).
  bool earlier_heal() {
    Time last = base_.explore->from + kMillisecond;
    for (const Episode& ep : run_.schedule.episodes)
      last = std::max(last, ep.at + std::max<Time>(ep.length, kMillisecond));
    if (last + kMillisecond >= run_.schedule.until) return false;
    Candidate c{base_, run_.schedule, "heal at the last episode's end"};
    c.sch.until = last + kMillisecond;
    return try_all({std::move(c)});
  }

  // Lower iodepth and numjobs, drop workloads and links no episode names.
  bool smaller_scenario() {
    bool any = false;
    for (std::size_t w = 0; w < base_.workloads.size(); ++w) {
      while (base_.workloads[w].iodepth > 1 || base_.workloads[w].numjobs > 1) {
        std::vector<Candidate> cands;
        if (base_.workloads[w].iodepth > 1) {
          Candidate c{base_, run_.schedule, fmt::format("workload {} iodepth /2", w)};
          c.base.workloads[w].iodepth /= 2;
          cands.push_back(std::move(c));
        }
        if (base_.workloads[w].numjobs > 1) {
          Candidate c{base_, run_.schedule, fmt::format("workload {} numjobs /2", w)};
          c.base.workloads[w].numjobs /= 2;
          cands.push_back(std::move(c));
        }
        if (!try_all(std::move(cands))) break;
        any = true;
      }
    }
    for (std::size_t w = base_.workloads.size(); w-- > 0 && base_.workloads.size() > 1;) {
      Candidate c{base_, run_.schedule, "drop workload " + base_.workloads[w].name};
      c.base.workloads.erase(c.base.workloads.begin() + static_cast<std::ptrdiff_t>(w));
      any = try_all({std::move(c)}) || any;
    }
    for (std::size_t l = base_.links.size(); l-- > 0 && base_.links.size() > 1;) {
      const std::string name = base_.links[l].name;
      const bool used =
          std::any_of(run_.schedule.episodes.begin(), run_.schedule.episodes.end(),
                      [&](const Episode& ep) {
                        return ep.link == name || (ep.port != 0 && ep.port == base_.links[l].port);
                      }) ||
          std::any_of(base_.faults.begin(), base_.faults.end(),
                      [&](const scenario::Fault& f) { return f.link == name; });
      if (used) continue;
      Candidate c{base_, run_.schedule, "drop link " + name};
      c.base.links.erase(c.base.links.begin() + static_cast<std::ptrdiff_t>(l));
      std::erase_if(c.base.connect, [&](const scenario::Connect& x) { return x.link == name; });
      std::erase(c.base.explore->links, name);
      any = try_all({std::move(c)}) || any;
    }
    return any;
  }

  Shrunk result(double wall) const { return {base_, run_, tried_, wall}; }

 private:
  Scenario base_;
  RunRecord run_;
  int jobs_;
  std::function<void(const std::string&)> log_;
  std::string kind_;
  std::size_t tried_ = 0;
};

}  // namespace

Shrunk shrink(const Scenario& base, const RunRecord& failing, int jobs,
              const std::function<void(const std::string&)>& log) {
  const auto t0 = std::chrono::steady_clock::now();
  Shrinker s(base, failing, jobs, log);
  for (int pass = 0; pass < 8; ++pass) {
    bool any = s.drop_episodes();
    any = s.simplify_episodes() || any;
    any = s.earlier_heal() || any;
    any = s.smaller_scenario() || any;
    if (!any) break;
  }
  return s.result(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace sim::explore
