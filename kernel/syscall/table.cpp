// The system-call table, generated from the list in uapi/syscall_nr.h.
// vectors.S bounds-checks x8 against CHCORE_NR_SYSCALLS before indexing it.
#include "syscall/syscall.h"
#include "uapi/errno.h"

using namespace kern;

extern "C" i64 sys_enosys(u64, u64, u64, u64, u64, u64) { return -CHCORE_ENOSYS; }

#define CHECK_NR(nr, name, nargs) \
  static_assert((nr) >= 0 && (nr) < CHCORE_NR_SYSCALLS, "syscall number out of range");
CHCORE_SYSCALLS(CHECK_NR)
#undef CHECK_NR

// The assembly indexes `syscall_table` directly: `fn` must come first, and
// the table is page aligned so that `adrp` alone gives its address.
struct alignas(4096) SyscallTable {
  SyscallFn fn[CHCORE_NR_SYSCALLS];
  const char* name[CHCORE_NR_SYSCALLS];
};
static_assert(__builtin_offsetof(SyscallTable, fn) == 0);

void duplicate_syscall_number();  // not constexpr: calling it stops compilation

static consteval SyscallTable make_table() {
  SyscallTable t{};
  for (auto& f : t.fn) f = sys_enosys;
  for (auto& n : t.name) n = nullptr;
  // A duplicate number makes this constant evaluation fail at compile time.
#define FILL(nr, nm, nargs)                                    \
  if (t.name[nr] != nullptr) duplicate_syscall_number();      \
  t.fn[nr] = sys_##nm;                                         \
  t.name[nr] = #nm;
  CHCORE_SYSCALLS(FILL)
#undef FILL
  return t;
}

extern "C" constinit const SyscallTable syscall_table = make_table();

const char* kern::syscall_name(u64 nr) {
  if (nr >= CHCORE_NR_SYSCALLS || syscall_table.name[nr] == nullptr) return "?";
  return syscall_table.name[nr];
}

// Test kernels define the real test_* handlers (tests/ktest_syscalls.cpp).
#ifndef CHCORE_KTEST
extern "C" i64 sys_test_echo(u64, u64, u64, u64, u64, u64) { return -CHCORE_ENOSYS; }
extern "C" i64 sys_test_exit(u64, u64, u64, u64, u64, u64) { return -CHCORE_ENOSYS; }
#endif

extern "C" i64 sys_null(u64, u64, u64, u64, u64, u64) { return 0; }
