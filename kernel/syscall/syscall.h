// System-call handlers. Each takes up to six register arguments and returns a
// value or a negative errno; the table in table.cpp is indexed by x8.
#pragma once
#include "lib/types.h"
#include "uapi/errno.h"
#include "uapi/object.h"
#include "uapi/syscall_nr.h"

namespace kern {

using SyscallFn = i64 (*)(u64, u64, u64, u64, u64, u64);

// Name of a system call for tracing and messages ("?" if unknown).
const char* syscall_name(u64 nr);

}  // namespace kern

#define CHCORE_SYS_DECL(nr, name, nargs) \
  extern "C" i64 sys_##name(u64, u64, u64, u64, u64, u64);
CHCORE_SYSCALLS(CHCORE_SYS_DECL)
#undef CHCORE_SYS_DECL
