// Masking interrupts (PSTATE.I) on the calling CPU.
#pragma once
#include "lib/types.h"

namespace kern::arch {

inline void irq_local_disable() { asm volatile("msr daifset, #2" ::: "memory"); }
inline void irq_local_enable() { asm volatile("msr daifclr, #2" ::: "memory"); }
inline bool irq_local_enabled() {
  u64 daif;
  asm volatile("mrs %0, daif" : "=r"(daif));
  return (daif & (1u << 7)) == 0;  // DAIF.I is bit 7 of the register
}

// Sleeps until an interrupt is pending and lets it be taken; returns with
// interrupts masked again. Call with interrupts masked, after checking the
// condition being waited for: WFI wakes for a pending interrupt even while
// PSTATE.I masks it, so one that arrives between the check and the WFI is
// not lost. The ISB makes sure the unmasked window is actually observed.
inline void wait_for_interrupt() {
  asm volatile("wfi\n msr daifclr, #2\n isb\n msr daifset, #2" ::: "memory");
}

}  // namespace kern::arch
