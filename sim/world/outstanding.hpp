#pragma once
// What every I/O still outstanding at the end of a run waits on. A passive bus subscriber: it
// follows each submitted bio through its sendings (CommandSent), failovers (Failover, with the
// failover hold), the head's requeue list (BioParked) and its completion (BioCompleted), keeping
// only the latest state of bios not completed yet, so memory follows the I/O in flight.
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <string>
#include <vector>

#include "sim/events.hpp"
#include "sim/time.hpp"

namespace sim::world {

enum class WaitState : std::uint8_t {
  NotSent,   // submitted, no command sent yet: waiting for a tag (or the block layer)
  InFlight,  // a command carrying it is on a path
  Held,      // failed over, held by the failover hold until `until`
  HeldCcr,   // failed over, held until a cross-controller reset decides
  Parked,    // on a head's requeue list
  Requeued,  // taken off the requeue list for resubmission, not sent again yet
};
const char* to_string(WaitState s);

struct OutstandingIo {
  std::uint64_t bio = 0;  // root bio id
  int job = -1;
  Time submitted = 0;
  WaitState state = WaitState::NotSent;
  Time since = 0;      // when it entered `state`
  int path = -1;       // InFlight / Held: the path of the sending
  int head = -1;       // Parked / Requeued: world head record
  std::uint64_t tag = 0;  // InFlight / Held: data tag of the sending
  Time until = -1;     // Held: release time
};

class OutstandingTracker {
 public:
  static constexpr std::size_t kSlots = 1u << 14;  // direct-mapped slots (see below)

  explicit OutstandingTracker(events::Bus& bus);
  // Bios not completed, oldest first (submission time, then bio id).
  std::vector<OutstandingIo> outstanding() const;
  std::size_t count() const;

 private:

  // Root bio -> its latest state. Bio ids are sequential per host, so a direct-mapped table
  // indexed by the id's low bits holds nearly every live bio (one store and one clear per I/O,
  // the hot path); an entry still live when a newer id needs its slot moves to the hashed
  // overflow. outstanding() sorts by a total order, so no table order reaches a report.
  OutstandingIo* find(std::uint64_t bio);
  std::vector<OutstandingIo> slots_;  // bio == 0: free
  std::unordered_map<std::uint64_t, OutstandingIo> overflow_;
  // Sendings failed over into a hold (rare): tag -> (failover time, release time, -1 = CCR). A
  // bio whose latest sending is one of them is held, not in flight.
  struct Hold {
    Time t;
    Time until;
  };
  std::unordered_map<std::uint64_t, Hold> holds_;
};

}  // namespace sim::world
