#include "sim/api/api.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "sim/engine/engine.hpp"
#include "sim/report/fio_json.hpp"
#include "sim/scenario/error.hpp"
#include "sim/world/sysfs.hpp"

namespace sim::api {
namespace {

// Runs in this process on the process's one engine. Wall-clock time is read here, outside the
// model, and only reported in the "wall" object, which is excluded from determinism checks.
Result run_here(const scenario::Scenario& s, const Options& opts) {
  Result r;
  try {
    world::check_runnable(s);
  } catch (const scenario::InputError& e) {
    r.exit_code = 2;
    r.error = e.format();
    return r;
  } catch (const std::exception& e) {
    r.exit_code = 3;
    r.error = std::string("internal error: ") + e.what();
    return r;
  } catch (...) {
    r.exit_code = 3;
    r.error = "internal error: unknown exception";
    return r;
  }
  auto engine = engine::Engine::create();
  if (!engine) {
    r.exit_code = 3;
    r.error = "internal error: a SimGrid engine already exists in this process";
    return r;
  }
  try {
    world::RunOptions ro;
    ro.progress = opts.progress;
    ro.decision_trace = opts.decision_trace;
    ro.overrides = opts.overrides;
    ro.host_core = opts.host_core;
    const auto t0 = std::chrono::steady_clock::now();
    world::RunOutput out = world::run_world(s, *engine, ro);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.results["nvmsim"]["wall"] = {{"seconds", wall},
                                     {"events", out.events},
                                     {"sim_ios_per_wall_s", wall > 0 ? static_cast<double>(out.ios) / wall : 0.0}};
    r.exit_code = out.exit_code;
    r.results_json = report::fio_json_dump(out.results);
    r.summary = out.summary + fmt::format("wall: {:.3f} s, {} events, {:.0f} simulated I/O per wall-second\n",
                                          wall, out.events,
                                          wall > 0 ? static_cast<double>(out.ios) / wall : 0.0);
    r.timeseries_csv = out.timeseries_csv;
    r.fio_logs = std::move(out.fio_logs);
    r.violations_json = out.violations_json;
    r.topology_text = world::topology_text(out.topology);
    if (!opts.sysfs_dir.empty()) world::write_sysfs(out.topology, opts.sysfs_dir);
    r.topology_json = world::topology_json(out.topology).dump(2) + "\n";
    r.wall_seconds = wall;
    r.events = out.events;
    r.ios = out.ios;
  } catch (const scenario::InputError& e) {
    r.exit_code = 2;
    r.error = e.format();
  } catch (const std::bad_alloc&) {
    r.exit_code = 3;
    r.error = "internal error: out of memory";
  } catch (const std::exception& e) {
    r.exit_code = 3;
    r.error = e.what();
  } catch (...) {
    r.exit_code = 3;
    r.error = "internal error: unknown exception";
  }
  return r;
}

nlohmann::json to_json(const Result& r) {
  return {{"exit_code", r.exit_code},       {"error", r.error},
          {"results_json", r.results_json}, {"summary", r.summary},
          {"timeseries_csv", r.timeseries_csv}, {"violations_json", r.violations_json},
          {"fio_logs", r.fio_logs},
          {"topology_text", r.topology_text},
          {"topology_json", r.topology_json}, {"wall_seconds", r.wall_seconds},
          {"events", r.events},             {"ios", r.ios}};
}

Result from_json(const nlohmann::json& j) {
  Result r;
  r.exit_code = j.at("exit_code");
  r.error = j.at("error");
  r.results_json = j.at("results_json");
  r.summary = j.at("summary");
  r.timeseries_csv = j.at("timeseries_csv");
  r.violations_json = j.at("violations_json");
  r.fio_logs = j.at("fio_logs").get<std::vector<std::pair<std::string, std::string>>>();
  r.topology_text = j.at("topology_text");
  r.topology_json = j.at("topology_json");
  r.wall_seconds = j.at("wall_seconds");
  r.events = j.at("events");
  r.ios = j.at("ios");
  return r;
}

}  // namespace

Result run(const scenario::Scenario& s, const Options& opts) {
  if (engine::Engine::can_create()) return run_here(s, opts);
  return run_forked(s, opts);
}

Result run_forked(const scenario::Scenario& s, const Options& opts) {
  ForkedRun child = start_forked(s, opts);
  while (read_forked(child)) {
  }
  return finish_forked(child);
}

ForkedRun start_forked(const scenario::Scenario& s, const Options& opts) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe() failed");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error("fork() failed");
  }
  if (pid == 0) {
    close(fds[0]);
    std::string text;
    try {
      text = to_json(run_here(s, opts)).dump();
    } catch (...) {
      _exit(4);  // the parent reports a child that died without a result
    }
    std::size_t off = 0;
    while (off < text.size()) {
      const ssize_t n = write(fds[1], text.data() + off, text.size() - off);
      if (n <= 0) _exit(4);
      off += static_cast<std::size_t>(n);
    }
    close(fds[1]);
    std::fflush(nullptr);
    _exit(0);
  }
  close(fds[1]);
  return ForkedRun{.pid = pid, .fd = fds[0], .text = {}};
}

bool read_forked(ForkedRun& run) {
  char buf[1 << 16];
  ssize_t n;
  do {
    n = read(run.fd, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  run.text.append(buf, static_cast<std::size_t>(n));
  return true;
}

Result finish_forked(ForkedRun& run) {
  if (run.fd >= 0) close(run.fd);
  run.fd = -1;
  int status = 0;
  while (waitpid(run.pid, &status, 0) < 0 && errno == EINTR) {
  }
  Result r;
  r.exit_code = 3;
  std::string unreadable;
  if (!run.text.empty()) {
    try {
      return from_json(nlohmann::json::parse(run.text));
    } catch (const std::exception& e) {
      unreadable = e.what();
    }
  }
  // A child killed while it was writing leaves part of a result: the signal is the news.
  if (WIFSIGNALED(status))
    r.error = fmt::format("simulation process killed by signal {}", WTERMSIG(status));
  else if (unreadable.empty())
    r.error = "simulation process died without a result";
  else
    r.error = "internal error: unreadable result from the simulation process: " + unreadable;
  return r;
}

void write_outputs(const Result& r, const std::string& dir) {
  std::filesystem::create_directories(dir);
  auto put = [&](const std::string& name, const std::string& text) {
    std::ofstream f(std::filesystem::path(dir) / name, std::ios::binary);
    if (!f) throw std::runtime_error("cannot write " + (std::filesystem::path(dir) / name).string());
    f << text;
  };
  put("summary.txt", r.summary);
  put("results.json", r.results_json);
  if (!r.timeseries_csv.empty()) put("timeseries.csv", r.timeseries_csv);
  if (!r.violations_json.empty()) put("violations.json", r.violations_json);
  for (const auto& [name, text] : r.fio_logs) put(name, text);
}

}  // namespace sim::api
