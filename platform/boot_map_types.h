// Types for a platform's boot memory map (platform/<plat>/boot_map.h).
#pragma once
#include "lib/types.h"

namespace plat {

enum class BootMemType : u8 { Unmapped, Normal, Device };

// A physical range, 2 MiB aligned, mapped by the boot page tables.
struct BootRegion {
  PhysAddr start;
  PhysAddr end;
  BootMemType type;
};

}  // namespace plat
