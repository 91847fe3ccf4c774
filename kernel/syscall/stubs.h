/* The system calls whose handlers need more of their caller's context than
 * the entry saved (vectors.S, "The system-call fast path"): the one list
 * that vectors.S makes the stubs from and syscall/table.cpp points the
 * table at. Included by assembly and C++ alike.
 *
 * HANDOFF(name): the handler may hand the CPU to another thread
 *   (sched_switch_to, sched_ipc_switch), after which another CPU may run
 *   the caller: the stub syscall_handoff_<name> completes its context
 *   (x22-x29) before the handler runs.
 * CTX(name): the handler copies the caller's whole context (fork) or
 *   rewrites it (sigreturn): the stub syscall_ctx_<name> stores x22-x29,
 *   calls the handler, loads them back and asks for a full restore.
 *
 * A new handler that does either belongs here; one that is missing runs
 * with x22-x29 of its caller unsaved (the symptom: another thread resumes
 * with registers that are not its own). */
#ifndef CHCORE_SYSCALL_STUBS_H
#define CHCORE_SYSCALL_STUBS_H

#define CHCORE_SYSCALL_STUBS(HANDOFF, CTX) \
  HANDOFF(yield)                           \
  HANDOFF(ipc_connect)                     \
  HANDOFF(ipc_accept)                      \
  HANDOFF(ipc_call)                        \
  HANDOFF(ipc_return)                      \
  CTX(fork)                                \
  CTX(sigreturn)

#endif
