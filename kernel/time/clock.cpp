// The clocks and deadlines of time/clock.h on the machine's counter.
#include "time/clock.h"

#include "arch/aarch64/timer.h"
#include "lib/spinlock.h"
#include "platform/platform.h"

namespace kern {

namespace {
// Wall-clock time at boot, read from the RTC on first use: realtime =
// base + monotonic.
SpinLock g_rtc_lock;
u64 g_realtime_base_ns TA_GUARDED(g_rtc_lock);
bool g_rtc_read TA_GUARDED(g_rtc_lock);

u64 realtime_base_ns() {
  SpinGuard g(g_rtc_lock);
  if (!g_rtc_read) {
    u64 mono = ticks_to_ns(timer_now());
    u64 wall = 0;
    if (__builtin_mul_overflow(plat::rtc_epoch_seconds(), kNsPerSec, &wall)) wall = ~0ull;
    g_realtime_base_ns = wall > mono ? wall - mono : 0;
    g_rtc_read = true;
  }
  return g_realtime_base_ns;
}

u64 base_of(Clock c) { return c == Clock::Realtime ? realtime_base_ns() : 0; }
}  // namespace

u64 ns_to_ticks(u64 ns) { return ns_to_ticks_at(ns, timer_freq()); }
u64 ticks_to_ns(u64 ticks) { return ticks_to_ns_at(ticks, timer_freq()); }

u64 clock_now_ns(Clock c) {
  u64 base = base_of(c);
  u64 ns = 0;
  if (__builtin_add_overflow(base, ticks_to_ns(timer_now()), &ns)) return ~0ull;
  return ns;
}

u64 deadline_after(u64 ns) { return deadline_after_ticks(timer_now(), ns_to_ticks(ns)); }

Result<u64> deadline_at(Clock c, u64 at_ns) {
  u64 base = base_of(c);
  u64 now = timer_now();
  // now_ns is rounded down and the rest up: the deadline is never early.
  u64 now_ns = 0;
  if (__builtin_add_overflow(base, ticks_to_ns(now), &now_ns)) now_ns = ~0ull;
  if (at_ns <= now_ns) return Err::TimedOut;
  return deadline_after_ticks(now, ns_to_ticks(at_ns - now_ns));
}

}  // namespace kern
