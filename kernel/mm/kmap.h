// The kernel's linear map: physical address P is at virtual P + KERNEL_VA_OFFSET.
#pragma once
#include "arch/aarch64/asm_offsets.h"
#include "lib/types.h"

namespace kern {

// Host unit tests (CHCORE_HOST_TEST) simulate physical memory with host
// buffers whose "physical address" is the host pointer itself.
#ifdef CHCORE_HOST_TEST
inline constexpr u64 kKernelVaOffset = 0;
#else
inline constexpr u64 kKernelVaOffset = KERNEL_VA_OFFSET;
#endif

inline PhysAddr kva_to_pa(const void* p) {
  return PhysAddr{reinterpret_cast<u64>(p) - kKernelVaOffset};
}

// The linear-map address of `pa`, as a number (for mapping it).
inline VirtAddr pa_to_kva_addr(PhysAddr pa) { return VirtAddr{pa.raw() + kKernelVaOffset}; }

template <typename T = void>
inline T* pa_to_kva(PhysAddr pa) {
  return reinterpret_cast<T*>(pa.raw() + kKernelVaOffset);
}

}  // namespace kern
