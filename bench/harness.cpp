// The harness of nvmsim_bench (harness.hpp): timing, running arms, series and figure JSON.
#include "harness.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "sim/api/api.hpp"

namespace bench {

std::string g_source_dir = NVMSIM_SOURCE_DIR;
std::string g_cli = NVMSIM_CLI;
std::string g_tmp;

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double children_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

json stats(const std::vector<double>& v) { return {{"median", median(v)}, {"samples", v}}; }

void say(const std::string& msg) { std::cerr << "nvmsim_bench: " << msg << std::endl; }

std::string shell_quote(const std::string& s) {
  if (s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=-") ==
      std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

SimSample run_sim(const Arm& a) {
  const double c0 = children_cpu_s();
  const auto r = sim::api::run_forked(a.s);
  const double cpu = children_cpu_s() - c0;
  if (r.exit_code != 0)
    throw std::runtime_error(a.name + " (" + a.replay() + "): exit " + std::to_string(r.exit_code) + ": " +
                             (r.error.empty() ? r.violations_json.substr(0, 2000) : r.error));
  if (a.oracles && r.violations_json.empty())
    throw std::runtime_error(a.name + ": the oracles did not run (no violations.json)");
  return {r.wall_seconds, cpu, r.ios, r.events};
}

long self_rss_kb() {
  std::ifstream f("/proc/self/statm");
  long size = 0, resident = 0;
  f >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

ProcResult spawn(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);
  const auto t0 = Clock::now();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork() failed");
  if (pid == 0) {
    execv(args[0], args.data());
    _exit(127);
  }
  ProcResult p;
  struct rusage ru {};
  if (wait4(pid, &p.status, 0, &ru) != pid) throw std::runtime_error("wait4() failed");
  p.wall = since(t0);
  p.max_rss_kb = ru.ru_maxrss;
  return p;
}

CliSample run_cli(const Arm& a, bool read_results) {
  const std::string out = g_tmp + "/out";
  std::vector<std::string> argv = {g_cli, "run", a.path(), "--out", out, "--quiet"};
  for (const auto& o : a.overrides) {
    argv.push_back("--set");
    argv.push_back(o);
  }
  CliSample c;
  c.proc = spawn(argv);
  const int st = c.proc.status;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    const std::string how = WIFSIGNALED(st)             ? "was killed by signal " + std::to_string(WTERMSIG(st))
                            : WEXITSTATUS(st) == 127 ? "could not be executed (exit 127)"
                                                     : "exited with status " + std::to_string(WEXITSTATUS(st));
    throw std::runtime_error(a.name + " (" + a.replay() + "): the CLI " + g_cli + " " + how);
  }
  if (read_results) {
    std::ifstream f(out + "/results.json");
    c.results = json::parse(f);
  }
  return c;
}

ProcResult run_sweep_cli(const Arm& a, int n) {
  const std::string out = g_tmp + "/sweep";
  std::vector<std::string> argv = {g_cli, "sweep", a.path(), "--seeds", std::to_string(n), "--out", out, "--quiet"};
  for (const auto& o : a.overrides) {
    argv.push_back("--set");
    argv.push_back(o);
  }
  const ProcResult p = spawn(argv);
  if (!WIFEXITED(p.status) || WEXITSTATUS(p.status) != 0)
    throw std::runtime_error(a.name + ": nvmsim sweep --seeds " + std::to_string(n) + " failed (wait status " +
                             std::to_string(p.status) + ")");
  std::ifstream f(out + "/sweep.csv");
  int rows = -1;  // the header
  for (std::string line; std::getline(f, line);) ++rows;
  if (rows != n) throw std::runtime_error("nvmsim sweep wrote " + std::to_string(rows) + " rows, not " + std::to_string(n));
  return p;
}

Series interleave(std::vector<Arm>& arms, int reps, std::uint64_t floor_ios, const std::string& what) {
  for (auto& a : arms) a.load();
  Series s;
  s.arms.resize(arms.size());
  for (int rep = 0; rep < reps; ++rep) {
    say(what + ": repetition " + std::to_string(rep + 1) + "/" + std::to_string(reps));
    s.floor.push_back(run_floor(floor_ios));
    for (std::size_t i = 0; i < arms.size(); ++i) s.arms[i].push_back(run_sim(arms[i]));
  }
  return s;
}

std::vector<double> rates(const std::vector<SimSample>& v, bool by_cpu) {
  std::vector<double> r;
  for (const auto& x : v) r.push_back(x.ios_per_s(by_cpu));
  return r;
}

std::vector<double> costs(const std::vector<SimSample>& v, bool by_cpu) {
  std::vector<double> r;
  for (const auto& x : v) r.push_back(x.ns_per_io(by_cpu));
  return r;
}

std::vector<double> paired(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> r;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) r.push_back(b[i] > 0 ? a[i] / b[i] : 0);
  return r;
}

json arm_json(const Arm& a, const std::vector<SimSample>& v) {
  std::vector<double> walls, cpus, ios, epi;
  for (const auto& x : v) {
    walls.push_back(x.wall);
    cpus.push_back(x.cpu);
    ios.push_back(static_cast<double>(x.ios));
    epi.push_back(x.ios ? static_cast<double>(x.events) / static_cast<double>(x.ios) : 0);
  }
  json j = a.describe();
  j["ios_per_wall_s"] = stats(rates(v));
  j["wall_ns_per_io"] = stats(costs(v));
  j["ios_per_cpu_s"] = stats(rates(v, true));
  j["cpu_ns_per_io"] = stats(costs(v, true));
  j["wall_s"] = walls;
  j["cpu_s"] = cpus;
  j["ios"] = ios;
  j["events_per_io"] = median(epi);
  return j;
}

json figure(const std::string& id, const std::string& name, double value, const std::string& unit,
            const Goal& goal, double floor_ios_per_s, json measurements) {
  return {{"id", id},
          {"name", name},
          {"value", value},
          {"unit", unit},
          {"goal", goal.text_json()},
          {"goal_met", goal.met_json(value)},
          {"floor_ios_per_wall_s", floor_ios_per_s},
          {"measurements", std::move(measurements)}};
}

void add_cpu_view(json& fig, const std::vector<double>& paired_by_cpu, const Goal& goal, double offset) {
  std::vector<double> v = paired_by_cpu;
  for (double& x : v) x += offset;
  const double m = median(v);
  fig["value_by_cpu_time"] = m;
  fig["goal_met_by_cpu_time"] = goal.met_json(m);
  fig["measurements"]["paired_by_cpu_time"] = v;
}

json failed_figure(const std::string& id, const std::string& name, const Goal& goal, const std::string& error) {
  return {{"id", id},
          {"name", name},
          {"value", nullptr},
          {"goal", goal.text_json()},
          {"goal_met", goal.op.empty() ? json(nullptr) : json(false)},
          {"error", error}};
}

}  // namespace bench
