// The regions of an address space: an ordered set of non-overlapping,
// page-aligned VA ranges, each backed by (part of) a PMO.
//
// Kept in an intrusive list sorted by start address, so find / insert /
// first_overlap / find_gap are O(number of regions). That is fine for the
// handful of regions a process has now; a balanced tree can replace the
// list behind the same interface later.
//
// VmRegionSet owns no memory: VmRegion objects are allocated by the caller
// and linked in by insert(). remove_range() gives removed regions back
// through VmRegionHooks, which also supplies the one extra VmRegion a split
// needs. Not synchronised: the owning address space's lock protects it.
#pragma once
#include "lib/list.h"
#include "lib/result.h"
#include "lib/types.h"

namespace kern {

struct Pmo;  // physical memory object (mm/pmo.h)

struct VmRegion {
  ListNode node;
  VirtAddr start{};
  usize size = 0;  // end = start + size; never wraps
  u32 perm = 0;    // VmPerm bits
  // What protect() may give this region: the kVmRead/Write/Exec bits it was
  // mapped with the right to (for a map_pmo, the rights of the capability).
  u32 max_perm = 0;
  Pmo* pmo = nullptr;
  usize pmo_offset = 0;  // offset in `pmo` of the page at `start`
  // A fork's child does not get this mapping (CHCORE_MAP_DONTFORK, Linux's
  // MADV_DONTFORK): the C library's IPC buffers, which are its connections'
  // and mean nothing to the child.
  bool dontfork = false;

  VirtAddr end() const { return start + size; }
  bool contains(VirtAddr va) const { return va >= start && va - start < size; }
};

// How remove_range() reaches its caller.
class VmRegionHooks {
 public:
  // A VmRegion for the right-hand part of a split; nullptr on exhaustion.
  virtual VmRegion* alloc_region() = 0;
  // [start, start + size) of `r` is leaving the address space: unmap it from
  // the page table and release what backs it. Called before `r` is changed,
  // so r->start / r->pmo_offset still describe the old region (the piece's
  // PMO offset is r->pmo_offset + (start - r->start)). If `whole`, `r` has
  // already been unlinked and now belongs to the callee (drop its PMO
  // reference, free it); otherwise `r` stays in the set and is trimmed or
  // split after the call returns.
  virtual void on_remove(VmRegion* r, VirtAddr start, usize size, bool whole) = 0;
  // `right` (from alloc_region) was split off `left` and is now in the set;
  // both refer to the same PMO, so the callee takes one more reference.
  virtual void on_split(VmRegion* left, VmRegion* right) = 0;
  // Before the first on_remove: [lo, hi) holds no region once the removal
  // is done (from the end of the region below the range, or the range's
  // start if a region reaches into it, to the start of the one above, or
  // the range's end; 0 and VirtAddr::max() at the ends).
  virtual void on_gap(VirtAddr lo, VirtAddr hi) {
    (void)lo;
    (void)hi;
  }

 protected:
  ~VmRegionHooks() = default;
};

class VmRegionSet {
 public:
  using RegionList = KList(VmRegion, node);

  VmRegionSet() = default;
  VmRegionSet(const VmRegionSet&) = delete;
  VmRegionSet& operator=(const VmRegionSet&) = delete;

  // Links `r` in order. Err::Inval: r->size 0, start or size not page
  // aligned, the range wraps (start + size must be representable, so the
  // last page of the 64-bit space cannot be a region), or `r` is already in
  // a list. Err::Exist: it overlaps a region (touching is fine).
  [[nodiscard]] Status insert(VmRegion* r);

  // The region containing `va`, or nullptr. (Inline: every page fault asks.)
  VmRegion* find(VirtAddr va) const {
    for (VmRegion* n : list_) {
      if (n->start > va) break;
      if (n->contains(va)) return n;
    }
    return nullptr;
  }
  // The lowest region overlapping [start, start + size), or nullptr (also
  // for size 0). A range running past 2^64 is clipped there.
  VmRegion* first_overlap(VirtAddr start, usize size) const;

  // Removes [start, start + size) from the set. Regions inside the range are
  // unlinked; regions partly inside are trimmed; a region that contains the
  // range with room on both sides is split in two, the right part being a
  // new VmRegion from hooks->alloc_region() whose pmo_offset is adjusted.
  // hooks->on_remove() is called once per removed piece, in address order.
  // Removing a range with no regions in it succeeds.
  // Err::Inval: size 0, unaligned, or wrapping range (as for insert).
  // Err::NoMem: a split is needed and alloc_region() failed; nothing changed.
  [[nodiscard]] Status remove_range(VirtAddr start, usize size, VmRegionHooks* hooks);

  // The lowest page-aligned address a >= hint (hint rounded up to a page)
  // such that [a, a + size) overlaps no region and a + size <= limit.
  // Err::Inval: size 0 or unaligned. Err::NoMem: no such gap.
  [[nodiscard]] Result<VirtAddr> find_gap(VirtAddr hint, usize size, VirtAddr limit) const;

  // Unlinks and returns the lowest region (nullptr if empty), for tearing
  // an address space down.
  VmRegion* take_first();

  usize count() const { return list_.size(); }
  bool empty() const { return list_.empty(); }
  // In address order; do not insert or remove while iterating.
  RegionList::Iterator begin() const { return list_.begin(); }
  RegionList::Iterator end() const { return list_.end(); }
  VmRegion* first() const { return list_.front(); }
  VmRegion* next(VmRegion* r) const { return list_.next(r); }

 private:
  RegionList list_;
};

}  // namespace kern
