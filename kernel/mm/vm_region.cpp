// The ordered region set (see vm_region.h). The list is sorted by start;
// since regions never overlap, it is sorted by end as well, which is what
// lets every search stop at the first region ending above an address.
#include "mm/vm_region.h"

namespace kern {

namespace {

constexpr u64 kPageBytes = 4096;

// A non-empty, page-aligned range whose end is representable.
bool range_ok(VirtAddr start, usize size) {
  return size != 0 && is_aligned(start, kPageBytes) && is_aligned(size, kPageBytes) &&
         start + size > start;
}

}  // namespace

Status VmRegionSet::insert(VmRegion* r) {
  if (!r || r->node.linked() || !range_ok(r->start, r->size)) return Err::Inval;
  // The first region ending above r->start is the only one that can overlap
  // r from below or contain it; r goes in front of it.
  VmRegion* pos = nullptr;
  for (VmRegion* n : list_) {
    if (n->end() > r->start) {
      pos = n;
      break;
    }
  }
  if (pos && pos->start < r->end()) return Err::Exist;
  list_.insert_before(pos, r);
  return kOk;
}

VmRegion* VmRegionSet::first_overlap(VirtAddr start, usize size) const {
  if (size == 0) return nullptr;
  VirtAddr last = start + size - 1 < start ? VirtAddr::max() : start + size - 1;  // clipped at 2^64
  for (VmRegion* n : list_) {
    if (n->end() > start) return n->start <= last ? n : nullptr;
  }
  return nullptr;
}

Status VmRegionSet::remove_range(VirtAddr start, usize size, VmRegionHooks* hooks) {
  if (!range_ok(start, size)) return Err::Inval;
  VirtAddr end = start + size;
  VmRegion* r = first_overlap(start, size);
  if (!r) return kOk;
  {
    VmRegion* below = list_.prev(r);  // ends at or before start (r is the first that does not)
    VirtAddr lo = r->start < start ? start : below ? below->end() : VirtAddr{};
    VirtAddr hi = VirtAddr::max();
    for (VmRegion* n = r; n; n = list_.next(n)) {
      if (n->end() > end) {
        hi = n->start > end ? n->start : end;
        break;
      }
    }
    hooks->on_gap(lo, hi);
  }

  // Check: only a region sticking out on both sides needs a new VmRegion.
  if (r->start < start && r->end() > end) {
    VmRegion* right = hooks->alloc_region();
    if (!right) return Err::NoMem;
    // Act.
    *right = VmRegion{};
    right->start = end;
    right->size = r->end() - end;
    right->perm = r->perm;
    right->max_perm = r->max_perm;
    right->dontfork = r->dontfork;
    right->pmo = r->pmo;
    right->pmo_offset = r->pmo_offset + (end - r->start);
    hooks->on_remove(r, start, size, false);
    r->size = start - r->start;
    list_.insert_before(list_.next(r), right);
    hooks->on_split(r, right);
    return kOk;
  }

  // Otherwise nothing can fail.
  while (r && r->start < end) {
    VmRegion* next = list_.next(r);
    VirtAddr cut_start = max(r->start, start), cut_end = min(r->end(), end);
    usize cut = cut_end - cut_start;
    if (cut_start == r->start && cut_end == r->end()) {
      list_.remove(r);
      hooks->on_remove(r, cut_start, cut, true);  // r now belongs to the hook
    } else if (cut_start == r->start) {
      hooks->on_remove(r, cut_start, cut, false);  // left part goes
      r->start = cut_end;
      r->size -= cut;
      r->pmo_offset += cut;
    } else {
      hooks->on_remove(r, cut_start, cut, false);  // right part goes
      r->size -= cut;
    }
    r = next;
  }
  return kOk;
}

Result<VirtAddr> VmRegionSet::find_gap(VirtAddr hint, usize size, VirtAddr limit) const {
  if (size == 0 || !is_aligned(size, kPageBytes)) return Err::Inval;
  if (hint > VirtAddr::max() - (kPageBytes - 1)) return Err::NoMem;
  VirtAddr a = align_up(hint, kPageBytes);
  for (VmRegion* n : list_) {
    if (n->end() <= a) continue;
    if (size > limit.raw() || a > limit - size) return Err::NoMem;  // also: a + size can't wrap
    if (n->start >= a + size) break;                          // [a, a + size) fits below n
    a = n->end();
  }
  if (size > limit.raw() || a > limit - size) return Err::NoMem;
  return a;
}

VmRegion* VmRegionSet::take_first() { return list_.pop_front(); }

}  // namespace kern
