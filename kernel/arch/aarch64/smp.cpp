// Per-CPU data, CPU stacks, and bringing up the secondary CPUs.
#include "arch/aarch64/smp.h"

#include "arch/aarch64/irqflags.h"
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "arch/aarch64/timer.h"
#include "irq/irq.h"
#include "lib/printk.h"
#include "lib/spinlock.h"
#include "mm/kmap.h"
#include "mm/mm.h"
#include "sched/sched.h"
#include "platform/platform.h"

namespace kern {

PerCpu g_per_cpu[kMaxCpus];

// Each CPU has two stacks: its boot stack (init code and the idle loop run
// there; head.S sets it up) and its exception stack, which every exception
// from EL0 starts on afresh (switch_to_cpu_stack). Keeping them apart lets
// kernel code on the boot stack run EL0 code and be resumed (arch_run_user).
// They live outside .bss: CPU 0 uses its boot stack before .bss is cleared.
extern "C" {
alignas(16) [[gnu::section(".stacks")]] u8 boot_stacks[kMaxCpus][KSTACK_SIZE];
alignas(16) [[gnu::section(".stacks")]] u8 exception_stacks[kMaxCpus][KSTACK_SIZE];
void secondary_entry_psci();
void secondary_entry_spin();
[[noreturn]] void halt_forever();
}

static_assert(KSTACK_SIZE == (1u << KSTACK_SHIFT));

bool is_kernel_stack_address(u64 addr, usize len) {
  auto in = [&](const void* base, usize size) {
    u64 b = reinterpret_cast<u64>(base);
    return addr >= b && addr + len <= b + size && addr + len >= addr;
  };
  return in(boot_stacks, sizeof(boot_stacks)) || in(exception_stacks, sizeof(exception_stacks));
}

void percpu_init_this_cpu(u32 cpu) {
  PerCpu* p = &g_per_cpu[cpu];
  p->cpu_id = cpu;
  p->cpu_stack = reinterpret_cast<u64>(exception_stacks[cpu] + KSTACK_SIZE);
  p->mpidr = read_sysreg(mpidr_el1) & 0xff00ffffffull;
  write_sysreg(tpidr_el1, p);
  // EL0 may read the virtual counter (CNTVCT_EL0): clocks without a syscall.
  write_sysreg(cntkctl_el1, 1u << 1);
  arch::isb();
}

static u32 g_online = 0;

extern "C" [[noreturn]] void secondary_main(u64 cpu) {
  mm_init_secondary();
  irq_init_this_cpu();
  timer_init_this_cpu();
  g_per_cpu[cpu].online = 1;
  __atomic_fetch_add(&g_online, 1, __ATOMIC_RELEASE);
  sched_init_this_cpu();
  cpu_idle_loop();
}

u32 smp_boot(const plat::MachineInfo& mi) {
  g_per_cpu[0].online = 1;
  g_online = 1;
  u64 my_mpidr = g_per_cpu[0].mpidr & 0xff00ffffffull;
  PhysAddr psci_entry = kva_to_pa(reinterpret_cast<const void*>(&secondary_entry_psci));
  PhysAddr spin_entry = kva_to_pa(reinterpret_cast<const void*>(&secondary_entry_spin));

  u32 next = 1, expected = 1;
  for (u32 i = 0; i < mi.cpu_count; i++) {
    if (mi.cpu_mpidr[i] == my_mpidr) continue;
    if (next == kMaxCpus) {
      printk("smp: only %u CPUs supported, ignoring the rest\n", kMaxCpus);
      break;
    }
    u32 cpu = next++;
    g_per_cpu[cpu].cpu_id = cpu;
    if (plat::cpu_start(cpu, mi.cpu_mpidr[i], psci_entry, spin_entry))
      expected++;
    else
      printk("smp: CPU %u (MPIDR 0x%lx) did not start\n", cpu, mi.cpu_mpidr[i]);
  }
  // Wait for the started CPUs to check in, at most one second.
  u64 deadline = arch::counter() + arch::counter_freq();
  while (__atomic_load_n(&g_online, __ATOMIC_ACQUIRE) < expected && arch::counter() < deadline)
    cpu_relax();
  u32 online = __atomic_load_n(&g_online, __ATOMIC_ACQUIRE);
  if (online < expected) printk("smp: %u of %u CPUs arrived\n", online, expected);
  return online;
}

}  // namespace kern
