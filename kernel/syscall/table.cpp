// The system-call table and its thunks, generated from the list in
// uapi/syscall_nr.h. vectors.S bounds-checks x8 against CHCORE_NR_SYSCALLS
// before indexing the table.
#include "syscall/syscall.h"
#include "sched/sched.h"

using namespace kern;

namespace {

extern "C" i64 sys_enosys(u64, u64, u64, u64, u64, u64) { return to_errno(Err::NoSys); }

template <usize... I>
struct Indices {};
template <typename T, T... I>
struct IndexPack {
  using type = Indices<I...>;
};
template <usize N>
using MakeIndices = typename __make_integer_seq<IndexPack, usize, N>::type;

// The thunk of handler Fn: registers -> typed arguments, Result -> x0. The
// one place where an error becomes -errno.
template <auto Fn>
struct Thunk;
template <typename... A, SysResult (*Fn)(A...)>
struct Thunk<Fn> {
  template <usize... I>
  [[gnu::always_inline]] static i64 invoke(const u64* r, Indices<I...>) {
    SysResult res = Fn(FromReg<A>::get(r[I])...);
    return res.ok() ? res.value() : to_errno(res.error());
  }
  static i64 call(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
    const u64 r[6] = {a0, a1, a2, a3, a4, a5};
    return invoke(r, MakeIndices<sizeof...(A)>{});
  }
};

}  // namespace

// Handlers that need more of their caller's context than the entry saved
// go through a stub in vectors.S first: syscall_handoff_<name> (it may hand
// the CPU to another thread) or syscall_ctx_<name> (it copies or rewrites
// the whole context). The stub continues in syscall_body_<name>.
#define SYSCALL_STUB(kind, nm)                                                  \
  extern "C" i64 syscall_##kind##_##nm(u64, u64, u64, u64, u64, u64);           \
  extern "C" i64 syscall_body_##nm(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) { \
    return Thunk<&kern::sys_##nm>::call(a0, a1, a2, a3, a4, a5);               \
  }
// yield's handler is sched_yield_current itself (always 0): no thunk.
extern "C" i64 syscall_handoff_yield(u64, u64, u64, u64, u64, u64);
extern "C" i64 syscall_body_yield(u64, u64, u64, u64, u64, u64) { return kern::sched_yield_current(); }
SYSCALL_STUB(handoff, ipc_connect)
SYSCALL_STUB(handoff, ipc_accept)
SYSCALL_STUB(handoff, ipc_call)
SYSCALL_STUB(handoff, ipc_return)
SYSCALL_STUB(ctx, fork)
SYSCALL_STUB(ctx, sigreturn)
#undef SYSCALL_STUB

#define CHECK_NR(nr, name, nargs, types)                                          \
  static_assert((nr) >= 0 && (nr) < CHCORE_NR_SYSCALLS, "syscall number out of range"); \
  static_assert(nargs <= 6, "at most six arguments");
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
#define FILL(nr, nm, nargs, types)                        \
  if (t.name[nr] != nullptr) duplicate_syscall_number(); \
  t.fn[nr] = &Thunk<&kern::sys_##nm>::call;              \
  t.name[nr] = #nm;
  CHCORE_SYSCALLS(FILL)
#undef FILL
  t.fn[CHCORE_SYS_yield] = syscall_handoff_yield;
  t.fn[CHCORE_SYS_ipc_connect] = syscall_handoff_ipc_connect;
  t.fn[CHCORE_SYS_ipc_accept] = syscall_handoff_ipc_accept;
  t.fn[CHCORE_SYS_ipc_call] = syscall_handoff_ipc_call;
  t.fn[CHCORE_SYS_ipc_return] = syscall_handoff_ipc_return;
  t.fn[CHCORE_SYS_fork] = syscall_ctx_fork;
  t.fn[CHCORE_SYS_sigreturn] = syscall_ctx_sigreturn;
  return t;
}

extern "C" constinit const SyscallTable syscall_table = make_table();

const char* kern::syscall_name(u64 nr) {
  if (nr >= CHCORE_NR_SYSCALLS || syscall_table.name[nr] == nullptr) return "?";
  return syscall_table.name[nr];
}

// Test kernels define the real test_* handlers (tests/user_space.cpp,
// tests/test_irq.cpp).
#ifndef CHCORE_KTEST
SysResult kern::sys_test_echo(u64, u64, u64, u64, u64, u64) { return Err::NoSys; }
SysResult kern::sys_test_exit(u64, u64) { return Err::NoSys; }
SysResult kern::sys_test_irq(u64) { return Err::NoSys; }
#endif

SysResult kern::sys_null() { return 0; }
