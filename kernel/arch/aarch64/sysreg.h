// Access to AArch64 system registers and barriers.
#pragma once
#include "lib/types.h"

#define read_sysreg(reg)                           \
  ({                                               \
    u64 _v;                                        \
    asm volatile("mrs %0, " #reg : "=r"(_v));      \
    _v;                                            \
  })
#define write_sysreg(reg, v) asm volatile("msr " #reg ", %0" ::"r"((u64)(v)))

namespace kern::arch {

inline void isb() { asm volatile("isb" ::: "memory"); }
inline void dsb_sy() { asm volatile("dsb sy" ::: "memory"); }
inline void dsb_ish() { asm volatile("dsb ish" ::: "memory"); }
inline void sev() { asm volatile("sev" ::: "memory"); }
inline void wfi() { asm volatile("wfi" ::: "memory"); }

// Clean and invalidate the data cache over [start, start+size) to the point of
// coherency, so that an observer with caches off (a CPU still at its reset
// vector, the VideoCore) sees what we wrote.
void dcache_clean_inval(const void* start, usize size);
void dcache_inval(const void* start, usize size);
// Makes instructions written through the data side at [start, start+size)
// visible to instruction fetch on every CPU (code loaded into memory).
void sync_icache(const void* start, usize size);
// Zeroes [start, start+size): whole pages of Normal cacheable memory (the
// linear map) with DC ZVA; memset where the CPU does not allow it.
void zero_pages(void* start, usize size);

inline u64 counter() { isb(); return read_sysreg(cntpct_el0); }
// CNTFRQ_EL0 is set by firmware; should it be missing, assume 62.5 MHz.
inline u64 counter_freq() {
  u64 f = read_sysreg(cntfrq_el0);
  return f != 0 ? f : 62500000;
}

}  // namespace kern::arch
