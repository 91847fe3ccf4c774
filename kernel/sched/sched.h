// The scheduler: per-CPU run queues with priorities, round robin within a
// priority, time slices enforced by the timer, an idle loop per CPU.
//
// The one exit to user space (docs/scheduling.md). The kernel keeps no
// per-thread kernel stack: every entry from EL0 saves the user registers
// into the thread's context and runs on the CPU's exception stack. So no
// kernel code ever "switches" in the middle of a call. A handler only
// changes state -- marks the current thread blocked (sched_block_prepare),
// exited (sched_exit_current), requeued, or hands the CPU to a chosen thread
// (sched_switch_to) -- and returns. Every way back to EL0 (system-call
// return, interrupt return, fault return) then goes through exit_to_user(),
// which looks at this CPU's need_resched flag and, if it is set, makes the
// one scheduling decision: go on with the current thread, or save it and
// enter the next one (or the idle loop). Handlers can therefore use scoped
// lock guards and Ref<T> freely, and a thread that a call wakes with a
// higher priority runs as soon as that call returns.
//
// Locking: one scheduler lock protects every run queue, every wait queue
// (process waiters, futexes, sleeps), every timer queue and the scheduling
// fields of every thread. The kernel is not preemptible (interrupts are
// taken only at EL0 and in the idle loop), so the lock is never taken from
// an interrupt that interrupted its holder.
// Lock order: CapGroup::lock -> scheduler lock -> page allocator locks.
#pragma once
#include "arch/aarch64/context.h"
#include "arch/aarch64/per_cpu.h"
#include "lib/result.h"
#include "lib/spinlock.h"
#include "object/thread.h"

