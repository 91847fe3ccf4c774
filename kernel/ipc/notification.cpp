// Notifications (see notification.h for the model and the locking).
//
// The cases of a wait, all decided under the scheduler lock:
//   count > 0        take one, return 0 at once;
//   count == 0, poll -EAGAIN;
//   count == 0       block on `waiters` (sched_block_prepare), with the
//                    deadline's timer armed if there is one. Then exactly one
//                    of these ends the wait, whichever takes the lock first:
//                      a signal     removes it from the queue, x0 = 0 (the
//                                   signal is handed over, never counted);
//                      the timer    removes it, x0 = -ETIMEDOUT;
//                      destruction  removes it, x0 = -EIDRM;
//                      its process exiting: sched_stop() removes it (and
//                                   cancels the timer); the call never
//                                   returns, and no signal is consumed.
// A woken thread of higher priority than the one running on its CPU runs at
// once: sched_wake asks that CPU to reschedule (an IPI, sent by
// sched_flush_kicks once the lock is released), and on the signaller's own
// CPU the signal call's exit path switches to it.
#include "ipc/notification.h"

#include "lib/new.h"
#include "mm/kmalloc.h"
#include "uapi/errno.h"
#include "uapi/notify.h"

namespace kern {

Result<Notification*> notification_create() {
  void* mem = mm::kzalloc(sizeof(Notification));
  if (mem == nullptr) return Err::NoMem;
  auto* n = new (mem) Notification();
  obj_init(n, ObjType::Notification);
  return n;
}

void notification_destroy(Notification* n) {
  {
    // Nobody holds a reference any more, but threads may still wait: their
    // wait ends with an error rather than never (or with a signal that was
    // never sent).
    SpinGuard s(sched_lock());
    sched_wake_all(&n->waiters, to_errno(Err::IdRm));
  }
  sched_flush_kicks();
  n->~Notification();
  mm::kfree(n);
}

Status notification_signal_locked(Notification* n) {
  if (sched_wake_n(&n->waiters, 1, 0) == 1) return kOk;
  if (n->count >= CHCORE_NOTIFY_MAX_PENDING) return Err::Overflow;
  n->count++;
  return kOk;
}

Status notification_signal(Notification* n) {
  Status s = kOk;
  {
    SpinGuard g(sched_lock());
    s = notification_signal_locked(n);
  }
  sched_flush_kicks();
  return s;
}

Result<i64> notification_wait(Notification* n, u64 deadline, bool poll) {
  SpinGuard s(sched_lock());
  if (n->count > 0) {
    n->count--;
    return 0;
  }
  if (poll) return Err::Again;
  TRY(sched_block_prepare(&n->waiters, deadline, to_errno(Err::TimedOut)));
  return 0;  // ignored: the waker, the timer or the destruction writes x0
}

}  // namespace kern
