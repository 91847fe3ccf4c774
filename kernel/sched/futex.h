// Futexes: blocking on a 32-bit word in user memory, keyed per process by
// its address, or, for a word in shared memory (a Shared PMO), by the PMO
// and offset, so that processes sharing it wake each other (futex.cpp).
#pragma once
#include "lib/result.h"
#include "object/cap_group.h"

namespace kern {

// FUTEX_WAIT: blocks the current thread if *uaddr == val, until woken or
// until `deadline` (counter ticks; 0 = none) passes (-ETIMEDOUT). Returns
// an error without blocking: -EAGAIN (the value differs), -EFAULT, -EINVAL.
// When it blocks, the result is the waker's (0) or the timeout's; the
// return value of the call is then ignored by the exit path.
// `priv`: FUTEX_PRIVATE_FLAG, the word is the process's own (its key is
// then its address without looking for shared memory; see futex.cpp).
[[nodiscard]] Result<i64> futex_wait(CapGroup* g, VirtAddr uaddr, u32 val, u64 deadline,
                                     bool priv = false);
// FUTEX_WAKE: wakes up to n waiters; returns how many.
[[nodiscard]] Result<i64> futex_wake(CapGroup* g, VirtAddr uaddr, u32 n, bool priv = false);
// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wakes up to n waiters on uaddr and
// moves up to n2 of the rest to uaddr2. With `check`, first compares *uaddr
// with val3 (-EAGAIN if different). Returns woken + moved.
[[nodiscard]] Result<i64> futex_requeue(CapGroup* g, VirtAddr uaddr, u32 n, u32 n2, VirtAddr uaddr2, bool check,
                  u32 val3, bool priv = false);

// FUTEX_LOCK_PI (try_only: FUTEX_TRYLOCK_PI, -EAGAIN instead of blocking)
// and FUTEX_UNLOCK_PI; see futex.cpp for the protocol. `deadline` in
// counter ticks, 0 = none.
[[nodiscard]] Result<i64> futex_lock_pi(CapGroup* g, VirtAddr uaddr, u64 deadline, bool try_only);
[[nodiscard]] Result<i64> futex_unlock_pi(CapGroup* g, VirtAddr uaddr);
// Thread exit: marks the robust futexes `t` still owns (set_robust_list) as
// FUTEX_OWNER_DIED and wakes a waiter of each; then lets the waiters of PI
// futexes it owns retry (they take the lock over).
void futex_exit_robust(Thread* t);
void futex_exit_pi_waiters(CapGroup* g, u32 tid) TA_REQ(g->lock);

}  // namespace kern