namespace kern {

// Per-CPU set-up; then the CPU runs cpu_idle_loop().
void sched_init_this_cpu();
[[noreturn]] void cpu_idle_loop();

// Starts a Created thread (placement: its affinity, else the least loaded CPU).
void sched_start(Thread* t);

// From an idle loop: runs threads until none is runnable on this CPU, then
// returns.
void sched_run();
// From an idle loop, after sched_run() returned: sleeps this CPU until an
// interrupt (an IPI that brings work, a timer), and at the latest until the
// counter reaches `deadline` (a counter value, time/clock.h; kNoDeadline: no
// limit). Returns at once if work was queued here meanwhile. The deadline
// goes through the scheduler's own record of the programmed timer: nothing
// outside the scheduler programs the timer.
void sched_idle_wait(u64 deadline);

// --- The exit path ----------------------------------------------------------
// The one way back to EL0 (see above): returns the context to resume, which
// is `ctx` unless this CPU must reschedule. When nothing is runnable it does
// not return but goes back to this CPU's idle loop.
// (Inline: every exception's return takes it, and nearly always resumes.)
ArchContext* sched_exit_to_user(ArchContext* ctx);
inline ArchContext* exit_to_user(ArchContext* ctx) {
  if (__atomic_load_n(&this_cpu()->need_resched, __ATOMIC_RELAXED) == 0) [[likely]]
    return ctx;
  return sched_exit_to_user(ctx);
}

// --- What a handler may do to the current thread -----------------------------
// The handler changed its caller's saved registers other than x0 (the pc
// moved back to the svc, arguments rewritten): the system call's return
// restores the whole context instead of only x1-x20 and x30 (vectors.S).
// Blocking does this by itself (the return then goes through the
// scheduler). Handlers that rewrite or copy all of it use the ctx stub
// (syscall/table.cpp).
inline void ctx_rewritten() { this_cpu()->full_restore = 1; }
// yield: let the other threads of its priority on this CPU run first.
// Returns yield's result, 0 (a hand-off stub branches here directly).
i64 sched_yield_current();
// The current thread ends; it is reaped on the way out.
void sched_exit_current();

// The scheduler lock, for code that checks a condition and blocks atomically
// (futexes). Most callers use the helpers below.
extern SpinLock g_sched_lock;
inline SpinLock& sched_lock() TA_RETURN_CAPABILITY(g_sched_lock) { return g_sched_lock; }

// Blocks the current thread on `q` (nullptr: just sleep) until woken, or
// until the counter reaches `deadline` (0: no timeout), when it resumes with
// x0 = timeout_result. The handler then returns (any value: the thread's
// result is what the waker passes to sched_wake). Caller holds
// sched_lock(). Err::NoMem (nothing done) if a timer cannot be armed.
//
// A signal interrupts the wait (the call returns -EINTR, or is restarted:
// signal/signal.cpp) unless `interruptible` is false; one that is already
// deliverable interrupts it at once.
[[nodiscard]] Status sched_block_prepare(WaitQueue* q, u64 deadline, i64 timeout_result,
                                         bool interruptible = true) TA_REQ(g_sched_lock);

// Arms `t` on this CPU's timer queue for `deadline` (counter ticks) and
// programs the timer if it is the earliest (process timers,
// time/posix_timer.h). Err::NoMem if the queue cannot grow.
[[nodiscard]] Status sched_arm_timer(Timer* t, u64 deadline) TA_REQ(g_sched_lock);

// Switches this CPU from the current thread to `next` now, without a trip
// through the run queue: the primitive of yield's direct hand-off and of
// IPC's fast path. The system-call return then resumes `next`. Before the
// call, `next` must be on no queue and no CPU (Runnable and just dequeued,
// or Blocked and taken off its wait queue), and the caller must have put
// the current thread where it belongs (queued or blocked, not exited) with
// its result settled (written into its ctx.x[0], or left to its waker).
// Caller holds sched_lock(); only system-call handlers may call it, and
// only those behind a hand-off stub (syscall/table.cpp, vectors.S), which
// completes the caller's saved context first: from the switch on, another
// CPU may run the caller. (sched_ipc_switch, user_state.h, likewise.)
void sched_switch_to(Thread* next) TA_REQ(g_sched_lock);

// A wake-up result that makes the woken thread issue its system call
// again (its x0-x7 are still the call's arguments): for calls that wait
// for a resource and then retry from the start (IPC on a busy connection).
inline constexpr i64 kRestartCall = static_cast<i64>(0x8000000000000001ull);
// A wake-up result that leaves the woken thread's registers as they are:
// for a thread parked at the exit to user space (a stopped process), whose
// call has already returned.
inline constexpr i64 kResumeAsIs = static_cast<i64>(0x8000000000000002ull);

// Wakes `t` (blocked) with x0 = result. Caller holds sched_lock().
void sched_wake(Thread* t, i64 result) TA_REQ(g_sched_lock);
// Wakes up to `n` threads of `q` in FIFO order; returns how many.
usize sched_wake_n(WaitQueue* q, usize n, i64 result) TA_REQ(g_sched_lock);
inline usize sched_wake_all(WaitQueue* q, i64 result) TA_REQ(g_sched_lock) {
  return sched_wake_n(q, ~usize{0}, result);
}

// Stops a thread of an exiting process: a thread on no CPU is taken off its
// queues and reaped now; one that a CPU is running is marked and that CPU
// interrupted (it reaps it at its exit path). Caller holds sched_lock().
// Returns true if the caller must reap `t` after unlocking (thread_reap).
[[nodiscard]] bool sched_stop(Thread* t) TA_REQ(g_sched_lock);

// Sends the reschedule IPIs that wake-ups under the lock asked for; every
// path that wakes or stops threads calls it after releasing the lock.
void sched_flush_kicks();

// Prints every CPU's running thread, timer and run queue (diagnostics).
void sched_debug_dump();

// --- IPC's hand-off (ipc/ipc.cpp), without the scheduler lock ------------------
// A call switches from the client to the connection's handler thread and a
// return back, without any lock (ipc/fastpath.S does the same in assembly).
// Their state changes are CASes on Thread::state (with on_cpu) that race
// only with sched_stop, and a thread that leaves a CPU checks kill_pending
// after clearing on_cpu (docs/ipc.md).
//
// Claims `t` (in state `from`: IpcIdle for a handler, Blocked for a caller)
// for this CPU: state Running and on_cpu set, in one CAS of the halfword
// they share (thread.h), so a claim never marks a thread that runs
// elsewhere. Waits while `t` is in `from` but a CPU is still switching away
// from it (a few instructions of that CPU's exit path). False (nothing
// changed) if `t` is in another state: stopped, or claimed by another call.
// ipc/fastpath.S makes the same CAS.
inline constexpr u16 ipc_claim_word(ThreadState s, bool on_cpu) {
  return static_cast<u16>(static_cast<u8>(s) | (on_cpu ? 0x100u : 0u));
}
[[nodiscard]] inline bool sched_ipc_claim(Thread* t, ThreadState from) {
  u16* word = reinterpret_cast<u16*>(&t->state);
  for (;;) {
    u16 expected = ipc_claim_word(from, false);
    if (__atomic_compare_exchange_n(word, &expected, ipc_claim_word(ThreadState::Running, true),
                                    false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) [[likely]]
      return true;
    if (static_cast<u8>(expected) != static_cast<u8>(from)) return false;
    cpu_relax();
  }
}
// Switches this CPU from the current thread `prev`, already given its new
// state (Blocked in a call, IpcIdle after one), to the claimed `next`,
// which runs on whatever scheduling context the caller set. The system-call
// return resumes next. Returns true if prev was stopped while it was still
// on the CPU: the caller then stops it (sched_ipc_stop_claimed) and reaps it.
// (Inline, in sched/user_state.h.)
// prev's stop after sched_ipc_switch returned true: true if it was ours to
// make (the caller reaps it), false if sched_stop made it.
[[nodiscard]] bool sched_ipc_stop_claimed(Thread* t, ThreadState from);
// Makes an idle handler runnable on its own scheduling context (the close
// upcall). False if it was stopped.
[[nodiscard]] bool sched_ipc_start(Thread* t);
// The current thread, a handler whose caller is gone, becomes idle; the
// exit path picks what runs next.
void sched_ipc_idle_current();
// Drops `o` once the current thread is off this CPU (at most one per
// system call; the call must have asked for a switch).
void sched_defer_put(Object* o);

// --- Signals (signal/signal.cpp) ----------------------------------------------
// A signal for `t` became pending: a thread blocked interruptibly is woken
// (-EINTR, or its sigtimedwait restarted), a running one has its CPU take
// the exit path. Caller holds sched_lock() and flushes the kicks after.
void sched_signal_notify(Thread* t) TA_REQ(g_sched_lock);
// The current thread may have a deliverable signal now (its mask
// changed): the exit path looks.
void sched_signal_recheck_current();
// FP/SIMD state of the current thread: into Thread::fp (a frame is built
// from it), and from Thread::fp (sigreturn replaced it).
void sched_fp_sync_current();
void sched_fp_reload_current();
// How many IPC fast returns open FP/SIMD at once for a caller after its
// last FP/SIMD trap (Thread::fp_eager).
inline constexpr u8 kFpEagerReturns = 16;

// --- Interrupt-side hooks -------------------------------------------------
// EL0 touched FP/SIMD while access was trapped (lazy switching): loads the
// thread's registers. Returns false if no thread runs here.
bool sched_fp_trap();
// The Reschedule IPI.
void sched_ipi_reschedule();

// --- Properties -----------------------------------------------------------
// Err::Inval for a CPU that does not exist or is offline.
[[nodiscard]] Status sched_set_affinity(Thread* t, i64 cpu);
[[nodiscard]] Status sched_set_priority(Thread* t, u32 prio);
// The same with the scheduler lock held (priority inheritance); prio must
// be valid.
void sched_set_priority_locked(Thread* t, u32 prio) TA_REQ(g_sched_lock);

}  // namespace kern
