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
  // A ramdisk the boot loader placed in RAM (QEMU -initrd on virt), used
  // instead of the one built into the kernel; size 0 if none. Also listed
  // in `reserved`.
  PhysAddr initrd_base;
  u64 initrd_size;

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

// Console input by interrupt (kernel/console/input.cpp, docs/interrupts.md).
// console_rx_irq() gives the interrupt number of the console UART's receive
// interrupts, or false if the board cannot deliver them (the kernel then
// polls). After the handler is registered, console_rx_irq_enable() turns
// them on in the UART and the controller, routed to the calling CPU. The
// handler calls console_rx_irq_clear() *before* draining the UART with
// console_getc(), so that a byte arriving during the drain raises the
// interrupt again instead of being left behind.
bool console_rx_irq(u32* irq);
void console_rx_irq_enable();
void console_rx_irq_clear();

// Finds RAM and CPUs. `boot_arg` is x0 at entry (the device tree on virt).
// On failure returns false with a reason; the kernel cannot go on.
bool discover(PhysAddr boot_arg, MachineInfo* out, const char** why);

// Powers the machine off (reboot false) or restarts it: PSCI SYSTEM_OFF /
// SYSTEM_RESET on virt, the power-management watchdog on raspi3. Returns
// only if the board cannot (no PSCI): the caller then halts.
void system_off(bool reboot);

// Starts CPU `cpu` (logical number) with affinity `mpidr`, at the physical
// entry point appropriate to the platform's method (PSCI or spin table).
bool cpu_start(u32 cpu, u64 mpidr, PhysAddr psci_entry, PhysAddr spin_entry);

// --- Interrupts (docs/interrupts.md) ----------------------------------------
// Interrupt numbers are the board's: GIC INTIDs on virt (0-15 SGIs, 16-31
// PPIs, 32-1019 SPIs), the local controller's source bits plus virtual IPI
// numbers on raspi3. All fit below kMaxIrqs. None of these functions takes
// a lock; each touches only this CPU's interface or a write-only trigger.

enum class IpiKind : u32 { Reschedule = 0, Stop = 1, Call = 2 };
inline constexpr u32 kIpiKinds = 3;
inline constexpr u32 kIrqSpurious = 1023;
inline constexpr u32 kMaxIrqs = 1024;

// Once, on the boot CPU, after discover() and mm_init(): the distributor
// (every shared interrupt disabled, routed to the boot CPU).
void irq_init_boot();
// On every CPU (the boot CPU included) before it unmasks interrupts: this
// CPU's interface; IPIs enabled, every other per-CPU interrupt disabled.
void irq_init_this_cpu();
// Acknowledges the highest-priority pending interrupt and returns its
// number, or kIrqSpurious if none is pending.
u32 irq_ack();
// Ends the handling of an interrupt irq_ack() returned (not kIrqSpurious).
void irq_eoi(u32 irq);
// Per-CPU interrupts (PPIs, the local timer): on the calling CPU only.
void irq_enable(u32 irq);
void irq_disable(u32 irq);
// The interrupt of the EL1 virtual timer (CNTV) on this board.
u32 timer_irq();
// Whether `irq` (as irq_ack() returned it) is an IPI, and which kind.
bool irq_to_ipi(u32 irq, IpiKind* kind);
// Sends `kind` to logical CPU `cpu`, which must have run irq_init_this_cpu()
// (kern::g_per_cpu[cpu].mpidr is its affinity). Orders this CPU's earlier
// memory writes before the interrupt. Several kinds may be pending at once;
// the same kind sent twice before it is taken arrives once.
void ipi_send(u32 cpu, IpiKind kind);
// Interrupt lines that user-space drivers may be given (irq_create,
// docs/notifications.md): a device's shared line, one that any CPU can
// take, masked with irq_disable() and unmasked with irq_enable() from any
// CPU. Not IPIs, not per-CPU interrupts (the timer), not numbers the
// controller does not have.
//   virt:   SPIs, INTID 32 up to the last line the GIC implements
//   raspi3: the VideoCore interrupts, 64-127
bool irq_is_device_line(u32 irq);
// A device line that software can assert and deassert without a device,
// for the tests of interrupt delivery to user space (the test_irq system
// call of test kernels). False if the board has none.
//   virt:   the GIC's last SPI (no device is wired to it): asserted by
//           setting it pending in the distributor, deasserted by clearing
//   raspi3: VideoCore interrupt 1, the system timer's compare 1 (free for
//           the ARM side): asserted by programming a match a few
//           microseconds ahead (it stays asserted until cleared), deasserted
//           by clearing the match in the timer's status register
bool test_irq_line(u32* irq);
void test_irq_set(bool asserted);
// Wall-clock seconds since 1970-01-01 UTC, read once at boot; 0 if the
// board has no real-time clock (the clock then starts at the epoch).
u64 rtc_epoch_seconds();
// Up to `max` random bytes from the board's best entropy source, for the
// kernel's random-number generator (kern::random_init, once at boot); sets
// *source to a name for the boot message. 0 if the board has none.
//   virt:   /chosen rng-seed and kaslr-seed of the device tree (QEMU fills
//           them from the host's entropy)
//   raspi3: the BCM2835 hardware RNG
usize entropy(u8* buf, usize max, const char** source);

}  // namespace plat
