// QEMU virt: PL011 at 0x09000000, everything else from the device tree,
// secondary CPUs through PSCI (conduit named by the device tree). The
// interrupt controller is in irq.cpp.
#include "platform/platform.h"

#include "lib/fdt.h"
#include "lib/printk.h"
#include "mm/kmap.h"
#include "platform/common/pl011.h"
#include "platform/common/pl031.h"
#include "platform/qemu-virt/board.h"

namespace plat {

namespace {
constexpr PhysAddr kUartBase{0x09000000};
constexpr usize kMaxDtbSize = 2 * 1024 * 1024;
constexpr u64 kPsciCpuOn64 = 0xc4000003;

Pl011 g_uart;
kern::fdt::PsciMethod g_psci = kern::fdt::PsciMethod::None;
u64 g_boot_epoch_seconds = 0;  // the PL031's reading in discover()

u32 g_uart_irq;  // GIC INTID of the console PL011; 0: the device tree did not say

void console_putc(char c) { g_uart.putc(c); }

// The console is the PL011 whose reg is kUartBase. Its "interrupts" are in
// the GIC's three-cell format <type number flags>; type 0 is an SPI, whose
// INTID is 32 + number (QEMU: <0 1 4>, INTID 33, level-triggered).
void find_uart_irq(const kern::fdt::Tree& tree) {
  i32 node;
  if (tree.find_compatible("arm,pl011", &node) != kern::fdt::Error::Ok) return;
  do {
    u64 base, size;
    const void* data;
    u32 len;
    if (!tree.compatible(node, "arm,pl011") ||
        tree.reg(node, 0, &base, &size) != kern::fdt::Error::Ok || PhysAddr{base} != kUartBase)
      continue;
    if (tree.get_prop(node, "interrupts", &data, &len) != kern::fdt::Error::Ok || len < 12) return;
    u32 type = __builtin_bswap32(static_cast<const u32*>(data)[0]);
    u32 number = __builtin_bswap32(static_cast<const u32*>(data)[1]);
    if (type == 0 && number < 988) g_uart_irq = 32 + number;
    return;
  } while (tree.next_node(node, &node) == kern::fdt::Error::Ok);
}
}  // namespace

int console_getc() { return g_uart.try_getc(); }

bool console_rx_irq(u32* irq) {
  if (g_uart_irq == 0) return false;
  *irq = g_uart_irq;
  return true;
}

// SPIs are routed to the boot CPU (irq_init_boot), which is the one that
// calls this.
void console_rx_irq_enable() {
  g_uart.enable_rx_irq();
  irq_enable(g_uart_irq);
}

void console_rx_irq_clear() { g_uart.clear_rx_irq(); }

namespace {

i64 psci_call(u64 fn, u64 a1, u64 a2, u64 a3) {
  register u64 x0 asm("x0") = fn;
  register u64 x1 asm("x1") = a1;
  register u64 x2 asm("x2") = a2;
  register u64 x3 asm("x3") = a3;
  if (g_psci == kern::fdt::PsciMethod::Smc)
    asm volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
  else
    asm volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
  return static_cast<i64>(x0);
}
}  // namespace

const char* name() { return "virt"; }

void console_init() {
  // QEMU's PL011 needs no clock setup; keep whatever the baud rate is.
  g_uart.init(kern::pa_to_kva_addr(kUartBase).raw(), 0, 115200);
  kern::printk_set_console(console_putc);
}

namespace {
u8 g_seed[sizeof(kern::fdt::BootInfo::rng_seed)];
u32 g_seed_len;
}  // namespace

usize entropy(u8* buf, usize max, const char** source) {
  usize n = g_seed_len < max ? g_seed_len : max;
  __builtin_memcpy(buf, g_seed, n);
  __builtin_memset(g_seed, 0, sizeof(g_seed));
  g_seed_len = 0;
  *source = "the device tree (/chosen rng-seed, kaslr-seed)";
  return n;
}

bool discover(PhysAddr dtb, MachineInfo* out, const char** why) {
  *out = MachineInfo{};
  if (dtb == PhysAddr{} || !kern::is_aligned(dtb, 8)) {
    *why = "no device tree in x0 (boot the raw Image with -kernel)";
    return false;
  }
  kern::fdt::BootInfo bi;
  kern::fdt::Error e = kern::fdt::parse_boot_info(kern::pa_to_kva(dtb), kMaxDtbSize, &bi);
  kern::fdt::Tree tree;
  if (e == kern::fdt::Error::Ok) e = tree.init(kern::pa_to_kva(dtb), kMaxDtbSize);
  if (e != kern::fdt::Error::Ok) {
    *why = kern::fdt::error_name(e);
    return false;
  }
  // The device tree stays in RAM for drivers that read it later.
  out->reserved[0].base = dtb;
  out->reserved[0].size = tree.total_size();
  out->reserved_count = 1;
  // The user runtime expects the archive at the start of a page.
  if (bi.initrd_end > bi.initrd_start && kern::is_aligned(bi.initrd_start, 0x1000)) {
    out->initrd_base = bi.initrd_start;
    out->initrd_size = bi.initrd_end - bi.initrd_start;
    out->reserved[1].base = bi.initrd_start;
    out->reserved[1].size = out->initrd_size;
    out->reserved_count = 2;
  }
  // Kept for entropy(): the device tree is not parsed again.
  g_seed_len = bi.rng_seed_len;
  __builtin_memcpy(g_seed, bi.rng_seed, g_seed_len);
  for (u32 i = 0; i < bi.mem_count && i < MachineInfo::kMaxMem; i++) {
    out->mem[i].base = bi.mem[i].base;
    out->mem[i].size = bi.mem[i].size;
    out->mem_count++;
  }
  if (out->mem_count == 0) {
    *why = "device tree has no memory node";
    return false;
  }
  for (u32 i = 0; i < bi.cpu_count && i < ARRAY_SIZE(out->cpu_mpidr); i++)
    out->cpu_mpidr[out->cpu_count++] = bi.cpu_mpidr[i];
  if (out->cpu_count == 0) {
    *why = "device tree has no CPUs";
    return false;
  }
  g_psci = bi.psci;
  if (!virt::irq_discover(tree, why)) return false;
  find_uart_irq(tree);
  // The real-time clock is optional: without one the clock starts at 1970.
  // discover() runs on the boot page tables, which map all device memory.
  i32 rtc;
  u64 rtc_base, rtc_size;
  if (tree.find_compatible("arm,pl031", &rtc) == kern::fdt::Error::Ok &&
      tree.reg(rtc, 0, &rtc_base, &rtc_size) == kern::fdt::Error::Ok &&
      virt::in_device_map(PhysAddr{rtc_base}, rtc_size))
    g_boot_epoch_seconds = pl031_read_seconds(kern::pa_to_kva_addr(PhysAddr{rtc_base}).raw());
  return true;
}

u64 rtc_epoch_seconds() { return g_boot_epoch_seconds; }

void system_off(bool reboot) {
  constexpr u64 kPsciSystemOff = 0x84000008;
  constexpr u64 kPsciSystemReset = 0x84000009;
  if (g_psci == kern::fdt::PsciMethod::None) return;
  psci_call(reboot ? kPsciSystemReset : kPsciSystemOff, 0, 0, 0);
}

bool cpu_start(u32 cpu, u64 mpidr, PhysAddr psci_entry, PhysAddr) {
  if (g_psci == kern::fdt::PsciMethod::None) return false;
  i64 r = psci_call(kPsciCpuOn64, mpidr, psci_entry.raw(), cpu);
  return r == 0;
}

}  // namespace plat
