#include "util/heap.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace util {
namespace {

// Free blocks on glibc's unsorted lists, over every arena (malloc_info's XML). Allocates
// nothing once `stream` exists (a malloc would sort part of what it counts).
size_t UnsortedBlocks(FILE* stream, char* xml, size_t size) {
  std::memset(xml, 0, size);
  std::rewind(stream);
  malloc_info(0, stream);
  std::fflush(stream);
  size_t n = 0;
  for (const char* p = xml; (p = std::strstr(p, "<unsorted ")) != nullptr; p++) {
    if (const char* c = std::strstr(p, "count=\"")) n += std::strtoul(c + 7, nullptr, 10);
  }
  return n;
}

TEST(SettleFreedHeap, SortsWhatFreesLeftUnsorted) {
  HeapReleaser releaser(std::chrono::seconds(3600));  // bounds the arenas, as the services do
  static char xml[1 << 20];
  FILE* stream = fmemopen(xml, sizeof(xml), "w");
  ASSERT_NE(stream, nullptr);
  std::setvbuf(stream, nullptr, _IONBF, 0);
  // Blocks too large for the thread cache, freed every other one so that none coalesce: glibc
  // puts each on its unsorted list, for later mallocs to sort. More than the settling threads'
  // own first mallocs sort by the way (10,000 each).
  std::vector<void*> blocks(80000);
  for (auto& b : blocks) b = std::malloc(1100);
  for (size_t i = 0; i < blocks.size(); i += 2) std::free(blocks[i]);
  EXPECT_EQ(UnsortedBlocks(stream, xml, sizeof(xml)), 40000u);
  SettleFreedHeap();
  EXPECT_LT(UnsortedBlocks(stream, xml, sizeof(xml)), 10u);
  for (size_t i = 1; i < blocks.size(); i += 2) std::free(blocks[i]);
  std::fclose(stream);
}

}  // namespace
}  // namespace util
