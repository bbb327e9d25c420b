#pragma once
// The fork server of the Python module (docs/python.md, "One engine per process"): SimGrid allows
// one engine per process, so every run happens in a child process. Forking the Python process
// itself is fragile once it has threads (a Jupyter kernel, a Dask worker), so at import a small
// server is forked, before the caller's Python code runs; it runs no Python, holds no locks, and
// forks one child per run, which loads the scenario exactly as `nvmsim run` does and sends the
// result back over a pipe that the caller created.
#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace nvmsim_py {

// What `nvmsim run FILE --set ... --seed N` gets, as the child has to rebuild it.
struct RunRequest {
  std::string source;  // a path, or the YAML text itself
  bool is_text = false;
  std::string name;                    // the file name in errors for text
  std::vector<std::string> overrides;  // --set values in order (without the seed)
  std::optional<std::uint64_t> seed;   // --seed
  std::string cwd;                     // where a relative path (and its includes) is read from
};

struct Submitted {
  pid_t pid = -1;  // the run's child; its process group is the run (kill(-pid) ends it)
  int fd = -1;     // read end of the result pipe: the result's JSON, then end of file
};

class ForkServer {
 public:
  static ForkServer& instance();
  // Forks the server if this process has none (or it was forked from the process that had it).
  void start();
  // Hands one run to the server. Throws std::runtime_error when the server cannot be reached
  // even after starting a new one.
  Submitted submit(const RunRequest& req);
  // The server's pid (-1 before start), for tests.
  pid_t server_pid();

 private:
  bool try_submit(const RunRequest& req, Submitted& out);
  void stop_locked();
  void start_locked();

  std::mutex mu_;
  pid_t owner_ = -1;   // the process that started the server
  pid_t server_ = -1;
  int ctrl_ = -1;      // our end of the server's socket
};

}  // namespace nvmsim_py
