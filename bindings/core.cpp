// nvmsim._core: the C++ half of the Python module (docs/python.md). Loading and checking a
// scenario happen here, in the caller's process (the loader needs no engine); every run goes to
// the fork server (forkserver.hpp) and comes back as the texts of sim::api::Result. The Python
// package nvmsim/ builds Scenario, Result and the sweep on top.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <mutex>
#include <optional>
#include <set>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/forkserver.hpp"
#include "sim/explore/explore.hpp"
#include "sim/explore/schedule.hpp"
#include "sim/scenario/error.hpp"
#include "sim/scenario/loader.hpp"
#include "sim/version.hpp"
#include "sim/world/world.hpp"

namespace py = pybind11;

namespace {

// nvmsim.ScenarioError(text, file, line, column, key, message, hint), raised as a Python error.
[[noreturn]] void raise_scenario_error(const std::string& text, const std::string& file, int line,
                                       int column, const std::string& key,
                                       const std::string& message, const std::string& hint) {
  py::object cls = py::module_::import("nvmsim._errors").attr("ScenarioError");
  py::object exc = cls(text, file, line, column, key, message, hint);
  PyErr_SetObject(cls.ptr(), exc.ptr());
  throw py::error_already_set();
}

[[noreturn]] void raise_input_error(const sim::scenario::InputError& e) {
  raise_scenario_error(e.format(), e.loc().file, e.loc().line, e.loc().column, e.key(), e.what(),
                       e.hint());
}

[[noreturn]] void raise_internal_error(const std::string& text) {
  py::object cls = py::module_::import("nvmsim._errors").attr("InternalError");
  PyErr_SetObject(cls.ptr(), py::str(text).ptr());
  throw py::error_already_set();
}

sim::scenario::Scenario load_scenario(const std::string& source, bool is_text,
                                      const std::string& name,
                                      const std::vector<std::string>& overrides) {
  return is_text ? sim::scenario::load_string(source, name, overrides)
                 : sim::scenario::load_file(source, overrides);
}

// What `nvmsim validate FILE --set ...` checks and prints, and the warnings it gives.
py::dict load(const std::string& source, bool is_text, const std::string& name,
              const std::vector<std::string>& overrides) {
  try {
    const sim::scenario::Scenario s = load_scenario(source, is_text, name, overrides);
    sim::world::check_topology(s);
    py::dict d;
    d["yaml"] = sim::scenario::dump_yaml(s);
    d["warnings"] = sim::world::topology_warnings(s);
    d["name"] = s.name;
    d["seed"] = s.seed;
    return d;
  } catch (const sim::scenario::InputError& e) {
    raise_input_error(e);
  } catch (const std::exception& e) {
    raise_internal_error(std::string("internal error: ") + e.what());
  }
}

// The checks `nvmsim run` makes before simulating (check_runnable: also this build's features).
void check_runnable(const std::string& source, bool is_text, const std::string& name,
                    const std::vector<std::string>& overrides) {
  try {
    sim::world::check_runnable(load_scenario(source, is_text, name, overrides));
  } catch (const sim::scenario::InputError& e) {
    raise_input_error(e);
  } catch (const std::exception& e) {
    raise_internal_error(std::string("internal error: ") + e.what());
  }
}

// Run `index` of an exploration of the scenario's `explore` section with base seed `seed` (what
// `nvmsim explore --seed SEED` runs as its run INDEX): its seed, its standalone YAML (faults[]
// spelled out, no explore section) and its fault count. Drawn here, simulated by run().
py::dict explore_run(const std::string& source, bool is_text, const std::string& name,
                     const std::vector<std::string>& overrides, std::uint64_t seed, std::size_t index,
                     const std::string& title) {
  try {
    const sim::scenario::Scenario s = load_scenario(source, is_text, name, overrides);
    if (!s.explore)
      throw sim::scenario::InputError(sim::scenario::SourceLoc{is_text ? name : source, 1, 1}, "explore",
                                      "the scenario has no explore section",
                                      "nvmsim.explore draws fault schedules from it (docs/explore.md)");
    sim::explore::RunRecord r;
    r.index = index;
    r.seed = sim::explore::run_seed(seed, index);
    r.schedule = sim::explore::draw(s, r.seed);
    py::dict d;
    d["seed"] = r.seed;
    d["faults"] = sim::explore::to_faults(s, r.schedule).size();
    d["yaml"] = sim::explore::run_yaml(s, r, title, "nvmsim run THIS_FILE --seed " + std::to_string(r.seed));
    return d;
  } catch (const sim::scenario::InputError& e) {
    raise_input_error(e);
  } catch (const std::exception& e) {
    raise_internal_error(std::string("internal error: ") + e.what());
  }
}

// The verdict `nvmsim explore` gives a run (sim::explore::verdict_of): the violation kinds, then
// the failed expect keys no kind names; "livelock", "bad-input" or "internal-error" for exit 2/3.
py::dict explore_verdict(int exit_code, const std::string& error, const std::string& results_json,
                         const std::string& violations_json) {
  sim::api::Result r;
  r.exit_code = exit_code;
  r.error = error;
  r.results_json = results_json;
  r.violations_json = violations_json;
  const sim::explore::Verdict v = sim::explore::verdict_of(r);
  py::dict d;
  d["kinds"] = v.kinds;
  d["error"] = v.error;
  return d;
}

// The runs going on in this process (their pids), for cancel_all().
std::mutex g_active_mu;
std::set<pid_t> g_active;

void kill_group(pid_t pid) {
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
}

// Kills every run of this process that is going on: each run() call returns (with an error).
void cancel_all() {
  std::lock_guard<std::mutex> lk(g_active_mu);
  for (pid_t p : g_active) kill_group(p);
}

// Registers a run for cancel_all() while it is going on.
struct Active {
  explicit Active(pid_t p) : pid(p) {
    std::lock_guard<std::mutex> lk(g_active_mu);
    g_active.insert(pid);
  }
  ~Active() {
    std::lock_guard<std::mutex> lk(g_active_mu);
    g_active.erase(pid);
  }
  pid_t pid;
};

// Reads what is there (up to `timeout_ms` for the first byte): 1 data, 0 end of file, -1 nothing.
int read_some(int fd, std::string& text, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  const int ready = poll(&p, 1, timeout_ms);
  if (ready <= 0) return -1;
  char buf[1 << 16];
  const ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0) return errno == EINTR || errno == EAGAIN ? -1 : 0;
  if (n == 0) return 0;
  text.append(buf, static_cast<std::size_t>(n));
  return 1;
}

