#include "tsdb/chunk_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace sremon::tsdb {
namespace {

struct Block {
  char* p;
  size_t n;
  unsigned char fill;
};

// Fills every block with its own byte and checks all of them: an overlap between two live
// blocks, or a block handed out twice, shows as a wrong byte.
void CheckAll(const std::vector<Block>& live) {
  for (const Block& b : live) {
    for (size_t i = 0; i < b.n; i++) ASSERT_EQ(static_cast<unsigned char>(b.p[i]), b.fill) << "size " << b.n;
  }
}

TEST(ChunkPool, RandomSizesNeverOverlapAndAreAligned) {
  std::mt19937 rng(7);
  std::vector<Block> live;
  for (int round = 0; round < 20000; round++) {
    if (live.empty() || rng() % 3 != 0) {
      size_t n = 1 + rng() % (chunk_pool::kMaxPooledBytes + 600);  // some beyond the pooled sizes
      auto* p = static_cast<char*>(chunk_pool::Allocate(n));
      ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
      unsigned char fill = static_cast<unsigned char>(rng());
      std::memset(p, fill, n);
      live.push_back({p, n, fill});
    } else {
      size_t i = rng() % live.size();
      chunk_pool::Deallocate(live[i].p, live[i].n);
      live[i] = live.back();
      live.pop_back();
    }
    if (round % 5000 == 0) CheckAll(live);
  }
  CheckAll(live);
  for (const Block& b : live) chunk_pool::Deallocate(b.p, b.n);
}

TEST(ChunkPool, FreeingEverySlotUnmapsTheSlabs) {
  auto before = chunk_pool::GetStats();
  std::vector<void*> slots;
  for (int i = 0; i < 100000; i++) slots.push_back(chunk_pool::Allocate(48));
  auto full = chunk_pool::GetStats();
  EXPECT_EQ(full.slots, before.slots + 100000);
  EXPECT_EQ(full.slot_bytes, before.slot_bytes + 100000 * 48);
  EXPECT_GE(full.slab_bytes, 100000u * 48);
  EXPECT_LT(full.slab_bytes - before.slab_bytes, 100000u * 48 * 11 / 10);  // slabs packed full
  // Freed in a different order from the allocations, as a flush frees a head.
  std::shuffle(slots.begin(), slots.end(), std::mt19937(1));
  for (void* p : slots) chunk_pool::Deallocate(p, 48);
  auto after = chunk_pool::GetStats();
  EXPECT_EQ(after.slots, before.slots);
  EXPECT_LE(after.slab_bytes, before.slab_bytes + 2 * (256 << 10));  // at most the spare slabs
}

TEST(ChunkPool, ChunkBytesGrowAndShrinkThroughThePool) {
  auto before = chunk_pool::GetStats();
  {
    ChunkBytes b;
    for (int i = 0; i < 1000; i++) b.push_back(static_cast<char>(i));
    EXPECT_EQ(chunk_pool::GetStats().slots, before.slots + 1);
    b.resize(100);
    b.shrink_to_fit();
    for (int i = 0; i < 100; i++) ASSERT_EQ(b[i], static_cast<char>(i));
    ChunkBytes copy = b;
    EXPECT_EQ(copy, b);
    EXPECT_EQ(chunk_pool::GetStats().slots, before.slots + 2);
  }
  EXPECT_EQ(chunk_pool::GetStats().slots, before.slots);
}

TEST(ChunkPool, ThreadsAllocatingAndFreeingEachOthersSlots) {
  // Two threads hand slots to each other through a shared list (a slot freed by another thread
  // than the one that took it, as a flush thread frees what ingest threads grew).
  constexpr int kPerThread = 50000;
  std::vector<void*> a(kPerThread), b(kPerThread);
  std::thread ta([&] {
    for (int i = 0; i < kPerThread; i++) a[i] = chunk_pool::Allocate(16 + i % 200);
  });
  std::thread tb([&] {
    for (int i = 0; i < kPerThread; i++) b[i] = chunk_pool::Allocate(16 + i % 200);
  });
  ta.join();
  tb.join();
  auto before = chunk_pool::GetStats();
  std::thread fa([&] {
    for (int i = 0; i < kPerThread; i++) chunk_pool::Deallocate(b[i], 16 + i % 200);
  });
  std::thread fb([&] {
    for (int i = 0; i < kPerThread; i++) chunk_pool::Deallocate(a[i], 16 + i % 200);
  });
  fa.join();
  fb.join();
  EXPECT_EQ(chunk_pool::GetStats().slots, before.slots - 2 * kPerThread);
}

}  // namespace
}  // namespace sremon::tsdb
