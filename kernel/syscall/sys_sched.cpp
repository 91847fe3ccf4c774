// Threads and time: futex, set_tid_address, clock_gettime, clock_nanosleep,
// get_cpu, online_cpus, set_affinity, get_affinity, set_priority, gettid,
// cpu_id.
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "object/ref.h"
#include "sched/futex.h"
#include "sched/sched.h"
#include "syscall/syscall.h"
#include "time/clock.h"

namespace kern {

namespace {
Result<u64> read_timespec_ns(UserPtr<const chcore_timespec> p) {
  chcore_timespec ts;
  TRY(p.read(&ts));
  return timespec_to_ns(ts);
}

Result<Ref<Thread>> thread_arg(CapSlot slot) {
  if (slot.value == CHCORE_THREAD_SELF) {
    obj_get(current_thread());
    return Ref<Thread>(current_thread());
  }
  return cap_lookup<Thread>(slot, CHCORE_RIGHT_CONTROL);
}
}  // namespace

SysResult sys_futex(UserPtr<u32> uaddr, u64 op, u64 val, u64 timeout, UserPtr<u32> uaddr2,
                    u64 val3) {
  CapGroup* g = current_group();
  u64 cmd = op & ~u64{CHCORE_FUTEX_PRIVATE_FLAG | CHCORE_FUTEX_CLOCK_REALTIME};
  bool priv = (op & CHCORE_FUTEX_PRIVATE_FLAG) != 0;
  switch (cmd) {
    case CHCORE_FUTEX_WAIT: {
      u64 deadline = kNoDeadline;
      if (timeout != 0)
        deadline = deadline_after(
            TRY(read_timespec_ns(UserPtr<const chcore_timespec>(VirtAddr{timeout}))));
      return futex_wait(g, uaddr.addr(), static_cast<u32>(val), deadline, priv);
    }
    case CHCORE_FUTEX_LOCK_PI:
    case CHCORE_FUTEX_TRYLOCK_PI: {
      // The timeout is absolute, on CLOCK_REALTIME (as on Linux).
      u64 deadline = kNoDeadline;
      if (cmd == CHCORE_FUTEX_LOCK_PI && timeout != 0) {
        u64 at = TRY(read_timespec_ns(UserPtr<const chcore_timespec>(VirtAddr{timeout})));
        deadline = TRY(deadline_at(Clock::Realtime, at));
      }
      return futex_lock_pi(g, uaddr.addr(), deadline, cmd == CHCORE_FUTEX_TRYLOCK_PI);
    }
    case CHCORE_FUTEX_UNLOCK_PI:
      return futex_unlock_pi(g, uaddr.addr());
    case CHCORE_FUTEX_WAKE:
      return futex_wake(g, uaddr.addr(), static_cast<u32>(val > 0x7fffffff ? 0x7fffffff : val),
                        priv);
    case CHCORE_FUTEX_REQUEUE:
    case CHCORE_FUTEX_CMP_REQUEUE:
      // The requeue count travels in the timeout argument, as on Linux.
      return futex_requeue(g, uaddr.addr(), static_cast<u32>(val > 0x7fffffff ? 0x7fffffff : val),
                           static_cast<u32>(timeout > 0x7fffffff ? 0x7fffffff : timeout),
                           uaddr2.addr(), cmd == CHCORE_FUTEX_CMP_REQUEUE, static_cast<u32>(val3),
                           priv);
    default:
      return Err::NoSys;
  }
}

SysResult sys_set_tid_address(UserPtr<u32> tidptr) {
  if (!tidptr.is_null() && !tidptr.range_ok(1)) return Err::Fault;
  current_thread()->clear_child_tid = tidptr.addr();
  return static_cast<i64>(current_thread()->tid);
}

// set_robust_list(head, len): the list the kernel walks when this thread
// exits (sched/futex.cpp). len must be the size of Linux's struct
// robust_list_head; head 0 unregisters.
SysResult sys_set_robust_list(VirtAddr head, u64 len) {
  if (len != CHCORE_ROBUST_LIST_HEAD_SIZE) return Err::Inval;
  if (head != VirtAddr{} && !user_range_ok(head, len)) return Err::Fault;
  current_thread()->robust_head = head;
  return 0;
}

// get_robust_list(tid, &head, &len): tid 0 or the caller's own; other
// threads are not looked up by tid here (-ESRCH).
SysResult sys_get_robust_list(u64 tid, UserPtr<u64> head, UserPtr<u64> len) {
  Thread* self = current_thread();
  if (tid != 0 && tid != self->tid) return Err::Srch;
  TRY(head.write(self->robust_head.raw()));
  TRY(len.write(CHCORE_ROBUST_LIST_HEAD_SIZE));
  return 0;
}

SysResult sys_gettid() { return static_cast<i64>(current_thread()->tid); }

SysResult sys_clock_gettime(u64 clk, UserPtr<chcore_timespec> ts) {
  Clock c = TRY(clock_from_id(clk));
  TRY(ts.write(ns_to_timespec(clock_now_ns(c))));
  return 0;
}

SysResult sys_clock_nanosleep(u64 clk, u64 flags, UserPtr<const chcore_timespec> req,
                              UserPtr<chcore_timespec> rem) {
  Clock c = TRY(clock_from_id(clk));
  u64 ns = TRY(read_timespec_ns(req));
  u64 deadline;
  if (flags & CHCORE_TIMER_ABSTIME) {
    Result<u64> at = deadline_at(c, ns);
    if (!at.ok()) return 0;  // that time has come
    deadline = at.value();
  } else {
    if (ns == 0) return 0;
    deadline = deadline_after(ns);
    // `rem` must be a user address (checked now; a kernel one is -EFAULT),
    // but is written only when a signal handler interrupts the sleep
    // (signal_exit_work writes the time left), as on Linux: it may be the
    // same memory as `req` (nanosleep(&ts, &ts)), which a sleep that a stop
    // and SIGCONT restart reads again.
    if (!rem.is_null() && !rem.range_ok(1)) return Err::Fault;
  }
  Thread* self = current_thread();
  self->sig.sleep_rem = (flags & CHCORE_TIMER_ABSTIME) ? 0 : rem.addr().raw();
  self->sig.sleep_deadline = deadline;
  SpinGuard s(sched_lock());
  TRY(sched_block_prepare(nullptr, deadline, 0));
  return kBlocked;
}

SysResult sys_get_cpu() { return static_cast<i64>(this_cpu()->cpu_id); }

// The CPUs that run threads, as a bit mask (bit n: CPU n); ids are those
// of get_cpu and set_affinity. At most 63 CPUs, so the result is never
// negative.
SysResult sys_online_cpus() {
  static_assert(kMaxCpus <= 63, "the mask is a positive i64");
  u64 mask = 0;
  for (u32 c = 0; c < kMaxCpus; c++)
    if (__atomic_load_n(&g_per_cpu[c].online, __ATOMIC_ACQUIRE)) mask |= 1ull << c;
  return static_cast<i64>(mask);
}

// cpu: CHCORE_CPU_ANY or an online CPU; anything else (including values
// beyond 32 bits) is -EINVAL. Pinning ourselves elsewhere takes effect at
// the exit path of this call.
SysResult sys_set_affinity(CapSlot slot, i64 cpu) {
  Ref<Thread> thread = TRY(thread_arg(slot));
  Status s = sched_set_affinity(thread.get(), cpu);
  sched_flush_kicks();
  TRY(s);
  return 0;
}

SysResult sys_get_affinity(CapSlot slot) {
  Ref<Thread> thread = TRY(thread_arg(slot));
  return thread->sc->affinity;
}

SysResult sys_set_priority(CapSlot slot, u64 prio) {
  Ref<Thread> thread = TRY(thread_arg(slot));
  if (prio >= kNumPriorities) return Err::Inval;
  Status s = sched_set_priority(thread.get(), static_cast<u32>(prio));
  sched_flush_kicks();
  TRY(s);
  return 0;
}

// /proc/cpuinfo's source: the identification registers of this CPU.
SysResult sys_cpu_id(UserPtr<chcore_cpu_id> out) {
  chcore_cpu_id id{};
  id.midr = read_sysreg(midr_el1);
  id.isar0 = read_sysreg(id_aa64isar0_el1);
  id.pfr0 = read_sysreg(id_aa64pfr0_el1);
  id.cntfrq = read_sysreg(cntfrq_el0);
  TRY(out.write(id));
  return 0;
}

}  // namespace kern
