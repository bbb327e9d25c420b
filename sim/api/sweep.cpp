// The plan of a sweep: --grid and --seeds parsing, the expansion into runs, and the check of every
// combination before anything runs. Running it: sweep_run.cpp. Format: docs/cli.md "nvmsim sweep".
#include "sim/api/sweep.hpp"

#include <fmt/format.h>

#include <limits>
#include <set>

#include "sim/scenario/error.hpp"
#include "sim/world/report.hpp"
#include "sim/world/world.hpp"

namespace sim::api {
namespace {

using scenario::InputError;
using scenario::SourceLoc;

constexpr std::size_t kMaxRuns = 1'000'000;
constexpr const char* kGrid = "--grid";
constexpr const char* kSeeds = "--seeds";

SourceLoc at(const char* origin, std::size_t index0) {
  return SourceLoc{origin, 1, static_cast<int>(index0) + 1};
}

// The end of the value that starts at `begin`: the next comma outside brackets, braces and
// quotes, or the end of the text. YAML's '' inside single quotes and \" inside double quotes
// keep the quote open.
std::size_t value_end(const std::string& s, std::size_t begin) {
  int depth = 0;
  char quote = 0;
  for (std::size_t i = begin; i < s.size(); ++i) {
    const char c = s[i];
    if (quote == '"' && c == '\\') {
      ++i;
    } else if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      return i;
    }
  }
  return s.size();
}

std::uint64_t parse_seed(const std::string& arg, std::size_t begin, std::size_t end) {
  const std::string text = arg.substr(begin, end - begin);
  const auto bad = [&](const std::string& why) {
    return InputError(at(kSeeds, begin), "seed", why,
                      "--seeds N runs the seeds 1..N, --seeds A..B the seeds A to B");
  };
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    throw bad("expected a seed (an integer from 0 to 18446744073709551615), got '" + text + "'");
  std::uint64_t v = 0;
  for (char c : text) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
      throw bad("seed " + text + " is larger than 18446744073709551615 (2^64 - 1)");
    v = v * 10 + d;
  }
  return v;
}

std::vector<std::uint64_t> seed_range(const std::string& arg, std::uint64_t first,
                                      std::uint64_t last) {
  if (last - first >= kMaxRuns)
    throw InputError(at(kSeeds, 0), "seed",
                     fmt::format("--seeds {} is {} seeds; a sweep has at most {} runs", arg,
                                 last == std::numeric_limits<std::uint64_t>::max() && first == 0
                                     ? std::string("2^64")
                                     : std::to_string(last - first + 1),
                                 kMaxRuns));
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = first;; ++s) {
    seeds.push_back(s);
    if (s == last) break;
  }
  return seeds;
}

// "in run-0003 of the sweep (8 runs): --grid a=1 --grid b=x": which combination an error is about.
std::string combination_note(const SweepSpec& spec, const SweepPoint& p, std::size_t runs) {
  std::string note = fmt::format("in {} of the sweep ({} run{}):", run_dir_name(p.index, runs),
                                 runs, runs == 1 ? "" : "s");
  for (std::size_t a = 0; a < spec.grid.size(); ++a)
    note +=
        " --grid " + world::shell_quote(spec.grid[a].key + "=" + spec.grid[a].values[p.values[a]]);
  return note;
}

// The same error with the note after its hint (on a line of its own), or as the hint.
InputError with_note(const InputError& e, const std::string& note) {
  const std::string hint = e.hint().empty() ? note : e.hint() + "\n  " + note;
  return InputError(e.loc(), e.key(), e.what(), hint);
}

void check_axes(const SweepSpec& spec) {
  std::set<std::string> keys;
  for (const GridAxis& g : spec.grid) {
    if (!keys.insert(g.key).second)
      throw InputError(at(kGrid, 0), g.key, "--grid " + g.key + " is given twice",
                       "give every value of a key in one --grid: --grid " + g.key + "=v1,v2,...");
    if (g.key == "seed" && !spec.seeds.empty())
      throw InputError(at(kGrid, 0), g.key, "the seed is swept by both --grid seed=... and --seeds",
                       "use one of them");
  }
}

}  // namespace

GridAxis parse_grid(const std::string& arg) {
  GridAxis g;
  g.arg = arg;
  const std::size_t eq = arg.find('=');
  if (eq == std::string::npos)
    throw InputError(at(kGrid, 0), "", "--grid expects key.path=v1,v2,..., got '" + arg + "'",
                     "e.g. --grid hosts.0.iopolicy=numa,round-robin");
  g.key = arg.substr(0, eq);
  if (g.key.empty()) throw InputError(at(kGrid, 0), "", "--grid has no key before '='");
  for (std::size_t begin = eq + 1;;) {
    const std::size_t end = value_end(arg, begin);
    const std::string v = arg.substr(begin, end - begin);
    if (v.find_first_not_of(" \t") == std::string::npos)
      throw InputError(at(kGrid, begin), g.key, "--grid " + g.key + ": empty value",
                       "values are separated by commas: --grid " + g.key + "=v1,v2");
    g.values.push_back(v);
    g.value_pos.push_back(begin);
    if (end == arg.size()) break;
    begin = end + 1;
  }
  return g;
}

