// The arithmetic of kernel/time/clock.h.
// - Counter ticks <-> nanoseconds: exact at the frequencies the boards use,
//   never early, and no overflow for large values where the naive
//   ticks * 10^9 / freq would wrap.
// - Clock ids, timespec validation, and deadlines: a timeout never ends
//   early and never wraps into "no deadline".
#include <gtest/gtest.h>

#include "time/clock.h"

using kern::Clock;
using kern::clock_from_id;
using kern::deadline_after_ticks;
using kern::Err;
using kern::kLatestDeadline;
using kern::kNoDeadline;
using kern::ns_to_ticks_at;
using kern::ns_to_timespec;
using kern::ticks_to_ns_at;
using kern::timespec_to_ns;

namespace {
constexpr u64 kQemu = 62500000;   // QEMU's generic timer
constexpr u64 kPi = 19200000;     // Raspberry Pi 3 crystal
constexpr u64 kGhz = 1000000000;  // Armv8.6 fixed frequency
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
  EXPECT_EQ(ticks_to_ns_at(kMax, 1000), kMax);           // 1 kHz: more ns than fit
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

// Linux's clock ids that read the same counter here; CPU-time clocks and
// unknown ids are EINVAL (what clock_gettime and clock_nanosleep return).
TEST(Clocks, LinuxIdsMapOntoTwoClocks) {
  for (u64 id : {1, 4, 6, 7}) {  // MONOTONIC, _RAW, _COARSE, BOOTTIME
    ASSERT_TRUE(clock_from_id(id).ok()) << id;
    EXPECT_EQ(clock_from_id(id).value(), Clock::Monotonic) << id;
  }
  for (u64 id : {0, 5}) {  // REALTIME, _COARSE
    ASSERT_TRUE(clock_from_id(id).ok()) << id;
    EXPECT_EQ(clock_from_id(id).value(), Clock::Realtime) << id;
  }
  for (u64 id : {u64{2}, u64{3}, u64{8}, u64{11}, u64{12}, u64{~0ull}, u64{1} << 32})
    EXPECT_EQ(clock_from_id(id).error(), Err::Inval) << id;
}

TEST(Timespec, ValidValuesConvertExactly) {
  EXPECT_EQ(timespec_to_ns({0, 0}).value(), 0u);
  EXPECT_EQ(timespec_to_ns({0, 999999999}).value(), 999999999u);
  EXPECT_EQ(timespec_to_ns({3, 5}).value(), 3000000005u);
  for (u64 ns : {u64{0}, u64{1}, u64{999999999}, u64{1000000000}, u64{1234567890123}}) {
    chcore_timespec ts = ns_to_timespec(ns);
    EXPECT_EQ(timespec_to_ns(ts).value(), ns);
    EXPECT_GE(ts.tv_nsec, 0);
    EXPECT_LT(ts.tv_nsec, 1000000000);
  }
}

TEST(Timespec, OutOfRangeFieldsAreEinval) {
  EXPECT_EQ(timespec_to_ns({-1, 0}).error(), Err::Inval);
  EXPECT_EQ(timespec_to_ns({0, -1}).error(), Err::Inval);
  EXPECT_EQ(timespec_to_ns({0, 1000000000}).error(), Err::Inval);
  EXPECT_EQ(timespec_to_ns({1, 1000000000}).error(), Err::Inval);
}

TEST(Timespec, HugeValuesMeanForever) {
  constexpr long kMaxSec = 0x7fffffffffffffffL;
  EXPECT_EQ(timespec_to_ns({kMaxSec, 999999999}).value(), kMax);
  // The last second that fits, and the first that does not.
  u64 last = kMax / 1000000000ull;
  EXPECT_EQ(timespec_to_ns({static_cast<long>(last), 0}).value(), last * 1000000000ull);
  EXPECT_EQ(timespec_to_ns({static_cast<long>(last + 1), 0}).value(), kMax);
  EXPECT_EQ(timespec_to_ns({static_cast<long>(last), 999999999}).value(), kMax);
}

TEST(Deadlines, OneTickLateSoNeverEarly) {
  EXPECT_EQ(deadline_after_ticks(1000, 0), 1001u);
  EXPECT_EQ(deadline_after_ticks(1000, 5), 1006u);
  // A relative timeout of 1 ns on QEMU's counter: one tick, plus one.
  EXPECT_EQ(deadline_after_ticks(1000, ns_to_ticks_at(1, kQemu)), 1002u);
}

TEST(Deadlines, SaturateBelowTheSentinels) {
  // "Forever" is a real deadline: neither 0 (no deadline) nor ~0 (an empty
  // timer queue), and it never wraps around to the past.
  for (u64 now : {u64{0}, u64{1000}, kMax / 2, kMax - 3, kMax - 2}) {
    for (u64 ticks : {kMax, kMax - now, kMax - now - 1, kMax / 2 + 1}) {
      u64 d = deadline_after_ticks(now, ticks);
      EXPECT_NE(d, kNoDeadline) << now << " " << ticks;
      EXPECT_LE(d, kLatestDeadline) << now << " " << ticks;
      EXPECT_GT(d, now) << now << " " << ticks;
    }
  }
  EXPECT_EQ(deadline_after_ticks(0, kMax), kLatestDeadline);
  EXPECT_EQ(deadline_after_ticks(kLatestDeadline - 2, 0), kLatestDeadline - 1);
  EXPECT_EQ(deadline_after_ticks(kLatestDeadline - 2, 1), kLatestDeadline);
}
