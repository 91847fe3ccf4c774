// The boot CPU's path from head.S to the running system.
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/smp.h"
#include "arch/aarch64/timer.h"
#include "console/input.h"
#include "random/random.h"
#include "init/image.h"
#include "irq/irq.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "mm/mm.h"
#include "sched/sched.h"
#include "platform/platform.h"

using namespace kern;

extern "C" {
using InitFn = void (*)();
extern InitFn __init_array_start[], __init_array_end[];
}

namespace kern {
plat::MachineInfo g_machine;
}

extern "C" [[noreturn]] void kernel_main(PhysAddr boot_arg, u64 entry_el) {
  // The kernel avoids constructors with side effects, but runs any it has.
  for (InitFn* f = __init_array_start; f < __init_array_end; f++) (*f)();

  plat::console_init();
  const char* why = nullptr;
  if (!plat::discover(boot_arg, &g_machine, &why)) panic("cannot discover the machine: %s", why);

  printk("ChCore-Next on %s: memory %lu MiB, entered at EL%lu\n", plat::name(),
         g_machine.total_mem() >> 20, entry_el);
  mm_init(g_machine);
  // Interrupts stay masked: the scheduler unmasks them when it starts.
  irq_init_boot();
  irq_init_this_cpu();
  console_input_init();
  random_init();
  timer_init_this_cpu();
  u32 online = smp_boot(g_machine);
  printk("cpus online: %u\n", online);
  sched_init_this_cpu();

  image_main();
}
