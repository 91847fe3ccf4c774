// Notifications and user-space drivers: notify_create, notify_signal,
// notify_wait, irq_create, irq_bind, irq_ack, create_device_pmo
// (docs/notifications.md; test_irq is in tests/test_irq.cpp).
#include "ipc/notification.h"
#include "irq/irq_object.h"
#include "mm/device_pmo.h"
#include "object/cap_group.h"
#include "object/ref.h"
#include "syscall/syscall.h"
#include "time/clock.h"
#include "uapi/notify.h"

namespace kern {

namespace {
constexpr u64 kWaitModes = CHCORE_NOTIFY_POLL | CHCORE_NOTIFY_TIMEOUT | CHCORE_NOTIFY_DEADLINE;

// Installs a new object's capability in the caller's table; the capability
// takes over the reference (dropped if there is no room).
SysResult install_new(Object* obj, u32 rights) {
  CapGroup* g = current_group();
  Result<u32> slot = g->caps.install(g, obj, rights);
  if (!slot.ok()) obj_put(obj);
  return TRY(slot);
}

// The IRQ-control capability in `slot` (CONTROL right).
Status check_control(CapSlot slot) {
  Ref<Irq> ctl = TRY(cap_lookup<Irq>(slot, CHCORE_RIGHT_CONTROL));
  return irq_is_control(ctl.get()) ? kOk : Status(Err::Inval);
}

// An interrupt line's capability in `slot` (CONTROL right); the control
// capability is not one (Err::Inval).
Result<Ref<Irq>> line_arg(CapSlot slot) {
  Ref<Irq> irq = TRY(cap_lookup<Irq>(slot, CHCORE_RIGHT_CONTROL));
  if (irq_is_control(irq.get())) return Err::Inval;
  return irq;
}
}  // namespace

SysResult sys_notify_create() {
  Notification* n = TRY(notification_create());
  return install_new(n, CHCORE_RIGHTS_ALL);
}

// Needs WRITE: a signal changes the object.
SysResult sys_notify_signal(CapSlot slot) {
  Ref<Notification> n = TRY(cap_lookup<Notification>(slot, CHCORE_RIGHT_WRITE));
  TRY(notification_signal(n.get()));
  return 0;
}

// Needs READ: a wait observes the object (and consumes a signal). flags
// holds at most one of POLL, TIMEOUT (time_ns relative) and DEADLINE
// (time_ns on CLOCK_MONOTONIC); a timeout that is already over behaves as
// a poll that says -ETIMEDOUT.
SysResult sys_notify_wait(CapSlot slot, u64 flags, u64 time_ns) {
  if ((flags & ~kWaitModes) != 0 || __builtin_popcountll(flags) > 1) return Err::Inval;
  Ref<Notification> n = TRY(cap_lookup<Notification>(slot, CHCORE_RIGHT_READ));
  u64 deadline = kNoDeadline;
  bool over = false;
  if (flags & CHCORE_NOTIFY_TIMEOUT) {
    over = time_ns == 0;
    if (!over) deadline = deadline_after(time_ns);
  } else if (flags & CHCORE_NOTIFY_DEADLINE) {
    Result<u64> at = deadline_at(Clock::Monotonic, time_ns);
    over = !at.ok();
    if (!over) deadline = at.value();
  }
  Result<i64> r = notification_wait(n.get(), deadline, over || (flags & CHCORE_NOTIFY_POLL));
  if (over && !r.ok() && r.error() == Err::Again) return Err::TimedOut;
  return r;
}

SysResult sys_irq_create(CapSlot ctl, u64 line) {
  TRY(check_control(ctl));
  Irq* irq = TRY(irq_line_create(line));
  return install_new(irq, CHCORE_RIGHTS_ALL);
}

// Binding needs WRITE on the notification: the kernel signals it on the
// caller's behalf. notif CHCORE_IRQ_UNBIND unbinds.
SysResult sys_irq_bind(CapSlot irq_slot, CapSlot notif) {
  Ref<Irq> irq = TRY(line_arg(irq_slot));
  if (notif.value == CHCORE_IRQ_UNBIND) {
    irq_line_bind(irq.get(), nullptr);
    return 0;
  }
  Ref<Notification> n = TRY(cap_lookup<Notification>(notif, CHCORE_RIGHT_WRITE));
  irq_line_bind(irq.get(), n.release());  // the binding keeps the reference
  return 0;
}

SysResult sys_irq_ack(CapSlot irq_slot) {
  Ref<Irq> irq = TRY(line_arg(irq_slot));
  TRY(irq_line_ack(irq.get()));
  return 0;
}

// Device memory is never executable (pmo_max_perm): the capability has no
// EXEC right to begin with.
SysResult sys_create_device_pmo(CapSlot ctl, PhysAddr base, u64 size) {
  TRY(check_control(ctl));
  Pmo* pmo = TRY(device_pmo_create(base, size));
  return install_new(pmo, CHCORE_RIGHTS_ALL & ~CHCORE_RIGHT_EXEC);
}

}  // namespace kern
