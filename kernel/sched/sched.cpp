// The scheduling mechanism: placing threads, the exit path's decision,
// switching, lazy FP/SIMD, the tick and the reschedule IPI. The policy of
// choosing among queued threads is sched/runqueue.h.
#include "sched/sched.h"

#include "arch/aarch64/irqflags.h"
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "arch/aarch64/timer.h"
#include "irq/irq.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "mm/vmspace.h"
#include "object/cap_group.h"
#include "platform/platform.h"
#include "sched/cpu_time.h"
#include "sched/runqueue.h"
#include "sched/user_state.h"
#include "signal/signal.h"
#include "time/clock.h"
#include "time/posix_timer.h"
#include "time/timer_queue.h"

extern "C" {
[[noreturn]] void eret_to_context(kern::ArchContext* ctx);
[[noreturn]] void arch_resume_kernel(i64 value);
void arch_enter_scheduler(void (*fn)());
}

namespace kern {

SpinLock g_sched_lock;

namespace {
// The thread whose block timeout `tm` is (TimerKind::ThreadTimeout).
Thread* thread_of_timer(Timer* tm) {
  return reinterpret_cast<Thread*>(reinterpret_cast<u8*>(tm) - __builtin_offsetof(Thread, timer));
}
}  // namespace

namespace {
// Time slice: long enough that switching costs little, short enough that a
// spinning thread cannot starve its peers for long.
constexpr u64 kSliceNs = 10'000'000;

struct CpuSched {
  RunQueue<Thread> rq;
  bool online;
  // The timer (rearm_timer): the deadline programmed (0: off), and whether
  // it is a slice end at most one slice ahead.
  bool prog_slice;
  u64 programmed;
};

CpuSched g_cpu[kMaxCpus] TA_GUARDED(g_sched_lock);
u64 g_slice_ticks;

[[gnu::always_inline]] inline CpuSched& cs_of(u32 cpu) TA_REQ(g_sched_lock) { return g_cpu[cpu]; }
[[gnu::always_inline]] inline u32 this_cpu_id() { return static_cast<u32>(this_cpu()->cpu_id); }
[[gnu::always_inline]] inline Thread* current() { return static_cast<Thread*>(this_cpu()->current); }
[[gnu::always_inline]] inline Thread* current_of(u32 cpu) {
  return static_cast<Thread*>(g_per_cpu[cpu].current);
}

// need_resched is read without the lock by the exit path (vectors.S); it is
// written under the lock, and a remote writer also sends an IPI, so a reader
// that misses the write takes the interrupt right after.
[[gnu::always_inline]] inline void set_need_resched(u32 cpu) TA_REQ(g_sched_lock) {
  __atomic_store_n(&g_per_cpu[cpu].need_resched, 1u, __ATOMIC_RELAXED);
}

[[gnu::always_inline]] inline void rq_push(u32 cpu, Thread* t) TA_REQ(g_sched_lock) {
  cs_of(cpu).rq.push(t);
  t->state = ThreadState::Runnable;
  t->cpu = cpu;
}

[[gnu::always_inline]] inline void rq_remove(Thread* t) TA_REQ(g_sched_lock) {
  cs_of(t->cpu).rq.remove(t);
}

// IPIs to send once the lock is released. Only this CPU touches its own
// entry (from kernel code, which is never interrupted), so no lock guards it.
struct Kicks {
  u32 mask = 0;
};
Kicks g_pending_kicks[kMaxCpus];
[[gnu::always_inline]] inline void kick(u32 cpu) {
  if (cpu != this_cpu_id()) g_pending_kicks[this_cpu_id()].mask |= 1u << cpu;
}

// Where a thread that becomes runnable goes: its pinned CPU, else the least
// loaded online CPU, preferring the one it last ran on.
u32 place(Thread* t) TA_REQ(g_sched_lock) {
  if (t->sc->affinity != kAnyCpu) return static_cast<u32>(t->sc->affinity);
  u32 best = t->cpu < kMaxCpus && cs_of(t->cpu).online ? t->cpu : this_cpu_id();
  auto load = [&](u32 c) TA_REQ(g_sched_lock) {
    return cs_of(c).rq.size() + (current_of(c) != nullptr ? 1 : 0);
  };
  for (u32 c = 0; c < kMaxCpus; c++)
    if (cs_of(c).online && load(c) < load(best)) best = c;
  return best;
}

// Makes t runnable somewhere; asks that CPU to reschedule if t should run
// before what it runs now. On this CPU the exit path of the current call
// does it: a woken thread of higher priority runs as soon as the call
// returns.
void make_runnable(Thread* t) TA_REQ(g_sched_lock) {
  u32 cpu = place(t);
  rq_push(cpu, t);
  Thread* cur = current_of(cpu);
  if (cur == nullptr || t->sc->prio > cur->sc->prio) {
    set_need_resched(cpu);
    kick(cpu);
  }
}

// A thread that exits must not stay any CPU's fp_owner: a new thread
// allocated at the same address would inherit stale registers.
void forget_fp_owner(Thread* t) TA_REQ(g_sched_lock) {
  for (auto& pc : g_per_cpu)
    if (pc.fp_owner == t) pc.fp_owner = nullptr;
}

// FP/SIMD is switched lazily: a thread starts each turn on a CPU with EL0
// FP access trapped, unless the registers still hold its state; its first
// FP instruction traps (sched_fp_trap) and loads it. So a thread that does
// not touch FP/SIMD in a turn costs nothing to switch, and its state is
// saved only if it was loaded. The kernel never uses these registers.
[[gnu::always_inline]] inline void save_user_state(Thread* t) TA_REQ(g_sched_lock) {
  save_user_state(this_cpu(), t);
}

// Programs this CPU's timer for its next event: the earliest timer in its
// queue, or the end of the running thread's slice.
// The hardware timer is reprogrammed only when the new event is earlier
// than what is programmed (or nothing is): an early interrupt is harmless,
// the tick recomputes, and most switches then cost no timer writes.
//
// Slices start lazily. A thread switched in while a tick is already
// programmed at most one slice ahead (CpuSched::prog_slice: that tick is some
// thread's slice end) gets kSliceAtNextTick: its slice ends at that tick,
// so a switch needs no counter read and no timer arithmetic. A thread thus
// runs at most one slice before round robin moves on (less if it was
// switched in just before a tick).
constexpr u64 kSliceAtNextTick = ~0ull - 1;
// (CpuSched::programmed and prog_slice: next to the run queue, which every
// switch reads anyway.)

[[gnu::always_inline]] inline void rearm_timer(u32 cpu) TA_REQ(g_sched_lock) {
  u64 next = timer_queue_next(cpu);
  bool slice = false;
  u64& prog = g_cpu[cpu].programmed;
  if (Thread* cur = current_of(cpu)) {
    u64 end = cur->sc->slice_end == kSliceAtNextTick ? prog : cur->sc->slice_end;
    if (end <= next) {
      next = end;
      slice = true;
    }
  }
  if (next == ~0ull) {
    if (prog != 0) timer_cancel();
    prog = 0;
  } else if (prog == 0 || next < prog) {
    timer_set_deadline(next);
    prog = next;
    g_cpu[cpu].prog_slice = slice;
  } else if (next == prog) {
    g_cpu[cpu].prog_slice = g_cpu[cpu].prog_slice || slice;
  }
}

u64 g_ticks[kMaxCpus];      // timer interrupts taken (sched_debug_dump)
u64 g_last_tick[kMaxCpus];  // the counter at the last one
// What the ticks that ended a slice decided (sched_debug_dump): rotated to
// a waiting peer, kept a stalled thread, or found no peer.
u64 g_tick_rotated[kMaxCpus], g_tick_stalled[kMaxCpus], g_tick_alone[kMaxCpus];

// A slice's length: 10 ms plus up to a quarter more, varied from tick to
// tick. Under QEMU's round-robin TCG one virtual CPU runs at a time, for
// turns of about a slice; with slices of one fixed length, the tick that
// rotates a waiting thread in could fall just before its CPU's turn ends,
// every turn, and the tick pending when the next turn starts rotated it
// out again before it had run an instruction: sched.basics's main thread
// sat so for 120 s behind a spinning thread on its CPU, which rotated
// 11,592 times (the scheduler dump's counters), until console input moved
// the phase. Varying lengths cannot stay in phase with the host's turns.
[[gnu::always_inline]] inline u64 slice_len(u32 cpu) {
  u64 h = (g_ticks[cpu] + cpu) * 0x9e3779b97f4a7c15ull;
  return g_slice_ticks + (h >> 32) % (g_slice_ticks / 4 + 1);
}

// A thread starts its turn on this CPU: its slice starts now, or at the
// tick already programmed (see above).
[[gnu::always_inline]] inline void start_slice(u32 me, Thread* next) TA_REQ(g_sched_lock) {
  if (g_cpu[me].programmed != 0 && g_cpu[me].prog_slice) {
    next->sc->slice_end = kSliceAtNextTick;
    return;
  }
  next->sc->slice_end = timer_now() + slice_len(me);
  rearm_timer(me);
}

// Is there an idle CPU where `t` (leaving CPU `me`) could run instead?
[[gnu::noinline]] bool some_cpu_idles_but(u32 me) TA_REQ(g_sched_lock) {
  for (u32 c = 0; c < kMaxCpus; c++)
    if (c != me && cs_of(c).online && current_of(c) == nullptr && cs_of(c).rq.empty()) return true;
  return false;
}
[[gnu::always_inline]] inline bool idle_cpu_for(Thread* t, u32 me) TA_REQ(g_sched_lock) {
  return t->sc->affinity == kAnyCpu && some_cpu_idles_but(me);
}

// The current thread gives up this CPU but stays runnable: behind its peers
// here, or, if it may run elsewhere and a CPU idles, there (balancing).
void requeue_current(Thread* t, u32 me) TA_REQ(g_sched_lock) {
  if (t->sc->may_run_on(me) && !idle_cpu_for(t, me))
    rq_push(me, t);
  else
    make_runnable(t);
}

// Takes a thread off whatever it waits on (not the run queue).
void unblock(Thread* t) TA_REQ(g_sched_lock) {
  if (t->waiting_on != nullptr) t->waiting_on->threads.remove(t);
  t->waiting_on = nullptr;
  timer_queue_cancel(&t->timer);
  t->sig.interruptible = false;
  t->sig.waitset = 0;
}

// Makes `next` this CPU's running thread (bookkeeping only; the caller
// loads its registers).
[[gnu::always_inline]] inline void install(u32 me, Thread* next)
    TA_REQ(g_sched_lock) {
  next->state = ThreadState::Running;
  next->on_cpu = true;
  next->cpu = me;
  g_per_cpu[me].current = next;
  start_slice(me, next);
  // FP/SIMD: usable at once if these registers still hold exactly this
  // thread's state (it was the last to load them here and has run nowhere
  // else since); otherwise its first use traps.
  PerCpu* pc = &g_per_cpu[me];
  set_fp_access(pc, pc->fp_owner == next && next->fp_cpu == me);
}

// The next thread for this CPU: a hand-off target, else the best queued
// here, else the best another CPU has queued (stealing). Installs it.
Thread* pick_next(u32 me) TA_REQ(g_sched_lock) {
  CpuSched& c = cs_of(me);
  Thread* next = c.rq.peek(me);
  for (u32 o = 0; next == nullptr && o < kMaxCpus; o++)
    if (o != me) next = cs_of(o).rq.peek(me);
  if (next != nullptr) rq_remove(next);
  if (next != nullptr) {
    acct_restart(&g_per_cpu[me]);
    install(me, next);
  } else {
    rearm_timer(me);
  }
  return next;
}


[[noreturn]] void go_idle(PerCpu* cpu) {
  cpu->cur_ctx = nullptr;
  deactivate_vmspace();
  arch_resume_kernel(0);
}

// State changes that IPC makes without the scheduler lock (ipc/ipc.cpp)
// are CASes on `state`, and a thread leaving a CPU publishes that with
// release_cpu(); sched_stop pairs with it (Dekker: each side stores, then
// loads the other's flag, with full barriers between).
// Clears t->on_cpu; returns whether a stop (kill_pending) is pending, which
// the caller must then carry out itself.
[[gnu::always_inline]] inline bool release_cpu(Thread* t) {
  __atomic_store_n(&t->on_cpu, false, __ATOMIC_SEQ_CST);
  return __atomic_load_n(&t->kill_pending, __ATOMIC_SEQ_CST);
}

// References to drop once the thread that used them is off this CPU
// (sched_defer_put). Only this CPU touches its own entry.
Object* g_deferred[kMaxCpus];
void drop_deferred(u32 me) {
  if (Object* o = g_deferred[me]) {
    g_deferred[me] = nullptr;
    obj_put(o);
  }
}

void timer_tick();
}  // namespace

// The counter when each CPU started accounting (written once, at its start).
u64 g_acct_start[kMaxCpus];
u64 acct_cpu_start(u32 cpu) { return cpu < kMaxCpus ? g_acct_start[cpu] : 0; }


void sched_init_this_cpu() {
  if (g_slice_ticks == 0) g_slice_ticks = ns_to_ticks(kSliceNs);
  g_acct_start[this_cpu_id()] = this_cpu()->acct_stamp = acct_counter();
  timer_register_handler(timer_tick);
  SpinGuard g(g_sched_lock);
  timer_queue_init(this_cpu_id());
  // Boot left FP/SIMD open (head.S); lazy switching starts from "trapped".
  CpuSched& c = cs_of(this_cpu_id());
  this_cpu()->sched = &c;
  this_cpu()->fp_enabled = true;
  set_fp_access(this_cpu(), false);
  c.online = true;
}

void sched_start(Thread* t) {
  {
    SpinGuard g(g_sched_lock);
    if (t->state != ThreadState::Created) return;  // its process exited meanwhile
    make_runnable(t);
  }
  sched_flush_kicks();
}

// The scheduling decision of the exit path. `ctx` belongs to the current
// thread (prev). Cases, all under the scheduler lock:
//   - prev still Running, nothing better queued and no hand-off chosen:
//     resume it (a spurious or already-handled request);
//   - prev Running but preempted (a better thread, its slice ended with a
//     peer waiting, or it may no longer run here): requeue it;
//   - prev Blocked or Runnable (blocked, yielded, or already woken again):
//     it is where its handler put it;
//   - prev killed (kill_pending) or Exited: reaped here, once no CPU runs it.
// Then the next thread is picked; if its entry raised need_resched again (a
// kill, a wake-up by the reaping), the loop decides once more. prev's
// registers are saved (save_user_state) before on_cpu is cleared: from that
// moment another CPU may pick it.
// Before a thread is resumed (prev in the first case, next after the pick),
// its signal work is done with no lock held (signal_exit_work: frames,
// interrupted calls, default actions); if that ended its process,
// need_resched is set and the loop decides once more.
ArchContext* sched_exit_to_user(ArchContext* ctx) TA_NO_THREAD_SAFETY_ANALYSIS {
  PerCpu* cpu = this_cpu();
  u32 me = static_cast<u32>(cpu->cpu_id);
  for (;;) {
    Thread* prev = current();
    if (prev == nullptr) {
      // EL0 code without a thread: only the in-kernel tests run it.
      cpu->need_resched = 0;
      return ctx;
    }
    g_sched_lock.lock();
    cpu->need_resched = 0;
    CpuSched& c = cs_of(me);
    if (prev->kill_pending && prev->state != ThreadState::Exited) {
      // Its process exited while it ran: take it off whatever queue it
      // just joined.
      if (prev->state == ThreadState::Runnable) rq_remove(prev);
      if (prev->state == ThreadState::Blocked) unblock(prev);
      prev->state = ThreadState::Exited;
    }
    if (prev->state == ThreadState::Running) {
      if (prev->sc->may_run_on(me) &&
          c.rq.top_prio() < static_cast<i32>(prev->sc->prio)) {
        // Nobody here outranks it; a peer of equal priority waits only if
        // the tick asked for round robin.
        Thread* best = c.rq.peek(me);
        if (best == nullptr || best->sc->prio < prev->sc->prio) {
          g_sched_lock.unlock();
          if (signal_work_quick(prev)) [[unlikely]] {
            ctx = signal_exit_work(prev, ctx);
            if (__atomic_load_n(&cpu->need_resched, __ATOMIC_RELAXED) != 0) continue;
          }
          return ctx;
        }
      }
      save_user_state(prev);
      requeue_current(prev, me);
    } else if (prev->state != ThreadState::Exited) {
      save_user_state(prev);
    }
    // Its kernel time until now is its own (sched/cpu_time.h): charged
    // while no other CPU can run, stop or reap it.
    acct_switch_out(cpu, &prev->times);
    // From here another CPU may run prev. An IPC handler that went idle
    // can be claimed by a call without this lock (ipc/ipc.cpp), and
    // stopped by sched_stop only through a CAS: if a stop came in while
    // it was still ours, it is ours to carry out (see sched_stop).
    if (release_cpu(prev) && prev->state == ThreadState::IpcIdle &&
        cas_state(prev, ThreadState::IpcIdle, ThreadState::Exited))
      forget_fp_owner(prev);
    // Queued elsewhere while we were switching away from it: that CPU
    // skipped it until now.
    if (prev->state == ThreadState::Runnable && prev->cpu != me) kick(prev->cpu);
    cpu->current = nullptr;
    if (prev->state == ThreadState::Exited) {
      forget_fp_owner(prev);
      g_sched_lock.unlock();
      sched_flush_kicks();
      // Nothing may run in its address space while it is torn down. Reaping
      // may wake threads (a parent in wait) onto this CPU: they are seen by
      // the pick below, so no CPU idles with a runnable thread queued.
      deactivate_vmspace();
      thread_reap(prev);
      g_sched_lock.lock();
    }
    Thread* next = pick_next(me);
    g_sched_lock.unlock();
    sched_flush_kicks();
    drop_deferred(me);
    if (next == nullptr) go_idle(cpu);
    load_user_state(cpu, next);
    ctx = &next->ctx;
    // Signals that came while it was off the CPU. (Done here, not by
    // raising need_resched: that would make the decision above rotate
    // equal-priority threads, and two with signal work would take turns
    // forever without either reaching user space.)
    if (signal_work_quick(next)) [[unlikely]]
      ctx = signal_exit_work(next, ctx);
    if (__atomic_load_n(&cpu->need_resched, __ATOMIC_RELAXED) == 0) return ctx;
  }
}

// The system-call return's slow path (vectors.S). If the handler handed the
// CPU over (sched_switch_to), the caller's result is already settled and
// the new thread's context is resumed. Otherwise the result goes into x0,
// unless the thread blocked, in which case its waker supplies it.
extern "C" ArchContext* syscall_exit_slow(ArchContext* ctx, i64 ret) {
  PerCpu* cpu = this_cpu();
  cpu->full_restore = 0;  // every exit from here restores the whole context
  if (cpu->switched) {
    cpu->switched = 0;
    return exit_to_user(cpu->cur_ctx);
  }
  Thread* t = current();
  if (t == nullptr || !t->result_by_waker) ctx->x[0] = static_cast<u64>(ret);
  if (t != nullptr) t->result_by_waker = false;
  return sched_exit_to_user(ctx);
}

// The whole switch, here and now, under the lock the caller holds: prev's
// remaining registers are saved and from then on another CPU may run it;
// next becomes current with its address space and TLS loaded. The
// system-call return then resumes next (PerCpu::switched). One lock round
// trip and no run-queue search: this is the hand-off IPC's fast path needs.
namespace {
// The body of sched_switch_to, with what the caller already knows.
[[gnu::always_inline]] inline void switch_locked(PerCpu* cpu, u32 me, Thread* prev,
                                                 Thread* next) TA_REQ(g_sched_lock) {
  save_user_state(cpu, prev);
  prev->result_by_waker = false;  // its result is settled: nobody on this path writes it
  prev->on_cpu = false;
  if (prev->state == ThreadState::Runnable && prev->cpu != me) kick(prev->cpu);
  install(me, next);
  load_user_state(cpu, next);
  cpu->switched = 1;
  // A signal came while it was off the CPU: the exit path delivers it.
  if (signal_work_quick(next)) [[unlikely]]
    set_need_resched(me);
}
}  // namespace

void sched_switch_to(Thread* next) {
  PerCpu* cpu = this_cpu();
  u32 me = static_cast<u32>(cpu->cpu_id);
  switch_locked(cpu, me, static_cast<Thread*>(cpu->current), next);
}

namespace {
// yield's other cases, with the lock held: out of line, so that the common
// one keeps few registers live (no large frame to save and restore).
[[gnu::noinline]] i64 yield_slow(PerCpu* cpu, Thread* t, u32 me) TA_NO_THREAD_SAFETY_ANALYSIS {
  CpuSched& c = g_cpu[me];
  // Two threads taking turns, but the switch needs a call (yield_fast).
  if (Thread* other = c.rq.sole_thread_of(t->sc->prio)) {
    if (!other->on_cpu && other->sc->may_run_on(me) && t->sc->affinity == static_cast<i32>(me)) {
      t->ctx.x[0] = 0;
      c.rq.replace_sole(other, t);
      t->state = ThreadState::Runnable;
      switch_locked(cpu, me, t, other);
      g_sched_lock.unlock();
      return 0;
    }
  }
  bool here = t->sc->may_run_on(me);
  Thread* other = c.rq.peek(me);
  // Nobody else could use this CPU (same or higher priority): keep going.
  if (here && (other == nullptr || other->sc->prio < t->sc->prio)) {
    g_sched_lock.unlock();
    return 0;
  }
  if (here && other != nullptr && !idle_cpu_for(t, me)) {
    // The common case, a direct hand-over: `other` runs next, we queue
    // behind it with yield's result already in place.
    t->ctx.x[0] = 0;
    if (c.rq.replace_only(other, t)) {
      // The other thread was the only candidate: no trip through the queue.
      t->state = ThreadState::Runnable;
    } else {
      rq_remove(other);
      rq_push(me, t);
    }
    switch_locked(cpu, me, t, other);
    g_sched_lock.unlock();
    return 0;
  }
  requeue_current(t, me);
  set_need_resched(me);
  g_sched_lock.unlock();
  sched_flush_kicks();
  // 0, which the compiler must not see: sched_yield_current then ends in
  // a tail call here, and its fast path needs no frame.
  i64 r = 0;
  asm("" : "+r"(r));
  return r;
}
}  // namespace

// yield's common case: two threads of one priority, both pinned here, taking
// turns (one waits in the queue: it takes our place there), in the same
// address space, with nothing on the way that needs a call (no FP/SIMD
// state to save or access to grant, a tick already programmed as some
// slice's end). The same
// steps as switch_locked and install, in a function that calls nothing,
// so it needs no frame. Returns false, having changed nothing, when the
// case does not apply.
[[gnu::always_inline]] inline bool yield_fast(PerCpu* cpu, Thread* t, u32 me)
    TA_REQ(g_sched_lock) {
  CpuSched& c = *static_cast<CpuSched*>(cpu->sched);
  Thread* other = c.rq.sole_thread_of(t->sc->prio);
  if (other == nullptr || other->on_cpu || other->sc->affinity != static_cast<i32>(me) ||
      t->sc->affinity != static_cast<i32>(me))
    return false;
  // FP/SIMD: nothing to save (t has not used it this turn: access is
  // off; the owner of the registers is not an IPC caller keeping its
  // state live), and access stays off (if `other` owns the registers, its
  // first FP/SIMD instruction traps and sched_fp_trap just turns it on).
  if (cpu->fp_enabled) return false;
  if (auto* o = static_cast<Thread*>(cpu->fp_owner); o != nullptr && o->fp_live) return false;
  if (c.programmed == 0 || !c.prog_slice) return false;
  // The same process: t's address space is the one loaded.
  CapGroup* g = t->group;
  if (other->group != g) return false;
  // t leaves: into other's place in the queue, its result settled.
  t->ctx.x[0] = 0;
  c.rq.replace_sole(other, t);
  t->state = ThreadState::Runnable;
  t->tpidr_el0 = read_sysreg(tpidr_el0);
  t->result_by_waker = false;
  t->on_cpu = false;
  // other comes in (install, start_slice, load_user_state).
  other->state = ThreadState::Running;
  other->on_cpu = true;  // its cpu is me already: it was queued here
  cpu->current = other;
  other->sc->slice_end = kSliceAtNextTick;
  cpu->cur_ctx = &other->ctx;
  write_sysreg(tpidr_el0, other->tpidr_el0);
  cpu->switched = 1;
  // Perhaps a signal came while it was off the CPU: the exit path looks.
  if (signal_work_hinted(other, g)) [[unlikely]]
    set_need_resched(me);
  return true;
}

i64 sched_yield_current() TA_NO_THREAD_SAFETY_ANALYSIS {
  PerCpu* cpu = this_cpu();
  Thread* t = static_cast<Thread*>(cpu->current);
  u32 me = static_cast<u32>(cpu->cpu_id);
  g_sched_lock.lock();
  if (yield_fast(cpu, t, me)) [[likely]] {
    g_sched_lock.unlock();
    return 0;
  }
  return yield_slow(cpu, t, me);
}

void sched_run() {
  arch_enter_scheduler([]() TA_NO_THREAD_SAFETY_ANALYSIS {
    PerCpu* cpu = this_cpu();
    g_sched_lock.lock();
    cpu->need_resched = 0;
    Thread* next = pick_next(static_cast<u32>(cpu->cpu_id));
    g_sched_lock.unlock();
    sched_flush_kicks();
    if (next == nullptr) go_idle(cpu);
    load_user_state(cpu, next);
    ArchContext* ctx = &next->ctx;
    if (signal_work_quick(next)) [[unlikely]]
      ctx = signal_exit_work(next, ctx);
    eret_to_context(exit_to_user(ctx));
  });
}

void sched_idle_wait(u64 deadline) {
  if (deadline != kNoDeadline) {
    // Through the bookkeeping of rearm_timer: the tick that this deadline
    // raises finds nothing to expire and programs the next real event.
    SpinGuard g(g_sched_lock);
    u64& prog = g_cpu[this_cpu_id()].programmed;
    if (prog == 0 || deadline < prog) {
      timer_set_deadline(deadline);
      prog = deadline;
    }
  }
  // Idle CPUs must wfi, not spin: spinning vCPUs slow the others down.
  // wfi runs with interrupts masked (a pending one still wakes it), so an
  // IPI or a deadline that arrives just before cannot be lost; and work
  // queued here by this CPU itself sets need_resched, which is checked first.
  if (__atomic_load_n(&this_cpu()->need_resched, __ATOMIC_RELAXED) == 0) arch::wait_for_interrupt();
}

void cpu_idle_loop() {
  for (;;) {
    sched_run();
    // Nothing to run: sleep until an interrupt (timer, IPI) brings work.
    sched_idle_wait(kNoDeadline);
  }
}

void sched_exit_current() {
  Thread* t = current();
  SpinGuard g(g_sched_lock);
  t->state = ThreadState::Exited;
  set_need_resched(this_cpu_id());
}

namespace {
void wake_locked(Thread* t, i64 result) TA_REQ(g_sched_lock);

// A signal ends t's interruptible wait: -EINTR, the call's first argument
// kept in case the exit path restarts it.
void interrupt_locked(Thread* t) TA_REQ(g_sched_lock) {
  t->sig.interrupted = true;
  t->sig.restart_x0 = t->ctx.x[0];
  wake_locked(t, to_errno(Err::Intr));
}

// What a blocked, interruptible t does about its pending signals: a
// signal sigtimedwait waits for restarts the call (which then takes it),
// another deliverable one interrupts the wait.
void signal_wake_check(Thread* t) TA_REQ(g_sched_lock) {
  u64 pend = __atomic_load_n(&t->sig.pending, __ATOMIC_ACQUIRE);
  if (t->ipc_port == nullptr) pend |= __atomic_load_n(&t->group->sig.pending, __ATOMIC_ACQUIRE);
  if (pend & t->sig.waitset)
    wake_locked(t, kRestartCall);
  else if (pend & ~__atomic_load_n(&t->sig.blocked, __ATOMIC_RELAXED))
    interrupt_locked(t);
}
}  // namespace

void sched_signal_notify(Thread* t) {
  if (load_state(t) == ThreadState::Blocked && t->sig.interruptible) {
    signal_wake_check(t);
    return;
  }
  if (__atomic_load_n(&t->on_cpu, __ATOMIC_SEQ_CST) && signal_work_pending(t)) {
    set_need_resched(t->cpu);
    kick(t->cpu);
  }
}

void sched_signal_recheck_current() {
  Thread* t = current();
  if (!signal_work_pending(t)) return;
  SpinGuard g(g_sched_lock);
  set_need_resched(this_cpu_id());
}

void sched_fp_sync_current() {
  Thread* t = current();
  SpinGuard g(g_sched_lock);
  PerCpu* pc = this_cpu();
  if (pc->fp_owner == t && t->fp_cpu == this_cpu_id()) save_fp_of(t);
}

void sched_fp_reload_current() {
  Thread* t = current();
  SpinGuard g(g_sched_lock);
  PerCpu* pc = this_cpu();
  // Its next FP/SIMD instruction traps and loads the new Thread::fp.
  if (pc->fp_owner == t) pc->fp_owner = nullptr;
  t->fp_cpu = ~0u;
  t->fp_live = false;
  set_fp_access(pc, false);
}

Status sched_block_prepare(WaitQueue* q, u64 deadline, i64 timeout_result, bool interruptible) {
  Thread* t = current();
  t->timeout_result = timeout_result;
  if (deadline != 0) TRY(timer_queue_arm(&t->timer, this_cpu_id(), deadline));
  t->state = ThreadState::Blocked;
  t->result_by_waker = true;
  t->waiting_on = q;
  if (q != nullptr) q->threads.push_back(t);
  set_need_resched(this_cpu_id());
  t->sig.interruptible = interruptible;
  // A signal that came before it blocked (the sender saw it running).
  if (interruptible) signal_wake_check(t);
  return kOk;
}

namespace {
void wake_locked(Thread* t, i64 result) TA_REQ(g_sched_lock) {
  if (t->state != ThreadState::Blocked) return;
  unblock(t);
  if (result == kRestartCall)
    t->ctx.elr -= 4;  // back to its svc: it issues the call again (x0-x7 are intact)
  else if (result != kResumeAsIs)
    t->ctx.x[0] = static_cast<u64>(result);
  // Round robin's progress check (timer_tick): where it resumes.
  t->turn_pc = t->ctx.elr;
  if (t->on_cpu) {
    // Still switching away on its CPU: it must not run twice at once.
    // Queue it on that CPU; the pick happens after on_cpu is cleared.
    rq_push(t->cpu, t);
    return;
  }
  make_runnable(t);
}
}  // namespace

void sched_wake(Thread* t, i64 result) { wake_locked(t, result); }

usize sched_wake_n(WaitQueue* q, usize n, i64 result) {
  usize woken = 0;
  while (woken < n) {
    Thread* t = q->threads.front();
    if (t == nullptr) break;
    wake_locked(t, result);
    woken++;
  }
  return woken;
}

bool sched_stop(Thread* t) {
  // Announce the stop first: a CPU that takes t off (IPC's switch, the exit
  // path) checks kill_pending after clearing on_cpu, so one of us sees the
  // other (release_cpu).
  __atomic_store_n(&t->kill_pending, true, __ATOMIC_SEQ_CST);
  for (;;) {
    ThreadState s = load_state(t);
    if (s == ThreadState::Exited) return false;
    if (__atomic_load_n(&t->on_cpu, __ATOMIC_SEQ_CST)) {
      // The CPU running it reaps it at its exit path.
      set_need_resched(t->cpu);
      kick(t->cpu);
      return false;
    }
    switch (s) {
      case ThreadState::Runnable:
        rq_remove(t);
        break;
      case ThreadState::Blocked:
      case ThreadState::IpcIdle:
        // An IPC call or return may claim it without this lock: whoever
        // wins the CAS has it.
        if (!cas_state(t, s, ThreadState::Exited)) continue;
        if (s == ThreadState::Blocked) unblock(t);
        forget_fp_owner(t);
        return true;
      case ThreadState::Running:
        continue;  // being switched onto or off a CPU by IPC: look again
      default:
        break;
    }
    t->state = ThreadState::Exited;
    forget_fp_owner(t);
    return true;
  }
}

void sched_flush_kicks() {
  Kicks& mine = g_pending_kicks[this_cpu_id()];
  if (mine.mask == 0) return;
  u32 mask = mine.mask;
  mine.mask = 0;
  for (u32 c = 0; c < kMaxCpus; c++)
    if (mask & (1u << c)) kern::ipi_send(c, plat::IpiKind::Reschedule);
}

bool sched_fp_trap() {
  Thread* t = current();
  if (t == nullptr) return false;
  SpinGuard g(g_sched_lock);
  u32 me = this_cpu_id();
  PerCpu* pc = this_cpu();
  if (pc->fp_owner != t || t->fp_cpu != me) {
    // The registers hold another thread's state, saved when that thread
    // left the CPU, unless it is an IPC caller's live state: save that now.
    auto* o = static_cast<Thread*>(pc->fp_owner);
    if (o != nullptr && o != t && o->fp_live) save_fp_of(o);
    arch_fpu_restore(&t->fp);
    pc->fp_owner = t;
    t->fp_cpu = me;
  }
  set_fp_access(pc, true);
  t->fp_eager = kFpEagerReturns;  // it uses FP/SIMD: IPC returns open it at once again
  return true;
}


// The scheduler's state on the console (kernel/console/input.cpp calls it
// when Ctrl-] is typed three times; the test harness does that when a test
// times out): per CPU the running thread, its slice, the programmed timer
// and the run queue. Reads under the scheduler lock if it can get it within
// about a second, else without it (and says so: a CPU may hold it forever).
void sched_debug_dump() TA_NO_THREAD_SAFETY_ANALYSIS {
  bool locked = false;
  u64 give_up = timer_now() + ns_to_ticks(1'000'000'000);
  while (!(locked = g_sched_lock.try_lock()) && timer_now() < give_up) cpu_relax();
  u64 now = timer_now();
  auto rel_us = [&](u64 t) -> i64 {
    if (t == 0 || t == ~0ull) return -1;
    return t >= now ? static_cast<i64>(ticks_to_ns(t - now) / 1000)
                    : -static_cast<i64>(ticks_to_ns(now - t) / 1000);
  };
  // A thread's saved registers are its own only while it is off every CPU
  // (or is this CPU's, interrupted from EL0 by the console's interrupt).
  auto show = [](const char* what, Thread* t, bool regs) {
    printk("    %s tid %llu '%s' prio %u state %u on_cpu %d cpu %u kill %d turn_pc %llx", what,
           static_cast<unsigned long long>(t->tid), t->group != nullptr ? t->group->name : "?",
           t->sc->prio, static_cast<unsigned>(t->state), t->on_cpu ? 1 : 0, t->cpu,
           t->kill_pending ? 1 : 0, static_cast<unsigned long long>(t->turn_pc));
    if (regs)
      printk(" pc %llx lr %llx x8 %llu x0 %llx", static_cast<unsigned long long>(t->ctx.elr),
             static_cast<unsigned long long>(t->ctx.x[30]),
             static_cast<unsigned long long>(t->ctx.x[8]),
             static_cast<unsigned long long>(t->ctx.x[0]));
    printk("\n");
  };
  printk("sched: dump from cpu %u%s; its timer: ctl %llx cval %lld us, isr %llx\n", this_cpu_id(),
         locked ? "" : " (scheduler lock NOT taken: held for over 1 s)",
         static_cast<unsigned long long>(read_sysreg(cntv_ctl_el0)),
         static_cast<long long>(rel_us(read_sysreg(cntv_cval_el0))),
         static_cast<unsigned long long>(read_sysreg(isr_el1)));
  for (u32 c = 0; c < kMaxCpus; c++) {
    if (!g_cpu[c].online) continue;
    PerCpu& pc = g_per_cpu[c];
    printk("  cpu %u: ticks %llu (last %lld us; slice ends: rotated %llu, kept stalled %llu, "
           "alone %llu) need_resched %u timer %lld us%s queue-next %lld us rq %u\n", c,
           static_cast<unsigned long long>(g_ticks[c]), static_cast<long long>(rel_us(g_last_tick[c])),
           static_cast<unsigned long long>(g_tick_rotated[c]),
           static_cast<unsigned long long>(g_tick_stalled[c]),
           static_cast<unsigned long long>(g_tick_alone[c]),
           pc.need_resched, static_cast<long long>(rel_us(g_cpu[c].programmed)),
           g_cpu[c].prog_slice ? " (slice end)" : "",
           static_cast<long long>(locked ? rel_us(timer_queue_next(c)) : -1), g_cpu[c].rq.size());
    if (Thread* cur = current_of(c)) {
      show("running", cur, c == this_cpu_id());
      // Its process: job-control state and every thread (read without the
      // process's lock: the system is stalled, or the figures are a guess).
      if (CapGroup* g = cur->group; g != nullptr) {
        printk("      process: stopped %d orphaned %d pending %llx; thread signals pending %llx "
               "blocked %llx\n",
               g->sig.stopped ? 1 : 0, g->sig.orphaned ? 1 : 0,
               static_cast<unsigned long long>(g->sig.pending),
               static_cast<unsigned long long>(cur->sig.pending),
               static_cast<unsigned long long>(cur->sig.blocked));
        for (Thread* o : g->threads)
          if (o != cur) show("  sibling", o, !o->on_cpu);
      }
      u64 end = cur->sc->slice_end;
      if (end == kSliceAtNextTick)
        printk("      slice ends at the next tick\n");
      else
        printk("      slice ends in %lld us\n", static_cast<long long>(rel_us(end)));
    } else {
      printk("    idle\n");
    }
    if (locked) g_cpu[c].rq.for_each([&](Thread* t) { show("queued", t, !t->on_cpu); });
    // Its timer queue: the threads sleeping with a deadline here.
    for (u32 i = 0; locked && i < g_heaps[c].size; i++) {
      Timer* tm = g_heaps[c].items[i];
      printk("    timer in %lld us:", static_cast<long long>(rel_us(tm->deadline)));
      if (tm->kind != TimerKind::ThreadTimeout) {
        printk(" a process timer\n");
        continue;
      }
      Thread* t = thread_of_timer(tm);
      show("sleeping", t, !t->on_cpu);
      printk("      signals: pending %llx, process %llx, blocked %llx, interrupted %d\n",
             static_cast<unsigned long long>(t->sig.pending),
             static_cast<unsigned long long>(t->group->sig.pending),
             static_cast<unsigned long long>(t->sig.blocked), t->sig.interrupted ? 1 : 0);
    }
  }
  if (locked) g_sched_lock.unlock();
}

void sched_ipi_reschedule() {
  SpinGuard g(g_sched_lock);
  set_need_resched(this_cpu_id());
}

// The irq layer's IPI hook (irq/irq.cpp has a weak default).
void ipi_handler(plat::IpiKind kind) {
  if (kind == plat::IpiKind::Reschedule) sched_ipi_reschedule();
}

namespace {
// The timer interrupt: expire timers, end time slices.
void timer_tick() {
  {
    SpinGuard g(g_sched_lock);
    u32 me = this_cpu_id();
    u64 now = timer_now();
    g_ticks[me]++;
    g_last_tick[me] = now;
    g_cpu[me].programmed = 0;  // the handler masked it
    while (Timer* tm = timer_queue_pop_expired(me, now)) {
      if (tm->kind == TimerKind::Process) {
        posix_timer_expired(tm, me, now);
        continue;
      }
      Thread* t = thread_of_timer(tm);
      wake_locked(t, t->timeout_result);
    }
    Thread* cur = current();
    // A slice that started lazily ends at the first tick (which came at
    // most one slice after the thread was switched in).
    if (cur != nullptr) {
      // The tick interrupted EL0 (the kernel runs with interrupts masked),
      // so cur->ctx.elr is where cur is. A thread woken from a blocking
      // call that is still at the pc it resumes at (turn_pc, set by the
      // wake) has not run an instruction since, however much time passed.
      // That happens when the CPU itself did not run meanwhile (a virtual
      // CPU that its host, e.g. QEMU's round-robin TCG, left waiting past
      // the slice): rotating it out then would starve it for as long as
      // the lag lasts, which a test saw last 20 s. It keeps the CPU for a
      // new slice instead. Only a woken thread is judged so: a thread
      // preempted in a tight loop is interrupted at the loop's head every
      // time under TCG (interrupts are taken between translated blocks),
      // so its pc says nothing about whether it ran. (A thread rotated in
      // is protected by the slices' varying lengths instead: slice_len.)
      bool stalled = cur->turn_pc != 0 && cur->ctx.elr == cur->turn_pc;
      cur->turn_pc = 0;
      if (cur->sc->slice_end == kSliceAtNextTick || now >= cur->sc->slice_end) {
        // Round robin: give way to a peer of equal or higher priority.
        Thread* other = cs_of(me).rq.peek(me);
        if (other == nullptr || other->sc->prio < cur->sc->prio)
          g_tick_alone[me]++;
        else if (stalled)
          g_tick_stalled[me]++;
        else
          g_tick_rotated[me]++;
        if (!stalled && other != nullptr && other->sc->prio >= cur->sc->prio) set_need_resched(me);
        cur->sc->slice_end = now + slice_len(me);
      }
    }
    rearm_timer(me);
  }
  sched_flush_kicks();
  posix_timers_deliver(this_cpu_id());
  // The running process's timers on CPU time (relaxed: a timer armed just
  // now is seen at the next tick).
  if (Thread* cur = current();
      cur != nullptr && __atomic_load_n(&cur->group->cpu_timers_armed, __ATOMIC_RELAXED) != 0)
    posix_cpu_timers_tick(cur);
}
}  // namespace

Status sched_arm_timer(Timer* t, u64 deadline) {
  u32 me = this_cpu_id();
  TRY(timer_queue_arm(t, me, deadline));
  rearm_timer(me);
  return kOk;
}

Status sched_set_affinity(Thread* t, i64 cpu) {
  SpinGuard g(g_sched_lock);
  if (cpu != kAnyCpu && (cpu < 0 || cpu >= static_cast<i64>(kMaxCpus) || !cs_of(static_cast<u32>(cpu)).online))
    return Err::Inval;
  t->sc->affinity = static_cast<i32>(cpu);
  if (cpu == kAnyCpu) return kOk;
  // A queued thread moves now; a running one at its CPU's exit path.
  if (t->state == ThreadState::Runnable && t->cpu != static_cast<u32>(cpu)) {
    rq_remove(t);
    make_runnable(t);
  }
  if (t->on_cpu && t->cpu != static_cast<u32>(cpu)) {
    set_need_resched(t->cpu);
    kick(t->cpu);
  }
  return kOk;
}

Status sched_set_priority(Thread* t, u32 prio) {
  if (prio >= kNumPriorities) return Err::Inval;
  SpinGuard g(g_sched_lock);
  if (t->pi_boosted) {
    // Boosted by a waiter on a PI futex: the new value is where it returns.
    t->pi_base_prio = prio;
    if (prio <= t->sc->prio) return kOk;
    t->pi_boosted = false;
  }
  sched_set_priority_locked(t, prio);
  return kOk;
}

void sched_set_priority_locked(Thread* t, u32 prio) {
  if (t->state == ThreadState::Runnable) {
    rq_remove(t);
    t->sc->prio = prio;
    make_runnable(t);
    return;
  }
  t->sc->prio = prio;
  // Running with a lower priority than a queued thread now: give way.
  if (t->state == ThreadState::Running && cs_of(t->cpu).rq.top_prio() > static_cast<i32>(prio)) {
    set_need_resched(t->cpu);
    kick(t->cpu);
  }
}

// --- IPC's hand-off (ipc/ipc.cpp) ---------------------------------------------

bool sched_ipc_stop_claimed(Thread* t, ThreadState from) {
  return cas_state(t, from, ThreadState::Exited);
}

bool sched_ipc_start(Thread* t) {
  SpinGuard g(g_sched_lock);
  if (!cas_state(t, ThreadState::IpcIdle, ThreadState::Blocked)) return false;
  t->sc = &t->own_sc;
  make_runnable(t);
  return true;
}

void sched_ipc_idle_current() {
  SpinGuard g(g_sched_lock);
  Thread* t = current();
  t->sc = &t->own_sc;
  t->state = ThreadState::IpcIdle;
  set_need_resched(this_cpu_id());
}

void sched_defer_put(Object* o) {
  u32 me = this_cpu_id();
  // One per system call, dropped by the exit path that follows it.
  if (g_deferred[me] != nullptr) panic("sched_defer_put: one is already pending");
  g_deferred[me] = o;
}

}  // namespace kern
