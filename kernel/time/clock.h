// Time in the kernel: the clocks user space reads, timespec values, and the
// deadlines that timeouts become.
//
// One counter underlies everything: the virtual counter CNTVCT_EL0
// (arch/aarch64/timer.h, which EL0 reads too). Deadlines are counter values
// ("ticks"), the currency of the timer queues (time/timer_queue.h) and of
// sched_block_prepare(); nanoseconds are what the ABI speaks.
//   CLOCK_MONOTONIC  the counter in ns since it started (at power-on)
//   CLOCK_REALTIME   the RTC's time at boot (read once; 0 = the epoch on a
//                    board without one, the Raspberry Pi) + the monotonic clock
// Linux's other ids that read the same counter are accepted as aliases.
//
// The arithmetic is inline and constexpr so that host tests check it
// (tests/host/time/). Rounding rules: ns -> ticks rounds up, ticks -> ns
// rounds down, and a deadline is one tick late, so a timeout never ends early.
#pragma once
#include "lib/result.h"
#include "lib/types.h"
#include "uapi/object.h"

namespace kern {

inline constexpr u64 kNsPerSec = 1000000000;

// --- Counter ticks <-> nanoseconds ---------------------------------------------
// For any frequency below 2^32 Hz: whole seconds and the remainder are
// converted separately, so no intermediate product overflows. Both
// saturate at ~0.
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

// The same at this machine's counter frequency.
u64 ns_to_ticks(u64 ns);
u64 ticks_to_ns(u64 ticks);

// --- Clocks -----------------------------------------------------------------------
enum class Clock : u8 { Monotonic, Realtime };

// Linux's clock ids (uapi/object.h) -> the clock that serves them here.
// Err::Inval for the CPU-time clocks and unknown ids.
constexpr Result<Clock> clock_from_id(u64 id) {
  switch (id) {
    case CHCORE_CLOCK_MONOTONIC:
    case CHCORE_CLOCK_MONOTONIC_RAW:
    case CHCORE_CLOCK_MONOTONIC_COARSE:
    case CHCORE_CLOCK_BOOTTIME:  // nothing suspends here
      return Clock::Monotonic;
    case CHCORE_CLOCK_REALTIME:
    case CHCORE_CLOCK_REALTIME_COARSE:
      return Clock::Realtime;
    default:
      return Err::Inval;
  }
}

// Now, in ns, on clock `c`.
u64 clock_now_ns(Clock c);
inline u64 monotonic_ns() { return clock_now_ns(Clock::Monotonic); }

// --- timespec ---------------------------------------------------------------------
// A timespec from user space as ns. Err::Inval for a negative value or
// tv_nsec outside [0, 10^9), as Linux; a value beyond what 64 bits of ns
// hold (about 584 years) saturates at ~0, "forever".
constexpr Result<u64> timespec_to_ns(const chcore_timespec& ts) {
  if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= static_cast<i64>(kNsPerSec))
    return Err::Inval;
  u64 sec = static_cast<u64>(ts.tv_sec), ns = 0;
  if (__builtin_mul_overflow(sec, kNsPerSec, &ns) ||
      __builtin_add_overflow(ns, static_cast<u64>(ts.tv_nsec), &ns))
    return ~0ull;
  return ns;
}

constexpr chcore_timespec ns_to_timespec(u64 ns) {
  return chcore_timespec{static_cast<long>(ns / kNsPerSec), static_cast<long>(ns % kNsPerSec)};
}

// --- Deadlines (counter values) ------------------------------------------------
// 0 is "no deadline" for sched_block_prepare(); ~0 is "nothing armed" for a
// timer queue. Every real deadline lies strictly between.
inline constexpr u64 kNoDeadline = 0;
inline constexpr u64 kLatestDeadline = ~0ull - 1;

// `ticks` after the counter value `now`, plus one: the counter may be about
// to tick, so now + ticks could end up to one tick early. Saturates at
// kLatestDeadline.
constexpr u64 deadline_after_ticks(u64 now, u64 ticks) {
  u64 d = 0;
  if (__builtin_add_overflow(now, ticks, &d) || d >= kLatestDeadline) return kLatestDeadline;
  return d + 1;
}

// The deadline `ns` from now (a relative timeout).
u64 deadline_after(u64 ns);
// The deadline at which clock `c` reads `at_ns` (an absolute timeout).
// Err::TimedOut if that time has already come.
[[nodiscard]] Result<u64> deadline_at(Clock c, u64 at_ns);

}  // namespace kern
