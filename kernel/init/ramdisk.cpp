#include "init/ramdisk.h"

#include "mm/kmap.h"
#include "mm/page.h"
#include "mm/pmo.h"
#include "platform/platform.h"

extern "C" const u8 __ramdisk_start[], __ramdisk_end[];

namespace kern {

extern plat::MachineInfo g_machine;

Ramdisk boot_ramdisk() {
  if (g_machine.initrd_size != 0)
    return {pa_to_kva<const u8>(g_machine.initrd_base), static_cast<usize>(g_machine.initrd_size)};
  return {__ramdisk_start, static_cast<usize>(__ramdisk_end - __ramdisk_start)};
}

Status ramdisk_share(CapGroup* g) {
  constexpr usize kPage = mm::kPageSize;
  Ramdisk rd = boot_ramdisk();
  // Whole pages around it.
  PhysAddr base = align_down(kva_to_pa(rd.data), kPage);
  usize size = align_up(kva_to_pa(rd.data) + (rd.size == 0 ? 1 : rd.size), kPage) - base;
  Pmo* pmo = TRY(pmo_create(PmoType::Physical, size, base));
  Status s = g->vmspace.map(pmo, VirtAddr{CHCORE_RAMDISK_VA}, size, kVmRead, 0);
  if (!s.ok()) {
    pmo_put(pmo);
    return s;
  }
  // The capability takes over our reference.
  Result<u32> slot = g->caps.install(g, pmo, CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY);
  if (!slot.ok()) {
    pmo_put(pmo);
    return slot.error();
  }
  return slot.value() == CHCORE_SLOT_RAMDISK ? kOk : Status(Err::Inval);
}

}  // namespace kern
