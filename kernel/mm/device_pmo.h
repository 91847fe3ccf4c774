// Device memory for user-space drivers: PMOs over a physical MMIO range
// (the create_device_pmo system call, docs/notifications.md).
#pragma once
#include "lib/result.h"
#include "mm/pmo.h"

namespace kern {

// Whether all of [base, base + size) is device memory that may be given to
// user space: inside one of the board's device windows (platform/<board>/
// boot_map.h, the physical ranges the boot map maps as Device memory), and
// no byte of it RAM (the allocator's pools) or the kernel image.
[[nodiscard]] bool phys_range_is_device(PhysAddr base, u64 size);

// A Device PMO over [base, base + size), with one reference for the caller.
// Err::Inval: size 0, base or size not a multiple of the page size, or the
// range wraps around the address space; Err::Perm: not all of it is device
// memory (phys_range_is_device); Err::NoMem.
[[nodiscard]] Result<Pmo*> device_pmo_create(PhysAddr base, u64 size);

}  // namespace kern
