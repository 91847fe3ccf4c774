// Per-CPU timer queues: binary min-heaps ordered by deadline, so arming,
// cancelling and expiring a timer cost O(log n) however many threads sleep.
// Deadlines are counter values (time/clock.h). The scheduler owns the
// queues: they are protected by its lock, and it alone programs the
// hardware timer for their earliest deadline (sched/sched.cpp).
#pragma once
#include "lib/result.h"

namespace kern {

// A one-shot timer (each Thread has one for the timeout of its block).
enum class TimerKind : u32 {
  ThreadTimeout,  // Thread::timer: wakes the thread
  Process,        // PosixTimer::timer: signals a process (time/posix_timer.h)
};
struct Timer {
  u64 deadline;    // counter ticks (CNTVCT)
  i32 heap_index;  // position in the queue's heap, -1 when not armed
  u32 cpu;         // whose queue
  TimerKind kind;
};

// Gives `cpu`'s queue its initial capacity at boot, so that the first
// sleeps do not allocate (and leak checks see a steady state).
void timer_queue_init(u32 cpu);
// Arms `t` on CPU `cpu`'s queue with the given deadline (counter ticks).
// Err::NoMem if the heap cannot grow.
[[nodiscard]] Status timer_queue_arm(Timer* t, u32 cpu, u64 deadline);
// Disarms it (no-op if not armed).
void timer_queue_cancel(Timer* t);
// The earliest deadline on `cpu`'s queue, or ~0 if empty. Inline: every
// switch asks.
struct TimerHeap {
  Timer** items = nullptr;
  u32 size = 0;
  u32 capacity = 0;
};
extern TimerHeap g_heaps[];
inline u64 timer_queue_next(u32 cpu) {
  const TimerHeap& h = g_heaps[cpu];
  return h.size == 0 ? ~0ull : h.items[0]->deadline;
}
// Removes and returns the earliest timer if its deadline is <= now, else nullptr.
Timer* timer_queue_pop_expired(u32 cpu, u64 now);

}  // namespace kern
