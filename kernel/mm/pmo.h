// Physical memory objects: what a VM region maps.
//
//   Anonymous  pages allocated and zeroed on first touch (page fault);
//              meant to be mapped by one address space (heap, stacks).
//   Data       pages allocated and zeroed when the PMO is created, so they
//              can be filled (ELF segments, IPC buffers) before mapping.
//   Device     a fixed physical range (MMIO); never freed.
//   Shared     like Anonymous, but intended to be mapped by several address
//              spaces at once: they all see the same pages.
//
// Lifetime: a PMO is reference-counted (pmo_get/pmo_put); every VM region
// mapping it holds one reference (later: every capability too). Each page it
// holds carries one page reference (mm::page_ref) for the PMO, so a page is
// freed exactly when the last PMO holding it goes away.
#pragma once
#include "lib/result.h"
#include "lib/spinlock.h"
#include "lib/types.h"

namespace kern {

enum class PmoType : u8 { Anonymous, Data, Device, Shared };

struct Pmo {
  PmoType type;
  u32 refcount;  // atomic
  usize size;    // bytes, a multiple of the page size
  PhysAddr device_base;  // Device only
  SpinLock lock;
  // One entry per page (not Device): 0 while not yet allocated.
  PhysAddr* pages TA_GUARDED(lock);
};

// Largest PMO: keeps the page array within one buddy block.
inline constexpr usize kPmoMaxSize = usize{1} << 33;  // 8 GiB

// Creates a PMO with one reference. Err::Inval for size 0 / unaligned /
// too large; Err::NoMem.
[[nodiscard]] Result<Pmo*> pmo_create(PmoType type, usize size, PhysAddr device_base = 0);
void pmo_get(Pmo* pmo);
void pmo_put(Pmo* pmo);

// The physical page at byte `offset`. For Anonymous and Shared PMOs a missing
// page is allocated (zeroed) if `allocate`, else Err::NoEnt.
[[nodiscard]] Result<PhysAddr> pmo_page(Pmo* pmo, usize offset, bool allocate);

// Copies between a kernel buffer and the PMO's memory (allocating pages as
// needed). Err::Inval if the range is outside the PMO or it is a Device PMO.
[[nodiscard]] Status pmo_write(Pmo* pmo, usize offset, const void* src, usize len);
[[nodiscard]] Status pmo_read(Pmo* pmo, usize offset, void* dst, usize len);

}  // namespace kern
