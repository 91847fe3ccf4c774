// Per-physical-page metadata.
//
// Every page a buddy pool manages has one Page, in an array the pool is given
// at init (phys.cpp carves it out of the start of each memory region). The
// fields fall into two groups with different owners:
//
//   order, flags    The buddy pool's. Written only with the pool's lock held,
//                   so a CPU merging a neighbouring block never races with the
//                   block's owner. flags is kPageFree on the head page of a
//                   free block, kPageHead on the head page of an allocated
//                   block, and 0 on every other page; order is valid on heads.
//   refcount        Set to 1 by alloc; after that atomic (page_ref/unref).
//   use, slab_*     The owner's (whoever allocated the block): what the block
//                   is being used for. The buddy allocator only requires use
//                   to be back at kPageUseNone when the block is freed, so
//                   that a live slab cannot be handed back by mistake.
//   node            The free list while the block is free (pool lock); the
//                   owner's list (e.g. a slab cache's partial list) while it
//                   is allocated.
#pragma once
#include "lib/list.h"
#include "lib/types.h"

namespace kern::mm {

inline constexpr u32 kPageShift = 12;
inline constexpr usize kPageSize = usize{1} << kPageShift;

class SlabCache;

// Page::flags (buddy-owned).
enum PageFlag : u8 {
  kPageFree = 1u << 0,  // head of a free block, in the free list for `order`
  kPageHead = 1u << 1,  // head of an allocated block of 2^order pages
};

// Page::use (owner-owned): what an allocated block is used for.
enum PageUse : u8 {
  kPageUseNone = 0,  // plain pages (alloc_pages / get_pages), or not allocated
  kPageUseSlab,      // head page of a slab: slab_cache, slab_used, slab_inuse valid
  kPageUseSlabTail,  // another page of a multi-page slab: slab_head valid
  kPageUseKmalloc,   // head page of a kmalloc allocation too big for a slab class
  kPageUseCached,    // a free page in a per-CPU page cache (phys.cpp)
};

// 64 bytes and 64-aligned (the array starts on a page boundary): each page's
// metadata is exactly one cache line, and indexing is a shift.
struct alignas(64) Page {
  ListNode node;
  u8 order;
  u8 flags;
  u16 pool;      // index of the owning pool (phys.cpp)
  u32 refcount;  // atomic once the block is allocated
  union {
    SlabCache* slab_cache;  // kPageUseSlab
    Page* slab_head;        // kPageUseSlabTail
  };
  // kPageUseSlab: bit i set = object i allocated (or beyond the slab's end).
  u64 slab_used[2];
  u16 slab_inuse;
  u8 use;
  // 11 bytes of padding left for future owners' use.
};
static_assert(sizeof(Page) == 64, "Page metadata must stay small: one per physical page");

// Largest number of objects one slab can hold (bits in Page::slab_used).
inline constexpr u32 kSlabMaxObjects = 128;

// Takes another reference to an allocated block (by its head page).
inline void page_ref(Page* head) { __atomic_fetch_add(&head->refcount, 1, __ATOMIC_RELAXED); }

// Drops a reference; the last one frees the block (phys.cpp).
void page_unref(Page* head);

}  // namespace kern::mm
