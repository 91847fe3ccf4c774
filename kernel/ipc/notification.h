// Notifications: counting semaphores for asynchronous signalling between
// threads, and from device interrupts to user-space drivers
// (docs/notifications.md).
//
// A notification holds a count of pending signals and a FIFO queue of
// waiting threads; at any moment one of them is empty. signal hands the
// signal to the first waiter if there is one (it wakes with 0), else adds
// it to the count; wait takes one from the count, else blocks. So N signals
// let exactly N waits through, in whatever order signals and waits come.
//
// Locking: the count and the queue are under the scheduler lock, the lock
// that blocking and waking take anyway. That makes "count is 0, so block"
// atomic with respect to a signal on another CPU, lets the interrupt path
// (irq/irq_object.cpp) signal from any CPU, and makes a wake-up and a
// timeout of the same waiter mutually exclusive (whichever takes the lock
// first removes the waiter from the queue; the other finds it gone).
#pragma once
#include "lib/result.h"
#include "object/object.h"
#include "object/thread.h"
#include "sched/sched.h"

namespace kern {

struct Notification : Object {
  u64 count TA_GUARDED(g_sched_lock);          // pending signals
  WaitQueue waiters TA_GUARDED(g_sched_lock);  // blocked in notification_wait
};

// A new notification (count 0) with one reference for the caller.
[[nodiscard]] Result<Notification*> notification_create();
// obj_put's last reference: threads still waiting wake with -EIDRM (the
// object they wait on is gone; nobody signalled them), then it is freed.
void notification_destroy(Notification* n);

// Wakes the first waiter (x0 = 0) or, with none, counts the signal.
// Err::Overflow (nothing changed) at CHCORE_NOTIFY_MAX_PENDING. The
// _locked form is for callers that hold the scheduler lock (the interrupt
// path); both leave the reschedule IPIs to sched_flush_kicks(), which
// notification_signal calls itself.
[[nodiscard]] Status notification_signal(Notification* n);
[[nodiscard]] Status notification_signal_locked(Notification* n) TA_REQ(g_sched_lock);

// Takes one pending signal (0), or blocks the current thread until a
// signal comes (x0 = 0), the counter reaches `deadline` (x0 = -ETIMEDOUT;
// kNoDeadline: no limit) or the notification is destroyed (-EIDRM). With
// `poll`, Err::Again instead of blocking. When it blocks it returns
// kBlocked, which the system-call return ignores (the waker writes x0).
[[nodiscard]] Result<i64> notification_wait(Notification* n, u64 deadline, bool poll);

}  // namespace kern
