/* System-call stubs, generated from the one list in uapi/syscall_nr.h.
 *
 * For every X(nr, name, nargs, types) there is
 *     static inline long chcore_sys_<name>(unsigned long a0, ... a<nargs-1>)
 * which executes `svc #0` with the number in x8 and the arguments in x0-x5,
 * and returns x0: a result >= 0, or a negative CHCORE_E* error number.
 *
 * The kernel preserves every register except x0 (general-purpose, FP/SIMD,
 * FPCR/FPSR, SP, TPIDR_EL0) across a system call, so the only clobbers are
 * x0 (the result) and memory (the kernel may read and write user buffers).
 *
 * chcore_syscall6() is the same as an out-of-line function, for numbers only
 * known at run time (tests, tracing). */
#ifndef CHCORE_SYSCALL_H
#define CHCORE_SYSCALL_H

/* Quoted, so that a copy of this file next to a uapi/ directory works too
 * (the libc port builds its native stubs from it). */
#include "uapi/errno.h"
#include "uapi/notify.h"
#include "uapi/object.h"
#include "uapi/pipe.h"
#include "uapi/signal.h"
#include "uapi/syscall_nr.h"

#ifdef __cplusplus
extern "C" {
#endif

long chcore_syscall6(long nr, unsigned long a0, unsigned long a1, unsigned long a2,
                     unsigned long a3, unsigned long a4, unsigned long a5);

#define CHCORE_SYSCALL_STUB_0(nr, name)                         \
  static inline long chcore_sys_##name(void) {                  \
    register unsigned long x8 __asm__("x8") = (nr);             \
    register long x0 __asm__("x0");                             \
    __asm__ volatile("svc #0" : "=r"(x0) : "r"(x8) : "memory"); \
    return x0;                                                  \
  }

#define CHCORE_SYSCALL_STUB_1(nr, name)                         \
  static inline long chcore_sys_##name(unsigned long a0) {      \
    register unsigned long x8 __asm__("x8") = (nr);             \
    register long x0 __asm__("x0") = (long)a0;                  \
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory"); \
    return x0;                                                  \
  }

#define CHCORE_SYSCALL_STUB_2(nr, name)                                      \
  static inline long chcore_sys_##name(unsigned long a0, unsigned long a1) { \
    register unsigned long x8 __asm__("x8") = (nr);                          \
    register long x0 __asm__("x0") = (long)a0;                               \
    register unsigned long x1 __asm__("x1") = a1;                            \
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1) : "memory");     \
    return x0;                                                               \
  }

#define CHCORE_SYSCALL_STUB_3(nr, name)                                                        \
  static inline long chcore_sys_##name(unsigned long a0, unsigned long a1, unsigned long a2) { \
    register unsigned long x8 __asm__("x8") = (nr);                                            \
    register long x0 __asm__("x0") = (long)a0;                                                 \
    register unsigned long x1 __asm__("x1") = a1;                                              \
    register unsigned long x2 __asm__("x2") = a2;                                              \
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");              \
    return x0;                                                                                 \
  }

#define CHCORE_SYSCALL_STUB_4(nr, name)                                                      \
  static inline long chcore_sys_##name(unsigned long a0, unsigned long a1, unsigned long a2, \
                                       unsigned long a3) {                                   \
    register unsigned long x8 __asm__("x8") = (nr);                                          \
    register long x0 __asm__("x0") = (long)a0;                                               \
    register unsigned long x1 __asm__("x1") = a1;                                            \
    register unsigned long x2 __asm__("x2") = a2;                                            \
    register unsigned long x3 __asm__("x3") = a3;                                            \
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");   \
    return x0;                                                                               \
  }

#define CHCORE_SYSCALL_STUB_5(nr, name)                                                      \
  static inline long chcore_sys_##name(unsigned long a0, unsigned long a1, unsigned long a2, \
                                       unsigned long a3, unsigned long a4) {                 \
    register unsigned long x8 __asm__("x8") = (nr);                                          \
    register long x0 __asm__("x0") = (long)a0;                                               \
    register unsigned long x1 __asm__("x1") = a1;                                            \
    register unsigned long x2 __asm__("x2") = a2;                                            \
    register unsigned long x3 __asm__("x3") = a3;                                            \
    register unsigned long x4 __asm__("x4") = a4;                                            \
    __asm__ volatile("svc #0"                                                                \
                     : "+r"(x0)                                                              \
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4)                           \
                     : "memory");                                                            \
    return x0;                                                                               \
  }

#define CHCORE_SYSCALL_STUB_6(nr, name)                                                        \
  static inline long chcore_sys_##name(unsigned long a0, unsigned long a1, unsigned long a2,   \
                                       unsigned long a3, unsigned long a4, unsigned long a5) { \
    register unsigned long x8 __asm__("x8") = (nr);                                            \
    register long x0 __asm__("x0") = (long)a0;                                                 \
    register unsigned long x1 __asm__("x1") = a1;                                              \
    register unsigned long x2 __asm__("x2") = a2;                                              \
    register unsigned long x3 __asm__("x3") = a3;                                              \
    register unsigned long x4 __asm__("x4") = a4;                                              \
    register unsigned long x5 __asm__("x5") = a5;                                              \
    __asm__ volatile("svc #0"                                                                  \
                     : "+r"(x0)                                                                \
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)                    \
                     : "memory");                                                              \
    return x0;                                                                                 \
  }

/* X(nr, name, nargs, types) -> CHCORE_SYSCALL_STUB_<nargs>(nr, name); the
 * types are the kernel's and are ignored here. */
#define CHCORE_SYSCALL_STUB(nr, name, nargs, types) CHCORE_SYSCALL_STUB_##nargs(nr, name)
CHCORE_SYSCALLS(CHCORE_SYSCALL_STUB)
#undef CHCORE_SYSCALL_STUB

/* The name of a system call ("?" for a number without one), for messages. */
const char* chcore_syscall_name(long nr);
/* Its argument count, or -1 for a number without a system call. */
int chcore_syscall_nargs(long nr);

/* Calls that never return. */
__attribute__((noreturn)) void chcore_exit(int code);    /* exit_group */
__attribute__((noreturn)) void chcore_thread_exit(void); /* thread_exit */

#ifdef __cplusplus
}
#endif

#endif
