// The global physical page allocator: a short array of buddy pools, and a
// small cache of free pages per CPU in front of them.
//
// Pools are only ever added (at boot), never removed, so readers need no
// lock: a pool is fully initialised before the release store that publishes
// the new pool count, and readers load the count with acquire. Each pool
// locks itself.
//
// Per-CPU page caches (after Linux's per-CPU page lists). Order-0 pages, the
// ones page faults, page tables and slabs take, come from a cache of this
// CPU. A refill takes one 16-page block from a pool (alloc_split) and hands
// its pages out one by one, so the pool's lock, search and splitting are
// paid once per 16 pages; a freed page goes back to the cache, to be handed
// out next (it is likely still in the data cache), until the cache holds
// kCacheMax pages; then its older half returns to the pools. As far as the
// pools know, a cached page is an allocated order-0 block; Page::use =
// kPageUseCached marks it, so freeing it twice is still refused.
// free_page_count() counts cached pages as free, and an allocation that the
// pools cannot satisfy first drains every cache back into them. Each cache
// has a lock of its own, which only its CPU takes, except in such a drain.
#include "mm/phys.h"

#ifndef CHCORE_HOST_TEST
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#endif
#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/kmap.h"

namespace kern::mm {

namespace {

#ifdef CHCORE_HOST_TEST
constexpr u32 kCacheCpus = 1;  // host tests: one cache, shared by their threads
u32 cache_cpu() { return 0; }
#else
constexpr u32 kCacheCpus = kMaxCpus;
u32 cache_cpu() { return static_cast<u32>(this_cpu()->cpu_id); }
#endif

constexpr u32 kCacheMax = 64;
constexpr u32 kRefillOrder = 4;  // 16 pages per refill

struct PageCache {
  SpinLock lock;
  u32 count TA_GUARDED(lock) = 0;
  Page* pages[kCacheMax] TA_GUARDED(lock) = {};  // [0, count); the top is handed out first
};
PageCache g_caches[kCacheCpus];

// Raw storage: pools are constructed in place by phys_add_region, so that
// nothing here needs a global constructor.
alignas(BuddyPool) unsigned char g_pool_storage[kMaxPhysPools][sizeof(BuddyPool)];
BuddyPool* g_pools[kMaxPhysPools];
// Whole region of each pool, metadata included, for the overlap check.
SpinLock g_add_lock;  // serialises phys_add_region
PhysAddr g_region_start[kMaxPhysPools] TA_GUARDED(g_add_lock);
PhysAddr g_region_end[kMaxPhysPools] TA_GUARDED(g_add_lock);
u32 g_npools = 0;       // atomic; pools [0, g_npools) are ready
usize g_bad_frees = 0;  // atomic; bad frees no pool could be blamed for

u32 pool_count() { return __atomic_load_n(&g_npools, __ATOMIC_ACQUIRE); }

void count_bad_free() { __atomic_fetch_add(&g_bad_frees, 1, __ATOMIC_RELAXED); }

}  // namespace

void phys_add_region(PhysAddr base, usize size) {
  if (size == 0 || base > PhysAddr::max() - kPageSize) return;
  // Whole pages only; a range running past the top of the address space is cut.
  const PhysAddr limit = size > PhysAddr::max() - base ? PhysAddr::max() : base + size;
  const PhysAddr start = align_up(base, kPageSize);
  const PhysAddr end = align_down(limit, kPageSize);
  if (end <= start) return;
  const usize npages = (end - start) >> kPageShift;
  const usize meta_pages = phys_meta_pages(npages);
  if (npages < meta_pages + kMinRegionPages) return;

  SpinGuard guard(g_add_lock);
  const u32 id = __atomic_load_n(&g_npools, __ATOMIC_RELAXED);
  if (id >= kMaxPhysPools) return;
  for (u32 i = 0; i < id; i++) {
    if (start < g_region_end[i] && g_region_start[i] < end) return;
  }
  BuddyPool* pool = new (g_pool_storage[id]) BuddyPool();
  pool->init(start + (u64{meta_pages} << kPageShift), npages - meta_pages, pa_to_kva<Page>(start),
             static_cast<u16>(id));
  g_pools[id] = pool;
  g_pool_spans[id] = PoolSpan{pool->base().raw(), u64{pool->total_pages()} << kPageShift,
                              pa_to_kva<Page>(start)};
  g_region_start[id] = start;
  g_region_end[id] = end;
  __atomic_store_n(&g_npools, id + 1, __ATOMIC_RELEASE);
  if (g_pool_spans[id].bytes > g_pool_spans[g_main_pool].bytes) g_main_pool = id;
}

namespace {

// The k-th pool to allocate from: the largest first, so that most pages in
// use are in it and pa_to_page takes its inline path; then the others in
// the order they were added.
u32 pool_try(u32 k) {
  const u32 m = g_main_pool;
  return k == 0 ? m : (k <= m ? k - 1 : k);
}

Page* alloc_from_pools(u32 order) {
  const u32 n = pool_count();
  for (u32 i = 0; i < n; i++) {
    if (Page* p = g_pools[pool_try(i)]->alloc(order)) return p;
  }
  return nullptr;
}

// BuddyPool::owns through the spans, the largest pool first: inline.
BuddyPool* pool_owning(const Page* p) {
  const u32 n = pool_count();
  for (u32 k = 0; k < n; k++) {
    const u32 i = pool_try(k);
    const PoolSpan& s = g_pool_spans[i];
    const uptr off = reinterpret_cast<uptr>(p) - reinterpret_cast<uptr>(s.meta);
    if (off < (s.bytes >> kPageShift) * sizeof(Page) && off % sizeof(Page) == 0) return g_pools[i];
  }
  return nullptr;
}

// Gives cached pages [from, to) back to their pools.
void release_cached(PageCache& c, u32 from, u32 to) TA_REQ(c.lock) {
  for (u32 i = from; i < to; i++) {
    Page* p = c.pages[i];
    p->use = kPageUseNone;
    g_pools[p->pool]->free(p);
  }
}

// A full cache gives its older half back to the pools.
[[gnu::noinline]] void trim(PageCache& c) TA_REQ(c.lock) {
  constexpr u32 kHalf = kCacheMax / 2;
  release_cached(c, 0, kHalf);
  for (u32 i = kHalf; i < kCacheMax; i++) c.pages[i - kHalf] = c.pages[i];
  c.count -= kHalf;
}

// Fills an empty cache from the pools, in the order of pool_try. (Out of line, as the
// other slow paths: the fast path then needs no registers saved.)
[[gnu::noinline]] void refill(PageCache& c) TA_REQ(c.lock) {
  const u32 n = pool_count();
  for (u32 i = 0; i < n && c.count == 0; i++)
    c.count = static_cast<u32>(g_pools[pool_try(i)]->alloc_split(kRefillOrder, c.pages));
  for (u32 i = 0; i < c.count; i++) c.pages[i]->use = kPageUseCached;
}

Page* cache_take() {
  PageCache& c = g_caches[cache_cpu()];
  SpinGuard g(c.lock);
  if (c.count == 0) refill(c);
  if (c.count == 0) return nullptr;
  Page* p = c.pages[--c.count];
  p->use = kPageUseNone;
  p->refcount = 1;
  return p;
}

// Takes a freed order-0 page that passed free()'s checks.
void cache_put(Page* p) {
  PageCache& c = g_caches[cache_cpu()];
  SpinGuard g(c.lock);
  if (c.count == kCacheMax) trim(c);
  p->refcount = 0;
  p->use = kPageUseCached;
  c.pages[c.count++] = p;
}

[[gnu::noinline]] void drain_all_caches() {
  for (PageCache& c : g_caches) {
    SpinGuard g(c.lock);
    release_cached(c, 0, c.count);
    c.count = 0;
  }
}

[[gnu::noinline]] Page* alloc_slow(u32 order) {
  if (Page* p = alloc_from_pools(order)) return p;
  // Free pages may sit in the per-CPU caches: return them and try again.
  drain_all_caches();
  return alloc_from_pools(order);
}

}  // namespace

Page* alloc_pages(u32 order) {
  if (order == 0) {
    if (Page* p = cache_take()) return p;
  }
  return alloc_slow(order);
}

void free_pages(Page* head) {
  if (head == nullptr) return;
  BuddyPool* pool = pool_owning(head);
  if (pool == nullptr) {
    count_bad_free();
    return;
  }
  // The checks of BuddyPool::free; anything else goes there to be refused.
  // (The caller owns an allocated block, so its flags and order are stable.)
  if (head->flags == kPageHead && head->order == 0 && head->use == kPageUseNone &&
      __atomic_load_n(&head->refcount, __ATOMIC_RELAXED) <= 1) {
    cache_put(head);
    return;
  }
  pool->free(head);
}

void page_unref(Page* head) {
  if (__atomic_sub_fetch(&head->refcount, 1, __ATOMIC_ACQ_REL) == 0) free_pages(head);
}

PoolSpan g_pool_spans[kMaxPhysPools];
u32 g_main_pool = 0;

Page* pa_to_page_slow(PhysAddr pa) {
  const u32 n = pool_count();
  for (u32 i = 0; i < n; i++) {
    if (Page* p = g_pools[i]->pa_to_page(pa)) return p;
  }
  return nullptr;
}

bool phys_overlaps_pools(PhysAddr base, usize size) {
  if (size == 0) return false;
  SpinGuard guard(g_add_lock);
  const u32 n = pool_count();
  for (u32 i = 0; i < n; i++) {
    if (base >= g_region_end[i]) continue;
    if (g_region_start[i] <= base || g_region_start[i] - base < size) return true;
  }
  return false;
}


usize free_page_count() {
  usize sum = 0;
  const u32 n = pool_count();
  for (u32 i = 0; i < n; i++) sum += g_pools[i]->free_pages();
  for (PageCache& c : g_caches) {
    SpinGuard g(c.lock);
    sum += c.count;
  }
  return sum;
}

usize free_page_count_hint() TA_NO_THREAD_SAFETY_ANALYSIS {
  usize sum = 0;
  const u32 n = pool_count();
  for (u32 i = 0; i < n; i++) sum += g_pools[i]->free_pages_hint();
  for (PageCache& c : g_caches) sum += __atomic_load_n(&c.count, __ATOMIC_RELAXED);
  return sum;
}

usize total_page_count() {
  usize sum = 0;
  const u32 n = pool_count();
  for (u32 i = 0; i < n; i++) sum += g_pools[i]->total_pages();
  return sum;
}

void* get_pages(u32 order, bool zero) {
  Page* p = alloc_pages(order);
  if (p == nullptr) return nullptr;
  void* kva = page_to_kva(p);
#ifdef CHCORE_HOST_TEST
  if (zero) memset(kva, 0, kPageSize << order);
#else
  if (zero) arch::zero_pages(kva, kPageSize << order);  // DC ZVA: a page in ~140 instructions
#endif
  return kva;
}

void put_pages(void* kva) {
  if (kva == nullptr) return;
  const PhysAddr pa = kva_to_pa(kva);
  Page* p = pa_to_page(pa);
  if (p == nullptr || !is_aligned(pa, kPageSize)) {
    count_bad_free();
    return;
  }
  free_pages(p);
}

usize phys_bad_frees() {
  usize sum = __atomic_load_n(&g_bad_frees, __ATOMIC_RELAXED);
  const u32 n = pool_count();
  for (u32 i = 0; i < n; i++) sum += g_pools[i]->bad_frees();
  return sum;
}

u32 phys_pool_count() { return pool_count(); }

#ifdef CHCORE_HOST_TEST
void phys_reset_for_test() {
  for (PageCache& c : g_caches) {
    SpinGuard g(c.lock);
    c.count = 0;  // the pools' memory is gone
  }
  SpinGuard guard(g_add_lock);
  __atomic_store_n(&g_npools, 0, __ATOMIC_RELEASE);
  for (PoolSpan& s : g_pool_spans) s = PoolSpan{};
  g_main_pool = 0;
  __atomic_store_n(&g_bad_frees, 0, __ATOMIC_RELAXED);
}
#endif

}  // namespace kern::mm
