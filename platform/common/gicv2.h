// Arm Generic Interrupt Controller v2 (GIC-400, QEMU's cortex-a15-gic):
// a memory-mapped distributor (GICD) shared by all CPUs and a memory-mapped
// CPU interface (GICC) that every CPU sees at the same address, banked.
//
// Every interrupt is left in Group 0, which the CPU interface signals as IRQ
// (GICC_CTLR.FIQEn = 0); with the Security Extensions present and the kernel
// in Non-secure state, the same register writes enable Group 1 instead
// (the Non-secure view of the enable bits), which is what firmware gives us.
#pragma once
#include "arch/aarch64/asm_offsets.h"
#include "lib/types.h"

namespace plat {

class GicV2 {
 public:
  // Kernel virtual addresses of the two register frames.
  void init(u64 gicd, u64 gicc);
  // Distributor: every SPI disabled, priority kDefaultPriority, targeted at
  // the calling (boot) CPU; then forwarding on.
  void init_boot();
  // This CPU's interface; learns its CPU-interface number for SGIs.
  void init_this_cpu(u32 cpu);
  // `cpu` is always the calling CPU's logical number.
  u32 ack(u32 cpu);
  void eoi(u32 cpu, u32 intid);
  void enable(u32 intid);
  void disable(u32 intid);
  // Sets (or clears) an SPI's pending state in the distributor, as if its
  // device had raised it (software-generated device interrupts, for tests).
  void set_pending(u32 intid, bool pending);
  // One past the last interrupt ID the distributor implements (at most 1020).
  u32 lines() const { return lines_; }
  // SGI `sgi` (0-15) to logical CPU `target_cpu`; `self_cpu` is the caller.
  void send_sgi(u32 self_cpu, u32 target_cpu, u32 sgi);

 private:
  static constexpr u32 kMaxCpus = CHCORE_MAX_CPUS;
  u64 gicd_ = 0, gicc_ = 0;
  u32 lines_ = 0;
  // Bit mask of each logical CPU's CPU interface (GICD_SGIR target list).
  u8 cpu_mask_[kMaxCpus] = {};
  // The last GICC_IAR value per CPU and SGI: for an SGI it carries the
  // sending CPU in bits [12:10], and GICC_EOIR must be written with exactly
  // the value GICC_IAR returned.
  u32 sgi_iar_[kMaxCpus][16] = {};
};

}  // namespace plat
