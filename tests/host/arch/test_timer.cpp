// Counter ticks <-> nanoseconds (arch/aarch64/timer.h): exact at the
// frequencies the boards use, never early, and no overflow for large values
// where the naive ticks * 10^9 / freq would wrap.
#include <gtest/gtest.h>

#include "arch/aarch64/timer.h"

using kern::ns_to_ticks_at;
using kern::ticks_to_ns_at;

namespace {
constexpr u64 kQemu = 62500000;  // QEMU's generic timer
constexpr u64 kPi = 19200000;    // Raspberry Pi 3 crystal
constexpr u64 kGhz = 1000000000; // Armv8.6 fixed frequency
constexpr u64 kMax = ~0ull;
}  // namespace

static_assert(ns_to_ticks_at(1000000000, kQemu) == kQemu);
static_assert(ticks_to_ns_at(kQemu, kQemu) == 1000000000);

TEST(TimerMath, WholeSeconds) {
  for (u64 f : {kQemu, kPi, kGhz}) {
    EXPECT_EQ(ns_to_ticks_at(3 * 1000000000ull, f), 3 * f);
    EXPECT_EQ(ticks_to_ns_at(3 * f, f), 3 * 1000000000ull);
  }
}

TEST(TimerMath, NsToTicksRoundsUpTicksToNsDown) {
  EXPECT_EQ(ns_to_ticks_at(0, kQemu), 0u);
  EXPECT_EQ(ns_to_ticks_at(1, kQemu), 1u);   // 0.0625 ticks: a deadline is never early
  EXPECT_EQ(ns_to_ticks_at(16, kQemu), 1u);  // exactly one tick
  EXPECT_EQ(ns_to_ticks_at(17, kQemu), 2u);
  EXPECT_EQ(ticks_to_ns_at(1, kQemu), 16u);
  EXPECT_EQ(ticks_to_ns_at(1, kPi), 52u);  // 52.08 ns
}

TEST(TimerMath, LargeValuesDoNotOverflow) {
  // A century of the Pi's counter: ticks * 10^9 would be ~6e25.
  constexpr u64 kCentury = 100ull * 365 * 24 * 3600;
  EXPECT_EQ(ticks_to_ns_at(kCentury * kPi, kPi), kCentury * 1000000000ull);
  EXPECT_EQ(ns_to_ticks_at(kCentury * 1000000000ull, kPi), kCentury * kPi);
  // At 1 GHz a tick is a nanosecond: the whole range maps onto itself.
  EXPECT_EQ(ns_to_ticks_at(kMax, kGhz), kMax);
  EXPECT_EQ(ticks_to_ns_at(kMax, kGhz), kMax);
}

TEST(TimerMath, SaturatesInsteadOfWrapping) {
  EXPECT_EQ(ns_to_ticks_at(kMax, 4000000000ull), kMax);  // 4 GHz: more ticks than fit
  EXPECT_EQ(ticks_to_ns_at(kMax, 1000), kMax);            // 1 kHz: more ns than fit
  EXPECT_EQ(ticks_to_ns_at(kMax, kQemu), kMax);
}

TEST(TimerMath, RoundTripIsNeverEarlyAndWithinOneTick) {
  for (u64 f : {kQemu, kPi, kGhz, u64{24000000}, u64{54000000}}) {
    u64 tick_ns = (1000000000ull + f - 1) / f;
    for (u64 ns = 0; ns < 5000000000ull; ns = ns * 3 + 7) {
      u64 back = ticks_to_ns_at(ns_to_ticks_at(ns, f), f);
      EXPECT_GE(back, ns) << "f=" << f << " ns=" << ns;
      EXPECT_LE(back, ns + tick_ns) << "f=" << f << " ns=" << ns;
    }
  }
}
