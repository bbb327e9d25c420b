#pragma once
// The event bus: host and device publish plain records; metrics, oracles and the trace subscribe.
// Subscribers only observe; nothing they do feeds back into the model.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <string>
#include <vector>

#include "sim/time.hpp"

namespace sim::events {

enum class Dir : std::uint8_t { Read = 0, Write = 1, Trim = 2, Flush = 3 };

// A workload handed a bio to the block layer.
struct BioSubmitted {
  Time t;
  std::uint64_t bio;
  int job;  // global job index (world assigns)
  Dir dir;
  std::uint64_t offset;  // bytes
  std::uint32_t bytes;
  bool fua = false;
  bool verify = false;  // a read whose data the linearizability oracle checks
};

// The workload saw the bio complete.
struct BioCompleted {
  Time t;
  std::uint64_t bio;
  int job;
  Dir dir;
  std::uint32_t bytes;
  std::uint16_t status;   // NVMe status, 0 = success (host-generated codes for host errors)
  Time submitted;         // when the workload submitted it
  Time issued;            // when its last request went to a controller (slat ends here)
};

// A request left the host for a controller, through a path (head path index in world numbering).
struct RequestIssued {
  Time t;
  int path;  // world path id, -1 for non-multipath/unknown
  std::uint32_t bytes;
  Dir dir;
};

struct RequestCompleted {
  Time t;
  int path;
  std::uint32_t bytes;
  Dir dir;
  std::uint16_t status;
  Time issued;
};

struct CtrlStateChanged {
  Time t;
  std::string ctrl;  // host/nvme0
  const char* from;
  const char* to;
  std::string reason;
  int ctrl_id = -1;  // world controller record
};

struct PathStateChanged {
  Time t;
  int path;
  std::string state;  // "live optimized", "connecting", ...
};

// One bio a command carries (a leaf of a split bio, or a whole one) and the bio it belongs to.
struct BioRange {
  std::uint64_t leaf;
  std::uint64_t root;
  std::uint64_t offset;  // bytes from the start of the device
  std::uint32_t bytes;
};

// nvme_failover_req: a request's bios were stolen back to the head's requeue list.
struct Failover {
  Time t;
  std::string head;       // host/nvme0n1
  int path;               // world path id the request failed on
  int ctrl_id;
  std::uint16_t status;   // the path error that caused it
  std::uint32_t bios;
  Time release_at;        // when the bios may run elsewhere (t unless a failover hold applies; -1: held until a CCR completes)
  std::uint64_t tag = 0;  // data tag of the failed sending (CommandSent); 0: never sent
  std::vector<BioRange> unsent = {};  // tag 0 only: the request's bios
};

// A fabrics reconnect attempt (nvme_*_reconnect_ctrl_work) starts; `attempt` counts from 1.
struct ReconnectAttempt {
  Time t;
  int ctrl_id;
  int attempt;
  int max;  // -1 = forever
};

// Something the host logs that belongs on the failover timeline (semantics 8.7).
struct HostEvent {
  Time t;
  std::string host;
  std::string what;
};

// Host work that cannot make progress started waiting (a bug-pattern variant's deadlock, e.g. scan
// work behind a partition read, an ANA update behind I/O). `what` names the waiter and what it
// waits for. Published once when the wait starts; Host::blocked_since() tells whether it still waits.
struct HostBlocked {
  Time t;
  std::string host;
  std::string what;
};

// Something happened to a controller, a port or the whole subsystem on the device side: keep-alive
// expiry, transport loss, reset, hang/resume, fatal, CCR, ANA state change, power, port, namespace
// attachment, shutdown. `port` and `cntlid` are -1 when the event is not about one of them.
struct DeviceEvent {
  Time t;
  std::string subsystem;  // NQN
  int port;
  int cntlid;
  std::string what;
};

// A write (or Write Zeroes) landed on the media: its LBAs now hold `token`. `zombie` = it landed
// after the controller that accepted it lost its association, so its completion is never sent.
struct MediaWrite {
  Time t;
  std::string_view subsystem;  // NQN (the subsystem's own string: valid for the whole run)
  std::uint32_t nsid;
  std::uint64_t slba;
  std::uint32_t nlb;
  std::uint64_t token;
  bool zombie;
};

// ---- for the checkers (published only when somebody subscribes) ----------------------------------

// One leaf bio carried by a command. `root` is the bio the workload submitted (a split bio's
// leaves share it).

// The host sent a command carrying these bios; `tag` identifies this one sending (a retry or a
// failover sends a new tag). A command carrying a single bio has tag (bio id << 6) | (how often
// that bio was sent before, mod 64): a checker can find the bio from the tag alone. A merged
// request's tag has bit 63 set.
struct CommandSent {
  Time t;
  std::uint64_t tag;
  int path;
  Dir dir;
  bool fua;
  std::uint32_t nsid;
  std::uint64_t slba;
  std::uint32_t nlb;
  std::uint32_t lba_size;
  bool want_tokens;  // a read whose data comes back as ReadReturned
  std::span<const BioRange> bios;  // valid during the publish only (the sender's scratch buffer)
};

// The device finished executing a command and produced its completion (status 0: every block
// of it was executed). Zombie executions produce none.
struct CommandCompleted {
  Time t;
  std::uint64_t tag;
  std::uint16_t status;
};

// The device will neither execute nor complete this command any more: a command arriving on a
// torn-down association, or one dropped unexecuted (or executed as a zombie) after its association
// was lost. After CommandCompleted or CommandDropped a data tag never lands again.
struct CommandDropped {
  Time t;
  std::uint64_t tag;
};

// A read's data as the device returned it: per LBA, the tag of the write that put it there
// (0 = never written).
struct ReadReturned {
  Time t;
  std::uint64_t tag;
  std::shared_ptr<const std::vector<std::uint64_t>> tokens;
};

// A bio joined (parked = true) or left (false: taken for resubmission) a head's requeue list.
struct BioParked {
  Time t;
  int head;  // world head record
  std::uint64_t leaf;
  std::uint64_t root;
  bool parked;
};

// A path's usable state changed (world path record), in the words of results.json's states[].
struct PathState {
  Time t;
  int path;
  int head;
  bool usable;    // live and optimized or non-optimized
  bool attached;  // still one of the head's paths (false once removed)
  int ctrl_id;
};

// fast_io_fail_tmo expired on a controller (NVME_CTRL_FAILFAST_EXPIRED set).
struct FailfastExpired {
  Time t;
  int ctrl_id;
};

// Power loss reverted an LBA from data that only the volatile cache held.
struct MediaReverted {
  Time t;
  std::string_view subsystem;
  std::uint32_t nsid;
  std::uint64_t lba;
  std::uint64_t lost;      // tag that was on the LBA
  std::uint64_t restored;  // tag it holds now (0 = never written)
};

class Bus {
 public:
  template <class E>
  void subscribe(std::function<void(const E&)> fn) {
    auto& subs = slot<E>();
    subs.push_back(std::move(fn));
  }
  template <class E>
  void publish(const E& e) {
    for (auto& fn : slot<E>()) fn(e);
  }
  template <class E>
  bool has_subscribers() {
    return !slot<E>().empty();
  }

 private:
  // One subscriber list per event type, held by the bus instance (not a global) so that a test
  // can run two worlds without crosstalk.
  template <class E>
  std::vector<std::function<void(const E&)>>& slot() {
    static const std::size_t id = next_type_id();
    if (lists_.size() <= id) lists_.resize(id + 1);
    if (!lists_[id]) lists_[id] = std::make_shared<Holder<E>>();
    return static_cast<Holder<E>*>(lists_[id].get())->subs;
  }
  struct HolderBase {
    virtual ~HolderBase() = default;
  };
  template <class E>
  struct Holder : HolderBase {
    std::vector<std::function<void(const E&)>> subs;
  };
  static std::size_t next_type_id() {
    static std::size_t n = 0;
    return n++;
  }
  std::vector<std::shared_ptr<HolderBase>> lists_;
};

}  // namespace sim::events
