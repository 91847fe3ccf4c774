// The scheduler.
//
// This version is the cooperative core the later scheduling issue extends:
// one global run queue (FIFO, round robin) under one lock, served by the boot
// CPU. A thread runs until it yields, blocks or exits; there is no timer
// preemption yet, and the secondary CPUs stay idle.
//
// The kernel keeps no per-thread kernel stack. Every entry from EL0 saves
// the user registers into the thread's context and runs on the CPU's
// exception stack; a system call that blocks or yields stores its result in
// the thread's saved x0 and calls schedule(), which erets into whatever runs
// next and never returns. When nothing is runnable, schedule() returns to
// the kernel code that called sched_run() (the boot CPU's main loop).
#pragma once
#include "lib/spinlock.h"
#include "object/thread.h"

namespace kern {

// Makes `t` runnable (at the tail of the run queue).
void sched_enqueue(Thread* t);
// Starts a Created thread, unless its process exited meanwhile.
void sched_start(Thread* t);

// Switches to the next runnable thread, or back to sched_run()'s caller if
// there is none. The current thread, if any, must already be queued,
// blocked or exited.
[[noreturn]] void schedule();

// The current thread gives up the CPU (yield): requeue it and schedule.
[[noreturn]] void sched_yield_current();

// From kernel context (not a thread): runs threads until none is runnable.
void sched_run();

// Wait queues and thread states are protected by the scheduler's lock.
// Puts the current thread on `q` as Blocked. The caller holds the lock of the
// condition it waits for (e.g. the process's lock) across this call, so a
// wake-up after the condition changes cannot be missed; it then releases
// that lock, drops any references it holds, and calls schedule(). The thread
// resumes at EL0 with the value the waker passes in x0.
void sched_block_prepare(WaitQueue* q);

// Wakes every thread on `q` with x0 = result; returns how many.
usize sched_wake_all(WaitQueue* q, i64 result);

// The current thread ends: it is marked exited and dropped by the scheduler
// (its last internal reference); the caller must then call schedule().
void sched_exit_current();

// Removes a not-running thread of an exiting process from the run queue or
// a wait queue. Returns true if it was queued (the caller drops the
// scheduler's reference then).
bool sched_remove(Thread* t);

}  // namespace kern
