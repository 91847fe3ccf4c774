/* Thread bodies of the fuzzer that must work with nothing around them: no
 * stack, no C library, no data. See fuzz.h. */
#include "uapi/syscall_nr.h"

  .text

/* fz_spin_entry(x0 = count): yields (count & 0xff) times, then ends the
 * thread. The counter is masked on every round, so that a thread started
 * anywhere in this code (a fuzzed entry point) also ends within 256 rounds.
 * Only PC-relative branches: the bytes are copied into victim processes. */
  .globl fz_spin_entry
  .globl fz_spin_end
  .p2align 2
fz_spin_entry:
  and x19, x0, #0xff
1:
  cbz x19, 2f
  mov x8, #CHCORE_SYS_yield
  svc #0
  sub x19, x19, #1
  and x19, x19, #0xff
  b 1b
2:
  mov x8, #CHCORE_SYS_thread_exit
  svc #0
  b 2b
fz_spin_end:

/* fz_kill_entry(x0 = code): exit_group(code). */
  .globl fz_kill_entry
  .p2align 2
fz_kill_entry:
  mov x8, #CHCORE_SYS_exit_group
  svc #0
  b fz_kill_entry

/* fz_restorer: the return address (SA_RESTORER) of the handlers the worker
 * installs with raw rt_sigaction calls: the kernel's sigreturn, as the C
 * library's __restore_rt. Without it a handler would return to 0 and fault
 * again and again (a program's bug, not the kernel's). */
  .globl fz_restorer
  .p2align 2
fz_restorer:
  mov x8, #CHCORE_SYS_sigreturn
  svc #0
  b fz_restorer
