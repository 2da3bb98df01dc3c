#include "util/heap.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>

namespace util {
namespace {
// One releaser per process; HintHeapFreed wakes it.
std::mutex releaser_mu;
std::condition_variable releaser_cv;
bool heap_freed_hint = false;  // GUARDED_BY(releaser_mu)

// The releaser's decision, apart from the clock: trim when hinted (at most every 5 s: a client
// posting one large body every second must not buy a heap walk each time), or when anonymous RSS
// grew by a quarter of what the last trim left plus 32 MB (a growing head then costs one trim per
// 25%), at most every 30 s.
bool ShouldTrim(bool hinted, size_t rss, size_t after_last_trim, std::chrono::steady_clock::duration since_last_trim) {
  if (hinted && since_last_trim >= std::chrono::seconds(5)) return true;
  constexpr size_t kMinGrowth = 32u << 20;
  constexpr auto kTrimInterval = std::chrono::seconds(30);
  return since_last_trim >= kTrimInterval && rss > after_last_trim + std::max(kMinGrowth, after_last_trim / 4);
}
}  // namespace

void HintHeapFreed() {
  {
    std::lock_guard lock(releaser_mu);
    heap_freed_hint = true;
  }
  releaser_cv.notify_all();
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
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  thread_ = std::thread([this, period] {
    size_t after_last_trim = 0;
    auto last_trim = std::chrono::steady_clock::now() - std::chrono::hours(1);
    std::unique_lock lock(releaser_mu);
    while (!stopping_) {
      releaser_cv.wait_for(lock, period, [this] { return stopping_ || heap_freed_hint; });
      if (stopping_) break;
      size_t rss = AnonResidentBytes();
      if (ShouldTrim(heap_freed_hint, rss, after_last_trim, std::chrono::steady_clock::now() - last_trim)) {
        heap_freed_hint = false;
        lock.unlock();  // a trim takes up to a second at a million series: hints must not wait
        malloc_trim(0);
        lock.lock();
        last_trim = std::chrono::steady_clock::now();
        after_last_trim = AnonResidentBytes();
      } else if (rss < after_last_trim) {
        after_last_trim = rss;  // memory went back on its own (big blocks are mmapped)
      }
      if (heap_freed_hint) {  // hinted within 5 s of the last trim: wait for that much to pass
        releaser_cv.wait_until(lock, last_trim + std::chrono::seconds(5), [this] { return stopping_; });
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
