#pragma once

#include <chrono>
#include <cstddef>
#include <thread>

namespace util {

// glibc malloc for a service whose big, short-lived buffers (import bodies, proxied query
// answers, a flushed head) must not stay resident: two arenas instead of one per thread (one
// arena made the 1M-series import take 40-50% more CPU); a fixed 1 MB mmap threshold
// (glibc otherwise raises it to the largest block freed, after which big blocks come from the
// heap and stay as fragments); and, while the object lives, a thread that hands freed heap back
// to the kernel.
//
// malloc_trim walks every free chunk and madvises it, even pages it already gave back: on a heap
// of a million series it costs most of a second, so it runs only when it can pay, at most once
// per 30 s (kTrimInterval): when code that just freed a lot says so (HintHeapFreed), or when
// anonymous RSS grew by a quarter (and 32 MB) over what the last trim left; and at once, in its
// own thread, for a flush (TrimHeapNow). glibc's own trim at free() is
// raised out of the way: a query over a million series frees hundreds of MB that the next one
// needs again, and handing them back at once makes every query fault its memory in anew (page
// faults were a fifth of a 1M-series aggregation's profile). Like Go's scavenger in
// VictoriaMetrics and Prometheus, memory freed by a query goes back within half a minute, not at
// once. Checked every `period`, and on a hint. Create it once, early in the service's
// main.
class HeapReleaser {
 public:
  explicit HeapReleaser(std::chrono::seconds period);
  ~HeapReleaser();

 private:
  bool stopping_ = false;  // guarded by the releaser's mutex (heap.cc)
  std::thread thread_;
};

// Says that a large amount of heap was just freed (a burst of import bodies parsed), so the
// releaser trims now, or at the end of the interval since its last trim. Cheap; callable from
// any thread, with or without a releaser.
void HintHeapFreed();

// Gives freed heap back to the kernel now, in the calling thread, which waits for the walk (up to
// a second at a million series, during which other threads' mallocs wait on the arena locks):
// for code that just freed a lot and is itself slow anyway (a flush, before it returns, so that
// the queries after it do not meet the walk).
void TrimHeapNow();

// Sorts what frees left on glibc's unsorted free list, now, in the calling thread (which waits:
// 11-13 ms for 200,000 unsorted blocks, 0.05-0.14 ms when there is nothing to sort).
// glibc sorts those blocks lazily, at most 10,000 per malloc, inside whatever allocates next:
// after `count(card_test)` over a million series (a GB of per-series blocks freed; malloc_info
// showed 34,000 unsorted) the next two one-series lookups took 8-30 ms instead of 1.5. For code
// that just freed a lot and is slow anyway (a flush; a query that ran 100 ms or more), so that the
// requests after it do not pay. Covers both arenas of a process with a HeapReleaser.
void SettleFreedHeap();

// Resident anonymous memory of this process (resident minus file-backed pages), from
// /proc/self/statm; 0 when it cannot be read.
size_t AnonResidentBytes();

}  // namespace util
