// GICv3 driver; register offsets and semantics from the Arm Generic
// Interrupt Controller Architecture Specification, GIC architecture
// version 3 and version 4 (IHI 0069), chapters 12 (system registers) and
// 12.8-12.11 (GICD, GICR).
#include "platform/common/gicv3.h"

#include "arch/aarch64/sysreg.h"
#include "platform/common/mmio.h"
#include "platform/platform.h"

namespace plat {

namespace {
// Distributor.
constexpr u32 kGicdCtlr = 0x0000;
constexpr u32 kGicdTyper = 0x0004;
constexpr u32 kGicdIgroupr = 0x0080;
constexpr u32 kGicdIsenabler = 0x0100;
constexpr u32 kGicdIcenabler = 0x0180;
constexpr u32 kGicdIspendr = 0x0200;
constexpr u32 kGicdIcpendr = 0x0280;
constexpr u32 kGicdIcactiver = 0x0380;
constexpr u32 kGicdIpriorityr = 0x0400;
constexpr u32 kGicdIrouter = 0x6000;  // 64 bits per SPI, indexed by INTID
// GICD_CTLR as seen by Non-secure software. With one Security state
// (GICD_CTLR.DS = 1, QEMU without secure=on) bit 0 enables Group 0 and bit 1
// Group 1; with two, bit 0 is EnableGrp1 (the alias) and bit 1 EnableGrp1A.
// Setting both enables Non-secure Group 1 either way (as Linux does).
constexpr u32 kGicdCtlrEnableG1 = (1u << 0) | (1u << 1);
constexpr u32 kGicdCtlrAreNs = 1u << 4;  // affinity routing
constexpr u32 kGicdCtlrRwp = 1u << 31;   // a register write is still taking effect

// Redistributor: the RD_base frame, then the SGI_base frame 64 KiB above.
constexpr u32 kGicrCtlr = 0x0000;
constexpr u32 kGicrTyper = 0x0008;
constexpr u32 kGicrWaker = 0x0014;
constexpr u32 kGicrCtlrRwp = 1u << 3;
constexpr u64 kGicrTyperVlpis = 1u << 1;
constexpr u64 kGicrTyperLast = 1u << 4;
constexpr u32 kGicrWakerProcessorSleep = 1u << 1;
constexpr u32 kGicrWakerChildrenAsleep = 1u << 2;
constexpr u64 kSgiBase = 0x10000;
constexpr u32 kGicrIgroupr0 = 0x0080;
constexpr u32 kGicrIsenabler0 = 0x0100;
constexpr u32 kGicrIcenabler0 = 0x0180;
constexpr u32 kGicrIcpendr0 = 0x0280;
constexpr u32 kGicrIcactiver0 = 0x0380;
constexpr u32 kGicrIpriorityr = 0x0400;
constexpr u64 kFrameStrideV3 = 0x20000;  // RD_base + SGI_base
constexpr u64 kFrameStrideV4 = 0x40000;  // + VLPI_base + a reserved frame

// CPU interface (system registers).
constexpr u64 kIccSreSre = 1u << 0;
constexpr u64 kIccCtlrEoiMode = 1u << 1;
constexpr u32 kIarIntidMask = 0xffffff;

constexpr u32 kFirstSpi = 32;
constexpr u32 kFirstSpecialIntid = 1020;
constexpr u8 kDefaultPriority = 0xa0;
constexpr u64 kPriorityMask = 0xf0;
constexpr u32 kPriorityWord = 0x01010101u * kDefaultPriority;
// Polls for the GIC to finish a write; it takes a few cycles on QEMU and
// hardware. A GIC that never finishes is broken: give up rather than hang.
constexpr u32 kPollLimit = 1000000;

// MPIDR_EL1 affinity (Aff3 in [39:32], Aff2..Aff0 in [23:0]) in the packed
// form of GICR_TYPER[63:32]: Aff3.Aff2.Aff1.Aff0.
u32 packed_affinity(u64 mpidr) {
  return static_cast<u32>(((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff));
}
}  // namespace

void GicV3::init(u64 gicd, const Region* redist, u32 redist_count, u64 rd_stride) {
  gicd_ = gicd;
  redist_count_ = redist_count < kMaxRedistRegions ? redist_count : kMaxRedistRegions;
  for (u32 i = 0; i < redist_count_; i++) redist_[i] = redist[i];
  rd_stride_ = rd_stride;
}

void GicV3::wait_dist_rwp() const {
  for (u32 i = 0; i < kPollLimit && (mmio_read32(gicd_ + kGicdCtlr) & kGicdCtlrRwp); i++) {
  }
}

void GicV3::wait_redist_rwp(u64 rd) const {
  for (u32 i = 0; i < kPollLimit && (mmio_read32(rd + kGicrCtlr) & kGicrCtlrRwp); i++) {
  }
}

void GicV3::init_boot(u64 boot_mpidr) {
  // Affinity routing may only change while both groups are disabled.
  mmio_write32(gicd_ + kGicdCtlr, 0);
  wait_dist_rwp();
  mmio_write32(gicd_ + kGicdCtlr, kGicdCtlrAreNs);
  wait_dist_rwp();

  u32 lines = ((mmio_read32(gicd_ + kGicdTyper) & 0x1f) + 1) * 32;
  if (lines > kFirstSpecialIntid) lines = kFirstSpecialIntid;
  lines_ = lines;
  for (u32 i = kFirstSpi; i < lines; i += 32) {
    mmio_write32(gicd_ + kGicdIgroupr + i / 8, ~0u);
    mmio_write32(gicd_ + kGicdIcenabler + i / 8, ~0u);
    mmio_write32(gicd_ + kGicdIcpendr + i / 8, ~0u);
    mmio_write32(gicd_ + kGicdIcactiver + i / 8, ~0u);
  }
  for (u32 i = kFirstSpi; i < lines; i += 4) mmio_write32(gicd_ + kGicdIpriorityr + i, kPriorityWord);
  // GICD_IROUTER<n> uses the MPIDR layout; IRM (bit 31) = 0: exactly that CPU.
  u64 route = boot_mpidr & 0xff00ffffffull;
  for (u32 i = kFirstSpi; i < lines; i++) {
    mmio_write32(gicd_ + kGicdIrouter + 8 * i, static_cast<u32>(route));
    mmio_write32(gicd_ + kGicdIrouter + 8 * i + 4, static_cast<u32>(route >> 32));
  }
  wait_dist_rwp();
  mmio_write32(gicd_ + kGicdCtlr, kGicdCtlrAreNs | kGicdCtlrEnableG1);
  wait_dist_rwp();
}

u64 GicV3::find_redist(u64 mpidr) const {
  u32 want = packed_affinity(mpidr);
  for (u32 r = 0; r < redist_count_; r++) {
    u64 addr = redist_[r].base, end = redist_[r].base + redist_[r].size;
    while (addr + kFrameStrideV3 <= end) {
      u64 typer = mmio_read64_split(addr + kGicrTyper);
      if (static_cast<u32>(typer >> 32) == want) return addr;
      if (typer & kGicrTyperLast) break;
      addr += rd_stride_ != 0 ? rd_stride_ : (typer & kGicrTyperVlpis) ? kFrameStrideV4 : kFrameStrideV3;
    }
  }
  return 0;
}

bool GicV3::init_this_cpu(u32 cpu, u64 mpidr) {
  u64 rd = find_redist(mpidr);
  if (rd == 0) return false;
  rd_base_[cpu] = rd;

  // Wake the redistributor: it then forwards interrupts to this CPU.
  u32 waker = mmio_read32(rd + kGicrWaker);
  mmio_write32(rd + kGicrWaker, waker & ~kGicrWakerProcessorSleep);
  for (u32 i = 0; i < kPollLimit && (mmio_read32(rd + kGicrWaker) & kGicrWakerChildrenAsleep); i++) {
  }

  u64 sgi = rd + kSgiBase;
  mmio_write32(sgi + kGicrIgroupr0, ~0u);           // all SGIs/PPIs Group 1
  mmio_write32(sgi + kGicrIcenabler0, 0xffff0000u);  // PPIs off until asked for
  wait_redist_rwp(rd);
  mmio_write32(sgi + kGicrIcpendr0, 0xffff0000u);
  mmio_write32(sgi + kGicrIcactiver0, ~0u);
  for (u32 i = 0; i < kFirstSpi; i += 4) mmio_write32(sgi + kGicrIpriorityr + i, kPriorityWord);
  mmio_write32(sgi + kGicrIsenabler0, 0x0000ffffu);  // SGIs (IPIs) on

  // The CPU interface through system registers. At EL2 entry, head.S set
  // ICC_SRE_EL2.Enable so that this write is not trapped.
  write_sysreg(icc_sre_el1, read_sysreg(icc_sre_el1) | kIccSreSre);
  kern::arch::isb();
  if ((read_sysreg(icc_sre_el1) & kIccSreSre) == 0) return false;
  write_sysreg(icc_pmr_el1, kPriorityMask);
  write_sysreg(icc_bpr1_el1, 0);
  // EOImode 0: a write to ICC_EOIR1_EL1 both drops priority and deactivates.
  write_sysreg(icc_ctlr_el1, read_sysreg(icc_ctlr_el1) & ~kIccCtlrEoiMode);
  write_sysreg(icc_igrpen1_el1, 1);
  kern::arch::isb();
  return true;
}

u32 GicV3::ack() {
  u32 intid = static_cast<u32>(read_sysreg(icc_iar1_el1)) & kIarIntidMask;
  // 1020-1023 are special (no interrupt); LPIs (>= 8192) are never enabled.
  if (intid >= kFirstSpecialIntid) return kIrqSpurious;
  return intid;
}

void GicV3::eoi(u32 intid) {
  write_sysreg(icc_eoir1_el1, intid);
  kern::arch::isb();
}

void GicV3::enable(u32 cpu, u32 intid) {
  u32 bit = 1u << (intid % 32);
  if (intid < kFirstSpi) {
    if (rd_base_[cpu] != 0) mmio_write32(rd_base_[cpu] + kSgiBase + kGicrIsenabler0, bit);
  } else {
    mmio_write32(gicd_ + kGicdIsenabler + (intid / 32) * 4, bit);
  }
}

void GicV3::disable(u32 cpu, u32 intid) {
  u32 bit = 1u << (intid % 32);
  if (intid < kFirstSpi) {
    if (rd_base_[cpu] == 0) return;
    mmio_write32(rd_base_[cpu] + kSgiBase + kGicrIcenabler0, bit);
    wait_redist_rwp(rd_base_[cpu]);
  } else {
    mmio_write32(gicd_ + kGicdIcenabler + (intid / 32) * 4, bit);
    wait_dist_rwp();
  }
}

void GicV3::set_pending(u32 intid, bool pending) {
  if (intid < kFirstSpi || intid >= lines_) return;
  u32 reg = pending ? kGicdIspendr : kGicdIcpendr;
  mmio_write32(gicd_ + reg + (intid / 32) * 4, 1u << (intid % 32));
}

void GicV3::send_sgi(u64 target_mpidr, u32 sgi) {
  // ICC_SGI1R_EL1: Aff3 [55:48], RS [47:44], Aff2 [39:32], INTID [27:24],
  // Aff1 [23:16], TargetList [15:0] (bit n = Aff0 of RS * 16 + n).
  u64 aff0 = target_mpidr & 0xff, aff1 = (target_mpidr >> 8) & 0xff;
  u64 aff2 = (target_mpidr >> 16) & 0xff, aff3 = (target_mpidr >> 32) & 0xff;
  u64 v = (aff3 << 48) | ((aff0 / 16) << 44) | (aff2 << 32) | (static_cast<u64>(sgi & 0xf) << 24) |
          (aff1 << 16) | (1ull << (aff0 % 16));
  // The SGI is a system-register write, which a DMB does not order: a DSB
  // makes the sender's earlier writes visible before the target can run.
  asm volatile("dsb ishst" ::: "memory");
  write_sysreg(icc_sgi1r_el1, v);
  kern::arch::isb();
}

}  // namespace plat
