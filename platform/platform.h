// What the kernel asks of a board. A new board implements this interface in
// platform/<board>/ and provides boot_map.h; nothing outside platform/ and
// kernel/arch/ knows device addresses.
#pragma once
#include "arch/aarch64/asm_offsets.h"
#include "lib/types.h"

namespace plat {

struct MachineInfo {
  static constexpr u32 kMaxMem = 8;
  struct {
    PhysAddr base;
    u64 size;
  } mem[kMaxMem];
  u32 mem_count;
  u64 cpu_mpidr[16];
  u32 cpu_count;
  // RAM the firmware or boot loader still uses (device tree, spin table):
  // never handed to the page allocator. The kernel image is added by mm/.
  static constexpr u32 kMaxReserved = 4;
  struct {
    PhysAddr base;
    u64 size;
  } reserved[kMaxReserved];
  u32 reserved_count;

  u64 total_mem() const {
    u64 t = 0;
    for (u32 i = 0; i < mem_count; i++) t += mem[i].size;
    return t;
  }
};

// Short name: "virt" or "raspi3".
const char* name();

// Brings up the console (called with the MMU on); printk works afterwards.
void console_init();

// A byte from the console, or -1 if none is waiting.
int console_getc();

// Finds RAM and CPUs. `boot_arg` is x0 at entry (the device tree on virt).
// On failure returns false with a reason; the kernel cannot go on.
bool discover(PhysAddr boot_arg, MachineInfo* out, const char** why);

// Starts CPU `cpu` (logical number) with affinity `mpidr`, at the physical
// entry point appropriate to the platform's method (PSCI or spin table).
bool cpu_start(u32 cpu, u64 mpidr, PhysAddr psci_entry, PhysAddr spin_entry);

}  // namespace plat
