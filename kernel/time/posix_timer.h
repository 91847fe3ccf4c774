// Process timers (timer_create, timer_settime, timer_gettime,
// timer_delete; the C library's setitimer and alarm use one too): each
// sends a signal to its process, or to one of its threads, when it
// expires, once or periodically (docs/signals.md, "Timers").
//
// A timer sits in a CPU's timer queue like a sleeping thread's timeout
// (time/timer_queue.h, the scheduler lock). The tick that finds it expired
// re-arms a periodic one (counting the periods it missed as its overrun)
// and queues it on that CPU's list of fired timers; once the scheduler
// lock is released, the tick sends the signals (signal_send_group or
// signal_send_thread, which take the process's locks: they may not be
// taken under the scheduler lock). A fired timer holds a reference of its
// own until its signal is sent, so timer_delete and the process's exit,
// which free timers, never free one that a tick is about to use.
//
// A timer on a CPU-time clock (CLOCK_PROCESS_CPUTIME_ID, the process's
// time at EL0 and in the kernel; CHCORE_CLOCK_PROCESS_VIRT, its EL0 time
// only; CLOCK_THREAD_CPUTIME_ID, its creator's time) is in no timer queue:
// its deadline is a CPU time (counter ticks, sched/cpu_time.h), which the
// tick of a CPU running one of the process's threads compares, after it
// has released the scheduler lock (posix_cpu_timers_tick; CapGroup::lock).
// So it fires at the first tick after the clock passes the deadline: up to
// a time slice late, as Linux's tick-driven CPU timers.
//
// Each timer belongs to its process's list (CapGroup::timers, under
// CapGroup::lock) and holds a reference to the process; the process's exit
// deletes them all (posix_timers_release), so none outlives it.
#pragma once
#include "lib/list.h"
#include "lib/result.h"
#include "time/clock.h"
#include "time/timer_queue.h"

namespace kern {

struct CapGroup;
struct Thread;

enum class CpuClock : u8 { None, Process, ProcessUser, Thread };

struct PosixTimer {
  Timer timer;      // in a CPU's timer queue while armed (scheduler lock)
  ListNode node;    // CapGroup::timers (CapGroup::lock)
  CapGroup* group;  // holds a reference
  u32 refs;         // the process's list, a fired list, a system call in progress
  i32 id;
  Clock clock;
  u32 notify;  // CHCORE_SIGEV_*
  u32 signo;
  u64 tid;    // CHCORE_SIGEV_THREAD_ID
  u64 value;  // si_value
  // Scheduler lock.
  u64 interval;  // ticks; 0: one shot
  u32 overrun;   // periods the last expiry missed
  bool deleted;  // never fires again
  bool fired;    // on a CPU's fired list
  PosixTimer* fired_next;
  // A CPU-time timer (cpu != None). CapGroup::lock, as is `overrun` for it.
  CpuClock cpu;
  u64 cpu_tid;       // CpuClock::Thread: whose
  u64 cpu_deadline;  // the clock's value (ticks) to fire at; 0: disarmed
  u64 cpu_interval;  // ticks; 0: one shot
};
using PosixTimerList = KList(PosixTimer, node);

// The timer tick: `tm` (a TimerKind::Process timer) has expired on this
// CPU at `now`. Caller holds the scheduler lock.
void posix_timer_expired(Timer* tm, u32 cpu, u64 now);
// After the tick released the scheduler lock: sends the signals of the
// timers that expired on this CPU.
void posix_timers_deliver(u32 cpu);
// The timer tick of a CPU running `cur` (no lock held): fires the armed
// CPU-time timers of its process whose clocks have passed their deadlines.
void posix_cpu_timers_tick(Thread* cur);
// The process exits: deletes all its timers.
void posix_timers_release(CapGroup* g);

}  // namespace kern
