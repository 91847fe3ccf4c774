// The kernel's interrupt layer: a table of handlers indexed by the board's
// interrupt number, the dispatch loop the exception vectors call, and IPIs
// between CPUs. The controller itself is the platform's (platform/platform.h);
// see docs/interrupts.md.
#pragma once
#include "arch/aarch64/context.h"
#include "lib/types.h"
#include "platform/platform.h"

namespace kern {

using IrqHandler = void (*)(u32 irq, void* arg);

// kernel_main, once, after mm_init(): the interrupt controller's shared part.
void irq_init_boot();
// Every CPU, after irq_init_boot() (on the boot CPU) and before it unmasks
// interrupts; from then on the CPU accepts IPIs. Interrupts stay masked.
void irq_init_this_cpu();

// Installs `h` for `irq` (< plat::kMaxIrqs); nullptr removes it. Register
// before enabling the interrupt; the handler runs with interrupts masked,
// on the CPU that took it, and must silence a level-triggered source.
void irq_register(u32 irq, IrqHandler h, void* arg);
// irq_register for a line nobody handles yet: false (nothing changed) if
// `irq` already has a handler. How interrupt lines are lent to user space
// (irq/irq_object.h) without taking one the kernel uses.
[[nodiscard]] bool irq_claim(u32 irq, IrqHandler h, void* arg);

// Called by the exception vectors on an IRQ, with interrupts masked: takes
// every pending interrupt in turn. IPIs are ended before they are handled
// (the handler may never return); other interrupts after their handler.
// One without a handler is reported once and disabled, never a panic.
void irq_handle();

// The hook for Reschedule and Call IPIs, on the CPU that received them, with
// interrupts masked. The default (a weak definition) does nothing; the
// scheduler provides the real one. Stop never reaches it: the interrupt
// layer halts the CPU itself, so the panic path cannot be broken by an
// override.
void ipi_handler(plat::IpiKind kind);

// Sends `kind` to logical CPU `cpu` (itself included). False if that CPU
// does not take interrupts yet (it has not run irq_init_this_cpu()).
// Call it qualified (kern::ipi_send): with an IpiKind argument, argument-
// dependent lookup also finds plat::ipi_send.
bool ipi_send(u32 cpu, plat::IpiKind kind);
// Whether `cpu` has run irq_init_this_cpu() and has not been stopped.
bool irq_cpu_ready(u32 cpu);
// How many IPIs of `kind` CPU `cpu` has taken since boot.
u64 ipi_received(u32 cpu, plat::IpiKind kind);
// How many interrupts arrived that had no handler (each is then disabled).
u64 irq_unhandled_count();

// The panic path: sends Stop to every other CPU that takes interrupts, waits
// briefly for them to halt and says how many did. Does nothing before
// irq_init_boot(), and only once (a panic inside it, or a second CPU
// panicking at the same time, goes straight on to halting).
void irq_stop_other_cpus();

}  // namespace kern
