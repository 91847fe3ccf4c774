// Arm Generic Interrupt Controller v3 (QEMU virt with gic-version=3): a
// memory-mapped distributor (GICD) for shared peripheral interrupts, one
// memory-mapped redistributor (GICR) per CPU for its SGIs and PPIs, and the
// CPU interface as system registers (ICC_*_EL1), which also send SGIs.
//
// Affinity routing is on (GICD_CTLR.ARE); every interrupt is Non-secure
// Group 1, which the CPU interface signals to EL1 as IRQ.
#pragma once
#include "arch/aarch64/asm_offsets.h"
#include "lib/types.h"

namespace plat {

class GicV3 {
 public:
  static constexpr u32 kMaxRedistRegions = 4;
  struct Region {
    u64 base;  // kernel virtual address
    u64 size;
  };

  // `rd_stride` 0: the architectural frame stride (128 KiB, or 256 KiB when
  // GICR_TYPER.VLPIS says the redistributor has the GICv4 frames too).
  void init(u64 gicd, const Region* redist, u32 redist_count, u64 rd_stride);
  // Distributor: affinity routing on, every SPI Group 1, disabled, priority
  // kDefaultPriority, routed to `boot_mpidr`.
  void init_boot(u64 boot_mpidr);
  // Finds this CPU's redistributor (by affinity), wakes it, sets up its SGIs
  // and PPIs and the CPU interface. False: no redistributor matches, or the
  // system-register interface cannot be enabled.
  bool init_this_cpu(u32 cpu, u64 mpidr);
  u32 ack();
  void eoi(u32 intid);
  // `cpu` is the calling CPU (SGIs and PPIs live in its redistributor).
  void enable(u32 cpu, u32 intid);
  void disable(u32 cpu, u32 intid);
  // Sets (or clears) an SPI's pending state in the distributor, as if its
  // device had raised it (software-generated device interrupts, for tests).
  void set_pending(u32 intid, bool pending);
  // One past the last interrupt ID the distributor implements (at most 1020).
  u32 lines() const { return lines_; }
  void send_sgi(u64 target_mpidr, u32 sgi);

 private:
  u64 find_redist(u64 mpidr) const;
  void wait_dist_rwp() const;
  void wait_redist_rwp(u64 rd) const;

  static constexpr u32 kMaxCpus = CHCORE_MAX_CPUS;
  u64 gicd_ = 0;
  u32 lines_ = 0;
  Region redist_[kMaxRedistRegions] = {};
  u32 redist_count_ = 0;
  u64 rd_stride_ = 0;
  u64 rd_base_[kMaxCpus] = {};  // each logical CPU's redistributor (RD_base frame)
};

}  // namespace plat
