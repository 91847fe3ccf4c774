// The interrupt layer: handler table, dispatch, IPIs, stopping CPUs.
#include "irq/irq.h"
#include "sched/sched.h"

#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "lib/spinlock.h"

extern "C" [[noreturn]] void halt_forever();

namespace kern {

namespace {
using plat::IpiKind;

struct HandlerSlot {
  IrqHandler fn;
  void* arg;
};

HandlerSlot g_handlers[plat::kMaxIrqs];
u8 g_reported[plat::kMaxIrqs];  // an unhandled interrupt is reported once
u64 g_unhandled;

bool g_boot_ready;               // irq_init_boot() done
bool g_cpu_ready[kMaxCpus];      // irq_init_this_cpu() done on that CPU
bool g_cpu_stopped[kMaxCpus];    // that CPU took a Stop IPI and halted
u64 g_ipi_count[kMaxCpus][plat::kIpiKinds];
bool g_stopping;                 // irq_stop_other_cpus() has started

u32 this_cpu_id() { return static_cast<u32>(this_cpu()->cpu_id); }

[[noreturn]] void stop_this_cpu(u32 cpu) {
  asm volatile("msr daifset, #0xf" ::: "memory");
  __atomic_store_n(&g_cpu_stopped[cpu], true, __ATOMIC_RELEASE);
  halt_forever();
}

void handle_unregistered(u32 irq) {
  // Most likely a device left enabled by firmware or a handler removed too
  // early. Disabling it keeps a level-triggered source from storming.
  plat::irq_disable(irq);
  __atomic_fetch_add(&g_unhandled, 1, __ATOMIC_RELAXED);
  if (irq < plat::kMaxIrqs && __atomic_exchange_n(&g_reported[irq], 1, __ATOMIC_RELAXED) == 0)
    printk("irq: interrupt %u on CPU %u has no handler; disabled\n", irq, this_cpu_id());
}
}  // namespace

[[gnu::weak]] void ipi_handler(IpiKind) {}

void irq_init_boot() {
  plat::irq_init_boot();
  __atomic_store_n(&g_boot_ready, true, __ATOMIC_RELEASE);
}

void irq_init_this_cpu() {
  plat::irq_init_this_cpu();
  __atomic_store_n(&g_cpu_ready[this_cpu_id()], true, __ATOMIC_RELEASE);
}

namespace {
// Serialises changes of the handler table (irq_handle reads it without).
SpinLock g_register_lock;

void set_handler(u32 irq, IrqHandler h, void* arg) TA_REQ(g_register_lock) {
  __atomic_store_n(&g_handlers[irq].arg, arg, __ATOMIC_RELAXED);
  __atomic_store_n(&g_handlers[irq].fn, h, __ATOMIC_RELEASE);
  __atomic_store_n(&g_reported[irq], 0, __ATOMIC_RELAXED);
}
}  // namespace

void irq_register(u32 irq, IrqHandler h, void* arg) {
  KASSERT(irq < plat::kMaxIrqs);
  SpinGuard g(g_register_lock);
  set_handler(irq, h, arg);
}

bool irq_claim(u32 irq, IrqHandler h, void* arg) {
  KASSERT(irq < plat::kMaxIrqs && h != nullptr);
  SpinGuard g(g_register_lock);
  if (__atomic_load_n(&g_handlers[irq].fn, __ATOMIC_RELAXED) != nullptr) return false;
  set_handler(irq, h, arg);
  return true;
}

void irq_handle() {
  u32 cpu = this_cpu_id();
  for (;;) {
    u32 irq = plat::irq_ack();
    if (irq == plat::kIrqSpurious) break;
    IpiKind kind;
    if (plat::irq_to_ipi(irq, &kind)) {
      // Data the sender wrote before the IPI must be read after the
      // acknowledge (the sender put a DSB before it).
      asm volatile("dmb ish" ::: "memory");
      plat::irq_eoi(irq);
      __atomic_fetch_add(&g_ipi_count[cpu][static_cast<u32>(kind)], 1, __ATOMIC_RELAXED);
      if (kind == IpiKind::Stop) stop_this_cpu(cpu);
      ipi_handler(kind);
      continue;
    }
    IrqHandler fn = irq < plat::kMaxIrqs ? __atomic_load_n(&g_handlers[irq].fn, __ATOMIC_ACQUIRE) : nullptr;
    if (fn != nullptr)
      fn(irq, __atomic_load_n(&g_handlers[irq].arg, __ATOMIC_RELAXED));
    else
      handle_unregistered(irq);
    plat::irq_eoi(irq);
  }
}

bool irq_cpu_ready(u32 cpu) {
  return cpu < kMaxCpus && __atomic_load_n(&g_cpu_ready[cpu], __ATOMIC_ACQUIRE) &&
         !__atomic_load_n(&g_cpu_stopped[cpu], __ATOMIC_ACQUIRE);
}

bool ipi_send(u32 cpu, IpiKind kind) {
  if (!irq_cpu_ready(cpu)) return false;
  plat::ipi_send(cpu, kind);
  return true;
}

u64 ipi_received(u32 cpu, IpiKind kind) {
  if (cpu >= kMaxCpus || static_cast<u32>(kind) >= plat::kIpiKinds) return 0;
  return __atomic_load_n(&g_ipi_count[cpu][static_cast<u32>(kind)], __ATOMIC_RELAXED);
}

u64 irq_unhandled_count() { return __atomic_load_n(&g_unhandled, __ATOMIC_RELAXED); }

void irq_stop_other_cpus() {
  if (!__atomic_load_n(&g_boot_ready, __ATOMIC_ACQUIRE)) return;
  if (__atomic_exchange_n(&g_stopping, true, __ATOMIC_ACQ_REL)) return;
  u32 self = this_cpu_id();
  bool sent[kMaxCpus] = {};
  u32 targets = 0;
  for (u32 cpu = 0; cpu < kMaxCpus; cpu++) {
    if (cpu == self || !irq_cpu_ready(cpu)) continue;
    plat::ipi_send(cpu, IpiKind::Stop);
    sent[cpu] = true;
    targets++;
  }
  if (targets == 0) return;
  // A CPU with interrupts unmasked stops within microseconds; one spinning
  // with them masked never will. Wait 100 ms of counter time at most.
  u64 deadline = arch::counter() + arch::counter_freq() / 10;
  u32 stopped;
  for (;;) {
    stopped = 0;
    for (u32 cpu = 0; cpu < kMaxCpus; cpu++)
      if (sent[cpu] && __atomic_load_n(&g_cpu_stopped[cpu], __ATOMIC_ACQUIRE)) stopped++;
    if (stopped == targets || arch::counter() >= deadline) break;
    cpu_relax();
  }
  printk("  stopped %u of %u other CPUs\n", stopped, targets);
}

}  // namespace kern
