// Interrupt lines for user-space drivers (docs/notifications.md).
//
// An Irq object is one of two things:
//   - the IRQ-control capability (line == kIrqControlLine): one object,
//     made at boot and never destroyed, whose capability the kernel gives
//     to the first process only (slot CHCORE_SLOT_IRQ_CONTROL). It grants
//     taking interrupt lines (irq_create) and mapping device memory
//     (create_device_pmo); the first process hands them on to drivers.
//   - one interrupt line of the board, for as long as the object lives. The
//     first object of a line claims it in the kernel's handler table
//     (irq_claim), so a line the kernel uses itself (the console UART)
//     cannot be taken; a line has at most one object at a time.
//
// A line bound to a notification (irq_bind) is enabled. When the device
// raises it, the kernel's handler masks the line at the controller, then
// signals the notification once. The line stays masked until the driver,
// having served and silenced its device, acknowledges it (irq_ack), which
// unmasks it: a level-triggered device whose condition persists interrupts
// again at once, a quiet one stays quiet. So one interrupt is one signal,
// and a device that nobody serves cannot storm the CPUs.
//
// Locking: g_irq_lines_lock protects each line object's binding, the
// masking and unmasking of its line, and the table from line numbers to
// objects; the interrupt handler
// takes it (then the scheduler lock, to signal). Order: g_irq_lines_lock ->
// irq registration lock, g_irq_lines_lock -> scheduler lock. References to
// notifications are dropped only after it is released.
#pragma once
#include "ipc/notification.h"
#include "lib/result.h"
#include "lib/spinlock.h"
#include "object/object.h"

namespace kern {

struct CapGroup;

extern SpinLock g_irq_lines_lock;

inline constexpr u32 kIrqControlLine = ~0u;

struct Irq : Object {
  u32 line;                                          // or kIrqControlLine
  Notification* notif TA_GUARDED(g_irq_lines_lock);  // bound to (holds a reference), or nullptr
};

inline bool irq_is_control(const Irq* irq) { return irq->line == kIrqControlLine; }

// Installs the IRQ-control capability (all rights) in `g`, which must get
// it in slot CHCORE_SLOT_IRQ_CONTROL (Err::Inval otherwise). For the first
// process only.
[[nodiscard]] Status irq_control_install(CapGroup* g);

// Takes interrupt line `line` for a new line object (one reference for the
// caller); the line stays masked until it is bound. Err::Inval: not a
// device line of this board (plat::irq_is_device_line); Err::Busy: the
// kernel or another line object has it; Err::NoMem.
[[nodiscard]] Result<Irq*> irq_line_create(u64 line);

// Binds line object `irq` to `n` (the binding takes over the caller's
// reference), replacing any earlier binding, and unmasks the line; nullptr
// unbinds it and masks the line.
void irq_line_bind(Irq* irq, Notification* n);

// The driver has served the interrupt: unmasks the line. Err::Inval if it
// is not bound.
[[nodiscard]] Status irq_line_ack(Irq* irq);

// obj_put's last reference: a line is masked and unbound; another object
// may take it.
void irq_object_destroy(Irq* irq);

}  // namespace kern
