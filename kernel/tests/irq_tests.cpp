// Interrupts on the real machine: the virtual timer, IPIs between CPUs,
// interrupts taken from EL0, unhandled interrupts, the real-time clock.
//
// The tests run on the boot CPU with interrupts masked and unmask them only
// while they wait. Every wait is bounded by the counter, so a missing
// interrupt fails the test instead of hanging it; the secondary CPUs sleep
// in WFI (smp.cpp), so the IPI tests also show that an interrupt wakes them.
#include "arch/aarch64/irqflags.h"
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/timer.h"
#include "irq/irq.h"
#include "lib/spinlock.h"
#include "platform/platform.h"
#include "tests/ktest.h"
#include "tests/user_space.h"
#include "time/clock.h"

using namespace kern;
using plat::IpiKind;

namespace {
constexpr u64 kMs = 1000000;  // in ns
constexpr u64 kSecond = 1000 * kMs;

u32 g_hits;       // timer handler calls
u64 g_hit_at;     // the counter when the handler last ran
u64 g_rearm;      // count_and_rearm(): period in ticks

u32 hits() { return __atomic_load_n(&g_hits, __ATOMIC_ACQUIRE); }

void count_hit() {
  __atomic_store_n(&g_hit_at, timer_now(), __ATOMIC_RELAXED);
  __atomic_fetch_add(&g_hits, 1, __ATOMIC_RELEASE);
}

void count_and_rearm() {
  __atomic_fetch_add(&g_hits, 1, __ATOMIC_RELEASE);
  timer_set_deadline(timer_now() + g_rearm);
}

void reset_timer(void (*fn)()) {
  timer_cancel();
  __atomic_store_n(&g_hits, 0, __ATOMIC_RELEASE);
  g_hit_at = 0;
  timer_register_handler(fn);
}

// Lets this CPU take interrupts until done() holds or `ns` have passed;
// returns done(). Interrupts are masked again afterwards.
template <typename Done>
bool run_unmasked_until(Done done, u64 ns) {
  u64 limit = timer_now() + ns_to_ticks(ns);
  arch::irq_local_enable();
  while (!done() && timer_now() < limit) cpu_relax();
  arch::irq_local_disable();
  return done();
}

void run_unmasked_for(u64 ns) {
  run_unmasked_until([] { return false; }, ns);
}

bool is_raspi3() {
  const char* n = plat::name();
  return n[0] == 'r' && n[1] == 'a' && n[2] == 's' && n[3] == 'p' && n[4] == 'i' && n[5] == '3' &&
         n[6] == '\0';
}
}  // namespace

KTEST(irq, timer_fires) {
  reset_timer(count_hit);
  u64 deadline = timer_now() + ns_to_ticks(1 * kMs);
  timer_set_deadline(deadline);
  bool fired = run_unmasked_until([] { return hits() > 0; }, 1 * kSecond);
  KEXPECT(fired, "no timer interrupt within 1 s of a 1 ms deadline");
  u64 at = __atomic_load_n(&g_hit_at, __ATOMIC_RELAXED);
  KEXPECT(at >= deadline, "handler ran at %lu, %lu ticks before the deadline %lu", at, deadline - at,
          deadline);
  // The handler stopped the timer: the level-triggered interrupt does not
  // come back for the same deadline.
  run_unmasked_for(2 * kMs);
  KEXPECT(hits() == 1, "one deadline, %u interrupts", hits());
  timer_register_handler(nullptr);
}

KTEST(irq, timer_cancel_and_past_deadline) {
  reset_timer(count_hit);
  timer_set_deadline(timer_now() + ns_to_ticks(1 * kMs));
  timer_cancel();
  run_unmasked_for(3 * kMs);
  KEXPECT(hits() == 0, "a cancelled deadline fired %u times", hits());
  // A deadline already in the past fires at once.
  timer_set_deadline(timer_now() - 1);
  bool fired = run_unmasked_until([] { return hits() > 0; }, 1 * kSecond);
  KEXPECT(fired, "a deadline in the past did not fire within 1 s");
  timer_cancel();
  timer_register_handler(nullptr);
}

// The path preemption will take: an interrupt while EL0 runs saves the
// thread's registers, is handled on the CPU stack and resumes the thread
// where it was. The EL0 stub's register checks (10,000 system calls, each
// comparing all registers against values in memory) fail if an interrupt
// corrupts anything; the handler re-arms the timer so that many arrive.
KTEST(irq, el0_survives_interrupts) {
  reset_timer(count_and_rearm);
  g_rearm = ns_to_ticks(20000);  // every 20 us
  // Already due when EL0 starts: at least the first one lands in EL0 (the
  // kernel runs with interrupts masked throughout).
  timer_set_deadline(timer_now());
  u64 detail = 0;
  i64 code = ktest::run_el0_stub(0, &detail);
  timer_cancel();
  timer_register_handler(nullptr);
  KEXPECT(code == 0, "EL0 stub failed with code %ld, detail 0x%lx, after %u interrupts", code, detail,
          hits());
  KEXPECT(detail == 10000, "only %lu of 10000 round trips checked", detail);
  KEXPECT(hits() > 0, "no interrupt reached EL0");
}

