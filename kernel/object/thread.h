// A user thread: its saved registers and its place in the scheduler.
#pragma once
#include "arch/aarch64/context.h"
#include "arch/aarch64/fpu.h"
#include "arch/aarch64/per_cpu.h"
#include "lib/list.h"
#include "lib/result.h"
#include "object/object.h"
#include "sched/sched_context.h"
#include "signal/signal_state.h"
#include "time/timer_queue.h"

namespace kern {

struct CapGroup;

enum class ThreadState : u8 {
  Created,   // not started yet
  Runnable,  // in the run queue
  Running,   // on a CPU
  Blocked,   // in a wait queue, or in an IPC call (waiting for its handler)
  Exited,    // will never run again
  IpcIdle,   // an IPC handler between calls: on no queue, entered only by a call (ipc/)
};

struct Thread : Object {
  // While the thread runs at EL0, SP_EL1 points just past `ctx`, so an
  // exception saves the user registers straight into it (vectors.S).
  alignas(16) ArchContext ctx;
  // Right after ctx (vectors.S adds to it; only the CPU running the thread
  // writes it, others read it with relaxed atomic loads).
  CpuTimes times;
  FpState fp;
  u64 tpidr_el0;
  CapGroup* group;  // holds a reference
  ThreadState state;
  // A CPU is executing it (or still switching away from it). Right after
  // `state`: IPC claims a thread by one CAS of both (sched_ipc_claim).
  bool on_cpu;
  u64 tid;
  ListNode group_node;  // CapGroup::threads

  // Scheduling state; all of it is protected by the scheduler lock
  // (sched/sched.cpp), except reads of `tid` and of sc->prio and
  // sc->affinity, which are benign races.
  ListNode sched_node;           // run queue or wait queue
  struct WaitQueue* waiting_on;  // while Blocked on a queue (nullptr: sleeping)
  Timer timer;                   // timeout of the current block, if any
  SchedContext* sc;              // the budget it runs on: &own_sc, or a client's (IPC)
  SchedContext own_sc;
  u32 cpu;                       // CPU it runs on / last ran on
  u32 fp_cpu;                    // CPU it last ran on with its FP/SIMD registers
  // Its newest FP/SIMD state is still in CPU fp_cpu's registers, not in
  // `fp`: an IPC caller's while its call runs there (sched/user_state.h).
  bool fp_live;
  bool kill_pending;             // its process exited while it was on a CPU
  // IPC's fast return gives a caller whose registers are still live FP/SIMD
  // access at once only this many more times; its next FP/SIMD trap
  // (sched_fp_trap) sets it again. A caller that does not touch FP/SIMD
  // between calls stops paying for the access switch (ipc/fastpath.S).
  u8 fp_eager;
  // Round robin's progress check (sched.cpp, timer_tick): the user pc a
  // wake-up resumes it at, until the next tick on its CPU (then 0).
  u64 turn_pc;
  // It blocked in the current system call: its result (x0) is written by
  // whoever wakes it, not by the system-call return (sched_block_prepare).
  bool result_by_waker;
  i64 timeout_result;            // x0 when its block times out
  // Futex wait: the key it waits on (see sched/futex.cpp), and whether it
  // waits in FUTEX_LOCK_PI (for a lock to be handed over).
  const void* futex_space;
  VirtAddr futex_addr;
  bool futex_pi;
  // Priority inheritance: while a higher-priority thread waits for a PI
  // futex this thread owns, sc->prio is raised; pi_base_prio is what it
  // returns to.
  bool pi_boosted;
  u32 pi_base_prio;
  // set_robust_list: the head of the list of robust futexes it holds,
  // walked when it exits (sched/futex.cpp).
  VirtAddr robust_head;
  // set_tid_address: written with 0 and futex-woken when the thread exits.
  VirtAddr clear_child_tid;
  // IPC (ipc/ipc.h): the port whose handler this thread is, or nullptr.
  struct IpcPort* ipc_port;
  // Signals (signal/signal_state.h says which lock protects what).
  ThreadSignals sig;
};

static_assert(__builtin_offsetof(Thread, times) - __builtin_offsetof(Thread, ctx) == CTX_TIMES_USER);
static_assert(__builtin_offsetof(Thread, on_cpu) == __builtin_offsetof(Thread, state) + 1 &&
                  __builtin_offsetof(Thread, state) % 2 == 0,
              "state and on_cpu form the halfword that IPC's claim CASes (sched/sched.h)");

// Thread::state as one atomic byte: IPC's hand-off changes it without the
// scheduler lock (sched/sched.h).
inline ThreadState load_state(const Thread* t) {
  return static_cast<ThreadState>(
      __atomic_load_n(reinterpret_cast<const u8*>(&t->state), __ATOMIC_SEQ_CST));
}
inline void store_state(Thread* t, ThreadState s) {
  __atomic_store_n(reinterpret_cast<u8*>(&t->state), static_cast<u8>(s), __ATOMIC_SEQ_CST);
}

inline bool cas_state(Thread* t, ThreadState from, ThreadState to) {
  return __atomic_compare_exchange_n(reinterpret_cast<u8*>(&t->state), reinterpret_cast<u8*>(&from),
                                     static_cast<u8>(to), false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_RELAXED);
}

using ThreadList = KList(Thread, sched_node);
using GroupThreadList = KList(Thread, group_node);

// A queue of blocked threads (protected by the scheduler lock).
struct WaitQueue {
  ThreadList threads;
};

// Creates a thread in `group` with pc = entry, sp = stack, x0 = arg,
// TPIDR_EL0 = tls and all other registers zero. It runs once thread_start()
// is called. Returns it with one reference for the caller (the scheduler
// holds its own). Err::Inval if the process has exited.
[[nodiscard]] Result<Thread*> thread_create(CapGroup* group, VirtAddr entry, VirtAddr stack,
                                            u64 arg, u64 tls);
void thread_start(Thread* t);
// Final step of a thread's exit, once no CPU runs it: unlinks it from its
// process (finishing the process's exit if it was the last thread) and
// drops the scheduler's reference.
void thread_reap(Thread* t);
// Undoes thread_create for a thread that never started (drops both references).
void thread_abort(Thread* t);
void thread_destroy(Thread* t);  // obj_put's last reference

// The thread running on this CPU (nullptr in kernel-only contexts).
inline Thread* current_thread() { return static_cast<Thread*>(this_cpu()->current); }

}  // namespace kern
