/* The system-call numbers: ONE list, used by the kernel table, the user-side
 * stubs and the tracer's names. C, C++ and assembly can include this file; the
 * X-macro list is hidden from the assembler.
 *
 * CHCORE_SYSCALLS(X) calls X(number, name, argument count) for every call.
 * Numbers are unique and below CHCORE_NR_SYSCALLS, the size of the kernel's
 * table; a number without an entry returns -ENOSYS, like one past the end.
 * Test-only calls (test_*) exist only in test kernels; elsewhere they return
 * -ENOSYS. */
#ifndef CHCORE_UAPI_SYSCALL_NR_H
#define CHCORE_UAPI_SYSCALL_NR_H

#define CHCORE_NR_SYSCALLS 64

#define CHCORE_SYSCALLS(X)  \
  X(0, null, 0)             \
  X(60, test_echo, 6)       \
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
