// Internal to the Raspberry Pi 3 board: interrupt numbers shared by
// platform.cpp and local_intc.cpp.
#pragma once
#include "lib/types.h"

namespace plat::raspi3 {

// Interrupts of the BCM2835 ("VideoCore side") controller at 0x3f00b200,
// which reach the cores as the local controller's GPU source: board
// interrupt kIrqGpuBase + n is its interrupt n (0-63, BCM2835 ARM
// Peripherals, 7.5).
inline constexpr u32 kIrqGpuBase = 64;
inline constexpr u32 kGpuIrqCount = 64;
// The PL011 (UART0) is VideoCore interrupt 57 (bit 25 of the second bank).
inline constexpr u32 kGpuIrqUart0 = 57;

}  // namespace plat::raspi3
