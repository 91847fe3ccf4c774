// Process timers (time/posix_timer.h) and their system calls
// (timer_create, timer_settime, timer_gettime, timer_delete; docs/abi.md).
#include "time/posix_timer.h"

#include "arch/aarch64/timer.h"
#include "lib/new.h"
#include "mm/kmalloc.h"
#include "object/cap_group.h"
#include "sched/sched.h"
#include "signal/signal.h"
#include "syscall/syscall.h"
#include "sched/cpu_time.h"
#include "time/clock.h"

namespace kern {

namespace {
// Timers that expired on each CPU and whose signal is still to be sent
// (scheduler lock).
PosixTimer* g_fired[kMaxCpus];

PosixTimer* timer_of(Timer* tm) {
  return reinterpret_cast<PosixTimer*>(reinterpret_cast<u8*>(tm) -
                                       __builtin_offsetof(PosixTimer, timer));
}

void timer_get(PosixTimer* pt) { __atomic_fetch_add(&pt->refs, 1, __ATOMIC_RELAXED); }
void timer_put(PosixTimer* pt) {
  if (__atomic_fetch_sub(&pt->refs, 1, __ATOMIC_ACQ_REL) != 1) return;
  CapGroup* g = pt->group;
  mm::kfree(pt);
  obj_put(g);
}

// Takes the timer out of the scheduler's hands: it never fires again.
void disarm_for_good(PosixTimer* pt) {
  SpinGuard s(sched_lock());
  pt->deleted = true;
  timer_queue_cancel(&pt->timer);
}

// The timer `id` of g, with a reference for the caller.
Result<PosixTimer*> lookup(CapGroup* g, u64 id) {
  SpinGuard l(g->lock);
  for (PosixTimer* pt : g->timers)
    if (static_cast<u64>(pt->id) == id) {
      timer_get(pt);
      return pt;
    }
  return Err::Inval;
}

// What timer_gettime reports (scheduler lock held).
chcore_itimerspec current_setting(PosixTimer* pt) TA_REQ(g_sched_lock) {
  chcore_itimerspec cur{};
  cur.interval = ns_to_timespec(ticks_to_ns(pt->interval));
  if (pt->timer.heap_index >= 0) {
    u64 now = timer_now();
    u64 left = pt->timer.deadline > now ? ticks_to_ns(pt->timer.deadline - now) : 0;
    cur.value = ns_to_timespec(left == 0 ? 1 : left);  // armed: never reads as disarmed
  }
  return cur;
}

void send(PosixTimer* pt) {
  SigInfo info{CHCORE_SI_TIMER, pt->id, pt->value};
  CapGroup* g = pt->group;
  if (pt->notify == CHCORE_SIGEV_SIGNAL) {
    (void)signal_send_group(g, pt->signo, info);  // SI_TIMER: never queued
    return;
  }
  Thread* target = nullptr;
  {
    SpinGuard l(g->lock);
    for (Thread* t : g->threads)
      if (t->tid == pt->tid && load_state(t) != ThreadState::Exited) {
        target = t;
        obj_get(t);
        break;
      }
  }
  if (target == nullptr) return;  // the thread has gone: nobody to tell
  (void)signal_send_thread(target, pt->signo, info);  // SI_TIMER: never queued
  obj_put(target);
}
}  // namespace

void posix_timer_expired(Timer* tm, u32 cpu, u64 now) {
  PosixTimer* pt = timer_of(tm);
  if (pt->deleted) return;
  pt->overrun = 0;
  if (pt->interval != 0) {
    // The next period that is still to come; the ones the tick came too
    // late for are counted, not signalled.
    u64 late = now - tm->deadline;
    u64 missed = late / pt->interval;
    pt->overrun = missed > 0x7fffffff ? 0x7fffffff : static_cast<u32>(missed);
    u64 step = 0, next = 0;
    if (__builtin_mul_overflow(missed + 1, pt->interval, &step) ||
        __builtin_add_overflow(tm->deadline, step, &next) || next >= kLatestDeadline)
      next = kLatestDeadline;
    // A full heap cannot grow here without memory: the timer then stops.
    (void)timer_queue_arm(tm, cpu, next);
  }
  if (pt->notify == CHCORE_SIGEV_NONE || pt->fired) return;
  pt->fired = true;
  timer_get(pt);
  pt->fired_next = g_fired[cpu];
  g_fired[cpu] = pt;
}

void posix_timers_deliver(u32 cpu) {
  PosixTimer* list;
  {
    SpinGuard s(sched_lock());
    list = g_fired[cpu];
    g_fired[cpu] = nullptr;
    for (PosixTimer* pt = list; pt != nullptr; pt = pt->fired_next) pt->fired = false;
  }
  while (list != nullptr) {
    PosixTimer* pt = list;
    list = pt->fired_next;
    bool deleted;
    {
      SpinGuard s(sched_lock());
      deleted = pt->deleted;
    }
    if (!deleted) send(pt);
    timer_put(pt);
  }
}

namespace {
// The value of `pt`'s CPU-time clock now (ticks of CPU time). A thread
// running on another CPU is seen as of its last kernel entry or exit.
u64 cpu_clock_now(CapGroup* g, const PosixTimer* pt) TA_REQ(g->lock) {
  if (pt->cpu == CpuClock::Thread) {
    for (Thread* t : g->threads)
      if (t->tid == pt->cpu_tid) {
        CpuTimes c = acct_read(t->times);
        return c.user + c.sys;
      }
    return 0;  // gone: its clock stands still (it never fires)
  }
  CpuTimes sum = cap_group_cpu_times_locked(g);
  return pt->cpu == CpuClock::ProcessUser ? sum.user : sum.user + sum.sys;
}

// What timer_gettime reports for a CPU-time timer.
chcore_itimerspec cpu_setting(CapGroup* g, const PosixTimer* pt) TA_REQ(g->lock) {
  chcore_itimerspec cur{};
  cur.interval = ns_to_timespec(ticks_to_ns(pt->cpu_interval));
  if (pt->cpu_deadline != 0) {
    u64 now = cpu_clock_now(g, pt);
    u64 left = pt->cpu_deadline > now ? ticks_to_ns(pt->cpu_deadline - now) : 0;
    cur.value = ns_to_timespec(left == 0 ? 1 : left);
  }
  return cur;
}

// Un-arms a CPU-time timer that leaves its process's list.
void cpu_disarm(CapGroup* g, PosixTimer* pt) TA_REQ(g->lock) {
  if (pt->cpu != CpuClock::None && pt->cpu_deadline != 0) {
    pt->cpu_deadline = 0;
    g->cpu_timers_armed--;
  }
}
}  // namespace

void posix_cpu_timers_tick(Thread* cur) {
  CapGroup* g = cur->group;
  constexpr u32 kMax = 8;  // more due at one tick wait for the next
  PosixTimer* due[kMax];
  u32 n = 0;
  {
    SpinGuard l(g->lock);
    for (PosixTimer* pt : g->timers) {
      if (pt->cpu == CpuClock::None || pt->cpu_deadline == 0) continue;
      if (n == kMax) break;
      u64 now = cpu_clock_now(g, pt);
      if (now < pt->cpu_deadline) continue;
      pt->overrun = 0;
      if (pt->cpu_interval != 0) {
        u64 missed = (now - pt->cpu_deadline) / pt->cpu_interval;
        pt->overrun = missed > 0x7fffffff ? 0x7fffffff : static_cast<u32>(missed);
        u64 step = 0, next = 0;
        if (__builtin_mul_overflow(missed + 1, pt->cpu_interval, &step) ||
            __builtin_add_overflow(pt->cpu_deadline, step, &next))
          next = ~0ull;
        pt->cpu_deadline = next;
      } else {
        pt->cpu_deadline = 0;
        g->cpu_timers_armed--;
      }
      if (pt->notify == CHCORE_SIGEV_NONE) continue;
      timer_get(pt);
      due[n++] = pt;
    }
  }
  for (u32 i = 0; i < n; i++) {
    send(due[i]);
    timer_put(due[i]);
  }
}

void posix_timers_release(CapGroup* g) {
  for (;;) {
    PosixTimer* pt;
    {
      SpinGuard l(g->lock);
      pt = g->timers.pop_front();
      if (pt != nullptr) cpu_disarm(g, pt);
    }
    if (pt == nullptr) return;
    disarm_for_good(pt);
    timer_put(pt);  // the list's reference
  }
}

// ---- System calls -------------------------------------------------------------

// timer_create(clock, ev): a disarmed timer of the calling process; ev NULL
// is SIGEV_SIGNAL of SIGALRM with the timer's id as value (Linux's default).
SysResult sys_timer_create(u64 clk, UserPtr<const chcore_sigevent> ev) {
  CpuClock cpu = clk == CHCORE_CLOCK_PROCESS_CPUTIME_ID ? CpuClock::Process
                 : clk == CHCORE_CLOCK_PROCESS_VIRT     ? CpuClock::ProcessUser
                 : clk == CHCORE_CLOCK_THREAD_CPUTIME_ID ? CpuClock::Thread
                                                          : CpuClock::None;
  Clock c = cpu != CpuClock::None ? Clock::Monotonic : TRY(clock_from_id(clk));
  chcore_sigevent e{};
  bool given = !ev.is_null();
  if (given) {
    TRY(ev.read(&e));
    if (e.notify != CHCORE_SIGEV_SIGNAL && e.notify != CHCORE_SIGEV_NONE &&
        e.notify != CHCORE_SIGEV_THREAD_ID)
      return Err::Inval;
    if (e.notify != CHCORE_SIGEV_NONE && (e.signo < 1 || e.signo > CHCORE_NSIG)) return Err::Inval;
  } else {
    e.notify = CHCORE_SIGEV_SIGNAL;
    e.signo = CHCORE_SIGALRM;
  }
  CapGroup* g = current_group();
  if (e.notify == CHCORE_SIGEV_THREAD_ID) {
    SpinGuard l(g->lock);
    bool found = false;
    for (Thread* t : g->threads)
      if (t->tid == static_cast<u64>(e.tid) && load_state(t) != ThreadState::Exited) found = true;
    if (!found) return Err::Inval;
  }
  void* mem = mm::kzalloc(sizeof(PosixTimer));
  if (mem == nullptr) return Err::Again;  // as Linux
  auto* pt = new (mem) PosixTimer();
  pt->timer.heap_index = -1;
  pt->timer.kind = TimerKind::Process;
  pt->refs = 1;
  pt->clock = c;
  pt->cpu = cpu;
  pt->cpu_tid = current_thread()->tid;
  pt->notify = static_cast<u32>(e.notify);
  pt->signo = static_cast<u32>(e.signo);
  pt->tid = static_cast<u64>(e.tid);
  pt->value = e.value;
  pt->group = g;
  {
    SpinGuard l(g->lock);
    if (g->state != ProcState::Running) {
      mm::kfree(pt);
      return Err::Srch;
    }
    // The smallest free id (at most CHCORE_TIMERS_MAX).
    u64 used = 0;
    for (PosixTimer* o : g->timers) used |= 1ull << o->id;
    if (used == ~0ull) {
      mm::kfree(pt);
      return Err::Again;
    }
    pt->id = __builtin_ctzll(~used);
    if (!given) pt->value = static_cast<u64>(pt->id);
    obj_get(g);
    g->timers.push_back(pt);
  }
  return pt->id;
}

// timer_settime(id, flags, value, old): arms (value.value != 0: relative,
// or absolute on the timer's clock with CHCORE_TIMER_ABSTIME) or disarms it.
SysResult sys_timer_settime(u64 id, u64 flags, UserPtr<const chcore_itimerspec> value,
                            UserPtr<chcore_itimerspec> old) {
  if (flags & ~u64{CHCORE_TIMER_ABSTIME}) return Err::Inval;
  chcore_itimerspec v;
  TRY(value.read(&v));
  u64 value_ns = TRY(timespec_to_ns(v.value));
  u64 interval_ns = TRY(timespec_to_ns(v.interval));
  if (!old.is_null() && !old.range_ok(1)) return Err::Fault;
  CapGroup* grp = current_group();
  PosixTimer* pt = TRY(lookup(grp, id));
  // A period shorter than the minimum would keep a CPU in the tick.
  if (interval_ns != 0 && interval_ns < CHCORE_TIMER_MIN_INTERVAL_NS)
    interval_ns = CHCORE_TIMER_MIN_INTERVAL_NS;
  if (pt->cpu != CpuClock::None) {
    chcore_itimerspec prev;
    {
      SpinGuard l(grp->lock);
      prev = cpu_setting(grp, pt);
      bool listed = pt->node.linked();  // not deleted meanwhile
      cpu_disarm(grp, pt);
      pt->overrun = 0;
      if (value_ns != 0 && listed) {
        u64 now = cpu_clock_now(grp, pt), v = ns_to_ticks(value_ns), at = 0;
        if (flags & CHCORE_TIMER_ABSTIME)
          at = v > now ? v : now;  // passed: the next tick fires it
        else if (__builtin_add_overflow(now, v, &at))
          at = ~0ull;
        pt->cpu_deadline = at == 0 ? 1 : at;
        pt->cpu_interval = ns_to_ticks(interval_ns);
        grp->cpu_timers_armed++;
      }
    }
    timer_put(pt);
    if (!old.is_null()) TRY(old.write(prev));
    return 0;
  }
  u64 deadline = 0;
  if (value_ns != 0) {
    if (flags & CHCORE_TIMER_ABSTIME) {
      Result<u64> d = deadline_at(pt->clock, value_ns);
      deadline = d.ok() ? d.value() : deadline_after_ticks(timer_now(), 0);  // passed: now
    } else {
      deadline = deadline_after(value_ns);
    }
  }
  chcore_itimerspec prev;
  Status s = kOk;
  {
    SpinGuard g(sched_lock());
    prev = current_setting(pt);
    timer_queue_cancel(&pt->timer);
    pt->interval = value_ns == 0 ? 0 : ns_to_ticks(interval_ns);
    pt->overrun = 0;
    if (value_ns != 0 && !pt->deleted) s = sched_arm_timer(&pt->timer, deadline);
  }
  timer_put(pt);
  TRY(s);
  if (!old.is_null()) TRY(old.write(prev));
  return 0;
}

// timer_gettime(id, cur): the time to the next expiry and the period (cur
// may be NULL); returns the overrun of the last expiry.
SysResult sys_timer_gettime(u64 id, UserPtr<chcore_itimerspec> cur) {
  if (!cur.is_null() && !cur.range_ok(1)) return Err::Fault;
  CapGroup* grp = current_group();
  PosixTimer* pt = TRY(lookup(grp, id));
  chcore_itimerspec now;
  u32 overrun;
  if (pt->cpu != CpuClock::None) {
    SpinGuard l(grp->lock);
    now = cpu_setting(grp, pt);
    overrun = pt->overrun;
  } else {
    SpinGuard g(sched_lock());
    now = current_setting(pt);
    overrun = pt->overrun;
  }
  timer_put(pt);
  if (!cur.is_null()) TRY(cur.write(now));
  return overrun;
}

SysResult sys_timer_delete(u64 id) {
  CapGroup* g = current_group();
  PosixTimer* pt = nullptr;
  {
    SpinGuard l(g->lock);
    for (PosixTimer* o : g->timers)
      if (static_cast<u64>(o->id) == id) {
        pt = o;
        g->timers.remove(o);
        cpu_disarm(g, o);
        break;
      }
  }
  if (pt == nullptr) return Err::Inval;
  disarm_for_good(pt);
  timer_put(pt);
  return 0;
}

}  // namespace kern
