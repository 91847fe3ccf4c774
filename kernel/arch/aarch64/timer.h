// The EL1 virtual timer (CNTV): one per CPU, compared against the virtual
// counter CNTVCT_EL0, which EL0 can read too. A single deadline per CPU; the
// timer queue on top of it belongs to the scheduler.
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
// The virtual counter, not read early (an ISB orders it after what precedes).
// The virtual counter (CNTVCT_EL0), which EL0 reads too. Inline: the
// scheduler reads it on every switch.
inline u64 timer_now() {
  u64 v;
  asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
  return v;
}
// Counter ticks per second (CNTFRQ_EL0).
u64 timer_freq();
// At the counter's frequency. ns_to_ticks rounds up (a deadline computed
// from it is never early), ticks_to_ns rounds down; both saturate at ~0.
u64 ns_to_ticks(u64 ns);
u64 ticks_to_ns(u64 ticks);
// `fn` runs when this CPU's deadline passes, in interrupt context with
// interrupts masked, after the timer has been stopped (it does not fire
// again until the next timer_set_deadline()). One function for all CPUs.
void timer_register_handler(void (*fn)());

// The arithmetic, for any frequency below 2^32 Hz (host-tested): whole
// seconds and the remainder are converted separately, so no intermediate
// product overflows.
inline constexpr u64 kNsPerSec = 1000000000;

constexpr u64 ns_to_ticks_at(u64 ns, u64 freq) {
  u64 sec = ns / kNsPerSec, rem = ns % kNsPerSec;
  u64 whole = 0;
  if (__builtin_mul_overflow(sec, freq, &whole)) return ~0ull;
  u64 part = (rem * freq + kNsPerSec - 1) / kNsPerSec;  // rem * freq < 2^62
  u64 total = 0;
  if (__builtin_add_overflow(whole, part, &total)) return ~0ull;
  return total;
}

constexpr u64 ticks_to_ns_at(u64 ticks, u64 freq) {
  u64 sec = ticks / freq, rem = ticks % freq;
  u64 whole = 0;
  if (__builtin_mul_overflow(sec, kNsPerSec, &whole)) return ~0ull;
  u64 part = rem * kNsPerSec / freq;  // rem < freq < 2^32: the product < 2^62
  u64 total = 0;
  if (__builtin_add_overflow(whole, part, &total)) return ~0ull;
  return total;
}

}  // namespace kern