// One run through the fork server, the GIL released while it simulates. Ctrl-C (a pending
// KeyboardInterrupt, checked every 100 ms) kills the run's process group and raises.
py::dict run(const std::string& source, bool is_text, const std::string& name,
             const std::vector<std::string>& overrides, std::optional<std::uint64_t> seed,
             const std::string& cwd) {
  nvmsim_py::RunRequest req{source, is_text, name, overrides, seed, cwd};
  nvmsim_py::Submitted h;
  try {
    py::gil_scoped_release nogil;
    h = nvmsim_py::ForkServer::instance().submit(req);
  } catch (const std::exception& e) {
    raise_internal_error(std::string("internal error: ") + e.what());
  }
  const Active active(h.pid);
  std::string text;
  for (;;) {
    int got;
    {
      py::gil_scoped_release nogil;
      while ((got = read_some(h.fd, text, 100)) > 0) {
      }
    }
    if (got == 0) break;
    if (PyErr_CheckSignals() != 0) {
      kill_group(h.pid);
      close(h.fd);
      throw py::error_already_set();
    }
  }
  close(h.fd);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception&) {
    j = {{"exit_code", 3},
         {"error", text.empty() ? "internal error: the simulation process died without a result"
                                : "internal error: unreadable result from the simulation process"},
         {"error_info", nullptr}};
  }
  py::dict d;
  for (auto& [k, v] : j.items()) {
    if (v.is_string())
      d[py::str(k)] = py::str(v.get<std::string>());
    else if (v.is_number_float())
      d[py::str(k)] = v.get<double>();
    else if (v.is_number_integer())
      d[py::str(k)] = v.get<std::int64_t>();
    else if (v.is_null())
      d[py::str(k)] = py::none();
    else if (v.is_object()) {
      py::dict e;
      for (auto& [ek, ev] : v.items()) {
        if (ev.is_string())
          e[py::str(ek)] = py::str(ev.get<std::string>());
        else
          e[py::str(ek)] = ev.get<std::int64_t>();
      }
      d[py::str(k)] = e;
    } else if (v.is_array()) {  // fio_logs: [[file name, text], ...]
      py::list l;
      for (auto& pair : v)
        l.append(py::make_tuple(py::str(pair.at(0).get<std::string>()), py::str(pair.at(1).get<std::string>())));
      d[py::str(k)] = l;
    }
  }
  return d;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "nvmsim._core: the C++ side of the nvmsim package (use nvmsim, not this)";
  m.attr("version") = sim::kVersion;
  m.def("load", &load, py::arg("source"), py::arg("is_text"), py::arg("name"),
        py::arg("overrides"),
        "Load and check a scenario as `nvmsim validate` does: {yaml, warnings, name, seed}.");
  m.def("explore_run", &explore_run, py::arg("source"), py::arg("is_text"), py::arg("name"),
        py::arg("overrides"), py::arg("seed"), py::arg("index"), py::arg("title"),
        "Run INDEX of `nvmsim explore --seed SEED`: {seed, faults, yaml} (the standalone scenario).");
  m.def("explore_verdict", &explore_verdict, py::arg("exit_code"), py::arg("error"),
        py::arg("results_json"), py::arg("violations_json"),
        "The verdict nvmsim explore gives a run: {kinds, error}.");
  m.def("check_runnable", &check_runnable, py::arg("source"), py::arg("is_text"), py::arg("name"),
        py::arg("overrides"), "The checks `nvmsim run` makes before simulating.");
  m.def("run", &run, py::arg("source"), py::arg("is_text"), py::arg("name"), py::arg("overrides"),
        py::arg("seed"), py::arg("cwd"),
        "Run a scenario in a child of the fork server: the texts of sim::api::Result as a dict.");
  m.def("cancel_all", &cancel_all, "Kill every run of this process that is going on.");
  m.def("server_pid", [] { return nvmsim_py::ForkServer::instance().server_pid(); },
        "The fork server's pid (-1 when this process has none yet).");
  m.def("start_server", [] { nvmsim_py::ForkServer::instance().start(); },
        "Start the fork server of this process (done at import).");
  // At import, before the caller's code goes on (and, in a fresh interpreter, before threads).
  nvmsim_py::ForkServer::instance().start();
}
