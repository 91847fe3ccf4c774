// The buddy allocator. See buddy.h for the design.
//
// Page numbering: index i of a page is its position in the pool's aligned
// frame, (page number) mod 2^kMaxOrder relative to the base's 16 MiB
// boundary, i.e. meta index + lead_. Only [lead_, lead_ + npages_) exists.
// Alignment in this frame is alignment of the physical address, which is
// what makes "the buddy of the order-k block at i is i ^ 2^k" hold for any
// base.
//
// Invariants (checked by check_invariants):
//  - The pages are partitioned into blocks. A block of order k starts at an
//    index that is a multiple of 2^k and lies entirely inside the pool.
//  - A block's head page has flags kPageFree or kPageHead and its order;
//    every other page of the block has flags 0.
//  - Free blocks are exactly the members of free_lists_[order]; bit k of
//    nonempty_ is set iff free_lists_[k] is not empty.
//  - No free block of order k < kMaxOrder has a free buddy of the same
//    order (free() would have merged them).
//  - free_count_ is the number of pages in free blocks.
#include "mm/buddy.h"

#include "lib/string.h"

namespace kern::mm {

namespace {
constexpr usize pages_of(u32 order) { return usize{1} << order; }
}  // namespace

void BuddyPool::init(PhysAddr base, usize npages, Page* meta, u16 pool_id) {
  base_ = base;
  npages_ = npages;
  meta_ = meta;
  lead_ = (base.raw() >> kPageShift) & (pages_of(kMaxOrder) - 1);

  memset(meta, 0, npages * sizeof(Page));
  if (pool_id != 0) {
    for (usize i = 0; i < npages; i++) meta[i].pool = pool_id;
  }

  SpinGuard guard(lock_);
  // Seed with the largest aligned blocks that fit: small ones up to the
  // first 16 MiB boundary, then maximal blocks, then smaller ones at the end.
  const usize end = lead_ + npages;
  for (usize i = lead_; i < end;) {
    u32 k = kMaxOrder;
    while (k > 0 && ((i & (pages_of(k) - 1)) != 0 || pages_of(k) > end - i)) k--;
    push_free(page_at(i), k);
    free_count_ += pages_of(k);
    i += pages_of(k);
  }
}

void BuddyPool::push_free(Page* p, u32 order) {
  p->flags = kPageFree;
  p->order = static_cast<u8>(order);
  free_lists_[order].push_front(p);
  nonempty_ |= 1u << order;
}

void BuddyPool::remove_free(Page* p, u32 order) {
  free_lists_[order].remove(p);
  if (free_lists_[order].empty()) nonempty_ &= ~(1u << order);
  p->flags = 0;
}

Page* BuddyPool::take_block(u32 order) {
  const u32 avail = nonempty_ >> order;
  if (unlikely(avail == 0)) return nullptr;
  u32 k = order + static_cast<u32>(__builtin_ctz(avail));
  Page* p = free_lists_[k].front();
  remove_free(p, k);
  // Split: give back the upper halves until the block is the right size.
  const usize index = index_of(p);
  while (k > order) {
    k--;
    push_free(page_at(index + pages_of(k)), k);
  }
  free_count_ -= pages_of(order);
  return p;
}

namespace {
// An allocated block's head as alloc() hands it out.
void init_head(Page* p, u32 order) {
  p->flags = kPageHead;
  p->order = static_cast<u8>(order);
  p->refcount = 1;
  p->use = kPageUseNone;
  p->slab_cache = nullptr;
}
}  // namespace

Page* BuddyPool::alloc(u32 order) {
  if (unlikely(order > kMaxOrder)) return nullptr;
  SpinGuard guard(lock_);
  Page* p = take_block(order);
  if (p != nullptr) init_head(p, order);
  return p;
}

usize BuddyPool::alloc_split(u32 max_order, Page** out) {
  if (max_order > kMaxOrder) max_order = kMaxOrder;
  SpinGuard guard(lock_);
  if (nonempty_ == 0) return 0;
  // A block of max_order if there is one at all (split from a larger one),
  // else the largest smaller one: this pool is used up before the next.
  u32 order =
      (nonempty_ >> max_order) != 0 ? max_order : 31 - static_cast<u32>(__builtin_clz(nonempty_));
  Page* p = take_block(order);
  const usize n = pages_of(order);
  for (usize i = 0; i < n; i++) {
    init_head(&p[i], 0);
    out[i] = &p[n - 1 - i];  // the lowest page last: a stack hands it out first
  }
  return n;
}

bool BuddyPool::owns(const Page* p) const {
  const uptr off = reinterpret_cast<uptr>(p) - reinterpret_cast<uptr>(meta_);
  return off < npages_ * sizeof(Page) && off % sizeof(Page) == 0;
}

void BuddyPool::free(Page* p) {
  if (unlikely(!owns(p))) {
    count_bad_free();
    return;
  }
  SpinGuard guard(lock_);
  // Only the head of an allocated block, no longer used as a slab or other
  // typed object, and not shared. A double free finds kPageFree (or 0 once
  // merged into a larger free block); a page inside a block finds 0.
  if (unlikely(p->flags != kPageHead || p->order > kMaxOrder || p->use != kPageUseNone ||
               __atomic_load_n(&p->refcount, __ATOMIC_RELAXED) > 1)) {
    count_bad_free();
    return;
  }
  const u32 order = p->order;
  p->flags = 0;
  p->refcount = 0;

  usize index = index_of(p);
  u32 k = order;
  while (k < kMaxOrder) {
    const usize buddy = index ^ pages_of(k);
    if (buddy < lead_ || buddy >= lead_ + npages_) break;
    Page* b = page_at(buddy);
    if (b->flags != kPageFree || b->order != k) break;
    remove_free(b, k);
    index &= ~pages_of(k);
    k++;
  }
  push_free(page_at(index), k);
  free_count_ += pages_of(order);
}

usize BuddyPool::free_pages() const {
  SpinGuard guard(lock_);
  return free_count_;
}

usize BuddyPool::free_blocks(u32 order) const {
  if (order > kMaxOrder) return 0;
  SpinGuard guard(lock_);
  return free_lists_[order].size();
}

bool BuddyPool::check_invariants() const {
  SpinGuard guard(lock_);
  usize free_heads[kNumOrders] = {};
  usize free_sum = 0;
  const usize end = lead_ + npages_;

  // Every page belongs to exactly one aligned block, free or allocated.
  for (usize i = lead_; i < end;) {
    const Page* p = page_at(i);
    if (p->flags != kPageFree && p->flags != kPageHead) return false;
    const u32 k = p->order;
    if (k > kMaxOrder) return false;
    const usize n = pages_of(k);
    if ((i & (n - 1)) != 0 || n > end - i) return false;
    for (usize j = 1; j < n; j++) {
      if (page_at(i + j)->flags != 0) return false;  // another block starts inside
    }
    if (p->flags == kPageFree) {
      if (!p->node.linked()) return false;
      free_heads[k]++;
      free_sum += n;
      if (k < kMaxOrder) {
        const usize buddy = i ^ n;
        if (buddy >= lead_ && buddy < end) {
          const Page* b = page_at(buddy);
          if (b->flags == kPageFree && b->order == k) return false;  // should have merged
        }
      }
    }
    i += n;
  }

  // The free lists hold exactly the free blocks, each in the list for its order.
  for (u32 k = 0; k < kNumOrders; k++) {
    usize n = 0;
    for (const Page* p : free_lists_[k]) {
      if (!owns(p) || p->flags != kPageFree || p->order != k) return false;
      if (++n > npages_) return false;  // a cycle
    }
    if (n != free_heads[k] || n != free_lists_[k].size()) return false;
    if (((nonempty_ >> k) & 1u) != (n != 0 ? 1u : 0u)) return false;
  }
  if ((nonempty_ >> kNumOrders) != 0) return false;
  return free_sum == free_count_;
}

}  // namespace kern::mm
