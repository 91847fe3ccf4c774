// A binary buddy allocator over one contiguous range of physical pages.
//
// Blocks are 2^order pages, order 0..kMaxOrder (4 KiB .. 16 MiB). A block of
// order k always starts at a physical page number that is a multiple of 2^k,
// whatever the pool's base: the pool behaves as if it started at its base
// rounded down to 16 MiB with the pages below the real base permanently in
// use. So an order-9 block is a 2 MiB-aligned 2 MiB block (mappable with one
// block descriptor), and a block's buddy is found by flipping one bit of the
// page number.
//
// alloc and free of order 0 cost a few list operations: a per-order bitmap
// of non-empty free lists finds the smallest usable order without scanning,
// and free merges at most kMaxOrder times.
//
// free() trusts nothing about its argument. A pointer that is not the
// metadata of an allocated block head of this pool, a double free, a block
// that still has more than one reference or is still in use as a slab, is
// refused without touching any state and counted in bad_frees(); callers in
// the kernel turn that into a panic.
//
// Locking: one spinlock per pool guards the free lists, the free count and
// the buddy-owned Page fields (flags, order) of every page in the pool.
#pragma once
#include "lib/list.h"
#include "lib/spinlock.h"
#include "lib/types.h"
#include "mm/page.h"

namespace kern::mm {

class BuddyPool {
 public:
  static constexpr u32 kMaxOrder = 12;
  static constexpr u32 kNumOrders = kMaxOrder + 1;

  BuddyPool() = default;
  BuddyPool(const BuddyPool&) = delete;
  BuddyPool& operator=(const BuddyPool&) = delete;
  // Construction in place (phys.cpp keeps pools in raw static storage so that
  // there are no global constructors); ordinary `new` is deliberately hidden.
  static void* operator new(usize, void* where) noexcept { return where; }

  // Manages `npages` pages from `base` (page aligned), with metadata in
  // meta[0..npages). All of them start free. Call once, before any other
  // method; `pool_id` is stored in every Page::pool.
  void init(PhysAddr base, usize npages, Page* meta, u16 pool_id = 0);

  // A block of 2^order pages (its head page, refcount 1), or nullptr if
  // order > kMaxOrder or no block is free.
  [[nodiscard]] Page* alloc(u32 order);
  // Takes one block of 2^max_order pages (or, if the pool has none, its
  // largest smaller free block) and hands it out as separate order-0 blocks,
  // each its own head with refcount 1, stored in out[]. Returns how many
  // (0 if the pool is empty). For the per-CPU page caches (phys.cpp): one
  // search and split for many pages.
  [[nodiscard]] usize alloc_split(u32 max_order, Page** out);
  // Frees a block by its head page. See the file comment for what is refused.
  void free(Page* head);

  PhysAddr page_to_pa(const Page* p) const {
    return base_ + (static_cast<u64>(p - meta_) << kPageShift);
  }
  // The metadata of the page containing `pa`; nullptr if outside the pool.
  Page* pa_to_page(PhysAddr pa) const {
    return contains(pa) ? &meta_[(pa - base_) >> kPageShift] : nullptr;
  }
  bool contains(PhysAddr pa) const { return pa - base_ < (u64{npages_} << kPageShift); }
  // Whether `p` points at one of this pool's Page entries.
  bool owns(const Page* p) const;

  PhysAddr base() const { return base_; }
  usize total_pages() const { return npages_; }
  usize free_pages() const;
  // The same without the lock: a figure that may be a moment old.
  usize free_pages_hint() const TA_NO_THREAD_SAFETY_ANALYSIS {
    return __atomic_load_n(&free_count_, __ATOMIC_RELAXED);
  }
  usize bad_frees() const { return __atomic_load_n(&bad_frees_, __ATOMIC_RELAXED); }
  // Free blocks of each order (for tests and statistics).
  usize free_blocks(u32 order) const;

  // Walks every page and every free list and checks the allocator's
  // invariants (see buddy.cpp). O(pages); for tests and debugging.
  bool check_invariants() const;

 private:
  // Page index in the pool's aligned frame: meta index + lead_.
  usize index_of(const Page* p) const { return static_cast<usize>(p - meta_) + lead_; }
  Page* page_at(usize index) const { return &meta_[index - lead_]; }
  Page* take_block(u32 order) TA_REQ(lock_);
  void push_free(Page* p, u32 order) TA_REQ(lock_);
  void remove_free(Page* p, u32 order) TA_REQ(lock_);
  void count_bad_free() { __atomic_fetch_add(&bad_frees_, 1, __ATOMIC_RELAXED); }

  // Immutable after init.
  PhysAddr base_{};
  usize npages_ = 0;
  Page* meta_ = nullptr;
  // (base_ >> kPageShift) mod 2^kMaxOrder: pages between the aligned origin
  // and the real base, which are never free.
  usize lead_ = 0;

  mutable SpinLock lock_;
  KList(Page, node) free_lists_[kNumOrders] TA_GUARDED(lock_);
  u32 nonempty_ TA_GUARDED(lock_) = 0;  // bit k: free_lists_[k] not empty
  usize free_count_ TA_GUARDED(lock_) = 0;
  usize bad_frees_ = 0;  // atomic
};

}  // namespace kern::mm
