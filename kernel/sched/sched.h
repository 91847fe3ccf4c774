// The scheduler: per-CPU run queues with priorities, round robin within a
// priority, time slices enforced by the timer, an idle loop per CPU.
//
// Locking (see docs/scheduling.md): one scheduler lock protects every run
// queue, every wait queue (process waiters, futexes, sleeps), every timer
// queue and the scheduling fields of every thread. The kernel is not
// preemptible (interrupts are taken only at EL0 and in the idle loop), so
// the lock is never taken from an interrupt that interrupted its holder.
// Lock order: CapGroup::lock -> scheduler lock -> page allocator locks.
//
// The kernel keeps no per-thread kernel stack. Every entry from EL0 saves
// the user registers into the thread's context and runs on the CPU's
// exception stack; a system call that blocks or yields stores its result in
// the thread's saved x0 and calls schedule(), which erets into whatever runs
// next and never returns. When nothing is runnable, schedule() returns to
// the CPU's idle loop (the resume point saved by sched_run()).
#pragma once
#include "arch/aarch64/context.h"
#include "lib/spinlock.h"
#include "object/thread.h"

namespace kern {

// Per-CPU set-up; then the CPU runs cpu_idle_loop().
void sched_init_this_cpu();
[[noreturn]] void cpu_idle_loop();

// Starts a Created thread (placement: its affinity, else the least loaded CPU).
void sched_start(Thread* t);

// Switches to the next thread on this CPU (or one stolen from another), or
// back to the idle loop. The current thread, if any, must already be
// queued, blocked or exited. Exited and killed threads are reaped here, once
// no CPU runs them any more.
[[noreturn]] void schedule();

// yield: requeue the current thread behind the others of its priority.
[[noreturn]] void sched_yield_current();

// From the idle loop: runs threads until none is runnable here.
void sched_run();

// The current thread ends; the caller then calls schedule().
void sched_exit_current();

// --- Blocking ------------------------------------------------------------
// The scheduler lock, for code that checks a condition and blocks atomically
// (futexes). Most callers use the helpers below.
extern SpinLock g_sched_lock;
inline SpinLock& sched_lock() TA_RETURN_CAPABILITY(g_sched_lock) { return g_sched_lock; }

// Prepares the current thread to block on `q` (nullptr: just sleep) until
// woken, or until the counter reaches `deadline` (0: no timeout), when it
// resumes with x0 = timeout_result. Caller holds sched_lock(); afterwards it
// releases it, drops any references it holds, and calls schedule(). Returns
// false (nothing done) if a timer cannot be armed for lack of memory.
[[nodiscard]] bool sched_block_prepare(WaitQueue* q, u64 deadline, i64 timeout_result)
    TA_REQ(g_sched_lock);

// Wakes `t` (blocked) with x0 = result. Caller holds sched_lock().
void sched_wake(Thread* t, i64 result) TA_REQ(g_sched_lock);
// Wakes up to `n` threads of `q` in FIFO order; returns how many.
usize sched_wake_n(WaitQueue* q, usize n, i64 result) TA_REQ(g_sched_lock);
inline usize sched_wake_all(WaitQueue* q, i64 result) TA_REQ(g_sched_lock) {
  return sched_wake_n(q, ~usize{0}, result);
}

// Stops a thread of an exiting process: a thread on no CPU is taken off its
// queues and reaped now; one that a CPU is running is marked and that CPU
// interrupted (it reaps it). Caller holds sched_lock(). Returns true if the
// caller must reap `t` after unlocking (thread_reap).
[[nodiscard]] bool sched_stop(Thread* t) TA_REQ(g_sched_lock);

// Sends the reschedule IPIs that wake-ups under the lock asked for; every
// path that wakes or stops threads calls it after releasing the lock.
void sched_flush_kicks();

// --- Interrupt-side hooks -------------------------------------------------
// Called on return to EL0 from an interrupt: preempts the current thread if
// its slice ended or a reschedule was requested. Returns ctx if not.
ArchContext* sched_irq_exit_to_user(ArchContext* ctx);
// EL0 touched FP/SIMD while access was trapped (lazy switching): loads the
// thread's registers. Returns false if no thread runs here.
bool sched_fp_trap();
// The Reschedule IPI.
void sched_ipi_reschedule();

// --- Properties -----------------------------------------------------------
[[nodiscard]] Status sched_set_affinity(Thread* t, i32 cpu);
[[nodiscard]] Status sched_set_priority(Thread* t, u32 prio);

}  // namespace kern
