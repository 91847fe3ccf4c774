// System-call handlers: typed declarations generated from the one list in
// uapi/syscall_nr.h (docs/syscalls-kernel.md says how to add one).
//
// Each X(nr, name, nargs, (types...)) there declares
//     SysResult kern::sys_<name>(types...);
// and table.cpp generates a thunk that turns the six argument registers into
// those types (FromReg below) and the handler's Result into x0: its value,
// or -errno. That thunk is the only place where -errno is made.
//
// Argument types: u64 / i64 / usize (a register as it is), UserPtr<T> (a
// user address, only ever copied through), VirtAddr (a user address that is
// mapped, unmapped or run, never copied through), PhysAddr (a physical
// address: device memory), CapSlot (a capability slot).
// Narrower integers do not compile: a register is 64 bits, and a silent
// truncation is a bug (set_affinity once pinned CPU 1<<32 to CPU 0).
#pragma once
#include "lib/result.h"
#include "lib/types.h"
#include "mm/uaccess.h"
#include "object/cap_slot.h"
#include "uapi/errno.h"
#include "uapi/object.h"
#include "uapi/pipe.h"
#include "uapi/signal.h"
#include "uapi/syscall_nr.h"

namespace kern {

using SysResult = Result<i64>;
using SyscallFn = i64 (*)(u64, u64, u64, u64, u64, u64);

// The value a blocking handler returns after sched_block_prepare(): it is
// ignored, because the thread's result is what its waker passes.
inline constexpr i64 kBlocked = 0;

// Name of a system call for tracing and messages ("?" if unknown).
const char* syscall_name(u64 nr);

// How a register becomes an argument of each allowed type.
template <typename T>
struct FromReg;  // not defined: a type that is not listed here does not compile
template <>
struct FromReg<u64> {
  static u64 get(u64 r) { return r; }
};
template <>
struct FromReg<i64> {
  static i64 get(u64 r) { return static_cast<i64>(r); }
};
template <>
struct FromReg<VirtAddr> {
  static VirtAddr get(u64 r) { return VirtAddr{r}; }
};
template <>
struct FromReg<PhysAddr> {
  static PhysAddr get(u64 r) { return PhysAddr{r}; }
};
template <typename T>
struct FromReg<UserPtr<T>> {
  static UserPtr<T> get(u64 r) { return UserPtr<T>(VirtAddr{r}); }
};
template <>
struct FromReg<CapSlot> {
  static CapSlot get(u64 r) { return CapSlot{r}; }
};

#define CHCORE_SYS_DECL(nr, name, nargs, types) SysResult sys_##name types;
CHCORE_SYSCALLS(CHCORE_SYS_DECL)
#undef CHCORE_SYS_DECL

}  // namespace kern
