// The fork server (forkserver.hpp) and the run child it forks per request.
//
// Protocol on the server's socket (a SOCK_STREAM socketpair): the caller sends an 8-byte length
// with the write end of a fresh pipe attached (SCM_RIGHTS), then that many bytes of JSON (the
// RunRequest); the server forks the run child, answers with its pid (8 bytes, -1 when fork
// failed) and closes its copy of the pipe. The child puts itself in a process group of its own
// (so Ctrl-C on the terminal reaches the caller only, and the caller can kill the whole run),
// loads and checks the scenario, runs it with sim::api::run_forked (so a simulation that crashes
// is still a result: "killed by signal N"), writes the result's JSON and exits. The server reaps
// its children; end of file on its socket (the caller's process is gone) makes it kill the runs
// still going and exit.
#include "bindings/forkserver.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "sim/api/api.hpp"
#include "sim/scenario/error.hpp"
#include "sim/scenario/loader.hpp"
#include "sim/world/world.hpp"

namespace nvmsim_py {
namespace {

using nlohmann::json;

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == ENOTSOCK) {
      const ssize_t w2 = write(fd, p, n);
      if (w2 < 0 && errno == EINTR) continue;
      if (w2 <= 0) return false;
      p += w2;
      n -= static_cast<std::size_t>(w2);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool read_all(int fd, char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

json request_json(const RunRequest& r) {
  json j = {{"source", r.source}, {"is_text", r.is_text}, {"name", r.name},
            {"overrides", r.overrides}, {"cwd", r.cwd}, {"seed", nullptr}};
  if (r.seed) j["seed"] = *r.seed;
  return j;
}

RunRequest request_of(const json& j) {
  RunRequest r;
  r.source = j.at("source");
  r.is_text = j.at("is_text");
  r.name = j.at("name");
  r.overrides = j.at("overrides").get<std::vector<std::string>>();
  r.cwd = j.at("cwd");
  if (!j.at("seed").is_null()) r.seed = j.at("seed").get<std::uint64_t>();
  return r;
}

json error_json(const sim::scenario::InputError& e) {
  return {{"file", e.loc().file}, {"line", e.loc().line}, {"column", e.loc().column},
          {"key", e.key()},       {"message", e.what()},  {"hint", e.hint()}};
}

// The run child: what tools/cli/main.cpp does for `nvmsim run`, the result as JSON.
json run_child(const RunRequest& req) {
  json out = {{"exit_code", 3}, {"error", ""}, {"error_info", nullptr}};
  if (!req.cwd.empty() && chdir(req.cwd.c_str()) != 0) {
    out["error"] = "internal error: cannot change to the directory " + req.cwd + ": " +
                   std::strerror(errno);
    return out;
  }
  std::vector<std::string> sets = req.overrides;
  if (req.seed) sets.push_back("seed=" + std::to_string(*req.seed));
  sim::api::Result r;
  try {
    const sim::scenario::Scenario s =
        req.is_text ? sim::scenario::load_string(req.source, req.name, sets)
                    : sim::scenario::load_file(req.source, sets);
    sim::world::check_runnable(s);
    sim::api::Options opts;
    opts.overrides = req.overrides;
    r = sim::api::run_forked(s, opts);
  } catch (const sim::scenario::InputError& e) {
    out["exit_code"] = 2;
    out["error"] = e.format();
    out["error_info"] = error_json(e);
    return out;
  } catch (const std::exception& e) {
    out["error"] = std::string("internal error: ") + e.what();
    return out;
  }
  out = {{"exit_code", r.exit_code},         {"error", r.error},
         {"error_info", nullptr},            {"results_json", r.results_json},
         {"summary", r.summary},             {"timeseries_csv", r.timeseries_csv},
         {"violations_json", r.violations_json}, {"fio_logs", r.fio_logs},
         {"topology_text", r.topology_text},
         {"topology_json", r.topology_json}, {"wall_seconds", r.wall_seconds},
         {"events", r.events},               {"ios", r.ios}};
  return out;
}

[[noreturn]] void child_main(const RunRequest& req, int fd) {
  std::string text;
  try {
    text = run_child(req).dump();
  } catch (...) {
    _exit(4);  // the caller reports a run that ended without a result
  }
  (void)write_all(fd, text.data(), text.size());
  close(fd);
  _exit(0);
}

// Receives one request: false at end of file (the caller is gone) or on a broken message.
bool receive(int ctrl, RunRequest& req, int& fd) {
  std::uint64_t len = 0;
  iovec iov{&len, sizeof len};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  ssize_t n;
  do {
    n = recvmsg(ctrl, &msg, MSG_WAITALL | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof len)) return false;
  fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  if (fd < 0 || len > (std::uint64_t{1} << 32)) return false;
  std::string body(len, '\0');
  if (!read_all(ctrl, body.data(), body.size())) return false;
  try {
    req = request_of(json::parse(body));
  } catch (...) {
    return false;
  }
  return true;
}

[[noreturn]] void serve(int ctrl) {
  std::set<pid_t> children;
  auto reap = [&] {
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0) children.erase(p);
  };
  for (;;) {
    pollfd pfd{ctrl, POLLIN, 0};
    const int ready = poll(&pfd, 1, 200);
    reap();
    if (ready <= 0) continue;
    RunRequest req;
    int fd = -1;
    if (!receive(ctrl, req, fd)) break;
    const pid_t pid = fork();
    if (pid == 0) {
      close(ctrl);
      setpgid(0, 0);
      signal(SIGINT, SIG_DFL);
      signal(SIGPIPE, SIG_DFL);
      child_main(req, fd);
    }
    close(fd);
    std::int64_t answer = pid;
    if (pid > 0) {
      setpgid(pid, pid);  // also here, so that the caller can kill the group at once
      children.insert(pid);
    }
    if (!write_all(ctrl, reinterpret_cast<const char*>(&answer), sizeof answer)) break;
  }
  for (pid_t p : children) {
    kill(-p, SIGKILL);
    kill(p, SIGKILL);
  }
  _exit(0);
}

}  // namespace

ForkServer& ForkServer::instance() {
  // Never destroyed: runs may still be going on during static destruction. A fork of this
  // process (os.fork, multiprocessing) while another thread talks to the server must not leave
  // the child with the mutex locked by a thread it does not have: the child gets a fresh one
  // (and, on its first run, a server of its own).
  static ForkServer* s = [] {
    auto* fs = new ForkServer;
    pthread_atfork(nullptr, nullptr, [] { new (&instance().mu_) std::mutex; });
    return fs;
  }();
  return *s;
}

void ForkServer::start() {
  std::lock_guard<std::mutex> lk(mu_);
  if (owner_ != getpid()) start_locked();
}

void ForkServer::stop_locked() {
  if (ctrl_ >= 0 && owner_ == getpid()) {
    close(ctrl_);
    if (server_ > 0) {
      int status;
      kill(server_, SIGKILL);
      while (waitpid(server_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  ctrl_ = -1;
  server_ = -1;
}

void ForkServer::start_locked() {
  if (owner_ == getpid()) stop_locked();
  // In a child forked from the process that had the server, that socket is the parent's: leave
  // it to the parent (closing our copy only).
  if (owner_ != getpid() && ctrl_ >= 0) close(ctrl_);
  ctrl_ = -1;
  server_ = -1;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw std::runtime_error(std::string("nvmsim: socketpair() failed: ") + std::strerror(errno));
  const pid_t pid = fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    throw std::runtime_error(std::string("nvmsim: fork() failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // The server: only its socket and stdin/stdout/stderr stay open (a pipe the caller's own
    // caller waits on must not be held open by us), Ctrl-C on the terminal is the caller's.
    setpgid(0, 0);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    if (dup2(sv[1], 3) < 0) _exit(1);
    close_range(4, ~0U, 0);
    serve(3);
  }
  close(sv[1]);
  owner_ = getpid();
  server_ = pid;
  ctrl_ = sv[0];
}

bool ForkServer::try_submit(const RunRequest& req, Submitted& out) {
  if (ctrl_ < 0) return false;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("nvmsim: pipe() failed: ") + std::strerror(errno));
  const std::string body = request_json(req).dump();
  std::uint64_t len = body.size();
  iovec iov{&len, sizeof len};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &p[1], sizeof(int));
  ssize_t n;
  do {
    n = sendmsg(ctrl_, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  close(p[1]);
  std::int64_t pid = -1;
  if (n != static_cast<ssize_t>(sizeof len) || !write_all(ctrl_, body.data(), body.size()) ||
      !read_all(ctrl_, reinterpret_cast<char*>(&pid), sizeof pid)) {
    close(p[0]);
    return false;
  }
  if (pid <= 0) {
    close(p[0]);
    throw std::runtime_error("nvmsim: the fork server could not fork a run");
  }
  out = {static_cast<pid_t>(pid), p[0]};
  return true;
}

pid_t ForkServer::server_pid() {
  std::lock_guard<std::mutex> lk(mu_);
  return owner_ == getpid() ? server_ : -1;
}

Submitted ForkServer::submit(const RunRequest& req) {
  std::lock_guard<std::mutex> lk(mu_);
  if (owner_ != getpid()) start_locked();
  Submitted out;
  if (try_submit(req, out)) return out;
  start_locked();  // the server died (or was killed): one new one
  if (try_submit(req, out)) return out;
  throw std::runtime_error("nvmsim: the fork server does not answer");
}

}  // namespace nvmsim_py
