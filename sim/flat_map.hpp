#pragma once
// A map from 64-bit keys to 64-bit values for per-LBA state touched once per I/O: open
// addressing with linear probing in one power-of-two array (16 bytes a slot, at most 7/8 full;
// the key ~0 marks an empty slot and cannot be stored),
// Fibonacci hashing (one multiply, no division), deletion by backward shift (no tombstones).
// No node is allocated per entry, unlike std::unordered_map (~40 bytes and a malloc each, and a
// hardware division per lookup).
//
// for_each visits entries in slot order, which depends on the history of insertions (the same
// history gives the same order, but a caller must still sort whatever reaches a result).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/assert.hpp"

namespace sim {

class FlatU64Map {
 public:
  // The value at `k`, or `absent` when there is none.
  std::uint64_t get(std::uint64_t k, std::uint64_t absent = 0) const {
    if (size_ == 0) return absent;
    for (std::size_t i = home(k);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == kEmpty) return absent;
      if (s.key == k) return s.value;
    }
  }
  bool contains(std::uint64_t k) const {
    if (size_ == 0) return false;
    for (std::size_t i = home(k);; i = (i + 1) & mask_) {
      if (slots_[i].key == kEmpty) return false;
      if (slots_[i].key == k) return true;
    }
  }
  void set(std::uint64_t k, std::uint64_t v) {
    NVMSIM_ASSERT(k != kEmpty, "FlatU64Map: key ~0 is reserved");
    if ((size_ + 1) * 8 > slots_.size() * 7) grow();
    std::size_t i = home(k);
    for (; slots_[i].key != kEmpty; i = (i + 1) & mask_)
      if (slots_[i].key == k) {
        slots_[i].value = v;
        return;
      }
    slots_[i] = Slot{k, v};
    ++size_;
  }
  // Inserts only when absent; returns whether it did.
  bool insert(std::uint64_t k, std::uint64_t v) {
    if (contains(k)) return false;
    set(k, v);
    return true;
  }
  void erase(std::uint64_t k) {
    if (size_ == 0) return;
    std::size_t i = home(k);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].key == kEmpty) return;
      if (slots_[i].key == k) break;
    }
    // Backward shift: pull later entries of the probe run into the hole when their home allows.
    for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (slots_[j].key == kEmpty) break;
      const std::size_t h = home(slots_[j].key);
      // Entry j may move to i iff its home is not in the cyclic range (i, j].
      const bool stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i].key = kEmpty;
    --size_;
  }
  void clear() {
    slots_.clear();
    mask_ = 0;
    shift_ = 63;
    size_ = 0;
  }
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.key != kEmpty) f(s.key, s.value);
  }
  // Keeps only the entries for which `keep(key, value)` holds.
  template <class F>
  void retain(F&& keep) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.size(), Slot{});
    size_ = 0;
    for (const Slot& s : old)
      if (s.key != kEmpty && keep(s.key, s.value)) set(s.key, s.value);
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  struct Slot {
    std::uint64_t key = kEmpty, value = 0;
  };
  std::size_t home(std::uint64_t k) const {
    return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
  }
  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    const std::size_t n = old.empty() ? 64 : old.size() * 2;
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(n));
    size_ = 0;
    for (const Slot& s : old)
      if (s.key != kEmpty) set(s.key, s.value);
  }
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  unsigned shift_ = 63;
  std::size_t size_ = 0;
};

}  // namespace sim
