// The kernel's physical memory: up to kMaxPhysPools buddy pools, one per
// usable RAM region, each carrying its own Page metadata array at its start.
//
// Boot code calls phys_add_region() for every free RAM range (excluding the
// kernel image, the DTB and anything else in use); the range must already be
// reachable through the linear map (pa_to_kva). After that, everything here
// may be called from any CPU. Allocation tries the largest pool first, then
// the others in the order they were added.
#pragma once
#include "lib/types.h"
#include "mm/buddy.h"
#include "mm/kmap.h"
#include "mm/page.h"

namespace kern::mm {

inline constexpr u32 kMaxPhysPools = 8;
inline constexpr u32 kMaxOrder = BuddyPool::kMaxOrder;
// Regions with fewer usable pages than this (after their metadata) are ignored.
inline constexpr usize kMinRegionPages = 16;

// Adds the RAM in [base, base + size) (trimmed inward to whole pages). The
// metadata for the region's pages is carved out of the region's first pages.
// Ignored if the region is too small, overlaps a region already added, or
// all kMaxPhysPools pools are in use.
void phys_add_region(PhysAddr base, usize size);

// A block of 2^order pages with refcount 1, or nullptr (order > kMaxOrder, or
// no memory). The memory is not cleared.
[[nodiscard]] Page* alloc_pages(u32 order);
// Frees a block by its head page (nullptr is ignored). Anything that is not
// an allocated block head is refused and counted (phys_bad_frees()).
void free_pages(Page* head);

// Where each pool's pages and their metadata are: phys_add_region fills a
// pool's entry before it publishes the pool, and nothing changes it later.
// The conversions below use it inline (the largest pool, g_main_pool, with
// one subtraction and one compare): page faults, page-table teardown and the
// page caches convert on every page. Regions are added at boot, before any
// other CPU runs, so g_main_pool does not change under a reader.
struct PoolSpan {
  u64 base;   // physical address of the pool's first page
  u64 bytes;  // its pages' size (0: no pool)
  Page* meta;
};
extern PoolSpan g_pool_spans[kMaxPhysPools];
extern u32 g_main_pool;
Page* pa_to_page_slow(PhysAddr pa);

// The page containing `pa`, or nullptr if no pool manages it.
inline Page* pa_to_page(PhysAddr pa) {
  const PoolSpan& s = g_pool_spans[g_main_pool];
  const u64 off = pa.raw() - s.base;
  if (off < s.bytes) [[likely]]
    return s.meta + (off >> kPageShift);
  return pa_to_page_slow(pa);
}
// Whether any byte of [base, base + size) lies in a pool's region (its
// pages or their metadata): RAM the allocator manages.
bool phys_overlaps_pools(PhysAddr base, usize size);
// `p` must be a Page of one of the pools (from alloc_pages or pa_to_page).
inline PhysAddr page_to_pa(const Page* p) {
  const PoolSpan& s = g_pool_spans[p->pool];
  return PhysAddr{s.base + (static_cast<u64>(p - s.meta) << kPageShift)};
}
inline void* page_to_kva(const Page* p) { return pa_to_kva(page_to_pa(p)); }

// Pages free / managed in all pools (metadata pages are not counted).
usize free_page_count();
// The same without taking any lock (a figure that may be a moment old): for
// heuristics on hot paths (pmo_create's "can this ever be backed").
usize free_page_count_hint();
usize total_page_count();

// alloc_pages() + the block's kernel virtual address, cleared if `zero`.
[[nodiscard]] void* get_pages(u32 order, bool zero);
// Frees a block obtained from get_pages() by its address (nullptr ignored).
void put_pages(void* kva);

// Bad frees refused by any pool or by free_pages()/put_pages() themselves.
usize phys_bad_frees();
u32 phys_pool_count();

// Number of metadata pages phys_add_region() takes from a region of `npages`
// whole pages: the fewest that hold a Page for every page that remains.
constexpr usize phys_meta_pages(usize npages) {
  return (npages * sizeof(Page) + kPageSize + sizeof(Page) - 1) / (kPageSize + sizeof(Page));
}

#ifdef CHCORE_HOST_TEST
// Forgets every pool (their memory may already have been released).
void phys_reset_for_test();
#endif

}  // namespace kern::mm
