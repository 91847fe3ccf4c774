// CPU time: how long each thread (and, summed, each process and each CPU)
// has run, and how much of it at EL0 and in the kernel.
//
// As Linux does without its per-entry accounting: the system-call and
// interrupt paths do no accounting at all (an earlier design read the
// counter at every kernel entry and exit: 16 instructions on each null
// system call). Instead:
//   - how long a thread has run is exact: each CPU keeps a stamp, the
//     virtual counter (CNTVCT_EL0) at its last accounting point, and the
//     ticks since then go to the thread that ran them at each point: the
//     timer tick, the exit path's switch away from a thread, a hand-off
//     (IPC's call and return, yield's direct switch: sched_switch_to), and
//     the pick of the next thread, which restarts the stamp (the time in
//     between, the scheduler's and the idle loop's, is nobody's);
//   - how that time splits into user and system time is sampled: each
//     timer tick that finds a thread running counts one tick for it at EL0
//     or in the kernel, and the split divides the exact time in the ratio
//     of the two counts (Linux's cputime_adjust). A thread that no tick
//     found running has all its time as user time.
// Each CPU sums the same (PerCpu::acct_run, acct_user_ticks,
// acct_sys_ticks); what is left of its time is idle (/proc/stat).
//
// A thread's times are written only by the CPU that runs it and read by
// others with relaxed loads: a thread running elsewhere is seen as of its
// last accounting point (at most a time slice ago, since the tick is one).
// The calling thread's own reading adds the time since its CPU's stamp. A
// process adds its threads' times and those of its threads that have
// exited (CapGroup::exited_times, moved there when a thread leaves its
// process's list, under CapGroup::lock), so its sum never goes back.
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

// The ticks since the stamp were run by the thread whose times are `t`
// (the current thread of `cpu`, which is leaving or being sampled).
[[gnu::always_inline]] inline void acct_charge(PerCpu* cpu, CpuTimes* t) {
  u64 now = acct_counter();
  u64 d = now - cpu->acct_stamp;
  cpu->acct_stamp = now;
  cpu->acct_run += d;
  __atomic_store_n(&t->run, t->run + d, __ATOMIC_RELAXED);
}

// The timer tick found the thread `t` running on `cpu`, at EL0 or not.
inline void acct_tick(PerCpu* cpu, CpuTimes* t, bool at_el0) {
  acct_charge(cpu, t);
  if (at_el0) {
    cpu->acct_user_ticks++;
    __atomic_store_n(&t->user_ticks, t->user_ticks + 1, __ATOMIC_RELAXED);
  } else {
    cpu->acct_sys_ticks++;
    __atomic_store_n(&t->sys_ticks, t->sys_ticks + 1, __ATOMIC_RELAXED);
  }
}

// A thread is switched in by the pick: its time starts now.
[[gnu::always_inline]] inline void acct_restart(PerCpu* cpu) { cpu->acct_stamp = acct_counter(); }

// A consistent-enough read of times another CPU may be adding to.
inline CpuTimes acct_read(const CpuTimes& t) {
  return CpuTimes{__atomic_load_n(&t.run, __ATOMIC_RELAXED),
                  __atomic_load_n(&t.user_ticks, __ATOMIC_RELAXED),
                  __atomic_load_n(&t.sys_ticks, __ATOMIC_RELAXED)};
}

inline void acct_add(CpuTimes* sum, const CpuTimes& c) {
  sum->run += c.run;
  sum->user_ticks += c.user_ticks;
  sum->sys_ticks += c.sys_ticks;
}

// User and system time (counter ticks): `run` split in the ratio of the
// samples.
struct UserSys {
  u64 user, sys;
};
inline UserSys acct_split(u64 run, u64 user_ticks, u64 sys_ticks) {
  if (sys_ticks == 0) return {run, 0};
  if (user_ticks == 0) return {0, run};
  u64 total = user_ticks + sys_ticks;
  // run * sys_ticks / total without a 128-bit product (the kernel has no
  // 128-bit division); exact while the tick counts stay below 2^32 each.
  u64 sys = run / total * sys_ticks + run % total * sys_ticks / total;
  return {run - sys, sys};
}
inline UserSys acct_split(const CpuTimes& c) { return acct_split(c.run, c.user_ticks, c.sys_ticks); }

// The calling thread's times, with the time since its CPU's stamp.
CpuTimes acct_current_thread();

// A process's times: its threads' and its exited threads'.
CpuTimes cap_group_cpu_times(CapGroup* g);

// The counter value when CPU `cpu` started accounting (sched_init_this_cpu).
u64 acct_cpu_start(u32 cpu);

}  // namespace kern
