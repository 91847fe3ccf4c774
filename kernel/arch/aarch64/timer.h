// The EL1 virtual timer (CNTV): one per CPU, compared against the virtual
// counter CNTVCT_EL0, which EL0 can read too. A single deadline per CPU.
// Only the scheduler programs it (sched/sched.cpp keeps track of what is
// programmed; an idle CPU that must wake by a time asks sched_idle_wait),
// and the driver's own tests (kernel/tests/irq_tests.cpp). Clocks,
// ns <-> ticks and the timer queues are in kernel/time/.
#pragma once
#include "lib/types.h"

namespace kern {

// On every CPU after irq_init_this_cpu(): the timer stopped and its
// interrupt enabled in the controller (and, the first time, registered).
void timer_init_this_cpu();
// Raises the timer interrupt on this CPU once the counter reaches
// `counter_value` (at once if it already has). Replaces any earlier deadline.
void timer_set_deadline(u64 counter_value);
// Forgets this CPU's deadline.
void timer_cancel();
// The virtual counter (CNTVCT_EL0), which EL0 reads too, not read early (an
// ISB orders it after what precedes). Inline: the scheduler reads it on
// every switch.
inline u64 timer_now() {
  u64 v;
  asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
  return v;
}
// Counter ticks per second (CNTFRQ_EL0).
u64 timer_freq();
// `fn` runs when this CPU's deadline passes, in interrupt context with
// interrupts masked, after the timer has been stopped (it does not fire
// again until the next timer_set_deadline()). One function for all CPUs.
void timer_register_handler(void (*fn)());

}  // namespace kern
