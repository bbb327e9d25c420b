#pragma once
// The decision trace (`nvmsim run --decision-trace FILE`): JSON Lines, one event per line in
// simulation order, recording what the host decided: the path of every sending, every bio's
// completion and status, failovers, requeues, controller and path state changes, reconnects.
// Two runs of the same scenario and seed write byte-identical traces, so two host backends
// (`core: model` and `core: linux`) can be compared line by line (scripts/differential).
// The format is in docs/differential.md.
//
// A passive bus subscriber like the metrics and the checker: it never feeds back into the model.
// When no trace is asked for, nothing is created and nothing subscribes (so the events that are
// only published for subscribers, CommandSent, BioParked and PathStateChanged, are not built).
#include <cstdint>
#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/events.hpp"
#include "sim/time.hpp"

namespace sim::world {

// How much per-I/O detail the trace holds. The control-plane lines (failovers, parking, request
// errors, failed bios, controller and path states, reconnects, faults) are always written.
enum class TraceIo : std::uint8_t {
  All,      // every bio's submission (`sub`), every sending (`snd`), every completion (`cpl`)
  Paths,    // every sending and completion, no submissions
  Control,  // no per-I/O lines except bios that complete with an error
};
const char* to_string(TraceIo v);
// "all" | "paths" | "control"; false for anything else.
bool parse_trace_io(std::string_view s, TraceIo& out);

struct DecisionTraceOptions {
  std::string file;  // empty = no trace
  TraceIo io = TraceIo::All;
};

// Names of the world's records, for the lines that identify them (paths by number, with their
// names on the path's first `path` line).
struct TraceNames {
  struct Path {
    std::string name, head, ctrl;  // h1/nvme0c0n1, h1/nvme0n1, h1/nvme0
  };
  std::function<Path(int path)> path;
  std::function<std::string(int head)> head;
  std::function<std::string(int ctrl_id)> ctrl;
};

class DecisionTrace {
 public:
  // Opens `opts.file` (throws std::runtime_error when it cannot) and subscribes to `bus`.
  DecisionTrace(events::Bus& bus, const DecisionTraceOptions& opts, TraceNames names, std::string_view scenario,
                std::uint64_t seed);
  ~DecisionTrace();
  DecisionTrace(const DecisionTrace&) = delete;
  DecisionTrace& operator=(const DecisionTrace&) = delete;

  // A fault of the scenario's timeline took effect (world calls this; faults are not bus events).
  void fault(Time t, std::string_view action, std::string_view target);
  // End of run: the `end` line with the totals, then flush and close. Throws std::runtime_error
  // when the file could not be written.
  void finish(Time t);

 private:
  void begin(Time t, const char* kind);  // `{"t":T,"e":"kind"`
  void end_line();                        // `}\n`, flushing the buffer when it is large
  void key(const char* key);  // `,"key":`
  template <class T>
  void append_int(T v);
  void key_str(const char* key, std::string_view v);
  void key_int(const char* key, std::int64_t v);
  void key_uint(const char* key, std::uint64_t v);
  void bio_ids(std::span<const events::BioRange> bios);
  void flush();
  std::size_t path_slot(int path);  // index into sends_/errors_, grown to hold it
  void count_send(int path);

  TraceIo io_;
  TraceNames names_;
  std::string file_;
  std::FILE* out_ = nullptr;
  bool write_failed_ = false;
  std::string buf_;
  std::uint64_t lines_ = 0;
  std::vector<std::string> path_state_;       // last state written per path ("" = none yet)
  std::vector<std::uint64_t> sends_, errors_;  // per path: sendings, sendings that failed
  std::uint64_t bios_ = 0, bio_errors_ = 0, failovers_ = 0;
};

}  // namespace sim::world
