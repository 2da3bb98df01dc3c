#include "tsdb/chunk_pool.h"

#include <sys/mman.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <new>

#include "util/thread_annotations.h"

namespace sremon::tsdb::chunk_pool {
namespace {

// 256 KiB: a mapping per 5,460 one-chunk series (48-byte slots) at most, and 127 slots of the
// largest class. Slabs are aligned to their size, so a slot finds its slab by masking.
constexpr size_t kSlabBytes = 256 << 10;
constexpr size_t kHeaderBytes = 64;  // the Slab struct, rounded so slots stay 16-aligned
constexpr size_t kMaxSpareSlabs = 2;  // empty slabs kept mapped so a class that empties and
                                      // refills does not map and unmap per slot

// Size classes: 16-byte steps to 256, then four per doubling (at most a quarter wasted). The
// string growth of a chunk (31, 61, 121, 241, 481 bytes) lands just under a class.
constexpr std::array<uint32_t, 28> kClassBytes = {16,  32,  48,  64,  80,  96,   112,  128,  144,  160,
                                                  176, 192, 208, 224, 240, 256,  320,  384,  448,  512,
                                                  640, 768, 896, 1024, 1280, 1536, 1792, 2048};
static_assert(kClassBytes.back() == kMaxPooledBytes);

// Class of a request, by its size in 16-byte units (rounded up).
constexpr auto kClassOfUnits = [] {
  std::array<uint8_t, kMaxPooledBytes / 16 + 1> t{};
  size_t c = 0;
  for (size_t units = 0; units < t.size(); units++) {
    while (kClassBytes[c] < units * 16) c++;
    t[units] = static_cast<uint8_t>(c);
  }
  return t;
}();

struct FreeSlot {
  FreeSlot* next;
};

struct Slab {
  Slab* prev = nullptr;  // in its class's list of slabs with room
  Slab* next = nullptr;
  FreeSlot* free = nullptr;  // slots given back
  uint32_t bump = kHeaderBytes;  // slots at and beyond this offset were never handed out
  uint32_t used = 0;
  uint32_t slot_bytes = 0;
  bool listed = false;  // in the list of slabs with room
  bool Full() const { return !free && bump + slot_bytes > kSlabBytes; }
};
static_assert(sizeof(Slab) <= kHeaderBytes);

struct SizeClass {
  Mutex mu;
  Slab* with_room GUARDED_BY(mu) = nullptr;
};

std::array<SizeClass, kClassBytes.size()> classes;
Mutex spare_mu;
std::array<Slab*, kMaxSpareSlabs> spares GUARDED_BY(spare_mu) = {};
size_t num_spares GUARDED_BY(spare_mu) = 0;
std::atomic<size_t> mapped_slabs{0}, slot_bytes_out{0}, slots_out{0};

Slab* MapSlab() {
  // Twice the size, then the unaligned ends unmapped.
  void* m = mmap(nullptr, 2 * kSlabBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  auto begin = reinterpret_cast<uintptr_t>(m);
  uintptr_t aligned = (begin + kSlabBytes - 1) & ~(kSlabBytes - 1);
  if (aligned > begin) munmap(m, aligned - begin);
  uintptr_t end = begin + 2 * kSlabBytes;
  if (end > aligned + kSlabBytes) munmap(reinterpret_cast<void*>(aligned + kSlabBytes), end - aligned - kSlabBytes);
  mapped_slabs++;
  return reinterpret_cast<Slab*>(aligned);
}

Slab* NewSlab(uint32_t slot_bytes) {
  Slab* s = nullptr;
  {
    MutexLock l(&spare_mu);
    if (num_spares > 0) s = spares[--num_spares];
  }
  if (!s) s = MapSlab();
  return new (s) Slab{.slot_bytes = slot_bytes};
}

void ReleaseSlab(Slab* s) {
  {
    MutexLock l(&spare_mu);
    if (num_spares < kMaxSpareSlabs) {
      spares[num_spares++] = s;
      return;
    }
  }
  munmap(s, kSlabBytes);
  mapped_slabs--;
}

void Unlink(SizeClass* c, Slab* s) REQUIRES(c->mu) {
  (s->prev ? s->prev->next : c->with_room) = s->next;
  if (s->next) s->next->prev = s->prev;
  s->prev = s->next = nullptr;
  s->listed = false;
}

void Link(SizeClass* c, Slab* s) REQUIRES(c->mu) {
  s->next = c->with_room;
  if (s->next) s->next->prev = s;
  c->with_room = s;
  s->listed = true;
}

}  // namespace

void* Allocate(size_t n) {
  if (n > kMaxPooledBytes) return ::operator new(n);
  size_t cls = kClassOfUnits[(n + 15) / 16];
  SizeClass& c = classes[cls];
  void* p;
  {
    MutexLock l(&c.mu);
    Slab* s = c.with_room;
    if (!s) {
      s = NewSlab(kClassBytes[cls]);
      Link(&c, s);
    }
    if (s->free) {
      p = s->free;
      s->free = s->free->next;
    } else {
      p = reinterpret_cast<char*>(s) + s->bump;
      s->bump += s->slot_bytes;
    }
    s->used++;
    if (s->Full()) Unlink(&c, s);
  }
  slot_bytes_out += kClassBytes[cls];
  slots_out++;
  return p;
}

void Deallocate(void* p, size_t n) {
  if (n > kMaxPooledBytes) return ::operator delete(p);
  size_t cls = kClassOfUnits[(n + 15) / 16];
  SizeClass& c = classes[cls];
  auto* s = reinterpret_cast<Slab*>(reinterpret_cast<uintptr_t>(p) & ~(kSlabBytes - 1));
  bool empty;
  {
    MutexLock l(&c.mu);
    auto* f = static_cast<FreeSlot*>(p);
    f->next = s->free;
    s->free = f;
    empty = --s->used == 0;
    if (empty) {
      if (s->listed) Unlink(&c, s);
    } else if (!s->listed) {
      Link(&c, s);
    }
  }
  if (empty) ReleaseSlab(s);
  slot_bytes_out -= kClassBytes[cls];
  slots_out--;
}

Stats GetStats() {
  return {.slab_bytes = mapped_slabs * kSlabBytes, .slot_bytes = slot_bytes_out, .slots = slots_out};
}

}  // namespace sremon::tsdb::chunk_pool
