// Waiting for any of several objects (the poll system call): pipe ends and
// the console's input (docs/pipes.md).
//
// A poller that finds nothing ready blocks on one global queue; every
// change that can make an object ready (bytes written into or read out of a
// pipe, an end closed, console input) calls poll_wake(), which wakes every
// blocked poller, and each issues its call again and looks afresh. That is
// simple and correct, and costs the wakers nothing while nobody polls; its
// price is that a change wakes pollers that wait on other objects. Per-object
// waiter lists (Linux's poll tables) are the refinement when that matters.
//
// No lost wake-ups: a waker bumps a global sequence number and then looks
// whether anyone is queued; a poller reads the number before it looks at
// its objects, and blocks (under the scheduler lock) only after enqueueing
// itself and finding the number unchanged. With a full barrier on both
// sides, either the waker sees the poller queued, or the poller sees the
// new number and looks again.
#pragma once
#include "lib/result.h"
#include "mm/uaccess.h"
#include "sched/sched.h"
#include "uapi/pipe.h"

namespace kern {

// After a change that can make an object ready; any locks may be held but
// the scheduler's.
void poll_wake();
// The same for a caller that holds the scheduler's lock (console input).
void poll_wake_locked() TA_REQ(g_sched_lock);

// The poll system call: items[0..n) in user memory, deadline_ns as in
// uapi/pipe.h. Returns how many items have events (their revents written
// back), 0 when the deadline passed first; blocks (kBlocked, the call is
// issued again) when nothing is ready.
[[nodiscard]] Result<i64> poll_objects(UserPtr<chcore_poll_item> items, u64 n, u64 deadline_ns);

}  // namespace kern
