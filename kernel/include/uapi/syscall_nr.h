/* The system calls: ONE list, used by the kernel's table, the user-side stubs
 * (user/libchcore) and the names used for tracing. C, C++ and assembly can
 * include this file.
 *
 * CHCORE_SYSCALLS(X) calls X(number, name, argument count) for every call.
 * Numbers are unique and below CHCORE_NR_SYSCALLS, the size of the kernel's
 * table; a number without an entry returns -ENOSYS, like one past the end.
 * Arguments and errors of each call: docs/abi.md. The test-only calls
 * (test_*) work only in test kernels; elsewhere they return -ENOSYS. */
#ifndef CHCORE_UAPI_SYSCALL_NR_H
#define CHCORE_UAPI_SYSCALL_NR_H

#define CHCORE_NR_SYSCALLS 64

#define CHCORE_SYSCALLS(X)       \
  X(0, null, 0)                  \
  X(1, putstr, 2)                \
  X(2, getc, 0)                  \
  X(3, create_cap_group, 2)      \
  X(4, create_thread, 5)         \
  X(5, thread_exit, 0)           \
  X(6, exit_group, 1)            \
  X(7, yield, 0)                 \
  X(8, create_pmo, 2)            \
  X(9, map_pmo, 4)               \
  X(10, unmap_pmo, 3)            \
  X(11, write_pmo, 4)            \
  X(12, read_pmo, 4)             \
  X(13, cap_copy, 2)             \
  X(14, cap_transfer, 3)         \
  X(15, revoke_cap, 2)           \
  X(16, handle_brk, 1)           \
  X(17, handle_mprotect, 3)      \
  X(18, get_free_mem, 0)         \
  X(19, wait_cap_group, 1)       \
  X(20, cap_info, 1)             \
  X(21, futex, 6)                \
  X(22, set_tid_address, 1)      \
  X(23, clock_gettime, 2)        \
  X(24, clock_nanosleep, 4)      \
  X(25, get_cpu, 0)              \
  X(26, set_affinity, 2)         \
  X(27, get_affinity, 1)         \
  X(28, set_priority, 2)         \
  X(29, gettid, 0)               \
  X(30, console_read, 4)         \
  X(31, getrandom, 3)            \
  X(32, online_cpus, 0)          \
  X(33, user_copy, 3)            \
  X(60, test_echo, 6)            \
  X(61, test_exit, 2)

#ifdef __ASSEMBLER__
/* Assembly gets the same names as symbols: CHCORE_SYSCALLS(...) expands to
 * one `.equ CHCORE_SYS_name, nr` per call. */
#define CHCORE_SYS_ASM_EQU(nr, name, nargs) .equ CHCORE_SYS_##name, nr;
CHCORE_SYSCALLS(CHCORE_SYS_ASM_EQU)
#else
enum {
#define CHCORE_SYS_ENUM(nr, name, nargs) CHCORE_SYS_##name = (nr),
  CHCORE_SYSCALLS(CHCORE_SYS_ENUM)
#undef CHCORE_SYS_ENUM
};
#endif

#endif
