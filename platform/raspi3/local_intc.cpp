// Raspberry Pi 3: interrupts through the BCM2836 "ARM local peripherals"
// block at 0x40000000 (document QA7_rev3.4), which the BCM2837 keeps. It has
// no GIC: each core has a register that enables its four generic-timer
// interrupts, one that enables its four mailboxes, and one that says which
// sources are pending for it. Nothing needs to be acknowledged or ended: the
// timer is level-triggered (the handler silences it) and a mailbox is
// cleared by writing its bits back.
//
// Interrupt numbers on this board (see docs/interrupts.md):
//   0-11   the bits of the per-core IRQ source register: 0 CNTPS, 1 CNTPNS,
//          2 CNTHP, 3 CNTV, 4-7 mailboxes 0-3, 8 GPU, 9 PMU, 10 AXI,
//          11 local timer;
//   32-63  IPIs: bit n of mailbox 0 is interrupt 32 + n. IPI kind k sets
//          bit k, so several kinds can be pending at once; irq_ack() hands
//          them out one at a time, clearing each bit as it does;
//   64-127 the BCM2835 controller's interrupts 0-63 (the PL011 is 57, so
//          121), which reach a core as its GPU source (bit 8): irq_ack()
//          looks up which enabled one is pending. They are level-triggered
//          by their devices, whose handlers silence them; all of them go to
//          one core (GPU_INT_ROUTING), the one that enabled the last one.
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "mm/kmap.h"
#include "platform/common/mmio.h"
#include "platform/platform.h"
#include "platform/raspi3/board.h"

