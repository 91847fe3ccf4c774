// Slab caches. See slab.h for the layout.
#include "mm/slab.h"

#include "mm/phys.h"

namespace kern::mm {

SlabCache::SlabCache(u32 obj_shift, u32 slab_order)
    : obj_shift_(obj_shift),
      slab_order_(slab_order),
      objs_(valid_geometry(obj_shift, slab_order)
                ? static_cast<u32>((kPageSize << slab_order) >> obj_shift)
                : 0) {}

Page* SlabCache::grow() {
  if (objs_ == 0) return nullptr;
  Page* slab = alloc_pages(slab_order_);
  if (slab == nullptr) return nullptr;
  slab->use = kPageUseSlab;
  slab->slab_cache = this;
  slab->slab_inuse = 0;
  // Bits past the last object are permanently "allocated", so that the first
  // clear bit is always a real object.
  slab->slab_used[0] = objs_ >= 64 ? 0 : ~u64{0} << objs_;
  slab->slab_used[1] = objs_ >= 128 ? 0 : objs_ <= 64 ? ~u64{0} : ~u64{0} << (objs_ - 64);
  const usize npages = usize{1} << slab_order_;
  for (usize i = 1; i < npages; i++) {
    slab[i].use = kPageUseSlabTail;
    slab[i].slab_head = slab;
  }
  return slab;
}

void SlabCache::release(Page* slab) {
  const usize npages = usize{1} << slab_order_;
  for (usize i = 1; i < npages; i++) {
    slab[i].use = kPageUseNone;
    slab[i].slab_head = nullptr;
  }
  slab->use = kPageUseNone;
  slab->slab_cache = nullptr;
  free_pages(slab);
}

void* SlabCache::alloc() {
  SpinGuard guard(lock_);
  Page* slab = partial_.front();
  if (unlikely(slab == nullptr)) {
    slab = empty_.pop_front();
    if (slab == nullptr) slab = grow();
    if (slab == nullptr) return nullptr;
    partial_.push_front(slab);
  }
  const u32 word = ~slab->slab_used[0] != 0 ? 0 : 1;
  const u32 bit = static_cast<u32>(__builtin_ctzll(~slab->slab_used[word]));
  slab->slab_used[word] |= u64{1} << bit;
  if (++slab->slab_inuse == objs_) {
    partial_.remove(slab);
    full_.push_front(slab);
  }
  const usize index = word * 64 + bit;
  return static_cast<char*>(page_to_kva(slab)) + (index << obj_shift_);
}

bool SlabCache::free(Page* slab, void* obj) {
  SpinGuard guard(lock_);
  if (slab->use != kPageUseSlab || slab->slab_cache != this) return false;
  const uptr offset = reinterpret_cast<uptr>(obj) - reinterpret_cast<uptr>(page_to_kva(slab));
  if (offset >= (uptr{objs_} << obj_shift_) || (offset & (object_size() - 1)) != 0) return false;
  const usize index = offset >> obj_shift_;
  u64& word = slab->slab_used[index / 64];
  const u64 bit = u64{1} << (index % 64);
  if ((word & bit) == 0) return false;  // already free
  word &= ~bit;

  if (slab->slab_inuse-- == objs_) {
    full_.remove(slab);
    partial_.push_front(slab);  // refill the most recently used slab first
  }
  if (slab->slab_inuse == 0) {
    partial_.remove(slab);
    if (empty_.empty()) {
      empty_.push_front(slab);
    } else {
      release(slab);
    }
  }
  return true;
}

usize SlabCache::shrink() {
  SpinGuard guard(lock_);
  usize pages = 0;
  while (Page* slab = empty_.pop_front()) {
    release(slab);
    pages += usize{1} << slab_order_;
  }
  return pages;
}

SlabCache::Stats SlabCache::stats() const {
  SpinGuard guard(lock_);
  Stats s{partial_.size(), full_.size(), empty_.size(), 0};
  for (const Page* slab : partial_) s.objects_in_use += slab->slab_inuse;
  s.objects_in_use += full_.size() * objs_;
  return s;
}

}  // namespace kern::mm
