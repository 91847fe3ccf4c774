// The system-call table and its thunks, generated from the list in
// uapi/syscall_nr.h. vectors.S bounds-checks x8 against CHCORE_NR_SYSCALLS
// before indexing the table.
#include "syscall/syscall.h"
#include "sched/sched.h"
#include "syscall/stubs.h"

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

// yield's handler, here so that its thunk (the stub's body) inlines it: a
// tail call of sched_yield_current.
SysResult kern::sys_yield() { return sched_yield_current(); }

// Handlers that need more of their caller's context than the entry saved
// go through a stub in vectors.S first (syscall/stubs.h lists them):
// syscall_handoff_<name> (it may hand the CPU to another thread) or
// syscall_ctx_<name> (it copies or rewrites the whole context). The stub
// continues in syscall_body_<name>, the handler's thunk.
#define STUB_BODY(nm)                                                                 \
  extern "C" i64 syscall_body_##nm(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) { \
    return Thunk<&kern::sys_##nm>::call(a0, a1, a2, a3, a4, a5);                     \
  }
#define STUB_HANDOFF(nm) \
  extern "C" i64 syscall_handoff_##nm(u64, u64, u64, u64, u64, u64); \
  STUB_BODY(nm)
#define STUB_CTX(nm) \
  extern "C" i64 syscall_ctx_##nm(u64, u64, u64, u64, u64, u64); \
  STUB_BODY(nm)
CHCORE_SYSCALL_STUBS(STUB_HANDOFF, STUB_CTX)
#undef STUB_HANDOFF
#undef STUB_CTX
#undef STUB_BODY

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
#define STUB_HANDOFF(nm) t.fn[CHCORE_SYS_##nm] = syscall_handoff_##nm;
#define STUB_CTX(nm) t.fn[CHCORE_SYS_##nm] = syscall_ctx_##nm;
  CHCORE_SYSCALL_STUBS(STUB_HANDOFF, STUB_CTX)
#undef STUB_HANDOFF
#undef STUB_CTX
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
