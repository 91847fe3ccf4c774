#include "sched/sched.h"

#include "arch/aarch64/irqflags.h"
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "arch/aarch64/timer.h"
#include "irq/irq.h"
#include "lib/panic.h"
#include "mm/vmspace.h"
#include "object/cap_group.h"
#include "platform/platform.h"
#include "sched/timer_queue.h"
#include "uapi/errno.h"

extern "C" {
[[noreturn]] void eret_to_context(kern::ArchContext* ctx);
[[noreturn]] void arch_resume_kernel(i64 value);
void arch_enter_scheduler(void (*fn)());
}

namespace kern {

SpinLock g_sched_lock;

namespace {
// Time slice: long enough that switching costs little, short enough that a
// spinning thread cannot starve its peers for long.
constexpr u64 kSliceNs = 10'000'000;

struct RunQueue {
  ThreadList prio[kNumPriorities];
  u32 nonempty;   // bit p set: prio[p] has threads
  u32 nr;         // runnable threads queued here
  Thread* fp_owner;  // whose FP/SIMD state this CPU's registers hold
  bool fp_enabled;   // EL0 may use FP/SIMD now (CPACR_EL1.FPEN), i.e. fp_owner runs
  bool need_resched;
  bool online;
};

RunQueue g_rq[kMaxCpus] TA_GUARDED(g_sched_lock);
u64 g_slice_ticks;

[[gnu::always_inline]] inline RunQueue& rq_of(u32 cpu) TA_REQ(g_sched_lock) { return g_rq[cpu]; }
[[gnu::always_inline]] inline u32 this_cpu_id() { return static_cast<u32>(this_cpu()->cpu_id); }

[[gnu::always_inline]] inline void rq_push(u32 cpu, Thread* t) TA_REQ(g_sched_lock) {
  RunQueue& rq = rq_of(cpu);
  rq.prio[t->prio].push_back(t);
  rq.nonempty |= 1u << t->prio;
  rq.nr++;
  t->state = ThreadState::Runnable;
  t->cpu = cpu;
}

[[gnu::always_inline]] inline void rq_remove(Thread* t) TA_REQ(g_sched_lock) {
  RunQueue& rq = rq_of(t->cpu);
  rq.prio[t->prio].remove(t);
  if (rq.prio[t->prio].empty()) rq.nonempty &= ~(1u << t->prio);
  rq.nr--;
}

// Highest-priority thread of `cpu`'s queue that may run on `on`.
[[gnu::always_inline]] inline Thread* rq_peek(u32 cpu, u32 on) TA_REQ(g_sched_lock) {
  RunQueue& rq = rq_of(cpu);
  for (u32 bits = rq.nonempty; bits != 0;) {
    u32 p = 31 - __builtin_clz(bits);
    for (Thread* t : rq.prio[p]) {
      // A thread whose CPU is still switching away from it cannot run yet.
      if (t->on_cpu) continue;
      if (t->affinity == kAnyCpu || static_cast<u32>(t->affinity) == on) return t;
    }
    bits &= ~(1u << p);
  }
  return nullptr;
}

[[gnu::always_inline]] inline Thread* current() { return static_cast<Thread*>(this_cpu()->current); }

// Where a thread that becomes runnable goes: its pinned CPU, else the least
// loaded online CPU, preferring the one it last ran on.
u32 place(Thread* t) TA_REQ(g_sched_lock) {
  if (t->affinity != kAnyCpu) return static_cast<u32>(t->affinity);
  u32 best = t->cpu < kMaxCpus && rq_of(t->cpu).online ? t->cpu : this_cpu_id();
  auto load = [&](u32 c) TA_REQ(g_sched_lock) {
    return rq_of(c).nr + (g_per_cpu[c].current != nullptr ? 1 : 0);
  };
  for (u32 c = 0; c < kMaxCpus; c++)
    if (rq_of(c).online && load(c) < load(best)) best = c;
  return best;
}

// IPIs to send once the lock is released.
struct Kicks {
  u32 mask = 0;
  void send() {
    for (u32 c = 0; c < kMaxCpus; c++)
      if (mask & (1u << c)) kern::ipi_send(c, plat::IpiKind::Reschedule);
  }
};

// Makes t runnable somewhere; asks that CPU to reschedule if t should run
// before what it runs now.
void make_runnable(Thread* t, Kicks& k) TA_REQ(g_sched_lock) {
  u32 cpu = place(t);
  rq_push(cpu, t);
  auto* cur = static_cast<Thread*>(g_per_cpu[cpu].current);
  if (cur == nullptr || t->prio > cur->prio) {
    rq_of(cpu).need_resched = true;
    if (cpu != this_cpu_id()) k.mask |= 1u << cpu;
  }
}

// A thread that exits must not stay any CPU's fp_owner: a new thread
// allocated at the same address would inherit stale registers.
void forget_fp_owner(Thread* t) TA_REQ(g_sched_lock) {
  for (auto& rq : g_rq)
    if (rq.fp_owner == t) rq.fp_owner = nullptr;
}

// FP/SIMD is switched lazily: a thread starts each turn on a CPU with EL0
// FP access trapped, unless the registers still hold its state; its first
// FP instruction traps (sched_fp_trap) and loads it. So a thread that does
// not touch FP/SIMD in a turn costs nothing to switch, and its state is
// saved only if it was loaded. The kernel never uses these registers.
[[gnu::always_inline]] inline void set_fp_access(RunQueue& rq, bool enabled) {
  if (rq.fp_enabled == enabled) return;
  write_sysreg(cpacr_el1, enabled ? (3u << 20) : (1u << 20));
  arch::isb();
  rq.fp_enabled = enabled;
}

[[gnu::always_inline]] inline void save_user_state(Thread* t) TA_REQ(g_sched_lock) {
  RunQueue& rq = g_rq[this_cpu_id()];
  if (rq.fp_enabled && rq.fp_owner == t) arch_fpu_save(&t->fp);
  t->tpidr_el0 = read_sysreg(tpidr_el0);
}

// Programs this CPU's timer for its next event: the earliest timer in its
// queue, or the end of the running thread's slice.
// The hardware timer is reprogrammed only when the new event is earlier
// than what is programmed (or nothing is): an early interrupt is harmless,
// the tick recomputes, and most switches then cost no timer writes.
u64 g_programmed[kMaxCpus];  // 0: timer off

[[gnu::always_inline]] inline void rearm_timer(u32 cpu) TA_REQ(g_sched_lock) {
  u64 next = timer_queue_next(cpu);
  Thread* cur = static_cast<Thread*>(g_per_cpu[cpu].current);
  if (cur != nullptr && cur->slice_end < next) next = cur->slice_end;
  u64& prog = g_programmed[cpu];
  if (next == ~0ull) {
    if (prog != 0) timer_cancel();
    prog = 0;
  } else if (prog == 0 || next < prog) {
    timer_set_deadline(next);
    prog = next;
  }
}

[[noreturn, gnu::always_inline]] inline void switch_to(Thread* next) {
  PerCpu* cpu = this_cpu();
  cpu->cur_ctx = &next->ctx;
  if (cpu->vmspace != &next->group->vmspace) next->group->vmspace.activate();
  write_sysreg(tpidr_el0, next->tpidr_el0);
  eret_to_context(&next->ctx);
}

void timer_tick();
Kicks g_pending_kicks[kMaxCpus];
}  // namespace

Thread* current_thread() { return current(); }

void sched_init_this_cpu() {
  if (g_slice_ticks == 0) g_slice_ticks = ns_to_ticks(kSliceNs);
  timer_register_handler(timer_tick);
  SpinGuard g(g_sched_lock);
  timer_queue_init(this_cpu_id());
  // Boot left FP/SIMD open (head.S); lazy switching starts from "trapped".
  RunQueue& rq = rq_of(this_cpu_id());
  rq.fp_enabled = true;
  set_fp_access(rq, false);
  rq_of(this_cpu_id()).online = true;
}

void sched_start(Thread* t) {
  Kicks k;
  {
    SpinGuard g(g_sched_lock);
    if (t->state != ThreadState::Created) return;  // its process exited meanwhile
    make_runnable(t, k);
  }
  k.send();
}

[[noreturn]] void schedule_locked();

// The current thread gives up this CPU but stays runnable: behind its peers
// here, or, if it may run elsewhere and a CPU idles, there (balancing).
// Is there an idle CPU where `t` (leaving CPU `me`) could run instead?
[[gnu::always_inline]] inline bool idle_cpu_for(Thread* t, u32 me) TA_REQ(g_sched_lock) {
  if (t->affinity != kAnyCpu) return false;
  for (u32 c = 0; c < kMaxCpus; c++)
    if (c != me && rq_of(c).online && g_per_cpu[c].current == nullptr && rq_of(c).nr == 0)
      return true;
  return false;
}

void requeue_current(Thread* t, u32 me) TA_REQ(g_sched_lock) {
  bool allowed = t->affinity == kAnyCpu || static_cast<u32>(t->affinity) == me;
  if (allowed && !idle_cpu_for(t, me))
    rq_push(me, t);
  else
    make_runnable(t, g_pending_kicks[me]);
}

void schedule() {
  g_sched_lock.lock();
  schedule_locked();
}

// schedule() with the lock already held (yield takes it once for both
// requeueing and picking). Releases it.
void schedule_locked() TA_NO_THREAD_SAFETY_ANALYSIS {
  PerCpu* cpu = this_cpu();
  u32 me = static_cast<u32>(cpu->cpu_id);
  Thread* prev = current();
  Thread* dead = nullptr;
  Thread* next = nullptr;
  {
    RunQueue& rq = rq_of(me);
    rq.need_resched = false;
    if (prev != nullptr) {
      prev->on_cpu = false;
      // Queued elsewhere while we were switching away from it: that CPU
      // skipped it until now.
      if (prev->state == ThreadState::Runnable && prev->cpu != me) g_pending_kicks[me].mask |= 1u << prev->cpu;
      if (prev->kill_pending && prev->state != ThreadState::Exited) {
        // Its process exited while it ran: take it off whatever queue it
        // just joined.
        if (prev->state == ThreadState::Runnable) rq_remove(prev);
        if (prev->state == ThreadState::Blocked) {
          if (prev->waiting_on) prev->waiting_on->threads.remove(prev);
          prev->waiting_on = nullptr;
          timer_queue_cancel(&prev->timer);
        }
        prev->state = ThreadState::Exited;
      }
      if (prev->state == ThreadState::Exited) {
        dead = prev;
        forget_fp_owner(prev);
      }
    }
    cpu->current = nullptr;
    next = rq_peek(me, me);
    // Nothing here: steal the best thread another CPU has queued.
    for (u32 c = 0; next == nullptr && c < kMaxCpus; c++)
      if (c != me) next = rq_peek(c, me);
    if (next != nullptr) {
      rq_remove(next);
      next->state = ThreadState::Running;
      next->on_cpu = true;
      next->cpu = me;
      next->slice_end = timer_now() + g_slice_ticks;
      cpu->current = next;
      // FP/SIMD: usable at once if these registers still hold exactly this
      // thread's state (it was the last to load them here and has run
      // nowhere else since); otherwise its first use traps.
      set_fp_access(rq, rq.fp_owner == next && next->fp_cpu == me);
      rearm_timer(me);
    } else {
      rearm_timer(me);
    }
    g_sched_lock.unlock();
  }
  sched_flush_kicks();
  if (dead != nullptr) {
    // Nothing may run in its address space while it is torn down.
    deactivate_vmspace();
    thread_reap(dead);
  }
  if (next != nullptr) switch_to(next);
  cpu->cur_ctx = nullptr;
  deactivate_vmspace();
  arch_resume_kernel(0);
}

void sched_yield_current() TA_NO_THREAD_SAFETY_ANALYSIS {
  Thread* t = current();
  t->ctx.x[0] = 0;
  g_sched_lock.lock();
  u32 me = this_cpu_id();
  bool allowed = t->affinity == kAnyCpu || static_cast<u32>(t->affinity) == me;
  // Nobody else could use this CPU (same or higher priority): keep going.
  Thread* other = rq_peek(me, me);
  if (allowed && (other == nullptr || other->prio < t->prio)) {
    g_sched_lock.unlock();
    eret_to_context(&t->ctx);
  }
  save_user_state(t);
  if (allowed && !t->kill_pending && other != nullptr && !idle_cpu_for(t, me)) {
    // The common case, a direct hand-over: `other` runs next, we queue
    // behind it. The same steps as schedule_locked(), minus what cannot
    // apply (no thread exits, nothing to steal).
    RunQueue& rq = rq_of(me);
    rq_remove(other);
    t->on_cpu = false;
    rq_push(me, t);
    other->state = ThreadState::Running;
    other->on_cpu = true;
    other->cpu = me;
    other->slice_end = timer_now() + g_slice_ticks;
    this_cpu()->current = other;
    rq.need_resched = false;
    set_fp_access(rq, rq.fp_owner == other && other->fp_cpu == me);
    rearm_timer(me);
    g_sched_lock.unlock();
    switch_to(other);
  }
  requeue_current(t, me);
  schedule_locked();
}

void sched_run() { arch_enter_scheduler(schedule); }

void cpu_idle_loop() {
  for (;;) {
    sched_run();
    // Nothing to run: sleep until an interrupt (timer, IPI) brings work.
    // Idle CPUs must wfi, not spin: spinning vCPUs slow the others down.
    // wfi runs with interrupts masked (a pending one still wakes it), so an
    // IPI that arrives just before cannot be lost.
    arch::wait_for_interrupt();
  }
}

void sched_exit_current() {
  Thread* t = current();
  SpinGuard g(g_sched_lock);
  t->state = ThreadState::Exited;
}

bool sched_block_prepare(WaitQueue* q, u64 deadline, i64 timeout_result) {
  Thread* t = current();
  t->timeout_result = timeout_result;
  if (deadline != 0 && !timer_queue_arm(&t->timer, this_cpu_id(), deadline).ok()) return false;
  save_user_state(t);
  t->state = ThreadState::Blocked;
  t->waiting_on = q;
  if (q != nullptr) q->threads.push_back(t);
  return true;
}

namespace {
void wake_locked(Thread* t, i64 result, Kicks& k) TA_REQ(g_sched_lock) {
  if (t->state != ThreadState::Blocked) return;
  if (t->waiting_on != nullptr) t->waiting_on->threads.remove(t);
  t->waiting_on = nullptr;
  timer_queue_cancel(&t->timer);
  t->ctx.x[0] = static_cast<u64>(result);
  if (t->on_cpu) {
    // Still switching away on its CPU: it must not run twice at once.
    // Queue it on that CPU; the pick happens after on_cpu is cleared.
    rq_push(t->cpu, t);
    return;
  }
  make_runnable(t, k);
}
}  // namespace

void sched_wake(Thread* t, i64 result) {
  wake_locked(t, result, g_pending_kicks[this_cpu_id()]);
}

usize sched_wake_n(WaitQueue* q, usize n, i64 result) {
  usize woken = 0;
  while (woken < n) {
    Thread* t = q->threads.front();
    if (t == nullptr) break;
    wake_locked(t, result, g_pending_kicks[this_cpu_id()]);
    woken++;
  }
  return woken;
}

bool sched_stop(Thread* t) {
  if (t->state == ThreadState::Exited) return false;
  if (t->on_cpu) {
    // The CPU running it reaps it at its next entry into the scheduler.
    t->kill_pending = true;
    g_rq[t->cpu].need_resched = true;
    g_pending_kicks[this_cpu_id()].mask |= 1u << t->cpu;
    return false;
  }
  if (t->state == ThreadState::Runnable) rq_remove(t);
  if (t->state == ThreadState::Blocked) {
    if (t->waiting_on != nullptr) t->waiting_on->threads.remove(t);
    t->waiting_on = nullptr;
    timer_queue_cancel(&t->timer);
  }
  t->state = ThreadState::Exited;
  forget_fp_owner(t);
  return true;
}

// Sends the IPIs that lock holders on this CPU queued up. Called after
// releasing the lock by every path that wakes or stops threads.
// Only this CPU touches its own entry (always from kernel code that cannot
// be interrupted), so no lock is needed here.
void sched_flush_kicks() {
  Kicks& mine = g_pending_kicks[this_cpu_id()];
  if (mine.mask == 0) return;
  Kicks k = mine;
  mine.mask = 0;
  k.send();
}

ArchContext* sched_irq_exit_to_user(ArchContext* ctx) TA_NO_THREAD_SAFETY_ANALYSIS {
  Thread* t = current();
  if (t == nullptr) return ctx;
  g_sched_lock.lock();
  u32 me = this_cpu_id();
  if (!rq_of(me).need_resched && !t->kill_pending) {
    g_sched_lock.unlock();
    return ctx;
  }
  if (!t->kill_pending) {
    save_user_state(t);
    requeue_current(t, me);
  }
  schedule_locked();
}

bool sched_fp_trap() {
  Thread* t = current();
  if (t == nullptr) return false;
  SpinGuard g(g_sched_lock);
  u32 me = this_cpu_id();
  RunQueue& rq = rq_of(me);
  if (rq.fp_owner != t || t->fp_cpu != me) {
    // The registers hold another thread's state, which was saved when that
    // thread left the CPU: just load ours.
    arch_fpu_restore(&t->fp);
    rq.fp_owner = t;
    t->fp_cpu = me;
  }
  set_fp_access(rq, true);
  return true;
}

void sched_ipi_reschedule() {
  SpinGuard g(g_sched_lock);
  rq_of(this_cpu_id()).need_resched = true;
}

// The irq layer's IPI hook (irq/irq.cpp has a weak default).
void ipi_handler(plat::IpiKind kind) {
  if (kind == plat::IpiKind::Reschedule) sched_ipi_reschedule();
}

namespace {
// The timer interrupt: expire timers, end time slices.
void timer_tick() {
  Kicks& k = g_pending_kicks[this_cpu_id()];
  {
    SpinGuard g(g_sched_lock);
    u32 me = this_cpu_id();
    u64 now = timer_now();
    g_programmed[me] = 0;  // the handler masked it
    while (Timer* tm = timer_queue_pop_expired(me, now)) {
      Thread* t = reinterpret_cast<Thread*>(reinterpret_cast<u8*>(tm) - __builtin_offsetof(Thread, timer));
      wake_locked(t, t->timeout_result, k);
    }
    Thread* cur = current();
    if (cur != nullptr && now >= cur->slice_end) {
      // Round robin: give way to a peer of equal or higher priority.
      Thread* other = rq_peek(me, me);
      if (other != nullptr && other->prio >= cur->prio) rq_of(me).need_resched = true;
      cur->slice_end = now + g_slice_ticks;
    }
    rearm_timer(me);
  }
  sched_flush_kicks();
}
}  // namespace

Status sched_set_affinity(Thread* t, i32 cpu) {
  SpinGuard g(g_sched_lock);
  if (cpu != kAnyCpu && (cpu < 0 || cpu >= static_cast<i32>(kMaxCpus) || !rq_of(cpu).online))
    return Err::Inval;
  t->affinity = cpu;
  // A queued thread moves now; a running one at its next switch.
  if (t->state == ThreadState::Runnable && cpu != kAnyCpu && t->cpu != static_cast<u32>(cpu)) {
    rq_remove(t);
    Kicks& k = g_pending_kicks[this_cpu_id()];
    make_runnable(t, k);
  }
  if (t->on_cpu && cpu != kAnyCpu && t->cpu != static_cast<u32>(cpu)) {
    rq_of(t->cpu).need_resched = true;
    if (t->cpu != this_cpu_id()) g_pending_kicks[this_cpu_id()].mask |= 1u << t->cpu;
  }
  return kOk;
}

Status sched_set_priority(Thread* t, u32 prio) {
  if (prio >= kNumPriorities) return Err::Inval;
  SpinGuard g(g_sched_lock);
  if (t->state == ThreadState::Runnable) {
    rq_remove(t);
    t->prio = prio;
    Kicks& k = g_pending_kicks[this_cpu_id()];
    make_runnable(t, k);
  } else {
    t->prio = prio;
  }
  return kOk;
}

}  // namespace kern
