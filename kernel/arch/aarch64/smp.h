#pragma once
#include "lib/types.h"

namespace plat { struct MachineInfo; }

namespace kern {
// Points TPIDR_EL1 at this CPU's PerCpu and sets its exception stack.
// Called by head.S, before any C++ code of that CPU runs (see this_cpu()).
extern "C" void percpu_init_this_cpu(u32 cpu);
// Starts every CPU the machine reports; returns how many are online.
u32 smp_boot(const plat::MachineInfo& mi);
}  // namespace kern
