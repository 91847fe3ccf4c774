// Raspberry Pi 3 (BCM2837): RAM from 0, peripherals at 0x3f000000, the
// per-core local interrupt controller at 0x40000000.
#pragma once
#include "platform/boot_map_types.h"

namespace plat {

inline constexpr PhysAddr kKernelPhysBase{0x80000};
inline constexpr PhysAddr kRamBase{0x0};

inline constexpr BootRegion kBootRegions[] = {
    {PhysAddr{0x0}, PhysAddr{0x3f000000}, BootMemType::Normal},
    {PhysAddr{0x3f000000}, PhysAddr{0x40000000}, BootMemType::Device},
    {PhysAddr{0x40000000}, PhysAddr{0x40200000}, BootMemType::Device},
};

// Device memory in the final kernel map (mm/): the BCM2837 peripherals and
// the ARM local peripherals (per-core timers, mailboxes, interrupt routing).
inline constexpr BootRegion kDeviceRegions[] = {
    {PhysAddr{0x3f000000}, PhysAddr{0x40000000}, BootMemType::Device},
    {PhysAddr{0x40000000}, PhysAddr{0x40040000}, BootMemType::Device},
};

}  // namespace plat
