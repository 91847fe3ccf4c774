// The global physical page allocator: a short array of buddy pools.
//
// Pools are only ever added (at boot), never removed, so readers need no
// lock: a pool is fully initialised before the release store that publishes
// the new pool count, and readers load the count with acquire. Each pool
// locks itself.
#include "mm/phys.h"

#include "lib/spinlock.h"
#include "lib/string.h"
#include "mm/kmap.h"

namespace kern::mm {

namespace {

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
  if (size == 0 || base > ~PhysAddr{0} - kPageSize) return;
  // Whole pages only; a range running past the top of the address space is cut.
  const PhysAddr limit = size > ~PhysAddr{0} - base ? ~PhysAddr{0} : base + size;
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
  pool->init(start + (PhysAddr{meta_pages} << kPageShift), npages - meta_pages,
             pa_to_kva<Page>(start), static_cast<u16>(id));
  g_pools[id] = pool;
  g_region_start[id] = start;
  g_region_end[id] = end;
  __atomic_store_n(&g_npools, id + 1, __ATOMIC_RELEASE);
}

Page* alloc_pages(u32 order) {
  const u32 n = pool_count();
  for (u32 i = 0; i < n; i++) {
    if (Page* p = g_pools[i]->alloc(order)) return p;
  }
  return nullptr;
}

void free_pages(Page* head) {
  if (head == nullptr) return;
  const u32 n = pool_count();
  for (u32 i = 0; i < n; i++) {
    if (g_pools[i]->owns(head)) {
      g_pools[i]->free(head);
      return;
    }
  }
  count_bad_free();
}

void page_unref(Page* head) {
  if (__atomic_sub_fetch(&head->refcount, 1, __ATOMIC_ACQ_REL) == 0) free_pages(head);
}

Page* pa_to_page(PhysAddr pa) {
  const u32 n = pool_count();
  for (u32 i = 0; i < n; i++) {
    if (Page* p = g_pools[i]->pa_to_page(pa)) return p;
  }
  return nullptr;
}

PhysAddr page_to_pa(const Page* p) { return g_pools[p->pool]->page_to_pa(p); }

void* page_to_kva(const Page* p) { return pa_to_kva(page_to_pa(p)); }

usize free_page_count() {
  usize sum = 0;
  const u32 n = pool_count();
  for (u32 i = 0; i < n; i++) sum += g_pools[i]->free_pages();
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
  if (zero) memset(kva, 0, kPageSize << order);
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
  SpinGuard guard(g_add_lock);
  __atomic_store_n(&g_npools, 0, __ATOMIC_RELEASE);
  __atomic_store_n(&g_bad_frees, 0, __ATOMIC_RELAXED);
}
#endif

}  // namespace kern::mm
