/* Thread bodies of the fuzzer that must work with nothing around them: no
 * stack, no C library, no data. See fuzz.h. */
#include "uapi/syscall_nr.h"
#include "uapi/ipc.h"

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

/* The worker's own IPC servers (ipc_register_server): their handlers and
 * connect threads run this code, with no stack and no thread block. A
 * handler does what the call's first word asks (its low 3 bits):
 *   0: returns the words at once through the fast path (svc #0x1000);
 *   1: the same through the ordinary path (svc #0);
 *   2: first returns with an unknown info bit (-EINVAL: still in the call),
 *      then as 0;
 *   3: calls the connection in slot w1 with operation 0 (a nested call,
 *      perhaps into its own connection: -EDEADLK), then returns that
 *      result (the worker asks for it from one thread only, so that two
 *      handlers never wait for each other);
 *   4: touches FP/SIMD, then returns as 0 (its registers must be saved);
 *   5, 6, 7: ends its thread in the middle of the call (the caller gets
 *      -ECONNRESET, the connection is dead).
 * A close upcall returns, which ends the handler. A return that fails
 * ends the thread. */
  .globl fz_ipc_handler
  .p2align 2
fz_ipc_handler:
  tbnz x5, #40, 9f
  and x9, x1, #7
  cmp x9, #1
  b.eq 1f
  cmp x9, #2
  b.eq 2f
  cmp x9, #3
  b.eq 3f
  cmp x9, #4
  b.eq 4f
  cmp x9, #5
  b.hs 5f
0:
  mov x0, x1
  mov x5, #0
  mov x8, #CHCORE_SYS_ipc_return
  svc #CHCORE_IPC_FAST_SVC
  b 8f
1:
  mov x0, x1
  mov x5, #0
  mov x8, #CHCORE_SYS_ipc_return
  svc #0
  b 8f
2:
  mov x0, x1
  mov x5, #(1 << 44)
  mov x8, #CHCORE_SYS_ipc_return
  svc #CHCORE_IPC_FAST_SVC
  b 0b
3:
  mov x0, x2
  mov x1, #0
  mov x2, #0
  mov x3, #0
  mov x4, #0
  mov x5, #0
  mov x8, #CHCORE_SYS_ipc_call
  svc #CHCORE_IPC_FAST_SVC
  mov x5, #0
  mov x8, #CHCORE_SYS_ipc_return
  svc #CHCORE_IPC_FAST_SVC
  b 8f
4:
  fmov d0, x2
  fadd d1, d0, d0
  fmov x3, d1
  b 0b
5:
  mov x8, #CHCORE_SYS_thread_exit
  svc #0
  b 5b
9:
  mov x0, #0
  mov x5, #0
  mov x8, #CHCORE_SYS_ipc_return
  svc #CHCORE_IPC_FAST_SVC
8:
  mov x8, #CHCORE_SYS_thread_exit
  svc #0
  b 8b

/* Their connect thread: drops the buffer capability it was given (x6),
 * accepts with the counter as the badge (a badge in use: -EEXIST, and
 * the client is refused with it) and its low two bits as the flags
 * (CHCORE_IPC_ACCEPT_FORK, or bits that are -EINVAL), or ends a close
 * upcall. */
  .globl fz_ipc_connect
  .p2align 2
fz_ipc_connect:
  tbnz x5, #40, 9b
  and x0, x6, #0xffff
  mov x1, #0 /* CHCORE_REVOKE_SELF */
  mov x8, #CHCORE_SYS_revoke_cap
  svc #0
  mrs x0, cntvct_el0
  mov x1, #0x10000
  mov x2, #0
  and x3, x0, #3
  mov x8, #CHCORE_SYS_ipc_accept
  svc #0
  mov x8, #CHCORE_SYS_ipc_return
  svc #0
  b 8b
