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
//          them out one at a time, clearing each bit as it does.
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "mm/kmap.h"
#include "platform/common/mmio.h"
#include "platform/platform.h"

namespace plat {

namespace {
constexpr PhysAddr kLocalBase = 0x40000000;
constexpr u32 kPmuRouteClear = 0x14;      // write 1 << core: PMU interrupt not to that core
constexpr u32 kLocalTimerCtl = 0x34;      // bit 28 timer enable, bit 29 interrupt enable
constexpr u32 kTimerIntCtl = 0x40;        // + 4 * core: bits 0-3 IRQ for CNTPS/CNTPNS/CNTHP/CNTV
constexpr u32 kMailboxIntCtl = 0x50;      // + 4 * core: bits 0-3 IRQ for mailboxes 0-3
constexpr u32 kIrqSource = 0x60;          // + 4 * core
constexpr u32 kMailboxSet = 0x80;         // + 16 * core + 4 * m: write 1s to set bits
constexpr u32 kMailboxClear = 0xc0;       // + 16 * core + 4 * m: read; write 1s to clear
constexpr u32 kLocalTimerIntEnable = 1u << 29;

// The BCM2835 interrupt controller behind the "GPU" source (bit 8): the
// kernel drives no VideoCore-side device by interrupt, so all of it stays
// disabled and bit 8 never fires.
constexpr PhysAddr kGpuIntc = 0x3f00b200;
constexpr u32 kGpuDisable1 = 0x1c, kGpuDisable2 = 0x20, kGpuDisableBasic = 0x24;

constexpr u32 kIrqCntv = 3;
constexpr u32 kIrqMailbox0 = 4;
constexpr u32 kIrqMailbox3 = 7;
constexpr u32 kIrqGpu = 8;
constexpr u32 kIrqPmu = 9;
constexpr u32 kIrqLocalTimer = 11;
constexpr u32 kIrqSourceBits = 12;
constexpr u32 kIrqIpiBase = 32;  // + bit number in mailbox 0
constexpr u32 kIpiMailbox = 0;

static_assert(kIrqIpiBase + 32 <= kMaxIrqs);
static_assert(kIrqSourceBits <= kIrqIpiBase);

u64 local(u32 off) { return reinterpret_cast<u64>(kern::pa_to_kva(kLocalBase)) + off; }
// This core's number: MPIDR Aff0 (one cluster of four).
u32 this_core() { return static_cast<u32>(read_sysreg(mpidr_el1) & 0xff); }
u64 mailbox_set(u32 core, u32 m) { return local(kMailboxSet + 16 * core + 4 * m); }
u64 mailbox_clear(u32 core, u32 m) { return local(kMailboxClear + 16 * core + 4 * m); }

void update_bits(u64 reg, u32 set, u32 clear) { mmio_write32(reg, (mmio_read32(reg) & ~clear) | set); }

void disable_gpu_sources() {
  u64 gpu = reinterpret_cast<u64>(kern::pa_to_kva(kGpuIntc));
  mmio_write32(gpu + kGpuDisable1, ~0u);
  mmio_write32(gpu + kGpuDisable2, ~0u);
  mmio_write32(gpu + kGpuDisableBasic, ~0u);
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
  } else if (irq == kIrqLocalTimer) {
    update_bits(local(kLocalTimerCtl), 0, kLocalTimerIntEnable);
  }
  // IPI numbers cannot be disabled one by one; irq_ack() already cleared the bit.
}

u32 timer_irq() { return kIrqCntv; }

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