// An interrupt nobody handles is reported once and disabled, instead of a
// panic or an interrupt storm (the timer is level-triggered: left enabled
// it would fire continuously).
KTEST(irq, unhandled_interrupt_is_disabled) {
  u32 irq = plat::timer_irq();
  u64 before = irq_unhandled_count();
  reset_timer(nullptr);
  irq_register(irq, nullptr, nullptr);
  timer_set_deadline(timer_now());
  bool seen = run_unmasked_until([&] { return irq_unhandled_count() != before; }, 1 * kSecond);
  run_unmasked_for(2 * kMs);
  u64 n = irq_unhandled_count() - before;
  timer_cancel();
  timer_init_this_cpu();  // handler back, interrupt enabled again
  KEXPECT(seen, "the unhandled timer interrupt never arrived");
  KEXPECT(n == 1, "the unhandled interrupt arrived %lu times: not disabled", n);
  // And it works again once it has a handler.
  reset_timer(count_hit);
  timer_set_deadline(timer_now());
  bool fired = run_unmasked_until([] { return hits() > 0; }, 1 * kSecond);
  timer_register_handler(nullptr);
  KEXPECT(fired, "the timer did not fire after being re-enabled");
}

// Every online CPU, this one included, takes a Call IPI. The others sleep
// in WFI with interrupts unmasked: the IPI must wake them.
KTEST(irq, ipi_reaches_every_cpu) {
  static u64 before[kMaxCpus];
  static bool target[kMaxCpus];
  u32 targets = 0;
  for (u32 cpu = 0; cpu < kMaxCpus; cpu++) {
    target[cpu] = g_per_cpu[cpu].online != 0;
    if (!target[cpu]) continue;
    KEXPECT(irq_cpu_ready(cpu), "CPU %u is online but takes no interrupts", cpu);
    before[cpu] = ipi_received(cpu, IpiKind::Call);
    targets++;
  }
  for (u32 cpu = 0; cpu < kMaxCpus; cpu++)
    if (target[cpu]) KEXPECT(kern::ipi_send(cpu, IpiKind::Call), "cannot send to CPU %u", cpu);
  auto all_arrived = [] {
    for (u32 cpu = 0; cpu < kMaxCpus; cpu++)
      if (target[cpu] && ipi_received(cpu, IpiKind::Call) == before[cpu]) return false;
    return true;
  };
  run_unmasked_until(all_arrived, 1 * kSecond);
  for (u32 cpu = 0; cpu < kMaxCpus; cpu++)
    KEXPECT(!target[cpu] || ipi_received(cpu, IpiKind::Call) != before[cpu],
            "CPU %u did not take the IPI within 1 s (%u CPUs online)", cpu, targets);
  KEXPECT(targets >= 1 && target[this_cpu()->cpu_id], "this CPU is not online");
}

// Two kinds sent back to back are both delivered, as two interrupts (on
// raspi3 they share one mailbox word, which irq_ack() takes apart).
KTEST(irq, ipi_kinds_arrive_separately) {
  static u64 before[kMaxCpus][2];
  static bool target[kMaxCpus];
  for (u32 cpu = 0; cpu < kMaxCpus; cpu++) {
    target[cpu] = irq_cpu_ready(cpu);
    before[cpu][0] = ipi_received(cpu, IpiKind::Reschedule);
    before[cpu][1] = ipi_received(cpu, IpiKind::Call);
  }
  for (u32 cpu = 0; cpu < kMaxCpus; cpu++) {
    if (!target[cpu]) continue;
    kern::ipi_send(cpu, IpiKind::Reschedule);
    kern::ipi_send(cpu, IpiKind::Call);
  }
  auto both_arrived = [](u32 cpu) {
    return ipi_received(cpu, IpiKind::Reschedule) != before[cpu][0] &&
           ipi_received(cpu, IpiKind::Call) != before[cpu][1];
  };
  run_unmasked_until(
      [&] {
        for (u32 cpu = 0; cpu < kMaxCpus; cpu++)
          if (target[cpu] && !both_arrived(cpu)) return false;
        return true;
      },
      1 * kSecond);
  for (u32 cpu = 0; cpu < kMaxCpus; cpu++)
    KEXPECT(!target[cpu] || both_arrived(cpu), "CPU %u: Reschedule %lu -> %lu, Call %lu -> %lu", cpu,
            before[cpu][0], ipi_received(cpu, IpiKind::Reschedule), before[cpu][1],
            ipi_received(cpu, IpiKind::Call));
}

// virt has a PL031 that QEMU starts at the host's time; raspi3 has no RTC
// and says so with 0.
KTEST(irq, rtc_reads_wall_clock) {
  u64 t = plat::rtc_epoch_seconds();
  if (is_raspi3()) {
    KEXPECT(t == 0, "raspi3 has no RTC but reports %lu", t);
  } else {
    constexpr u64 k2020 = 1577836800;  // 2020-01-01T00:00:00Z
    KEXPECT(t > k2020, "the RTC reads %lu seconds since 1970, before 2020", t);
  }
}
