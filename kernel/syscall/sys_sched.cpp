// Threads and time: futex, set_tid_address, clock_gettime, clock_nanosleep,
// get_cpu, set_affinity, get_affinity, set_priority, gettid.
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "arch/aarch64/timer.h"
#include "mm/uaccess.h"
#include "object/ref.h"
#include "platform/platform.h"
#include "sched/futex.h"
#include "sched/sched.h"
#include "syscall/syscall.h"

using namespace kern;

namespace {
struct Timespec {
  i64 sec;
  i64 nsec;
};

// Wall-clock time at boot, read once from the RTC (0 = the epoch when the
// board has none, as on the Raspberry Pi).
SpinLock g_rtc_lock;
u64 g_realtime_base_ns;  // realtime = base + monotonic
bool g_rtc_read;

u64 realtime_base_ns() {
  SpinGuard g(g_rtc_lock);
  if (!g_rtc_read) {
    u64 mono = ticks_to_ns(timer_now());
    u64 wall = plat::rtc_epoch_seconds() * kNsPerSec;
    g_realtime_base_ns = wall > mono ? wall - mono : 0;
    g_rtc_read = true;
  }
  return g_realtime_base_ns;
}

bool is_monotonic(u64 clk) { return clk == 1 || clk == 4 || clk == 6 || clk == 7; }
bool is_realtime(u64 clk) { return clk == 0 || clk == 5; }

Result<u64> read_timespec_ns(VirtAddr p) {
  Timespec ts;
  TRY(copy_from_user(&ts, p, sizeof(ts)));
  if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= static_cast<i64>(kNsPerSec)) return Err::Inval;
  if (static_cast<u64>(ts.sec) > (~0ull - kNsPerSec) / kNsPerSec) return ~0ull;  // "forever"
  return static_cast<u64>(ts.sec) * kNsPerSec + static_cast<u64>(ts.nsec);
}

// A relative timeout in ns -> an absolute counter deadline, rounded up and
// one tick late, so that the sleep is never shorter than asked.
u64 deadline_after(u64 ns) {
  u64 ticks = ns_to_ticks(ns);
  u64 now = timer_now();
  return ticks > ~0ull - now - 2 ? ~0ull - 1 : now + ticks + 1;
}

Result<Thread*> thread_arg(u64 slot) {
  if (slot == CHCORE_THREAD_SELF) {
    obj_get(current_thread());
    return current_thread();
  }
  return cap_lookup<Thread>(slot, CHCORE_RIGHT_CONTROL);
}
}  // namespace

extern "C" i64 sys_futex(u64 uaddr, u64 op, u64 val, u64 timeout, u64 uaddr2, u64 val3) {
  CapGroup* g = current_group();
  u64 cmd = op & ~u64{CHCORE_FUTEX_PRIVATE_FLAG | CHCORE_FUTEX_CLOCK_REALTIME};
  switch (cmd) {
    case CHCORE_FUTEX_WAIT: {
      u64 deadline = 0;
      if (timeout != 0) {
        Result<u64> ns = read_timespec_ns(timeout);
        if (!ns.ok()) return to_errno(ns.error());
        deadline = deadline_after(ns.value());
      }
      return futex_wait(g, uaddr, static_cast<u32>(val), deadline);
    }
    case CHCORE_FUTEX_WAKE:
      return futex_wake(g, uaddr, static_cast<u32>(val > 0x7fffffff ? 0x7fffffff : val));
    case CHCORE_FUTEX_REQUEUE:
    case CHCORE_FUTEX_CMP_REQUEUE:
      // The requeue count travels in the timeout argument, as on Linux.
      return futex_requeue(g, uaddr, static_cast<u32>(val), static_cast<u32>(timeout), uaddr2,
                           cmd == CHCORE_FUTEX_CMP_REQUEUE, static_cast<u32>(val3));
    default:
      return -CHCORE_ENOSYS;
  }
}

extern "C" i64 sys_set_tid_address(u64 addr, u64, u64, u64, u64, u64) {
  if (addr != 0 && !user_range_ok(addr, 4)) return -CHCORE_EFAULT;
  current_thread()->clear_child_tid = addr;
  return static_cast<i64>(current_thread()->tid);
}

