// kmalloc: power-of-two slab classes plus whole buddy blocks for big requests.
//
// The caches are constructed on first use rather than by a global
// constructor: no ordering dependence on init_array, and nothing runs before
// the first kmalloc. After that, the hot path is one acquire load.
#include "mm/kmalloc.h"

#ifndef CHCORE_HOST_TEST
#include "arch/aarch64/sysreg.h"  // zero_pages
#endif

#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/kmap.h"
#include "mm/phys.h"
#include "mm/slab.h"

namespace kern::mm {

namespace {

constexpr u32 kMinShift = 5;   // 32 bytes
constexpr u32 kMaxShift = 11;  // 2048 bytes
constexpr u32 kNumClasses = kMaxShift - kMinShift + 1;
static_assert(kKmallocMinSize == usize{1} << kMinShift);
static_assert(kKmallocMaxSlabSize == usize{1} << kMaxShift);

// The smallest slab (in pages) that holds at least 8 objects: order 0 up to
// 512-byte objects, 1 for 1 KiB, 2 for 2 KiB.
constexpr u32 slab_order_for(u32 shift) {
  u32 order = 0;
  while (((kPageSize << order) >> shift) < 8) order++;
  return order;
}

constexpr bool all_classes_valid() {
  for (u32 s = kMinShift; s <= kMaxShift; s++) {
    if (!SlabCache::valid_geometry(s, slab_order_for(s))) return false;
  }
  return true;
}
static_assert(all_classes_valid(), "a kmalloc class does not fit the slab metadata");

alignas(SlabCache) unsigned char g_cache_storage[kNumClasses][sizeof(SlabCache)];
SlabCache* g_caches[kNumClasses];  // published by g_ready
u32 g_ready = 0;                   // atomic
SpinLock g_init_lock;
usize g_bad_frees = 0;  // atomic

__attribute__((noinline)) void init_caches() {
  SpinGuard guard(g_init_lock);
  if (__atomic_load_n(&g_ready, __ATOMIC_RELAXED) != 0) return;
  for (u32 c = 0; c < kNumClasses; c++) {
    const u32 shift = kMinShift + c;
    g_caches[c] = new (g_cache_storage[c]) SlabCache(shift, slab_order_for(shift));
  }
  __atomic_store_n(&g_ready, 1, __ATOMIC_RELEASE);
}

SlabCache* cache(u32 c) {
  if (unlikely(__atomic_load_n(&g_ready, __ATOMIC_ACQUIRE) == 0)) init_caches();
  return g_caches[c];
}

// Size class of 1..kKmallocMaxSlabSize bytes: ceil(log2(size)) - kMinShift.
u32 class_of(usize size) {
  if (size <= kKmallocMinSize) return 0;
  return static_cast<u32>(64 - __builtin_clzll(size - 1)) - kMinShift;
}

// Smallest order whose block holds `size` bytes.
u32 order_of(usize size) {
  const usize pages = (size + kPageSize - 1) >> kPageShift;
  return pages <= 1 ? 0 : static_cast<u32>(64 - __builtin_clzll(pages - 1));
}

bool is_cache(const SlabCache* c) {
  const uptr off = reinterpret_cast<uptr>(c) - reinterpret_cast<uptr>(g_cache_storage);
  return off < sizeof(g_cache_storage) && off % sizeof(SlabCache) == 0;
}

void count_bad_free() { __atomic_fetch_add(&g_bad_frees, 1, __ATOMIC_RELAXED); }

}  // namespace

void* kmalloc(usize size) {
  if (unlikely(size == 0)) return nullptr;
  if (size <= kKmallocMaxSlabSize) {
    SlabCache* c = cache(class_of(size));
    void* obj = c->alloc();
    if (unlikely(obj == nullptr) && kmalloc_shrink() != 0) obj = c->alloc();
    return obj;
  }
  if (size > (kPageSize << kMaxOrder)) return nullptr;
  const u32 order = order_of(size);
  Page* p = alloc_pages(order);
  if (unlikely(p == nullptr) && kmalloc_shrink() != 0) p = alloc_pages(order);
  if (p == nullptr) return nullptr;
  p->use = kPageUseKmalloc;
  return page_to_kva(p);
}

// Beyond the slab sizes the block is whole pages: zeroed with DC ZVA (a
// PMO's page array, for one, is 16 KiB for an 8 MiB stack).
void* kzalloc(usize size) {
  void* p = kmalloc(size);
  if (p == nullptr) return nullptr;
#ifndef CHCORE_HOST_TEST
  if (size > kKmallocMaxSlabSize) {
    arch::zero_pages(p, kPageSize << order_of(size));
    return p;
  }
#endif
  memset(p, 0, size);
  return p;
}

void kfree(void* ptr) {
  if (ptr == nullptr) return;
  const PhysAddr pa = kva_to_pa(ptr);
  Page* p = pa_to_page(pa);
  if (unlikely(p == nullptr)) {
    count_bad_free();
    return;
  }
  if (Page* slab = slab_head_of(p)) {
    SlabCache* c = slab->slab_cache;
    if (unlikely(!is_cache(c) || !c->free(slab, ptr))) count_bad_free();
    return;
  }
  if (unlikely(p->use != kPageUseKmalloc || !is_aligned(pa, kPageSize))) {
    count_bad_free();
    return;
  }
  p->use = kPageUseNone;
  free_pages(p);
}

usize ksize(const void* ptr) {
  if (ptr == nullptr) return 0;
  const PhysAddr pa = kva_to_pa(ptr);
  Page* p = pa_to_page(pa);
  if (p == nullptr) return 0;
  if (Page* slab = slab_head_of(p)) {
    const SlabCache* c = slab->slab_cache;
    if (!is_cache(c) || !is_aligned(pa, c->object_size())) return 0;
    return c->object_size();
  }
  if (p->use == kPageUseKmalloc && is_aligned(pa, kPageSize)) return kPageSize << p->order;
  return 0;
}

usize kmalloc_bad_frees() { return __atomic_load_n(&g_bad_frees, __ATOMIC_RELAXED); }

usize kmalloc_shrink() {
  usize pages = 0;
  for (u32 c = 0; c < kNumClasses; c++) pages += cache(c)->shrink();
  return pages;
}

const SlabCache* kmalloc_cache_for(usize size) {
  if (size == 0 || size > kKmallocMaxSlabSize) return nullptr;
  return cache(class_of(size));
}

#ifdef CHCORE_HOST_TEST
void kmalloc_reset_for_test() {
  SpinGuard guard(g_init_lock);
  __atomic_store_n(&g_ready, 0, __ATOMIC_RELEASE);
  __atomic_store_n(&g_bad_frees, 0, __ATOMIC_RELAXED);
}
#endif

}  // namespace kern::mm
