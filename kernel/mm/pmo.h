// Physical memory objects: what a VM region maps.
//
//   Anonymous  pages allocated and zeroed on first touch (page fault);
//              meant to be mapped by one address space (heap, stacks).
//   Data       pages allocated and zeroed when the PMO is created, so they
//              can be filled (ELF segments, IPC buffers) before mapping.
//   Device     a fixed physical range (MMIO); never freed.
//   Shared     like Anonymous, but intended to be mapped by several address
//              spaces at once: they all see the same pages.
//   Physical   a fixed range of normal (cacheable) RAM that the PMO does not
//              own, e.g. the boot ramdisk inside the kernel image.
//
// Lifetime: a PMO is a kernel object (object/object.h), reference-counted;
// every VM region mapping it and every capability naming it holds one
// reference. Each page it
// holds carries one page reference (mm::page_ref) for the PMO, so a page is
// freed exactly when the last PMO holding it goes away.
#pragma once
#include "arch/aarch64/page_table.h"
#include "lib/result.h"
#include "lib/spinlock.h"
#include "lib/types.h"
#include "mm/kmap.h"
#include "mm/page.h"
#include "object/object.h"

namespace kern {

enum class PmoType : u8 { Anonymous, Data, Device, Shared, Physical };

struct Pmo : Object {
  PmoType kind;
  usize size;            // bytes, a multiple of the page size
  PhysAddr device_base;  // Device and Physical: the first physical address
  SpinLock lock;
  // One entry per page (not Device): 0 while not yet allocated.
  PhysAddr* pages TA_GUARDED(lock);
  // fork's bookkeeping (VmSpace::fork_into), meaningful while one fork
  // runs over the PMO: which fork counted it, how many of that address
  // space's regions map it, and the child's copy-on-write clone.
  u64 fork_gen TA_GUARDED(lock);
  u32 fork_regions TA_GUARDED(lock);
  Pmo* fork_clone TA_GUARDED(lock);
};

// Largest PMO: keeps the page array within one buddy block.
inline constexpr usize kPmoMaxSize = usize{1} << 33;  // 8 GiB

// Creates a PMO with one reference. Err::Inval for size 0 / unaligned (or a
// fixed range that wraps); Err::NoMem for a size that cannot be backed (over
// kPmoMaxSize or over the free memory; checked before anything is
// allocated) and when memory runs out.
[[nodiscard]] Result<Pmo*> pmo_create(PmoType type, usize size, PhysAddr device_base = PhysAddr{});
inline void pmo_get(Pmo* pmo) { obj_get(pmo); }
inline void pmo_put(Pmo* pmo) { obj_put(pmo); }
// Called by obj_put for the last reference.
void pmo_destroy(Pmo* pmo);
// Device and Physical PMOs name memory the PMO does not own.
inline bool pmo_is_fixed(const Pmo* pmo) {
  return pmo->kind == PmoType::Device || pmo->kind == PmoType::Physical;
}

// What mappings of the PMO may ever allow (kVmRead/Write/Exec), whatever
// capability maps it: Physical PMOs name the kernel's own memory (the boot
// ramdisk in the kernel image) and are read-only; Device memory is never
// executable.
inline u32 pmo_max_perm(const Pmo* pmo) {
  switch (pmo->kind) {
    case PmoType::Physical:
      return kVmRead;
    case PmoType::Device:
      return kVmRead | kVmWrite;
    default:
      return kVmRead | kVmWrite | kVmExec;
  }
}

// The physical page at byte `offset`. For Anonymous and Shared PMOs a missing
// page is allocated (zeroed) if `allocate`, else Err::NoEnt.
[[nodiscard]] Result<PhysAddr> pmo_page(Pmo* pmo, usize offset, bool allocate);

// Copy-on-write (fork; docs/memory.md). Anonymous and Data PMOs are the
// private kinds: fork gives the child a clone whose page array names the
// same pages, each with one more page reference, and a page referenced by
// more than one PMO is shared and read-only to both until one of them
// writes: pmo_page_for_write then gives the writer a private copy.
inline bool pmo_is_private(const Pmo* pmo) {
  return pmo->kind == PmoType::Anonymous || pmo->kind == PmoType::Data;
}
// A new PMO like `pmo` (a private kind) sharing its pages; one reference.
[[nodiscard]] Result<Pmo*> pmo_cow_clone(Pmo* pmo);
// A new PMO like `pmo` (a private kind) with copies of its pages.
[[nodiscard]] Result<Pmo*> pmo_deep_copy(Pmo* pmo);
// Whether the page at `pa`, of a private PMO, is shared with another PMO.
bool pmo_page_is_shared(PhysAddr pa);
// The page at byte `offset` for writing: as pmo_page(allocate), but a page
// of a private PMO that is shared becomes a private copy first (the old
// one keeps its other holders). Err::NoMem if no page for the copy.
[[nodiscard]] Result<PhysAddr> pmo_page_for_write(Pmo* pmo, usize offset);

// Walks [offset, offset+len) of the PMO page by page, allocating Anonymous
// and Shared pages as needed: fn(kernel pointer, bytes) for each piece,
// stopping at the first error it returns. No lock is held while fn runs
// (a PMO's pages stay until it is destroyed, and the caller holds a
// reference), so fn may copy from or to user memory and take page faults.
// Err::Inval for a range outside the PMO or a Device PMO.
// `write`: fn may write (pages shared copy-on-write are made private first).
template <typename Fn>
[[nodiscard]] Status pmo_for_range(Pmo* pmo, usize offset, usize len, Fn fn, bool write = true) {
  if (pmo->kind == PmoType::Device) return Err::Inval;
  if (offset > pmo->size || len > pmo->size - offset) return Err::Inval;
  while (len > 0) {
    PhysAddr pa = TRY(write ? pmo_page_for_write(pmo, offset) : pmo_page(pmo, offset, true));
    usize in_page = offset % mm::kPageSize;
    usize chunk = len < mm::kPageSize - in_page ? len : mm::kPageSize - in_page;
    TRY(fn(pa_to_kva<u8>(pa) + in_page, chunk));
    offset += chunk;
    len -= chunk;
  }
  return kOk;
}

// Copies between a kernel buffer and the PMO's memory (allocating pages as
// needed). Err::Inval if the range is outside the PMO or it is a Device PMO.
[[nodiscard]] Status pmo_write(Pmo* pmo, usize offset, const void* src, usize len);
[[nodiscard]] Status pmo_read(Pmo* pmo, usize offset, void* dst, usize len);

// Zeroes [offset, offset + len) of the pages the PMO already has, and
// allocates none: a page not yet allocated reads as zeros anyway. The
// pages stay (they may be mapped anywhere; nothing tracks where), so this
// is how a file server clears a truncated file's tail in a PMO that
// clients map. Err::Inval outside the PMO or for a fixed PMO.
[[nodiscard]] Status pmo_zero(Pmo* pmo, usize offset, usize len);

}  // namespace kern
