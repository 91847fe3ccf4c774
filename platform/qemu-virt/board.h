// Internal to the QEMU virt board: what discover() hands to the other files
// of platform/qemu-virt/.
#pragma once
#include "boot_map.h"
#include "lib/fdt.h"
#include "lib/types.h"

namespace plat::virt {

// Whether [base, base + size) lies inside the kernel's device mapping
// (kDeviceRegions): a device the device tree places elsewhere would be
// unmapped once mm/ installs the final kernel page table.
inline bool in_device_map(PhysAddr base, u64 size) {
  for (const auto& r : kDeviceRegions)
    if (base >= r.start && size <= r.end - r.start && base - r.start <= r.end - r.start - size)
      return true;
  return false;
}

// Finds the interrupt controller (GICv2 or GICv3) and the virtual timer's
// interrupt in the device tree and remembers them for irq.cpp. Touches no
// hardware (it runs before the final kernel map). False with a reason if no
// supported interrupt controller is described.
bool irq_discover(const kern::fdt::Tree& tree, const char** why);

}  // namespace plat::virt