std::vector<std::uint64_t> parse_seeds(const std::string& arg) {
  const std::size_t dots = arg.find("..");
  if (dots == std::string::npos) {
    const std::uint64_t n = parse_seed(arg, 0, arg.size());
    if (n == 0)
      throw InputError(at(kSeeds, 0), "seed", "--seeds 0 runs nothing",
                       "--seeds N runs the seeds 1..N");
    return seed_range(arg, 1, n);
  }
  const std::uint64_t first = parse_seed(arg, 0, dots);
  const std::uint64_t last = parse_seed(arg, dots + 2, arg.size());
  if (last < first)
    throw InputError(at(kSeeds, dots + 2), "seed",
                     fmt::format("--seeds {}: the last seed is smaller than the first", arg));
  return seed_range(arg, first, last);
}

std::vector<SweepPoint> expand(const SweepSpec& spec) {
  std::size_t count = spec.seeds.empty() ? 1 : spec.seeds.size();
  for (const GridAxis& g : spec.grid) {
    if (g.values.empty() || count > kMaxRuns / g.values.size())
      throw InputError(at(kGrid, 0), g.key,
                       fmt::format("the sweep has more than {} runs", kMaxRuns),
                       "fewer --grid values or seeds");
    count *= g.values.size();
  }
  std::vector<SweepPoint> points;
  points.reserve(count);
  std::vector<std::size_t> odometer(spec.grid.size(), 0);
  for (std::size_t i = 0; i < count; ++i) {
    SweepPoint p;
    p.index = i;
    p.values = odometer;
    if (!spec.seeds.empty()) p.seed = spec.seeds[i % spec.seeds.size()];
    points.push_back(std::move(p));
    if (!spec.seeds.empty() && (i + 1) % spec.seeds.size() != 0) continue;
    // Next combination: the last axis turns fastest and carries into the one before it.
    for (std::size_t a = spec.grid.size(); a-- > 0;) {
      if (++odometer[a] < spec.grid[a].values.size()) break;
      odometer[a] = 0;
    }
  }
  return points;
}

std::vector<std::string> point_overrides(const SweepSpec& spec, const SweepPoint& p) {
  std::vector<std::string> o = spec.sets;
  for (std::size_t a = 0; a < spec.grid.size(); ++a)
    o.push_back(spec.grid[a].key + "=" + spec.grid[a].values[p.values[a]]);
  return o;
}

// The format of world::replay_command, which the run itself writes into results.json.
std::string point_replay(const SweepSpec& spec, const SweepPoint& p, std::uint64_t seed) {
  std::string cmd = fmt::format("nvmsim run {} --seed {}", world::shell_quote(spec.file), seed);
  for (const auto& o : point_overrides(spec, p)) cmd += " --set " + world::shell_quote(o);
  return cmd;
}

scenario::Scenario load_point(const SweepSpec& spec, const SweepPlan& plan, const SweepPoint& p) {
  // As the CLI's run: the --set values in order, then --seed as one more `seed=N`.
  std::vector<scenario::Override> o;
  for (const std::string& s : spec.sets) o.push_back({.text = s});
  for (std::size_t a = 0; a < spec.grid.size(); ++a) {
    const GridAxis& g = spec.grid[a];
    const std::size_t v = p.values[a];
    // In `key=value` the value starts at key.size() + 1; in the --grid argument at value_pos[v].
    o.push_back(
        {.text = g.key + "=" + g.values[v],
         .origin = kGrid,
         .value_shift = static_cast<int>(g.value_pos[v]) - static_cast<int>(g.key.size() + 1)});
  }
  if (p.seed) o.push_back({.text = "seed=" + std::to_string(*p.seed)});
  return plan.doc.interpret(o);
}

SweepPlan plan_sweep(const SweepSpec& spec) {
  check_axes(spec);
  SweepPlan plan{scenario::Document::read_file(spec.file), expand(spec), {}};
  std::set<std::string> warned;
  // Every combination once (with the first seed: a seed changes no check).
  const std::size_t stride = spec.seeds.empty() ? 1 : spec.seeds.size();
  for (std::size_t i = 0; i < plan.points.size(); i += stride) {
    const SweepPoint& p = plan.points[i];
    try {
      const scenario::Scenario s = load_point(spec, plan, p);
      world::check_runnable(s);
      for (auto& w : world::topology_warnings(s))
        if (warned.insert(w).second) plan.warnings.push_back(std::move(w));
    } catch (const InputError& e) {
      if (spec.grid.empty()) throw;
      throw with_note(e, combination_note(spec, p, plan.points.size()));
    }
  }
  return plan;
}

}  // namespace sim::api