extern "C" i64 sys_gettid(u64, u64, u64, u64, u64, u64) {
  return static_cast<i64>(current_thread()->tid);
}

extern "C" i64 sys_clock_gettime(u64 clk, u64 ts_ptr, u64, u64, u64, u64) {
  u64 ns;
  if (is_monotonic(clk))
    ns = ticks_to_ns(timer_now());
  else if (is_realtime(clk))
    ns = realtime_base_ns() + ticks_to_ns(timer_now());
  else
    return -CHCORE_EINVAL;
  Timespec ts{static_cast<i64>(ns / kNsPerSec), static_cast<i64>(ns % kNsPerSec)};
  Status s = copy_to_user(ts_ptr, &ts, sizeof(ts));
  return s.ok() ? 0 : to_errno(s.error());
}

extern "C" i64 sys_clock_nanosleep(u64 clk, u64 flags, u64 req, u64 rem, u64, u64) {
  if (!is_monotonic(clk) && !is_realtime(clk)) return -CHCORE_EINVAL;
  Result<u64> ns = read_timespec_ns(req);
  if (!ns.ok()) return to_errno(ns.error());
  u64 deadline;
  if (flags & CHCORE_TIMER_ABSTIME) {
    u64 base = is_realtime(clk) ? realtime_base_ns() : 0;
    u64 now_ns = base + ticks_to_ns(timer_now());
    if (ns.value() <= now_ns) return 0;
    deadline = deadline_after(ns.value() - now_ns);
  } else {
    if (ns.value() == 0) return 0;
    deadline = deadline_after(ns.value());
    // Nothing interrupts a sleep (no signals yet): the remainder is 0.
    if (rem != 0) {
      Timespec zero{0, 0};
      if (!copy_to_user(rem, &zero, sizeof(zero)).ok()) return -CHCORE_EFAULT;
    }
  }
  {
    SpinGuard s(sched_lock());
    if (!sched_block_prepare(nullptr, deadline, 0).ok()) return -CHCORE_ENOMEM;
  }
  return 0;
}

extern "C" i64 sys_get_cpu(u64, u64, u64, u64, u64, u64) {
  return static_cast<i64>(this_cpu()->cpu_id);
}

// The CPUs that run threads, as a bit mask (bit n: CPU n); ids are those
// of get_cpu and set_affinity. At most 63 CPUs, so the result is never
// negative.
extern "C" i64 sys_online_cpus(u64, u64, u64, u64, u64, u64) {
  static_assert(kMaxCpus <= 63, "the mask is a positive i64");
  u64 mask = 0;
  for (u32 c = 0; c < kMaxCpus; c++)
    if (__atomic_load_n(&g_per_cpu[c].online, __ATOMIC_ACQUIRE)) mask |= 1ull << c;
  return static_cast<i64>(mask);
}

extern "C" i64 sys_set_affinity(u64 slot, u64 cpu, u64, u64, u64, u64) {
  Result<Thread*> t = thread_arg(slot);
  if (!t.ok()) return to_errno(t.error());
  Ref<Thread> thread(t.value());
  // Pinning ourselves elsewhere takes effect at the exit path.
  Status s = sched_set_affinity(thread.get(), static_cast<i64>(cpu));
  sched_flush_kicks();
  return s.ok() ? 0 : to_errno(s.error());
}

extern "C" i64 sys_get_affinity(u64 slot, u64, u64, u64, u64, u64) {
  Result<Thread*> t = thread_arg(slot);
  if (!t.ok()) return to_errno(t.error());
  Ref<Thread> thread(t.value());
  return thread->sc->affinity;
}

extern "C" i64 sys_set_priority(u64 slot, u64 prio, u64, u64, u64, u64) {
  Result<Thread*> t = thread_arg(slot);
  if (!t.ok()) return to_errno(t.error());
  Ref<Thread> thread(t.value());
  Status s = sched_set_priority(thread.get(), static_cast<u32>(prio > 0xffff ? 0xffff : prio));
  sched_flush_kicks();
  return s.ok() ? 0 : to_errno(s.error());
}
