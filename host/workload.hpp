#pragma once
// fio-style job generators (one per numjobs clone): closed loop at `iodepth`, or open loop at
// `rate_iops` (linear spacing, like fio's rate_process=linear) with at most `iodepth` in flight.
// A job starts at its `start` time or when its target device appears, whichever is later, and
// stops issuing after `runtime`; I/O still in flight then completes and is counted.
// Errors follow fio's continue_on_error: an error the job does not survive ends its issuing at
// once (fio's td->error = EIO); one it survives is replaced after error_resubmit_delay, never in
// the instant of the failure, so a device that fails everything at once cannot stop time.
#include <cstdint>
#include <string>
#include <vector>

#include "host/block.hpp"
#include "host/nvme.hpp"
#include "sim/engine/calendar.hpp"
#include "sim/events.hpp"
#include "sim/rng.hpp"
#include "sim/scenario/scenario.hpp"

namespace host {

class Host;

class Job final : public BioOwner, public sim::engine::EventTarget {
 public:
  Job(Host& host, const sim::scenario::Workload& cfg, int clone, int global_index, Time end_of_run,
      std::uint64_t seed);

  const std::string& name() const { return name_; }
  int index() const { return index_; }
  const sim::scenario::Workload& config() const { return cfg_; }
  Time started() const { return started_; }
  Time last_completion() const { return last_completion_; }
  bool running() const { return started_ >= 0; }
  bool has_device() const { return dev_ != nullptr; }
  BlockDevice* device() const { return dev_; }
  std::uint64_t in_flight() const { return in_flight_; }
  std::uint64_t submitted() const { return submitted_; }

  // The target device exists and is live: start at max(now, configured start).
  void device_ready(BlockDevice* dev);

  void bio_endio(Bio* bio) override;
  void on_event(std::uint32_t kind, std::uint64_t arg) override;
  std::string describe_event(std::uint32_t kind, std::uint64_t arg) const override;

 private:
  enum EventKind : std::uint32_t { kStart = 0, kRateTick = 1, kResubmit = 2, kSubmission = 3 };
  bool survives(const Bio& bio) const;
  void owe_after_error();
  void resubmit();
  void start();
  void issue_one();
  // Issues from a completion. A bio can complete inside its own submission (no path left: it
  // fails at once); issuing from there would recurse once per failed bio, so nested calls are
  // queued and the outermost one issues them in a loop.
  void issue_after_completion();
  bool issuing() const;
  std::uint32_t pick_bs();
  BioOp pick_op();
  std::uint64_t pick_offset(std::uint32_t bs, bool random);

  Host& host_;
  sim::scenario::Workload cfg_;
  std::string name_;
  int index_;
  int cpu_;
  Time end_of_run_;
  sim::Rng rng_;
  BlockDevice* dev_ = nullptr;
  Time started_ = -1;
  Time stop_at_ = 0;
  Time last_completion_ = 0;
  std::uint64_t in_flight_ = 0;
  std::uint64_t region_start_ = 0;
  std::uint64_t region_bytes_ = 0;
  std::uint64_t seq_offset_ = 0;
  std::uint64_t writes_since_flush_ = 0;
  std::uint64_t owed_ = 0;  // open loop: ticks that found the queue full
  bool issuing_now_ = false;
  std::uint64_t deferred_issues_ = 0;
  std::uint64_t submitted_ = 0;
  std::uint64_t error_owed_ = 0;  // survived errors waiting for their replacement
  bool resubmit_armed_ = false;
  Time next_resubmit_ = 0;        // resubmissions after errors are spaced by error_resubmit_delay
  Time rate_interval_ = 0;
  std::uint32_t min_align_ = 512;
};

}  // namespace host
