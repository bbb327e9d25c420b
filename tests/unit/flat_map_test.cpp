// sim/flat_map.hpp against std::map: the same answers after any sequence of sets, inserts and
// erases, including erases that must shift entries back across the end of the slot array.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>

#include "sim/flat_map.hpp"
#include "sim/rng.hpp"

namespace {

TEST(FlatU64Map, MatchesStdMapUnderRandomOperations) {
  for (const std::uint64_t range : {16ull, 200ull, 100'000ull}) {
    sim::FlatU64Map m;
    std::map<std::uint64_t, std::uint64_t> ref;
    sim::Rng rng(42, "flat-map-" + std::to_string(range));
    for (int i = 0; i < 200'000; ++i) {
      // Keys clustered like (nsid << 44) ^ lba, plus the extremes below the reserved ~0.
      std::uint64_t k = (std::uint64_t{1 + rng.below(2)} << 44) ^ rng.below(range);
      if (i % 997 == 0) k = ~std::uint64_t{0} - 1;
      if (i % 1009 == 0) k = 0;
      const std::uint64_t op = rng.below(10);
      if (op < 5) {
        m.set(k, i + 1);
        ref[k] = i + 1;
      } else if (op < 6) {
        EXPECT_EQ(m.insert(k, 7), !ref.contains(k));
        ref.emplace(k, 7);
      } else if (op < 9) {
        m.erase(k);
        ref.erase(k);
      } else {
        const auto it = ref.find(k);
        ASSERT_EQ(m.get(k, 99), it == ref.end() ? 99 : it->second) << "key " << k << " op " << i;
        ASSERT_EQ(m.contains(k), it != ref.end());
      }
      ASSERT_EQ(m.size(), ref.size());
    }
    for (const auto& [k, v] : ref) ASSERT_EQ(m.get(k), v);
  }
}

TEST(FlatU64Map, RetainAndForEachSeeEveryEntryOnce) {
  sim::FlatU64Map m;
  for (std::uint64_t k = 0; k < 1000; ++k) m.set((k % 3) << 44 | k, k);
  m.retain([](std::uint64_t k, std::uint64_t) { return (k >> 44) != 1; });
  EXPECT_EQ(m.size(), 667u);  // 334 keys had k % 3 == 1
  std::map<std::uint64_t, std::uint64_t> seen;
  m.for_each([&](std::uint64_t k, std::uint64_t v) { EXPECT_TRUE(seen.emplace(k, v).second); });
  EXPECT_EQ(seen.size(), 667u);
  for (const auto& [k, v] : seen) EXPECT_NE(v % 3, 1u) << k;
}

TEST(FlatU64Map, EmptyAndCleared) {
  sim::FlatU64Map m;
  EXPECT_EQ(m.get(5, 3), 3u);
  EXPECT_FALSE(m.contains(5));
  m.erase(5);
  m.set(5, 6);
  EXPECT_EQ(m.get(5), 6u);
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.get(5, 1), 1u);
  m.set(5, 8);
  EXPECT_EQ(m.get(5), 8u);
  EXPECT_EQ(m.memory_bytes(), 64u * 16u);  // 16 bytes a slot, 64 slots to start
}

}  // namespace
