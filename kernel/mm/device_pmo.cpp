// Device PMOs: which physical ranges user space may map as device memory.
//
// The IRQ-control capability that create_device_pmo needs is given to the
// first process only, which is trusted with the board's devices as a root
// process is; what the kernel still refuses is memory that would let it
// read or write other processes or the kernel itself: RAM, whatever it is
// used for. A device window (a BootMemType::Device region of the board's
// boot map) never contains RAM by construction; the checks against the
// allocator's pools and the kernel image make that explicit, and hold even
// if a board's map were too generous.
#include "mm/device_pmo.h"

#include "boot_map.h"  // platform/<board>/: kBootRegions
#include "mm/kmap.h"
#include "mm/page.h"
#include "mm/phys.h"

extern "C" const u8 __kernel_start[], __kernel_end[];

namespace kern {

namespace {
bool inside_device_window(PhysAddr base, u64 size) {
  for (const auto& r : plat::kBootRegions) {
    if (r.type != plat::BootMemType::Device) continue;
    if (base >= r.start && size <= r.end - r.start && base - r.start <= (r.end - r.start) - size)
      return true;
  }
  return false;
}

bool overlaps_kernel_image(PhysAddr base, u64 size) {
  PhysAddr start = kva_to_pa(__kernel_start), end = kva_to_pa(__kernel_end);
  return base < end && (start <= base || start - base < size);
}
}  // namespace

bool phys_range_is_device(PhysAddr base, u64 size) {
  return size != 0 && base + size > base && inside_device_window(base, size) &&
         !mm::phys_overlaps_pools(base, size) && !overlaps_kernel_image(base, size);
}

Result<Pmo*> device_pmo_create(PhysAddr base, u64 size) {
  constexpr u64 kPage = mm::kPageSize;
  if (size == 0 || !is_aligned(base, kPage) || !is_aligned(size, kPage)) return Err::Inval;
  if (base + size < base) return Err::Inval;  // wraps around the address space
  if (!phys_range_is_device(base, size)) return Err::Perm;
  return pmo_create(PmoType::Device, size, base);
}

}  // namespace kern
