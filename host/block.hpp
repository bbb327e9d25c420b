#pragma once
// The slice of the Linux block layer that multipath depends on: bios, requests built from them,
// splitting at the queue's transfer limit, plug merging of contiguous bios, and tags per hardware
// queue. Bios are never copied: requests chain them, failover steals the chain (blk_steal_bios).
#include <cstdint>
#include <deque>
#include <vector>

#include "sim/events.hpp"
#include "sim/time.hpp"

namespace host {

using sim::Time;

enum class BioOp : std::uint8_t { Read, Write, Flush, Discard };

inline sim::events::Dir dir_of(BioOp op) {
  switch (op) {
    case BioOp::Read: return sim::events::Dir::Read;
    case BioOp::Write: return sim::events::Dir::Write;
    case BioOp::Discard: return sim::events::Dir::Trim;
    case BioOp::Flush: return sim::events::Dir::Flush;
  }
  return sim::events::Dir::Read;
}

struct Bio;

// Whoever submitted a bio learns of its completion here (bio->bi_end_io).
class BioOwner {
 public:
  virtual void bio_endio(Bio* bio) = 0;

 protected:
  ~BioOwner() = default;
};

struct Bio {
  std::uint64_t id = 0;
  BioOp op = BioOp::Read;
  bool fua = false;
  bool mpath = false;           // REQ_NVME_MPATH: aimed at a path by the head
  bool verify = false;          // the workload checks what it reads (reads ask for data tags)
  std::uint8_t sends = 0;       // how often a command carried it (its data tags differ)
  std::uint64_t offset = 0;     // bytes from the start of the device
  std::uint32_t bytes = 0;
  int cpu = 0;                  // submitting cpu (decides hw queue and NUMA node)
  std::uint16_t status = 0;     // NVMe status the bio completed with (0 = success)
  Time submitted = 0;
  Time issued = 0;              // last time a request carrying it went to a controller
  BioOwner* owner = nullptr;
  std::uint64_t cookie = 0;     // owner's own tag
  Bio* parent = nullptr;        // split: completes the parent when all children are done
  std::uint32_t pending_children = 0;
  Bio* next = nullptr;          // chain inside a request or a requeue list
  void* target = nullptr;       // device it is aimed at now (head or path), set by the host
  void* kbio = nullptr;         // core: linux: the kernel's struct bio for it (kept across reuse)

  // The bio the submitter holds: a split child's topmost parent (itself if not split).
  const Bio* root() const {
    const Bio* r = this;
    while (r->parent) r = r->parent;
    return r;
  }
};

// Bios come from a pool: no allocation on the hot path once warmed up.
class BioPool {
 public:
  Bio* get() {
    Bio* b;
    if (!free_.empty()) {
      b = free_.back();
      free_.pop_back();
      void* kbio = b->kbio;
      *b = Bio{};
      b->kbio = kbio;
    } else {
      store_.emplace_back();
      b = &store_.back();
    }
    b->id = next_id_++;
    return b;
  }
  void put(Bio* b) { free_.push_back(b); }
  std::uint64_t allocated() const { return next_id_ - 1 - base_; }
  // Ids are unique across hosts: each host's pool starts at its own base.
  void set_base(std::uint64_t base) {
    next_id_ += base - base_;
    base_ = base;
  }

 private:
  std::deque<Bio> store_;  // stable addresses
  std::vector<Bio*> free_;
  std::uint64_t next_id_ = 1;
  std::uint64_t base_ = 0;
};

// An intrusive FIFO of bios (head->requeue_list, a request's bio chain).
struct BioList {
  Bio* head = nullptr;
  Bio* tail = nullptr;
  std::uint32_t count = 0;
  bool empty() const { return head == nullptr; }
  void push_back(Bio* b) {
    b->next = nullptr;
    if (tail) tail->next = b;
    else head = b;
    tail = b;
    ++count;
  }
  void append(BioList& other) {  // moves other's chain to our tail (blk_steal_bios)
    if (other.empty()) return;
    if (tail) tail->next = other.head;
    else head = other.head;
    tail = other.tail;
    count += other.count;
    other = BioList{};
  }
  Bio* pop_front() {
    Bio* b = head;
    if (!b) return nullptr;
    head = b->next;
    if (!head) tail = nullptr;
    b->next = nullptr;
    --count;
    return b;
  }
};

}  // namespace host
