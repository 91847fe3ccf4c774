// Interrupt lines for user-space drivers (see irq_object.h for the model).
//
// The life of an interrupt on a bound line, on the CPU the controller
// delivers it to (irq_handle, interrupts masked):
//   1. line_fired: under g_irq_lines_lock, mask the line at the controller
//      (plat::irq_disable) and signal its notification
//      under the scheduler lock: the first waiter wakes, else the count
//      goes up. irq_handle then ends the interrupt at the controller.
//   2. The reschedule IPI for a woken thread on another CPU goes out once
//      the locks are released (sched_flush_kicks); on this CPU, the
//      interrupt's exit path switches to it if it outranks what ran.
//   3. The driver's thread returns from notify_wait, serves the device (its
//      registers through a Device PMO) until the device drops the line,
//      and calls irq_ack: under the lock, the line is unmasked.
// Destroying the line object (its last capability revoked, or its process
// gone) masks the line and removes it from g_lines, under the lock; the
// handler stays registered (g_claimed), so an interrupt already taken by
// another CPU finds it, then finds no object, and only masks the line.
#include "irq/irq_object.h"

#include "irq/irq.h"
#include "lib/new.h"
#include "mm/kmalloc.h"
#include "object/cap_group.h"
#include "platform/platform.h"
#include "sched/sched.h"

namespace kern {

SpinLock g_irq_lines_lock;

namespace {
// The line object of each interrupt number, or nullptr.
Irq* g_lines[plat::kMaxIrqs] TA_GUARDED(g_irq_lines_lock);
// Lines whose handler in the kernel's table is line_fired. A line keeps it
// once claimed, also while no object holds it (it is masked then): so an
// interrupt that a CPU took just before the line was released still finds
// a handler, which finds no object, instead of counting as unhandled.
bool g_claimed[plat::kMaxIrqs] TA_GUARDED(g_irq_lines_lock);
// The IRQ-control object: made on first use, never destroyed (this
// reference is never dropped).
Irq* g_control TA_GUARDED(g_irq_lines_lock);

Irq* irq_alloc(u32 line) {
  void* mem = mm::kzalloc(sizeof(Irq));
  if (mem == nullptr) return nullptr;
  auto* irq = new (mem) Irq();
  obj_init(irq, ObjType::Irq);
  irq->line = line;
  return irq;
}

// The kernel's handler for every line a line object holds.
void line_fired(u32 line, void*) {
  {
    SpinGuard g(g_irq_lines_lock);
    // Masked first, whatever comes next: a level-triggered line left
    // enabled would interrupt again as soon as this handler returns.
    plat::irq_disable(line);
    Irq* irq = g_lines[line];
    if (irq != nullptr && irq->notif != nullptr) {
      SpinGuard s(sched_lock());
      // At CHCORE_NOTIFY_MAX_PENDING the signal is dropped: the driver has
      // that many to take already.
      (void)notification_signal_locked(irq->notif);
    }
  }
  sched_flush_kicks();
}
}  // namespace

Status irq_control_install(CapGroup* g) {
  Irq* ctl;
  {
    SpinGuard l(g_irq_lines_lock);
    if (g_control == nullptr) g_control = irq_alloc(kIrqControlLine);
    ctl = g_control;
    if (ctl != nullptr) obj_get(ctl);
  }
  if (ctl == nullptr) return Err::NoMem;
  // The capability takes over our reference.
  Result<u32> slot = g->caps.install(g, ctl, CHCORE_RIGHTS_ALL);
  if (!slot.ok()) {
    obj_put(ctl);
    return slot.error();
  }
  return slot.value() == CHCORE_SLOT_IRQ_CONTROL ? kOk : Status(Err::Inval);
}

Result<Irq*> irq_line_create(u64 number) {
  if (number >= plat::kMaxIrqs || !plat::irq_is_device_line(static_cast<u32>(number)))
    return Err::Inval;
  u32 line = static_cast<u32>(number);
  Irq* irq = irq_alloc(line);
  if (irq == nullptr) return Err::NoMem;
  {
    SpinGuard l(g_irq_lines_lock);
    // Lines without an object are masked (since boot, or since their last
    // object went); a line whose handler is not ours is the kernel's.
    if (g_lines[line] == nullptr && (g_claimed[line] || irq_claim(line, line_fired, nullptr))) {
      g_claimed[line] = true;
      g_lines[line] = irq;
      return irq;
    }
  }
  mm::kfree(irq);
  return Err::Busy;
}

void irq_line_bind(Irq* irq, Notification* n) {
  Notification* old;
  {
    SpinGuard l(g_irq_lines_lock);
    old = irq->notif;
    irq->notif = n;
    if (n != nullptr)
      plat::irq_enable(irq->line);
    else
      plat::irq_disable(irq->line);
  }
  if (old != nullptr) obj_put(old);
}

Status irq_line_ack(Irq* irq) {
  SpinGuard l(g_irq_lines_lock);
  if (irq->notif == nullptr) return Err::Inval;
  plat::irq_enable(irq->line);
  return kOk;
}

void irq_object_destroy(Irq* irq) {
  Notification* old = nullptr;
  if (!irq_is_control(irq)) {
    SpinGuard l(g_irq_lines_lock);
    plat::irq_disable(irq->line);
    g_lines[irq->line] = nullptr;
    old = irq->notif;
    irq->notif = nullptr;
  }
  if (old != nullptr) obj_put(old);
  irq->~Irq();
  mm::kfree(irq);
}

}  // namespace kern
