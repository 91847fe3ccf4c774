// Slab caches: fixed-size objects carved out of buddy blocks.
//
// A slab is one buddy block of 2^slab_order pages holding objects_per_slab()
// objects of object_size() bytes (a power of two), packed from the start of
// the block, so every object is naturally aligned. All slab state lives in
// the Page metadata of the block's head page (kPageUseSlab): the owning
// cache, a bitmap of allocated objects and the in-use count; the other pages
// of the block point back at the head (kPageUseSlabTail). Nothing is stored
// inside free objects, so a write through a dangling pointer cannot corrupt
// the allocator, and any address can be mapped back to its slab with
// pa_to_page().
//
// Each cache keeps its slabs on three lists: partial (allocations come from
// the front), full, and empty (at most one empty slab is kept, as a buffer
// against alloc/free ping-pong at a slab boundary; others go back to the
// buddy allocator; shrink() returns that one too).
//
// Locking: one spinlock per cache guards its lists and the slab fields of
// every Page whose slab_cache is that cache. The cache lock is held while
// calling into the buddy allocator (order: cache lock, then pool lock).
#pragma once
#include "lib/list.h"
#include "lib/spinlock.h"
#include "lib/types.h"
#include "mm/page.h"

namespace kern::mm {

class SlabCache {
 public:
  // Whether objects of 2^obj_shift bytes in slabs of 2^slab_order pages fit
  // the metadata: between 1 and kSlabMaxObjects objects, at least 8 bytes each.
  static constexpr bool valid_geometry(u32 obj_shift, u32 slab_order) {
    if (obj_shift < 3 || obj_shift > kPageShift + slab_order || slab_order > 12) return false;
    return ((kPageSize << slab_order) >> obj_shift) <= kSlabMaxObjects;
  }

  // An invalid geometry gives a cache whose alloc() always fails.
  SlabCache(u32 obj_shift, u32 slab_order);
  SlabCache(const SlabCache&) = delete;
  SlabCache& operator=(const SlabCache&) = delete;
  // Construction in place (kmalloc.cpp keeps its caches in raw static storage);
  // ordinary `new` is deliberately hidden.
  static void* operator new(usize, void* where) noexcept { return where; }

  // An object, or nullptr when no slab has room and the buddy allocator has
  // no block for a new one. Not cleared.
  [[nodiscard]] void* alloc();
  // Frees `obj`, which must be a live object in `slab` (the slab's head page)
  // of this cache. Anything else (another cache's slab, a pointer into the
  // middle of an object, an object that is already free) changes nothing and
  // returns false.
  [[nodiscard]] bool free(Page* slab, void* obj);
  // Returns all empty slabs to the buddy allocator; the number of pages freed.
  usize shrink();

  u32 object_size() const { return u32{1} << obj_shift_; }
  u32 slab_order() const { return slab_order_; }
  u32 objects_per_slab() const { return objs_; }

  struct Stats {
    usize partial_slabs;
    usize full_slabs;
    usize empty_slabs;
    usize objects_in_use;
  };
  Stats stats() const;

 private:
  Page* grow() TA_REQ(lock_);
  void release(Page* slab) TA_REQ(lock_);

  const u32 obj_shift_;
  const u32 slab_order_;
  const u32 objs_;

  mutable SpinLock lock_;
  KList(Page, node) partial_ TA_GUARDED(lock_);
  KList(Page, node) full_ TA_GUARDED(lock_);
  KList(Page, node) empty_ TA_GUARDED(lock_);
};

// The head page of the slab that `p` (any page of it) belongs to, or nullptr
// if `p` is not part of a slab. Only meaningful while the slab is known to be
// live (e.g. it holds the object being freed); a bogus pointer can race with
// the slab being released, which SlabCache::free() rechecks under its lock.
inline Page* slab_head_of(Page* p) {
  if (p->use == kPageUseSlabTail) p = p->slab_head;
  return p != nullptr && p->use == kPageUseSlab ? p : nullptr;
}

}  // namespace kern::mm
