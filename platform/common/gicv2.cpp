// GICv2 driver; register offsets and semantics from the Arm Generic
// Interrupt Controller Architecture Specification v2.0 (IHI 0048B), 4.1.
#include "platform/common/gicv2.h"

#include "platform/common/mmio.h"
#include "platform/platform.h"

namespace plat {

namespace {
// Distributor.
constexpr u32 kGicdCtlr = 0x000;
constexpr u32 kGicdTyper = 0x004;
constexpr u32 kGicdIsenabler = 0x100;  // one bit per interrupt, write 1 to enable
constexpr u32 kGicdIcenabler = 0x180;  // write 1 to disable
constexpr u32 kGicdIspendr = 0x200;    // write 1 to set pending
constexpr u32 kGicdIcpendr = 0x280;    // write 1 to clear pending
constexpr u32 kGicdIcactiver = 0x380;  // write 1 to clear active
constexpr u32 kGicdIpriorityr = 0x400; // one byte per interrupt
constexpr u32 kGicdItargetsr = 0x800;  // one byte per interrupt: CPU-interface mask
constexpr u32 kGicdSgir = 0xf00;
constexpr u32 kGicdCtlrEnable = 1u << 0;
constexpr u32 kSgirTargetList = 0u << 24;  // TargetListFilter: the CPUs in [23:16]
constexpr u32 kSgirSelf = 2u << 24;        // TargetListFilter: only the requesting CPU

// CPU interface.
constexpr u32 kGiccCtlr = 0x00;
constexpr u32 kGiccPmr = 0x04;
constexpr u32 kGiccBpr = 0x08;
constexpr u32 kGiccIar = 0x0c;
constexpr u32 kGiccEoir = 0x10;
constexpr u32 kGiccCtlrEnable = 1u << 0;
constexpr u32 kIarIntidMask = 0x3ff;
constexpr u32 kFirstSpecialIntid = 1020;  // 1020-1023: no interrupt to hand out

constexpr u32 kFirstSpi = 32;
// Middle priority for everything; the priority mask lets all of them through.
constexpr u8 kDefaultPriority = 0xa0;
constexpr u32 kPriorityMask = 0xf0;
constexpr u32 kPriorityWord = 0x01010101u * kDefaultPriority;
}  // namespace

void GicV2::init(u64 gicd, u64 gicc) {
  gicd_ = gicd;
  gicc_ = gicc;
}

void GicV2::init_boot() {
  mmio_write32(gicd_ + kGicdCtlr, 0);
  // ITLinesNumber: the distributor handles 32 * (N + 1) interrupt IDs.
  u32 lines = ((mmio_read32(gicd_ + kGicdTyper) & 0x1f) + 1) * 32;
  if (lines > kFirstSpecialIntid) lines = kFirstSpecialIntid;
  lines_ = lines;
  // Byte 0 of the banked GICD_ITARGETSR0 is the reading CPU's own mask.
  u32 self = mmio_read32(gicd_ + kGicdItargetsr) & 0xff;
  if (self == 0) self = 1;  // uniprocessor GICs read these as zero
  for (u32 i = kFirstSpi; i < lines; i += 32) {
    mmio_write32(gicd_ + kGicdIcenabler + i / 8, ~0u);
    mmio_write32(gicd_ + kGicdIcpendr + i / 8, ~0u);
    mmio_write32(gicd_ + kGicdIcactiver + i / 8, ~0u);
  }
  for (u32 i = kFirstSpi; i < lines; i += 4) {
    mmio_write32(gicd_ + kGicdIpriorityr + i, kPriorityWord);
    mmio_write32(gicd_ + kGicdItargetsr + i, 0x01010101u * self);
  }
  mmio_write32(gicd_ + kGicdCtlr, kGicdCtlrEnable);
}

void GicV2::init_this_cpu(u32 cpu) {
  // SGIs and PPIs (IDs 0-31) are banked per CPU in the distributor.
  u32 mask = mmio_read32(gicd_ + kGicdItargetsr) & 0xff;
  cpu_mask_[cpu] = static_cast<u8>(mask);
  mmio_write32(gicd_ + kGicdIcenabler, 0xffff0000u);  // PPIs off until asked for
  mmio_write32(gicd_ + kGicdIcpendr, 0xffff0000u);
  mmio_write32(gicd_ + kGicdIcactiver, ~0u);
  mmio_write32(gicd_ + kGicdIsenabler, 0x0000ffffu);  // SGIs on (often fixed on anyway)
  for (u32 i = 0; i < kFirstSpi; i += 4) mmio_write32(gicd_ + kGicdIpriorityr + i, kPriorityWord);

  mmio_write32(gicc_ + kGiccPmr, kPriorityMask);
  mmio_write32(gicc_ + kGiccBpr, 0);  // no preemption groups to speak of: we do not nest
  mmio_write32(gicc_ + kGiccCtlr, kGiccCtlrEnable);
}

u32 GicV2::ack(u32 cpu) {
  u32 iar = mmio_read32(gicc_ + kGiccIar);
  u32 intid = iar & kIarIntidMask;
  if (intid >= kFirstSpecialIntid) return kIrqSpurious;
  if (intid < 16) sgi_iar_[cpu][intid] = iar;
  return intid;
}

void GicV2::eoi(u32 cpu, u32 intid) {
  mmio_write32(gicc_ + kGiccEoir, intid < 16 ? sgi_iar_[cpu][intid] : intid);
}

void GicV2::enable(u32 intid) {
  mmio_write32(gicd_ + kGicdIsenabler + (intid / 32) * 4, 1u << (intid % 32));
}

void GicV2::disable(u32 intid) {
  mmio_write32(gicd_ + kGicdIcenabler + (intid / 32) * 4, 1u << (intid % 32));
}

void GicV2::set_pending(u32 intid, bool pending) {
  if (intid < kFirstSpi || intid >= lines_) return;
  u32 reg = pending ? kGicdIspendr : kGicdIcpendr;
  mmio_write32(gicd_ + reg + (intid / 32) * 4, 1u << (intid % 32));
}

void GicV2::send_sgi(u32 self_cpu, u32 target_cpu, u32 sgi) {
  // The sender's earlier writes must be visible before the target runs its
  // handler (the SGI write is a Device access; DSB orders it after them).
  asm volatile("dsb ishst" ::: "memory");
  if (target_cpu == self_cpu) {
    mmio_write32(gicd_ + kGicdSgir, kSgirSelf | sgi);
    return;
  }
  u32 mask = cpu_mask_[target_cpu];
  if (mask == 0) return;  // that CPU never initialised its interface
  mmio_write32(gicd_ + kGicdSgir, kSgirTargetList | (mask << 16) | sgi);
}

}  // namespace plat
