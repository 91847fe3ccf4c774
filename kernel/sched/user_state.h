// A thread's user-visible state that the exception entry does not save in
// its context: TPIDR_EL0, the address space, and FP/SIMD, which is switched
// lazily (sched/sched.cpp explains how). Shared by the scheduler's switches
// and IPC's hand-off (ipc/ipc.cpp), which runs without the scheduler lock:
// everything here touches only this CPU's PerCpu and the threads the caller
// owns.
#pragma once
#include "arch/aarch64/fpu.h"
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "mm/vmspace.h"
#include "object/cap_group.h"
#include "object/thread.h"
#include "signal/signal.h"

namespace kern {

// signal_work_pending's usual answer without a call: nothing pending for
// the thread or its process, no interrupted call, no stop. Every switch and
// the exit path ask (yield, IPC's call and return). The loads are hints,
// as in signal_work_pending: a sender makes the target look again.
// The hints alone: false means no signal work for t (true: perhaps).
[[gnu::always_inline]] inline bool signal_work_hinted(const Thread* t, const CapGroup* g) {
  return (__atomic_load_n(&t->sig.pending, __ATOMIC_RELAXED) |
          __atomic_load_n(&g->sig.pending, __ATOMIC_RELAXED)) != 0 ||
         t->sig.interrupted || __atomic_load_n(&g->sig.stopped, __ATOMIC_RELAXED);
}

[[gnu::always_inline]] inline bool signal_work_hinted(const Thread* t) {
  return signal_work_hinted(t, t->group);
}

[[gnu::always_inline]] inline bool signal_work_quick(const Thread* t) {
  if (!signal_work_hinted(t)) [[likely]]
    return false;
  return signal_work_pending(t);
}

// EL0 may use FP/SIMD (or traps on its first use).
[[gnu::always_inline]] inline void set_fp_access(PerCpu* cpu, bool enabled) {
  if ((cpu->fp_enabled != 0) == enabled) return;
  write_sysreg(cpacr_el1, enabled ? (3u << 20) : (1u << 20));
  arch::isb();
  cpu->fp_enabled = enabled;
}

// FP/SIMD registers are saved when their owner leaves the CPU through the
// scheduler, and loaded on a thread's first FP/SIMD instruction of a turn
// (sched_fp_trap). IPC does better for its callers: a caller blocked in a
// call keeps its state in the registers (Thread::fp_live) while the chain
// of handlers it started runs on this CPU, since a handler rarely touches
// FP/SIMD and the caller resumes here. The state is saved as soon as the
// chain leaves the CPU through the scheduler (any switch below, which is
// the only way the caller could then resume elsewhere) or another thread
// here needs the registers (sched_fp_trap).
[[gnu::always_inline]] inline void save_fp_of(Thread* o) {
  arch_fpu_save(&o->fp);
  o->fp_live = false;
}

// A scheduler switch: the registers of `t`, which leaves this CPU, that
// the exception entry did not save, and any live state of a caller.
[[gnu::always_inline]] inline void save_user_state(PerCpu* cpu, Thread* t) {
  auto* o = static_cast<Thread*>(cpu->fp_owner);
  if (o != nullptr && ((o == t && cpu->fp_enabled) || o->fp_live)) save_fp_of(o);
  t->tpidr_el0 = read_sysreg(tpidr_el0);
}

// Loads the user-visible state that the exception exit does not restore.
[[gnu::always_inline]] inline void load_user_state(PerCpu* cpu, Thread* next) {
  cpu->cur_ctx = &next->ctx;
  if (cpu->vmspace != &next->group->vmspace) next->group->vmspace.activate();
  write_sysreg(tpidr_el0, next->tpidr_el0);
}

// IPC's switch (sched/sched.h has the contract): from the current thread
// `prev`, already given its new state, to the claimed `next`. Returns true
// if prev was stopped while it was still on this CPU.
// keep_fp_live: prev is a caller blocking in its call (see above).
[[gnu::always_inline]] inline bool sched_ipc_switch(Thread* prev, Thread* next, bool keep_fp_live) {
  PerCpu* cpu = this_cpu();
  u32 me = static_cast<u32>(cpu->cpu_id);
  if (cpu->fp_owner == prev && cpu->fp_enabled) {
    if (keep_fp_live)
      prev->fp_live = true;
    else
      save_fp_of(prev);
  }
  prev->tpidr_el0 = read_sysreg(tpidr_el0);
  next->cpu = me;
  cpu->current = next;
  // FP/SIMD stays usable only if these registers hold exactly next's state.
  set_fp_access(cpu, cpu->fp_owner == next && next->fp_cpu == me);
  load_user_state(cpu, next);
  cpu->switched = 1;
  // Stopped while we claimed it: the exit path reaps it.
  if (__atomic_load_n(&next->kill_pending, __ATOMIC_SEQ_CST)) [[unlikely]]
    __atomic_store_n(&cpu->need_resched, 1u, __ATOMIC_RELAXED);
  // A signal came while it was in its call: the exit path delivers it.
  if (signal_work_quick(next)) [[unlikely]]
    __atomic_store_n(&cpu->need_resched, 1u, __ATOMIC_RELAXED);
  // From here another CPU may run prev; a stop that came in meanwhile is
  // ours to carry out (Dekker with sched_stop).
  __atomic_store_n(&prev->on_cpu, false, __ATOMIC_SEQ_CST);
  return __atomic_load_n(&prev->kill_pending, __ATOMIC_SEQ_CST);
}

}  // namespace kern
