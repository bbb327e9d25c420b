// Running an exploration: forked children polled from this one thread (explore.hpp).
#include "sim/explore/explore.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "sim/scenario/loader.hpp"
#include "sim/scenario/units.hpp"

namespace sim::explore {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPollMs = 100;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Children in flight, each tagged with the caller's index; one poll() for all.
class Children {
 public:
  ~Children() {
    for (auto& [i, c] : running_) kill(c.pid, SIGKILL);
    for (auto& [i, c] : running_) (void)api::finish_forked(c);
  }
  std::size_t size() const { return running_.size(); }
  void start(std::size_t tag, const scenario::Scenario& s) {
    running_.emplace_back(tag, api::start_forked(s));
  }
  // Waits up to kPollMs; returns the children that finished, with their results.
  std::vector<std::pair<std::size_t, api::Result>> poll_done() {
    std::vector<std::pair<std::size_t, api::Result>> out;
    std::vector<pollfd> fds;
    for (const auto& [i, c] : running_) fds.push_back({c.fd, POLLIN, 0});
    if (fds.empty() || poll(fds.data(), fds.size(), kPollMs) <= 0) return out;
    for (std::size_t k = fds.size(); k-- > 0;) {
      if (fds[k].revents == 0 || api::read_forked(running_[k].second)) continue;
      auto [tag, child] = std::move(running_[k]);
      running_.erase(running_.begin() + static_cast<std::ptrdiff_t>(k));
      out.emplace_back(tag, api::finish_forked(child));
    }
    return out;
  }

 private:
  std::vector<std::pair<std::size_t, api::ForkedRun>> running_;
};

bool is_oracle_key(const std::string& k) {
  return k == "no_lost_io" || k == "no_partial_completion" || k == "linearizable" ||
         k == "durable_after_flush";
}

}  // namespace

Verdict verdict_of(const api::Result& r) {
  Verdict v;
  v.exit_code = r.exit_code;
  if (r.exit_code >= 2 || r.exit_code < 0) {
    // exit 3 is the run's own finding (a zero-time livelock, a crash); exit 2 a scenario this
    // build cannot run.
    const bool livelock = r.error.find("zero-time livelock") != std::string::npos;
    v.kinds = {livelock ? "livelock" : r.exit_code == 2 ? "bad-input" : "internal-error"};
    v.error = r.error.substr(0, r.error.find('\n'));
    if (livelock) v.error = v.error.substr(0, v.error.find(": "));  // "... at t=...ns"
    return v;
  }
  if (r.exit_code == 0) return v;
  std::set<std::string> kinds;
  if (!r.violations_json.empty()) {
    const nlohmann::json vj = nlohmann::json::parse(r.violations_json);  // outlives the loop
    for (const auto& [k, n] : vj.at("counts").items())
      if (n.get<std::uint64_t>() > 0) kinds.insert(k);
  }
  v.kinds.assign(kinds.begin(), kinds.end());
  std::vector<std::string> keys;
  if (!r.results_json.empty()) {
    const nlohmann::json rj = nlohmann::json::parse(r.results_json);
    for (const auto& e : rj.at("nvmsim").at("expect")) {
      const std::string k = e.at("key").get<std::string>();
      if (!e.at("ok").get<bool>() && !is_oracle_key(k)) keys.push_back(k);
    }
  }
  std::sort(keys.begin(), keys.end());
  v.kinds.insert(v.kinds.end(), keys.begin(), keys.end());
  if (v.kinds.empty()) v.kinds = {"exit-1"};
  return v;
}

std::vector<Verdict> run_batch(const std::vector<scenario::Scenario>& runs, int jobs,
                               const std::function<bool()>& stop) {
  std::vector<Verdict> out(runs.size(), Verdict{.exit_code = -1, .kinds = {}, .error = {}});
  Children kids;
  std::size_t next = 0, done = 0;
  while (done < next || next < runs.size()) {
    if (stop && stop()) break;
    while (kids.size() < static_cast<std::size_t>(std::max(1, jobs)) && next < runs.size()) {
      kids.start(next, runs[next]);
      ++next;
    }
    for (auto& [i, r] : kids.poll_done()) {
      out[i] = verdict_of(r);
      ++done;
    }
  }
  return out;
}

ExploreOutcome explore(const scenario::Scenario& s, const ExploreOptions& o) {
  ExploreOutcome out;
  const auto t0 = Clock::now();
  Children kids;
  std::map<std::size_t, RunRecord> running;  // by index
  std::size_t next = 0;
  std::size_t first_failure = SIZE_MAX;
  std::size_t last_report = SIZE_MAX;
  auto report = [&] {
    if (o.progress && out.done != last_report) {
      o.progress(out.done, out.failures.size(), since(t0));
      last_report = out.done;
    }
  };
  for (;;) {
    const bool stopping =
        (o.should_stop && o.should_stop()) || (o.time_budget && since(t0) >= *o.time_budget);
    if (stopping && next < o.runs) out.budget_hit = true;
    const std::size_t limit = std::min(o.runs, first_failure);  // with stop_at_first
    while (!stopping && kids.size() < static_cast<std::size_t>(std::max(1, o.jobs)) &&
           next < limit) {
      RunRecord r;
      r.index = next;
      r.seed = run_seed(o.seed, next);
      r.schedule = draw(s, r.seed);
      kids.start(next, materialize(s, r.schedule, r.seed));
      running.emplace(next, std::move(r));
      ++next;
    }
    if (kids.size() == 0) break;
    for (auto& [i, res] : kids.poll_done()) {
      RunRecord r = std::move(running.at(i));
      running.erase(i);
      r.verdict = verdict_of(res);
      ++out.done;
      if (r.verdict.failed()) {
        if (o.stop_at_first) first_failure = std::min(first_failure, i);
        out.failures.push_back(std::move(r));
      }
    }
    report();
    if (o.should_stop && o.should_stop() && kids.size() > 0) {
      out.budget_hit = true;
      break;  // a signal: the children are killed by ~Children
    }
  }
  std::sort(out.failures.begin(), out.failures.end(),
            [](const RunRecord& a, const RunRecord& b) { return a.index < b.index; });
  if (o.stop_at_first && !out.failures.empty()) {
    // Runs started past the first failure before it was known are not reported: the result does
    // not depend on the timing of the children.
    const std::size_t first = out.failures.front().index;
    out.failures.resize(1);
    out.done = first + 1;
  }
  out.wall = since(t0);
  report();
  return out;
}

std::string run_yaml(const scenario::Scenario& base, const RunRecord& r, const std::string& title,
                     const std::string& replay) {
  const scenario::Scenario s = materialize(base, r.schedule, r.seed);
  std::string head = "# " + title + "\n";
  head += fmt::format("# {} drawn fault episode(s) on {}; heal at {}, run ends at {}.\n",
                      r.schedule.episodes.size(), base.explore->subsystem,
                      scenario::format_duration(r.schedule.until),
                      scenario::format_duration(run_length(base, r.schedule)));
  if (!r.verdict.kinds.empty()) {
    std::string kinds;
    for (const auto& k : r.verdict.kinds) kinds += (kinds.empty() ? "" : ", ") + k;
    head += "# violated: " + kinds + "\n";
  }
  head += "# replay: " + replay + "\n";
  return head + scenario::dump_yaml(s);
}

}  // namespace sim::explore
