// Arm PrimeCell real-time clock (PL031, TRM DDI 0224): a 32-bit counter of
// seconds. QEMU's virt board starts it at the host's time (UTC), so it reads
// as seconds since 1970. Only the data register is used: no alarm interrupt.
#pragma once
#include "platform/common/mmio.h"

namespace plat {

inline constexpr u32 kPl031Rtcdr = 0x000;  // data register: the current count

// `base` is the kernel virtual address of the register block.
inline u64 pl031_read_seconds(u64 base) { return mmio_read32(base + kPl031Rtcdr); }

}  // namespace plat
