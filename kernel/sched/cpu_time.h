// CPU time: how long each thread (and, summed, each process and each CPU)
// has run at EL0 and in the kernel.
//
// One counter underlies it, the virtual counter CNTVCT_EL0 (time/clock.h).
// Each CPU keeps a stamp, the counter at its last accounting point. The
// points are the kernel entry from EL0 (vectors.S, acct_enter: the ticks
// since the stamp were the running thread's user time) and the exit to EL0
// (acct_exit: the ticks since the stamp were kernel time of the thread
// about to resume), one counter read each; and, off the fast paths, the
// exit path's switch away from a thread (its kernel time so far is charged
// to it before another CPU may run or reap it) and the pick of the next
// thread (the stamp restarts: the time in between, the scheduler's and the
// idle loop's, is nobody's). A hand-off that does not go through the pick
// (IPC's call and return, yield's direct switch) reads no counter: the
// kernel time of that system call goes to the thread that leaves the
// kernel. Each CPU also sums what it charged (PerCpu::acct_user/sys);
// what is left of its time is idle (/proc/stat).
//
// A thread's times are written only by the CPU that runs it and read by
// others with relaxed loads: a thread running elsewhere is seen as of its
// last entry or exit (at most a time slice ago, since the tick enters the
// kernel). A process adds its threads' times and those of its threads that
// have exited (CapGroup::exited_times, moved there when a thread leaves
// its process's list, under CapGroup::lock), so its sum never goes back.
#pragma once
#include "arch/aarch64/context.h"
#include "arch/aarch64/per_cpu.h"

namespace kern {

struct Thread;
struct CapGroup;

[[gnu::always_inline]] inline u64 acct_counter() {
  u64 v;
  asm volatile("mrs %0, cntvct_el0" : "=r"(v)::"memory");
  return v;
}

// The exit path switches away from `t` (the current thread of `cpu`):
// its kernel time until now is charged to it.
[[gnu::always_inline]] inline void acct_switch_out(PerCpu* cpu, CpuTimes* t) {
  u64 now = acct_counter();
  u64 d = now - cpu->acct_stamp;
  cpu->acct_stamp = now;
  cpu->acct_sys += d;
  t->sys += d;
}

// A thread is switched in by the pick: its time starts now.
[[gnu::always_inline]] inline void acct_restart(PerCpu* cpu) { cpu->acct_stamp = acct_counter(); }

// A consistent-enough read of times another CPU may be adding to.
inline CpuTimes acct_read(const CpuTimes& t) {
  return CpuTimes{__atomic_load_n(&t.user, __ATOMIC_RELAXED),
                  __atomic_load_n(&t.sys, __ATOMIC_RELAXED)};
}

// A process's times: its threads' and its exited threads' (ticks).
// (cap_group_cpu_times_locked, in object/cap_group.h: with its lock held.)
CpuTimes cap_group_cpu_times(CapGroup* g);

// The counter value when CPU `cpu` started accounting (sched_init_this_cpu).
u64 acct_cpu_start(u32 cpu);

}  // namespace kern
