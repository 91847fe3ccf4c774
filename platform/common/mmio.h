// 32-bit register access for memory-mapped devices. The kernel maps device
// regions as Device-nGnRnE (mm/), so accesses are neither merged, reordered
// with each other nor cached; the compiler is kept from doing so by volatile.
#pragma once
#include "lib/types.h"

namespace plat {

inline u32 mmio_read32(u64 addr) { return *reinterpret_cast<volatile u32*>(addr); }
inline void mmio_write32(u64 addr, u32 v) { *reinterpret_cast<volatile u32*>(addr) = v; }
inline void mmio_write8(u64 addr, u8 v) { *reinterpret_cast<volatile u8*>(addr) = v; }
// A 64-bit register read as two 32-bit halves (low first): every GIC allows
// 32-bit accesses to its 64-bit registers, not every one allows 64-bit ones.
inline u64 mmio_read64_split(u64 addr) {
  u64 lo = mmio_read32(addr);
  u64 hi = mmio_read32(addr + 4);
  return lo | (hi << 32);
}

}  // namespace plat
