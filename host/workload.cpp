#include "host/workload.hpp"

#include <algorithm>

#include "host/host.hpp"
#include "sim/assert.hpp"

namespace host {

using sim::scenario::RwMode;

Job::Job(Host& host, const sim::scenario::Workload& cfg, int clone, int global_index, Time end_of_run,
         std::uint64_t seed)
    : host_(host),
      cfg_(cfg),
      name_(cfg.numjobs > 1 ? cfg.name + "." + std::to_string(clone) : cfg.name),
      index_(global_index),
      cpu_(cfg.cpus.empty() ? 0 : cfg.cpus[static_cast<std::size_t>(clone) % cfg.cpus.size()]),
      end_of_run_(end_of_run),
      rng_(seed, "job:" + cfg.name + "." + std::to_string(clone)) {}

bool Job::issuing() const { return host_.cal().now() < stop_at_; }

void Job::device_ready(BlockDevice* dev) {
  if (dev_) return;
  dev_ = dev;
  const Time at = std::max(host_.cal().now(), cfg_.start);
  host_.cal().schedule(at, this, kStart);
}

void Job::start() {
  started_ = host_.cal().now();
  // fio: runtime counts after ramp_time.
  stop_at_ = cfg_.runtime ? std::min(end_of_run_, started_ + cfg_.ramp_time + *cfg_.runtime) : end_of_run_;
  const std::uint64_t cap = dev_->capacity_bytes();
  region_start_ = std::min(cfg_.offset, cap);
  region_bytes_ = cfg_.size ? std::min(cfg_.size, cap - region_start_) : cap - region_start_;
  min_align_ = dev_->lba_size();
  seq_offset_ = 0;
  if (cfg_.rate_iops > 0) {
    rate_interval_ = std::max<Time>(1, sim::kSecond / static_cast<Time>(cfg_.rate_iops));
    host_.cal().schedule(started_, this, kRateTick);
    return;
  }
  // Closed loop: fill the queue in one plugged batch, as fio's first submit does.
  host_.blk_start_plug();
  for (int i = 0; i < cfg_.iodepth && issuing(); ++i) issue_one();
  host_.blk_finish_plug();
}

std::string Job::describe_event(std::uint32_t kind, std::uint64_t) const {
  switch (kind) {
    case kStart: return "job " + name_ + ": start";
    case kRateTick: return "job " + name_ + ": rate_iops tick";
    case kResubmit: return "job " + name_ + ": resubmission after an error";
    case kSubmission: return "job " + name_ + ": bio submission";
  }
  return "job " + name_;
}

void Job::on_event(std::uint32_t kind, std::uint64_t) {
  switch (kind) {
    case kStart: start(); break;
    case kResubmit: resubmit(); break;
    case kRateTick:
      if (!issuing()) return;
      if (in_flight_ < static_cast<std::uint64_t>(cfg_.iodepth)) issue_one();
      else ++owed_;
      host_.cal().schedule_in(rate_interval_, this, kRateTick);
      break;
    default: NVMSIM_ASSERT(false, "job: unknown event {}", kind);
  }
}

std::uint32_t Job::pick_bs() {
  if (cfg_.bs.size() == 1) return static_cast<std::uint32_t>(cfg_.bs.front().bs);
  auto r = static_cast<int>(rng_.below(100));
  for (const auto& b : cfg_.bs) {
    if (r < b.percent) return static_cast<std::uint32_t>(b.bs);
    r -= b.percent;
  }
  return static_cast<std::uint32_t>(cfg_.bs.back().bs);
}

BioOp Job::pick_op() {
  switch (cfg_.rw) {
    case RwMode::Read:
    case RwMode::RandRead: return BioOp::Read;
    case RwMode::Write:
    case RwMode::RandWrite: return BioOp::Write;
    case RwMode::Trim: return BioOp::Discard;
    case RwMode::Rw:
    case RwMode::RandRw:
      return static_cast<int>(rng_.below(100)) < cfg_.rwmixread ? BioOp::Read : BioOp::Write;
  }
  return BioOp::Read;
}

std::uint64_t Job::pick_offset(std::uint32_t bs, bool random) {
  if (random) {
    // fio aligns random offsets to the block size (blockalign = bs).
    const std::uint64_t blocks = std::max<std::uint64_t>(1, region_bytes_ / bs);
    return region_start_ + rng_.below(blocks) * bs;
  }
  if (seq_offset_ + bs > region_bytes_) seq_offset_ = 0;  // wrap, as fio does for time_based jobs
  const std::uint64_t off = region_start_ + seq_offset_;
  seq_offset_ += bs;
  return off;
}

void Job::issue_one() {
  // Every submission counts against the instant's work limit: a loop that submits and fails
  // inside one event never reaches the calendar otherwise.
  if (!host_.cal().note_work(this, kSubmission)) return;
  // fio's rw=trim walks the region sequentially, like read and write.
  const bool random = cfg_.rw == RwMode::RandRead || cfg_.rw == RwMode::RandWrite || cfg_.rw == RwMode::RandRw;
  Bio* bio = host_.bios().get();
  const bool flush_now = cfg_.flush_every > 0 && writes_since_flush_ >= cfg_.flush_every;
  if (flush_now) {
    writes_since_flush_ = 0;
    bio->op = BioOp::Flush;
    bio->offset = 0;
    bio->bytes = 0;
  } else {
    bio->op = pick_op();
    bio->bytes = pick_bs();
    bio->offset = pick_offset(bio->bytes, random);
    bio->fua = cfg_.fua && bio->op == BioOp::Write;
    bio->verify = cfg_.verify;
    if (bio->op == BioOp::Write) ++writes_since_flush_;
  }
  bio->cpu = cpu_;
  bio->owner = this;
  bio->submitted = host_.cal().now();
  bio->issued = bio->submitted;
  bio->target = dev_;
  ++in_flight_;
  ++submitted_;
  host_.bus().publish(sim::events::BioSubmitted{bio->submitted, bio->id, index_, dir_of(bio->op),
                                                bio->offset, bio->bytes, bio->fua,
                                                bio->verify && bio->op == BioOp::Read});
  dev_->submit_bio(bio);
}

void Job::bio_endio(Bio* bio) {
  if (in_flight_ > 0) --in_flight_;  // a double completion (BP-13) must not wrap the count
  const Time now = host_.cal().now();
  last_completion_ = now;
  host_.bus().publish(sim::events::BioCompleted{now, bio->id, index_, dir_of(bio->op), bio->bytes,
                                                bio->status, bio->submitted, bio->issued});
  const bool failed = bio->status != 0;
  const bool survived = failed && survives(*bio);
  host_.bios().put(bio);
  // fio: an error continue_on_error does not cover ends the job (td_verror, EIO); the reports
  // derive fio's `error` from the completions.
  if (failed && !survived) stop_at_ = std::min(stop_at_, now);
  if (!issuing()) return;
  if (survived) {
    if (cfg_.rate_iops == 0 || owed_ > 0) {
      if (cfg_.rate_iops > 0) --owed_;
      owe_after_error();
    }
    return;
  }
  if (cfg_.rate_iops > 0) {
    if (owed_ > 0) {
      --owed_;
      issue_after_completion();
    }
    return;
  }
  issue_after_completion();
}

bool Job::survives(const Bio& bio) const {
  return sim::scenario::continue_on_error_covers(cfg_.continue_on_error, bio.op == BioOp::Read);
}

// A survived error frees a slot; its replacement goes out error_resubmit_delay later (and after
// the previous replacement), one at a time.
void Job::owe_after_error() {
  ++error_owed_;
  if (resubmit_armed_) return;
  resubmit_armed_ = true;
  const Time now = host_.cal().now();
  next_resubmit_ = std::max(next_resubmit_, now + cfg_.error_resubmit_delay);
  host_.cal().schedule(next_resubmit_, this, kResubmit);
}

void Job::resubmit() {
  resubmit_armed_ = false;
  if (error_owed_ == 0 || !issuing()) {
    error_owed_ = 0;
    return;
  }
  --error_owed_;
  next_resubmit_ = host_.cal().now() + cfg_.error_resubmit_delay;
  if (cfg_.rate_iops > 0 && in_flight_ >= static_cast<std::uint64_t>(cfg_.iodepth)) ++owed_;
  else issue_after_completion();
  if (error_owed_ > 0 && !resubmit_armed_ && issuing()) {
    resubmit_armed_ = true;
    host_.cal().schedule(next_resubmit_, this, kResubmit);
  }
}

void Job::issue_after_completion() {
  if (issuing_now_) {
    ++deferred_issues_;
    return;
  }
  issuing_now_ = true;
  issue_one();
  while (deferred_issues_ > 0 && !host_.cal().livelocked()) {
    --deferred_issues_;
    if (issuing()) issue_one();
  }
  issuing_now_ = false;
}

}  // namespace host
