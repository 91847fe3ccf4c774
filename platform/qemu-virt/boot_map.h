// QEMU virt: devices below 1 GiB, RAM from 1 GiB (size from the device tree).
#pragma once
#include "platform/boot_map_types.h"

namespace plat {

inline constexpr PhysAddr kKernelPhysBase{0x40080000};
inline constexpr PhysAddr kRamBase{0x40000000};

// The boot map covers RAM up to 64 GiB generously; mm/ later maps exactly
// what the device tree reports.
inline constexpr BootRegion kBootRegions[] = {
    {PhysAddr{0x0}, PhysAddr{0x40000000}, BootMemType::Device},
    {PhysAddr{0x40000000}, PhysAddr{0x1000000000}, BootMemType::Normal},
};

// Device memory in the final kernel map (mm/): GIC, PL011, PL031 RTC, fw_cfg,
// GPIO and the virtio-mmio transports.
inline constexpr BootRegion kDeviceRegions[] = {
    {PhysAddr{0x08000000}, PhysAddr{0x0b000000}, BootMemType::Device},
};

}  // namespace plat
