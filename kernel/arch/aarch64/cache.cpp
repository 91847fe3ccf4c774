#include "arch/aarch64/sysreg.h"

namespace kern::arch {

static u64 dcache_line_size() {
  // CTR_EL0.DminLine is log2 of the number of 4-byte words in the smallest line.
  u64 ctr = read_sysreg(ctr_el0);
  return 4ull << ((ctr >> 16) & 0xf);
}

void dcache_clean_inval(const void* start, usize size) {
  u64 line = dcache_line_size();
  u64 p = align_down(reinterpret_cast<u64>(start), line);
  u64 end = reinterpret_cast<u64>(start) + size;
  for (; p < end; p += line) asm volatile("dc civac, %0" ::"r"(p) : "memory");
  dsb_sy();
}

void dcache_inval(const void* start, usize size) {
  u64 line = dcache_line_size();
  u64 p = align_down(reinterpret_cast<u64>(start), line);
  u64 end = reinterpret_cast<u64>(start) + size;
  for (; p < end; p += line) asm volatile("dc ivac, %0" ::"r"(p) : "memory");
  dsb_sy();
}

void sync_icache(const void* start, usize size) {
  u64 line = dcache_line_size();
  u64 end = reinterpret_cast<u64>(start) + size;
  for (u64 p = align_down(reinterpret_cast<u64>(start), line); p < end; p += line)
    asm volatile("dc cvau, %0" ::"r"(p) : "memory");
  asm volatile("dsb ish; ic ialluis; dsb ish; isb" ::: "memory");
}

}  // namespace kern::arch
