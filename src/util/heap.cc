#include "util/heap.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>

extern "C" char end;  // the linker's end of the executable's data (man 3 end)

namespace util {
namespace {
constexpr auto kTrimInterval = std::chrono::seconds(30);
constexpr int kArenas = 2;  // the main one and one more
std::atomic<bool> arenas_bounded{false};  // a HeapReleaser set M_ARENA_MAX to kArenas

// One releaser per process; HintHeapFreed wakes it, TrimHeapNow records what it did.
std::mutex releaser_mu;
std::condition_variable releaser_cv;
bool heap_freed_hint = false;                    // GUARDED_BY(releaser_mu)
auto last_trim = std::chrono::steady_clock::time_point::min();  // GUARDED_BY(releaser_mu)
size_t after_last_trim = 0;                       // GUARDED_BY(releaser_mu): anonymous RSS it left

// The releaser's decision, apart from the clock (at most one trim per kTrimInterval): trim when
// hinted, or when anonymous RSS grew by a quarter of what the last trim left plus 32 MB (a
// growing head then costs one trim per 25%).
bool ShouldTrim(bool hinted, size_t rss, size_t after) {
  constexpr size_t kMinGrowth = 32u << 20;
  return hinted || rss > after + std::max(kMinGrowth, after / 4);
}

// Sorts the calling thread's arena. A malloc too large for any small bin first sorts up to
// 10,000 unsorted blocks (glibc's MAX_ITERS): 200 probes sort up to two million (a flush of a
// million series left 514,000). Returns whether the arena is the main one (its blocks come from
// the program break, after the executable's data).
bool SettleOwnArena() {
  constexpr size_t kProbeBytes = 256 << 10;  // a large bin, below the 1 MB mmap threshold
  bool main_arena = false;
  for (int i = 0; i < 200; i++) {
    void* probe = malloc(kProbeBytes);
    asm volatile("" : : "r"(probe) : "memory");  // kept: a malloc freed unused may be elided
    main_arena = probe >= &end && probe < sbrk(0);
    free(probe);
  }
  return main_arena;
}

}  // namespace

// Trims without holding releaser_mu (the walk takes up to a second at a million series: hints
// must not wait for it), then records it.
void TrimHeapNow() {
  malloc_trim(0);
  size_t rss = AnonResidentBytes();
  std::lock_guard lock(releaser_mu);
  last_trim = std::chrono::steady_clock::now();
  after_last_trim = rss;
  heap_freed_hint = false;
}

void HintHeapFreed() {
  {
    std::lock_guard lock(releaser_mu);
    heap_freed_hint = true;
  }
  releaser_cv.notify_all();
}

void SettleFreedHeap() {
  // The caller's arena first (a query's blocks are mostly its own), then the other one from
  // fresh threads: a thread takes an arena at its first malloc, round robin once both exist.
  // Unbounded (no HeapReleaser), a fresh thread would make an arena of its own: the caller's only.
  bool settled[kArenas] = {};  // [0]: the main arena
  settled[SettleOwnArena() ? 0 : 1] = true;
  for (int tries = 0; arenas_bounded && tries < 4 && !(settled[0] && settled[1]); tries++) {
    std::thread([&settled] { settled[SettleOwnArena() ? 0 : 1] = true; }).join();
  }
}

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
  mallopt(M_ARENA_MAX, kArenas);
  arenas_bounded = true;
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  thread_ = std::thread([this, period] {
    std::unique_lock lock(releaser_mu);
    while (!stopping_) {
      releaser_cv.wait_for(lock, period, [this] { return stopping_ || heap_freed_hint; });
      if (stopping_) break;
      auto next = last_trim + kTrimInterval;
      if (std::chrono::steady_clock::now() < next) {
        // Too soon after the last trim. A hint waits for the interval's end (then trims).
        if (heap_freed_hint) releaser_cv.wait_until(lock, next, [this] { return stopping_; });
        continue;
      }
      size_t rss = AnonResidentBytes();
      if (ShouldTrim(heap_freed_hint, rss, after_last_trim)) {
        lock.unlock();
        TrimHeapNow();
        lock.lock();
      } else if (rss < after_last_trim) {
        after_last_trim = rss;  // memory went back on its own (big blocks are mmapped)
      }
    }
  });
}

HeapReleaser::~HeapReleaser() {
  {
    std::lock_guard lock(releaser_mu);
    stopping_ = true;
  }
  releaser_cv.notify_all();
  thread_.join();
}

}  // namespace util
