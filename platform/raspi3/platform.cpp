// Raspberry Pi 3 (BCM2837): PL011 on GPIO 14/15, RAM from the VideoCore
// mailbox, secondary CPUs parked by the firmware on the spin table.
#include "platform/platform.h"

#include "arch/aarch64/sysreg.h"
#include "lib/printk.h"
#include "mm/kmap.h"
#include "platform/common/pl011.h"
#include "platform/raspi3/board.h"

namespace plat {

namespace {
constexpr PhysAddr kPeriphBase{0x3f000000};
constexpr PhysAddr kGpioBase = kPeriphBase + 0x200000;
constexpr PhysAddr kUartBase = kPeriphBase + 0x201000;
constexpr PhysAddr kMailboxBase = kPeriphBase + 0xb880;
// The firmware's spin table: core N polls the 64-bit word at 0xd8 + 8 * N.
constexpr PhysAddr kSpinTableBase{0xd8};
// UART clock the firmware programs by default (init_uart_clock).
constexpr u32 kUartClock = 48000000;

Pl011 g_uart;

volatile u32* mmio(PhysAddr pa) { return kern::pa_to_kva<volatile u32>(pa); }

void console_putc(char c) { g_uart.putc(c); }
}  // namespace

int console_getc() { return g_uart.try_getc(); }

bool console_rx_irq(u32* irq) {
  *irq = raspi3::kIrqGpuBase + raspi3::kGpuIrqUart0;
  return true;
}

void console_rx_irq_enable() {
  g_uart.enable_rx_irq();
  irq_enable(raspi3::kIrqGpuBase + raspi3::kGpuIrqUart0);
}

void console_rx_irq_clear() { g_uart.clear_rx_irq(); }

namespace {

void delay_cycles(u32 n) {
  for (u32 i = 0; i < n; i++) asm volatile("nop");
}

// Route GPIO 14/15 to the PL011 (function ALT0), without pull-up/down.
void gpio_setup_uart() {
  volatile u32* gpfsel1 = mmio(kGpioBase + 0x04);
  u32 v = *gpfsel1;
  v &= ~((7u << 12) | (7u << 15));
  v |= (4u << 12) | (4u << 15);  // ALT0
  *gpfsel1 = v;
  *mmio(kGpioBase + 0x94) = 0;  // GPPUD: off
  delay_cycles(150);
  *mmio(kGpioBase + 0x98) = (1u << 14) | (1u << 15);  // GPPUDCLK0
  delay_cycles(150);
  *mmio(kGpioBase + 0x98) = 0;
}

// One property-interface request over mailbox channel 8. The buffer must be
// 16-byte aligned; the VideoCore reads it from memory, not from our cache.
constexpr u32 kMboxRead = 0x00, kMboxStatus = 0x18, kMboxWrite = 0x20;
constexpr u32 kMboxFull = 1u << 31, kMboxEmpty = 1u << 30;
constexpr u32 kChannelProperty = 8;

bool mailbox_call(volatile u32* buf, usize size) {
  u32 pa = static_cast<u32>(kern::kva_to_pa(const_cast<u32*>(buf)).raw());
  kern::arch::dcache_clean_inval(const_cast<u32*>(buf), size);
  u64 deadline = kern::arch::counter() + kern::arch::counter_freq() / 10;
  while (*mmio(kMailboxBase + kMboxStatus) & kMboxFull)
    if (kern::arch::counter() > deadline) return false;
  *mmio(kMailboxBase + kMboxWrite) = (pa & ~0xfu) | kChannelProperty;
  for (;;) {
    while (*mmio(kMailboxBase + kMboxStatus) & kMboxEmpty)
      if (kern::arch::counter() > deadline) return false;
    u32 r = *mmio(kMailboxBase + kMboxRead);
    if (r == ((pa & ~0xfu) | kChannelProperty)) break;
  }
  kern::arch::dcache_inval(const_cast<u32*>(buf), size);
  return buf[1] == 0x80000000u;  // response: success
}
}  // namespace

const char* name() { return "raspi3"; }

void console_init() {
  gpio_setup_uart();
  g_uart.init(kern::pa_to_kva_addr(kUartBase).raw(), kUartClock, 115200);
  kern::printk_set_console(console_putc);
}

// The BCM2835 random-number generator (BCM2837 has the same block).
constexpr PhysAddr kRngBase = kPeriphBase + 0x104000;
constexpr u32 kRngCtrl = 0x0, kRngStatus = 0x4, kRngData = 0x8;
constexpr u32 kRngEnable = 1;
constexpr u32 kRngWarmup = 0x40000;  // the first numbers are thrown away

usize entropy(u8* buf, usize max, const char** source) {
  *source = "the BCM2835 hardware RNG";
  if ((*mmio(kRngBase + kRngCtrl) & kRngEnable) == 0) {
    *mmio(kRngBase + kRngStatus) = kRngWarmup;
    *mmio(kRngBase + kRngCtrl) = kRngEnable;
  }
  usize n = 0;
  // STATUS bits 31:24: words ready. Bounded, in case the block is absent.
  for (u32 tries = 0; n + 4 <= max && tries < 10'000'000; tries++) {
    if ((*mmio(kRngBase + kRngStatus) >> 24) == 0) continue;
    u32 v = *mmio(kRngBase + kRngData);
    __builtin_memcpy(buf + n, &v, 4);
    n += 4;
  }
  return n;
}

bool discover(PhysAddr, MachineInfo* out, const char** why) {
  *out = MachineInfo{};
  // Tag 0x00010005, "get ARM memory": base and size of the ARM's share of RAM.
  alignas(16) static volatile u32 msg[8];
  msg[0] = sizeof(msg);
  msg[1] = 0;  // request
  msg[2] = 0x00010005;
  msg[3] = 8;  // value buffer size
  msg[4] = 0;
  msg[5] = 0;
  msg[6] = 0;
  msg[7] = 0;  // end tag
  if (!mailbox_call(msg, sizeof(msg)) || msg[6] == 0) {
    *why = "VideoCore mailbox did not report the ARM memory range";
    return false;
  }
  out->mem[0].base = PhysAddr{msg[5]};
  out->mem[0].size = msg[6];
  out->mem_count = 1;
  // The first page holds the firmware's boot stub and the spin table, which
  // parked cores read until they are released.
  out->reserved[0].base = PhysAddr{0};
  out->reserved[0].size = 0x1000;
  out->reserved_count = 1;
  // The BCM2837 has one cluster of four Cortex-A53 cores, MPIDR Aff0 = 0..3.
  for (u32 i = 0; i < 4; i++) out->cpu_mpidr[i] = i;
  out->cpu_count = 4;
  return true;
}

// The power-management block's watchdog (BCM2835 peripherals, "PM"): a
// full reset when it expires. The firmware reads the boot partition from
// RSTS; partition 63 (bits 0, 2, 4, ..., 10 set) means "halt", which is
// how a Raspberry Pi powers off (QEMU's raspi3b ends on it too).
void system_off(bool reboot) {
  constexpr PhysAddr kPm = kPeriphBase + 0x100000;
  constexpr u32 kPassword = 0x5a000000;
  constexpr u32 kRstc = 0x1c, kRsts = 0x20, kWdog = 0x24;
  constexpr u32 kPartitionMask = 0x555, kWrcfgMask = 0x30, kFullReset = 0x20;
  u32 rsts = *mmio(kPm + kRsts) & ~kPartitionMask & ~0xff000000u;
  if (!reboot) rsts |= kPartitionMask;
  *mmio(kPm + kRsts) = kPassword | rsts;
  *mmio(kPm + kWdog) = kPassword | 10;  // ticks of about 16 us
  *mmio(kPm + kRstc) = kPassword | (*mmio(kPm + kRstc) & ~kWrcfgMask & ~0xff000000u) | kFullReset;
  // The reset comes after the watchdog's ticks (and, in QEMU, once its
  // main loop takes the request): wait up to a second for it.
  u64 freq, start, now;
  asm volatile("mrs %0, cntfrq_el0" : "=r"(freq));
  asm volatile("isb; mrs %0, cntpct_el0" : "=r"(start));
  do {
    asm volatile("isb; mrs %0, cntpct_el0" : "=r"(now));
  } while (now - start < freq);
}

bool cpu_start(u32 cpu, u64 mpidr, PhysAddr, PhysAddr spin_entry) {
  if (mpidr > 3 || cpu != mpidr) return false;  // head.S derives the CPU number from Aff0
  volatile u64* slot = kern::pa_to_kva<volatile u64>(kSpinTableBase + 8 * mpidr);
  *slot = spin_entry.raw();
  // The parked core reads the slot with its caches off.
  kern::arch::dcache_clean_inval(const_cast<u64*>(slot), sizeof(u64));
  kern::arch::sev();
  return true;
}

}  // namespace plat
