// Waiters hash into buckets by (process, address); a bucket is a wait queue
// whose threads record their exact key (Thread::futex_space/futex_addr).
// All of it is under the scheduler lock, which also makes "compare the
// value, then sleep" atomic with respect to FUTEX_WAKE.
#include "sched/futex.h"

#include "mm/uaccess.h"
#include "sched/sched.h"
#include "uapi/errno.h"

namespace kern {

namespace {
constexpr u32 kBuckets = 256;
WaitQueue g_buckets[kBuckets];

WaitQueue& bucket(const void* space, VirtAddr addr) {
  u64 h = reinterpret_cast<u64>(space) ^ (addr >> 2);
  h ^= h >> 17;
  h *= 0xed5ad4bbu;
  h ^= h >> 11;
  return g_buckets[h % kBuckets];
}

bool key_ok(VirtAddr uaddr) { return (uaddr & 3) == 0 && user_range_ok(uaddr, 4); }

// Reads the futex word with the scheduler lock held; a fault here is
// resolved by the page-fault path, which never takes that lock.
Result<u32> read_word(VirtAddr uaddr) {
  u32 v;
  TRY(copy_from_user(&v, uaddr, sizeof(v)));
  return v;
}
}  // namespace

Result<i64> futex_wait(CapGroup* g, VirtAddr uaddr, u32 val, u64 deadline) {
  if (!key_ok(uaddr)) return Err::Inval;
  Thread* self = current_thread();
  {
    SpinGuard s(sched_lock());
    if (TRY(read_word(uaddr)) != val) return Err::Again;
    self->futex_space = g;
    self->futex_addr = uaddr;
    TRY(sched_block_prepare(&bucket(g, uaddr), deadline, to_errno(Err::TimedOut)));
  }
  return 0;  // ignored: the waker (0) or the timeout (-ETIMEDOUT) supplies the result
}

Result<i64> futex_wake(CapGroup* g, VirtAddr uaddr, u32 n) {
  if (!key_ok(uaddr)) return Err::Inval;
  i64 woken = 0;
  {
    SpinGuard s(sched_lock());
    WaitQueue& q = bucket(g, uaddr);
    for (Thread* t = q.threads.front(); t != nullptr && woken < n;) {
      Thread* next = q.threads.next(t);
      if (t->futex_space == g && t->futex_addr == uaddr) {
        sched_wake(t, 0);
        woken++;
      }
      t = next;
    }
  }
  sched_flush_kicks();
  return woken;
}

Result<i64> futex_requeue(CapGroup* g, VirtAddr uaddr, u32 n, u32 n2, VirtAddr uaddr2, bool check,
                  u32 val3) {
  if (!key_ok(uaddr) || !key_ok(uaddr2)) return Err::Inval;
  i64 done = 0;
  {
    SpinGuard s(sched_lock());
    if (check) {
      if (TRY(read_word(uaddr)) != val3) return Err::Again;
    }
    WaitQueue& q = bucket(g, uaddr);
    WaitQueue& q2 = bucket(g, uaddr2);
    u32 woken = 0, moved = 0;
    for (Thread* t = q.threads.front(); t != nullptr;) {
      Thread* next = q.threads.next(t);
      if (t->futex_space == g && t->futex_addr == uaddr) {
        if (woken < n) {
          sched_wake(t, 0);
          woken++;
        } else if (moved < n2) {
          q.threads.remove(t);
          t->futex_addr = uaddr2;
          t->waiting_on = &q2;
          q2.threads.push_back(t);
          moved++;
        } else {
          break;
        }
      }
      t = next;
    }
    done = woken + moved;
  }
  sched_flush_kicks();
  return done;
}

}  // namespace kern
