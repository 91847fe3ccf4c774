// Futexes: blocking on a 32-bit word in user memory, keyed per process by
// its address (private futexes; musl's threads use nothing else).
#pragma once
#include "lib/result.h"
#include "object/cap_group.h"

namespace kern {

// FUTEX_WAIT: blocks the current thread if *uaddr == val, until woken or
// until `deadline` (counter ticks; 0 = none) passes (-ETIMEDOUT). Returns
// an error without blocking: -EAGAIN (the value differs), -EFAULT, -EINVAL.
// When it blocks, the result is the waker's (0) or the timeout's; the
// return value of the call is then ignored by the exit path.
[[nodiscard]] Result<i64> futex_wait(CapGroup* g, VirtAddr uaddr, u32 val, u64 deadline);
// FUTEX_WAKE: wakes up to n waiters; returns how many.
[[nodiscard]] Result<i64> futex_wake(CapGroup* g, VirtAddr uaddr, u32 n);
// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wakes up to n waiters on uaddr and
// moves up to n2 of the rest to uaddr2. With `check`, first compares *uaddr
// with val3 (-EAGAIN if different). Returns woken + moved.
[[nodiscard]] Result<i64> futex_requeue(CapGroup* g, VirtAddr uaddr, u32 n, u32 n2, VirtAddr uaddr2, bool check,
                  u32 val3);

}  // namespace kern
