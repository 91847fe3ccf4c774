// Memory-manager start-up and the kernel's own address space.
#pragma once
#include "lib/types.h"

namespace plat {
struct MachineInfo;
}

namespace kern {

class PageTable;

// Hands all RAM except the kernel image and the platform's reserved ranges
// to the page allocator, builds the final kernel page table (linear map of
// RAM, W^X kernel image, device regions) and switches this CPU to it.
void mm_init(const plat::MachineInfo& mi);

// Switches a secondary CPU from the boot tables to the kernel page table.
void mm_init_secondary();

// The TTBR0 value while no user address space is active (maps nothing).
PhysAddr empty_ttbr0();

// The kernel's page table (TTBR1), for queries by tests and drivers.
PageTable& kernel_page_table();

// Bytes of RAM reported by the firmware, and reserved before the allocator
// took over (kernel image, page metadata, firmware ranges).
struct MemStats {
  u64 total_bytes;
  u64 reserved_bytes;
};
MemStats mm_stats();

}  // namespace kern