namespace plat {

namespace {
constexpr PhysAddr kLocalBase{0x40000000};
constexpr u32 kGpuRouting = 0x0c;         // bits 1:0 the core that gets GPU IRQs
constexpr u32 kPmuRouteClear = 0x14;      // write 1 << core: PMU interrupt not to that core
constexpr u32 kLocalTimerCtl = 0x34;      // bit 28 timer enable, bit 29 interrupt enable
constexpr u32 kTimerIntCtl = 0x40;        // + 4 * core: bits 0-3 IRQ for CNTPS/CNTPNS/CNTHP/CNTV
constexpr u32 kMailboxIntCtl = 0x50;      // + 4 * core: bits 0-3 IRQ for mailboxes 0-3
constexpr u32 kIrqSource = 0x60;          // + 4 * core
constexpr u32 kMailboxSet = 0x80;         // + 16 * core + 4 * m: write 1s to set bits
constexpr u32 kMailboxClear = 0xc0;       // + 16 * core + 4 * m: read; write 1s to clear
constexpr u32 kLocalTimerIntEnable = 1u << 29;

// The BCM2835 interrupt controller behind the "GPU" source (bit 8). All of
// it is disabled at boot; a driver enables its interrupt (the console's
// receive interrupt, kernel/console/input.cpp). Banks 1 and 2 hold
// interrupts 0-31 and 32-63: pending, enable (write 1s) and disable (write
// 1s) registers.
constexpr PhysAddr kGpuIntc{0x3f00b200};
constexpr u32 kGpuPending1 = 0x04, kGpuPending2 = 0x08;
constexpr u32 kGpuEnable1 = 0x10, kGpuEnable2 = 0x14;
constexpr u32 kGpuDisable1 = 0x1c, kGpuDisable2 = 0x20, kGpuDisableBasic = 0x24;
using raspi3::kIrqGpuBase;
using raspi3::kGpuIrqCount;
// Which VideoCore interrupts the kernel enabled (bit n: interrupt n): only
// those are handed out, whatever else the pending registers show.
u64 g_gpu_enabled;

constexpr u32 kIrqCntv = 3;
constexpr u32 kIrqMailbox0 = 4;
constexpr u32 kIrqMailbox3 = 7;
constexpr u32 kIrqGpu = 8;
constexpr u32 kIrqPmu = 9;
constexpr u32 kIrqLocalTimer = 11;
constexpr u32 kIrqSourceBits = 12;
constexpr u32 kIrqIpiBase = 32;  // + bit number in mailbox 0
constexpr u32 kIpiMailbox = 0;

static_assert(kIrqIpiBase + 32 <= kIrqGpuBase);
static_assert(kIrqGpuBase + kGpuIrqCount <= kMaxIrqs);
static_assert(kIrqSourceBits <= kIrqIpiBase);

u64 local(u32 off) { return kern::pa_to_kva_addr(kLocalBase).raw() + off; }
// This core's number: MPIDR Aff0 (one cluster of four).
u32 this_core() { return static_cast<u32>(read_sysreg(mpidr_el1) & 0xff); }
u64 mailbox_set(u32 core, u32 m) { return local(kMailboxSet + 16 * core + 4 * m); }
u64 mailbox_clear(u32 core, u32 m) { return local(kMailboxClear + 16 * core + 4 * m); }

void update_bits(u64 reg, u32 set, u32 clear) { mmio_write32(reg, (mmio_read32(reg) & ~clear) | set); }

u64 gpu_intc(u32 off) { return kern::pa_to_kva_addr(kGpuIntc).raw() + off; }

void disable_gpu_sources() {
  __atomic_store_n(&g_gpu_enabled, 0, __ATOMIC_RELAXED);
  mmio_write32(gpu_intc(kGpuDisable1), ~0u);
  mmio_write32(gpu_intc(kGpuDisable2), ~0u);
  mmio_write32(gpu_intc(kGpuDisableBasic), ~0u);
}

// The lowest enabled VideoCore interrupt that is pending, as a board
// interrupt number; kIrqSpurious if none.
u32 gpu_pending() {
  u64 enabled = __atomic_load_n(&g_gpu_enabled, __ATOMIC_RELAXED);
  if (enabled == 0) return kIrqSpurious;
  u64 pending = mmio_read32(gpu_intc(kGpuPending1)) |
                (static_cast<u64>(mmio_read32(gpu_intc(kGpuPending2))) << 32);
  pending &= enabled;
  if (pending == 0) return kIrqSpurious;
  return kIrqGpuBase + static_cast<u32>(__builtin_ctzll(pending));
}

void gpu_enable(u32 n, u32 core) {
  __atomic_fetch_or(&g_gpu_enabled, u64{1} << n, __ATOMIC_RELAXED);
  mmio_write32(local(kGpuRouting), core);  // IRQ (not FIQ) to this core
  mmio_write32(gpu_intc(n < 32 ? kGpuEnable1 : kGpuEnable2), 1u << (n % 32));
}

void gpu_disable(u32 n) {
  mmio_write32(gpu_intc(n < 32 ? kGpuDisable1 : kGpuDisable2), 1u << (n % 32));
  __atomic_fetch_and(&g_gpu_enabled, ~(u64{1} << n), __ATOMIC_RELAXED);
}
}  // namespace

void irq_init_boot() {
  disable_gpu_sources();
  update_bits(local(kLocalTimerCtl), 0, kLocalTimerIntEnable);
}

void irq_init_this_cpu() {
  u32 core = this_core();
  mmio_write32(local(kTimerIntCtl + 4 * core), 0);  // timers: off until irq_enable()
  for (u32 m = 0; m < 4; m++) mmio_write32(mailbox_clear(core, m), ~0u);
  mmio_write32(local(kMailboxIntCtl + 4 * core), 1u << kIpiMailbox);  // IRQ, not FIQ
  mmio_write32(local(kPmuRouteClear), 1u << core);
}

u32 irq_ack() {
  u32 core = this_core();
  u32 src = mmio_read32(local(kIrqSource + 4 * core));
  if (src & (1u << (kIrqMailbox0 + kIpiMailbox))) {
    u32 pending = mmio_read32(mailbox_clear(core, kIpiMailbox));
    if (pending != 0) {
      u32 bit = static_cast<u32>(__builtin_ctz(pending));
      // Consumed now: the same kind sent again from here on is a new IPI.
      mmio_write32(mailbox_clear(core, kIpiMailbox), 1u << bit);
      return kIrqIpiBase + bit;
    }
    src &= ~(1u << (kIrqMailbox0 + kIpiMailbox));
  }
  if (src & (1u << kIrqGpu)) {
    u32 irq = gpu_pending();
    if (irq != kIrqSpurious) return irq;
    // Nothing the kernel enabled: a source that went quiet meanwhile.
    src &= ~(1u << kIrqGpu);
  }
  src &= (1u << kIrqSourceBits) - 1;
  if (src == 0) return kIrqSpurious;
  return static_cast<u32>(__builtin_ctz(src));
}

// Level-triggered sources are silenced by their handlers and IPIs were
// cleared by irq_ack(): there is nothing to end.
void irq_eoi(u32) {}

void irq_enable(u32 irq) {
  u32 core = this_core();
  if (irq <= kIrqCntv)
    update_bits(local(kTimerIntCtl + 4 * core), 1u << irq, 0);
  else if (irq >= kIrqMailbox0 && irq <= kIrqMailbox3)
    update_bits(local(kMailboxIntCtl + 4 * core), 1u << (irq - kIrqMailbox0), 0);
  else if (irq >= kIrqGpuBase && irq < kIrqGpuBase + kGpuIrqCount)
    gpu_enable(irq - kIrqGpuBase, core);
}

void irq_disable(u32 irq) {
  u32 core = this_core();
  if (irq <= kIrqCntv) {
    update_bits(local(kTimerIntCtl + 4 * core), 0, 1u << irq);
  } else if (irq >= kIrqMailbox0 && irq <= kIrqMailbox3) {
    update_bits(local(kMailboxIntCtl + 4 * core), 0, 1u << (irq - kIrqMailbox0));
  } else if (irq == kIrqGpu) {
    disable_gpu_sources();
  } else if (irq == kIrqPmu) {
    mmio_write32(local(kPmuRouteClear), 1u << core);
  } else if (irq >= kIrqGpuBase && irq < kIrqGpuBase + kGpuIrqCount) {
    gpu_disable(irq - kIrqGpuBase);
  } else if (irq == kIrqLocalTimer) {
    update_bits(local(kLocalTimerCtl), 0, kLocalTimerIntEnable);
  }
  // IPI numbers cannot be disabled one by one; irq_ack() already cleared the bit.
}

u32 timer_irq() { return kIrqCntv; }

// The VideoCore interrupts: one core takes them all, whichever enables,
// disables or masks them.
bool irq_is_device_line(u32 irq) { return irq >= kIrqGpuBase && irq < kIrqGpuBase + kGpuIrqCount; }

bool irq_to_ipi(u32 irq, IpiKind* kind) {
  if (irq < kIrqIpiBase || irq >= kIrqIpiBase + kIpiKinds) return false;
  *kind = static_cast<IpiKind>(irq - kIrqIpiBase);
  return true;
}

void ipi_send(u32 cpu, IpiKind kind) {
  u32 core = static_cast<u32>(kern::g_per_cpu[cpu].mpidr & 0xff);
  // The target must see this CPU's earlier writes once it takes the IPI.
  asm volatile("dsb ishst" ::: "memory");
  mmio_write32(mailbox_set(core, kIpiMailbox), 1u << static_cast<u32>(kind));
}

// The board has no battery-backed clock: time starts at the epoch.
u64 rtc_epoch_seconds() { return 0; }

}  // namespace plat
