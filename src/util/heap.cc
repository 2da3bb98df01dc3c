#include "util/heap.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

namespace util {
namespace {
std::atomic<bool> heap_freed_hint{false};

// The releaser's decision, apart from the clock: trim when hinted, or when anonymous RSS grew by
// a quarter of what the last trim left plus 32 MB (a growing head then costs one trim per 25%).
bool ShouldTrim(size_t rss, size_t after_last_trim, std::chrono::steady_clock::duration since_last_trim) {
  if (heap_freed_hint.exchange(false)) return true;
  constexpr size_t kMinGrowth = 32u << 20;
  constexpr auto kTrimInterval = std::chrono::seconds(30);
  return since_last_trim >= kTrimInterval && rss > after_last_trim + std::max(kMinGrowth, after_last_trim / 4);
}
}  // namespace

void HintHeapFreed() { heap_freed_hint.store(true, std::memory_order_relaxed); }

size_t AnonResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0, shared = 0;
  int n = std::fscanf(f, "%lu %lu %lu", &size, &resident, &shared);
  std::fclose(f);
  if (n != 3 || shared > resident) return 0;
  return (resident - shared) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

HeapReleaser::HeapReleaser(std::chrono::seconds period) {
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  thread_ = std::thread([this, period] {
    size_t after_last_trim = 0;
    auto last_trim = std::chrono::steady_clock::now();
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, period, [this] { return stopping_; })) {
      size_t rss = AnonResidentBytes();
      if (ShouldTrim(rss, after_last_trim, std::chrono::steady_clock::now() - last_trim)) {
        malloc_trim(0);
        last_trim = std::chrono::steady_clock::now();
        after_last_trim = AnonResidentBytes();
      } else if (rss < after_last_trim) {
        after_last_trim = rss;  // memory went back on its own (big blocks are mmapped)
      }
    }
  });
}

HeapReleaser::~HeapReleaser() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

}  // namespace util
