// Memory for the head's chunk bytes (issue 14): size classes carved from 256 KiB slabs of their
// own, instead of one glibc malloc per chunk.
//
// Why not malloc: a flush drops the frozen head's chunks at once, a million small blocks at a
// million series, each between live series and labels so none coalesce. glibc leaves them on its
// unsorted list and sorts them later, at most 10,000 per malloc, inside whatever query comes
// next: the first queries after a 1M flush took 40-50 ms instead of 1 ms (malloc_info showed
// 514,000 unsorted chunks; docs/benchmarks.md, "fifth round"). Here a freed slot goes onto its
// slab's free list in O(1), and a slab whose slots are all free is unmapped, so a flush gives the
// memory back to the system as well.
//
// Thread-safety: Allocate/Deallocate are thread-safe (a mutex per size class).
#pragma once

#include <cstddef>
#include <string>

namespace sremon::tsdb {
namespace chunk_pool {

// The largest request served from slabs; larger ones go to operator new.
inline constexpr size_t kMaxPooledBytes = 2048;

// n bytes, aligned to 16 (REQUIRES n > 0). Deallocate must get the same n.
void* Allocate(size_t n);
void Deallocate(void* p, size_t n);

struct Stats {
  size_t slab_bytes = 0;    // slabs mapped, spare ones included
  size_t slot_bytes = 0;    // slots handed out, in whole size classes
  size_t slots = 0;         // slots handed out
};
Stats GetStats();

}  // namespace chunk_pool

// A std::allocator-shaped front for chunk_pool (stateless: every instance is equal).
template <class T>
struct ChunkAllocator {
  using value_type = T;
  ChunkAllocator() = default;
  template <class U>
  ChunkAllocator(const ChunkAllocator<U>&) {}  // NOLINT: conversions between allocators are implicit
  T* allocate(size_t n) { return static_cast<T*>(chunk_pool::Allocate(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { chunk_pool::Deallocate(p, n * sizeof(T)); }
  friend bool operator==(const ChunkAllocator&, const ChunkAllocator&) { return true; }
};

// A head chunk's bytes.
using ChunkBytes = std::basic_string<char, std::char_traits<char>, ChunkAllocator<char>>;

}  // namespace sremon::tsdb
