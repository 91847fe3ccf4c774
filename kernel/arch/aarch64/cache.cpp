#include "arch/aarch64/sysreg.h"

#include "lib/string.h"

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

namespace {
// The DC ZVA block size in bytes, 0 where DC ZVA may not be used: read once
// (DCZID_EL0 is the same on every CPU of the boards we run on), since the
// page-fault path zeroes a page per fault.
usize zva_block() {
  static usize block = ~usize{0};
  if (block == ~usize{0}) [[unlikely]] {
    // DCZID_EL0: bit 4 set = DC ZVA prohibited; bits 3:0 = log2 of the
    // block size in 4-byte words (64 bytes on the Cortex-A53 and A72).
    u64 dczid = read_sysreg(dczid_el0);
    usize b = 4ull << (dczid & 0xf);
    block = (dczid & 0x10) != 0 || b * 16 > 4096 ? 0 : b;
  }
  return block;
}
}  // namespace

void zero_pages(void* start, usize size) {
  constexpr usize kRound = 16;  // blocks per loop round
  usize block = zva_block();
  if (block == 0) {
    memset(start, 0, size);
    return;
  }
  // One instruction zeroes a whole block (and allocates it in the cache
  // without reading memory first); a page is a whole number of rounds.
  u8* p = static_cast<u8*>(start);
  u8* end = p + size;
  do {
    for (usize i = 0; i < kRound; i++, p += block) asm volatile("dc zva, %0" ::"r"(p) : "memory");
  } while (p < end);
}

}  // namespace kern::arch
