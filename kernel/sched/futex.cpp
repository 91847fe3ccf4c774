// Waiters hash into buckets by their key; a bucket is a wait queue whose
// threads record their exact key (Thread::futex_space/futex_addr).
//
// The key of a word is (process, address), except for a word in a Shared
// PMO (shared memory, a MAP_SHARED file mapping: musl's process-shared
// semaphores and mutexes): there it is (the PMO, the word's offset in it),
// which is the same in every process that maps it, wherever it maps it,
// so a FUTEX_WAKE in one process finds the waiters of another. The PMO is
// kept alive by the waiter's own mapping; were that unmapped meanwhile and
// the PMO's memory reused for another PMO, a wake of the new one could
// wake the old waiter: a spurious wake-up, which every futex user allows.
// Priority-inheritance futexes stay keyed by process (their owner is a
// thread of the same process). A call with FUTEX_PRIVATE_FLAG promises
// that the word is private to the process (musl's process-private locks
// say so; its process-shared ones do not), so its key is (process,
// address) without looking at the region, as Linux does: no address-space
// lock and region lookup on the path of every private futex.
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
  u64 h = reinterpret_cast<u64>(space) ^ (addr.raw() >> 2);
  h ^= h >> 17;
  h *= 0xed5ad4bbu;
  h ^= h >> 11;
  return g_buckets[h % kBuckets];
}

bool key_ok(VirtAddr uaddr) { return is_aligned(uaddr, 4) && user_range_ok(uaddr, 4); }

struct Key {
  const void* space;
  VirtAddr addr;
};

// Before the scheduler lock: takes the address space's lock (unless private).
Key key_of(CapGroup* g, VirtAddr uaddr, bool priv) {
  const void* pmo;
  u64 off;
  if (!priv && g->vmspace.shared_key(uaddr, &pmo, &off)) return Key{pmo, VirtAddr{off}};
  return Key{g, uaddr};
}

// Reads the futex word with the scheduler lock held; a fault here is
// resolved by the page-fault path, which never takes that lock.
Result<u32> read_word(VirtAddr uaddr) {
  u32 v;
  TRY(copy_from_user(&v, uaddr, sizeof(v)));
  return v;
}
}  // namespace

Result<i64> futex_wait(CapGroup* g, VirtAddr uaddr, u32 val, u64 deadline, bool priv) {
  if (!key_ok(uaddr)) return Err::Inval;
  Thread* self = current_thread();
  Key k = key_of(g, uaddr, priv);
  {
    SpinGuard s(sched_lock());
    if (TRY(read_word(uaddr)) != val) return Err::Again;
    self->futex_space = k.space;
    self->futex_addr = k.addr;
    self->futex_pi = false;
    TRY(sched_block_prepare(&bucket(k.space, k.addr), deadline, to_errno(Err::TimedOut)));
  }
  return 0;  // ignored: the waker (0) or the timeout (-ETIMEDOUT) supplies the result
}

Result<i64> futex_wake(CapGroup* g, VirtAddr uaddr, u32 n, bool priv) {
  if (!key_ok(uaddr)) return Err::Inval;
  i64 woken = 0;
  Key k = key_of(g, uaddr, priv);
  {
    SpinGuard s(sched_lock());
    WaitQueue& q = bucket(k.space, k.addr);
    for (Thread* t = q.threads.front(); t != nullptr && woken < n;) {
      Thread* next = q.threads.next(t);
      if (t->futex_space == k.space && t->futex_addr == k.addr && !t->futex_pi) {
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
                  u32 val3, bool priv) {
  if (!key_ok(uaddr) || !key_ok(uaddr2)) return Err::Inval;
  i64 done = 0;
  Key k = key_of(g, uaddr, priv);
  Key k2 = key_of(g, uaddr2, priv);
  {
    SpinGuard s(sched_lock());
    if (check) {
      if (TRY(read_word(uaddr)) != val3) return Err::Again;
    }
    WaitQueue& q = bucket(k.space, k.addr);
    WaitQueue& q2 = bucket(k2.space, k2.addr);
    u32 woken = 0, moved = 0;
    for (Thread* t = q.threads.front(); t != nullptr;) {
      Thread* next = q.threads.next(t);
      if (t->futex_space == k.space && t->futex_addr == k.addr && !t->futex_pi) {
        if (woken < n) {
          sched_wake(t, 0);
          woken++;
        } else if (moved < n2) {
          q.threads.remove(t);
          t->futex_space = k2.space;
          t->futex_addr = k2.addr;
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

// --- Priority inheritance ---------------------------------------------------
//
// The word holds the owner's tid (bits 0-29), FUTEX_OWNER_DIED (bit 30) and
// FUTEX_WAITERS (bit 31), as on Linux. User space takes and releases a free
// lock with compare-and-swap alone; the kernel is entered only under
// contention:
//   LOCK_PI   free (tid 0): take it. Owned by a live thread of this process:
//             set FUTEX_WAITERS, raise the owner to the waiter's priority if
//             that is higher, and block until UNLOCK_PI hands the lock over
//             (the word then already names the waiter). Owned by a thread
//             that no longer exists: take it over with FUTEX_OWNER_DIED set
//             (musl turns that into EOWNERDEAD for robust mutexes).
//   UNLOCK_PI the caller must own it (-EPERM): the highest-priority waiter
//             becomes the owner (FUTEX_WAITERS kept if others remain) and is
//             woken; with none, the word becomes 0. The caller drops back to
//             its own priority.
// When an owner exits, its PI waiters re-execute LOCK_PI and so find it
// gone (futex_exit_thread). Nested chains (an owner itself blocked on
// another PI futex) are not followed, and an owner of several contended PI
// futexes drops to its own priority at its first UNLOCK_PI.
// Everything runs under the scheduler lock, after the process lock (the
// owner is looked up among the process's threads).
namespace {
constexpr u32 kTidMask = 0x3fffffff;
constexpr u32 kOwnerDied = 0x40000000;
constexpr u32 kWaiters = 0x80000000;

Thread* find_thread(CapGroup* g, u32 tid) TA_REQ(g->lock) {
  for (Thread* t = g->threads.front(); t != nullptr; t = g->threads.next(t))
    if (t->tid == tid && t->state != ThreadState::Exited) return t;
  return nullptr;
}

void boost(Thread* owner, u32 prio) TA_REQ(g_sched_lock) {
  if (prio <= owner->sc->prio) return;
  if (!owner->pi_boosted) {
    owner->pi_boosted = true;
    owner->pi_base_prio = owner->sc->prio;
  }
  sched_set_priority_locked(owner, prio);
}

void unboost(Thread* t) TA_REQ(g_sched_lock) {
  if (!t->pi_boosted) return;
  t->pi_boosted = false;
  sched_set_priority_locked(t, t->pi_base_prio);
}
}  // namespace

Result<i64> futex_lock_pi(CapGroup* g, VirtAddr uaddr, u64 deadline, bool try_only) {
  if (!key_ok(uaddr)) return Err::Inval;
  Thread* self = current_thread();
  u32 tid = static_cast<u32>(self->tid);
  SpinGuard pl(g->lock);
  SpinGuard s(sched_lock());
  for (;;) {
    u32 cur = TRY(read_word(uaddr));
    u32 owner_tid = cur & kTidMask;
    if (owner_tid == tid) return Err::DeadLk;
    Thread* owner = owner_tid == 0 ? nullptr : find_thread(g, owner_tid);
    if (owner == nullptr) {
      // Free, or its owner is gone: take it.
      u32 want = tid | (owner_tid != 0 ? kOwnerDied : (cur & kOwnerDied)) | (cur & kWaiters);
      if (TRY(user_cmpxchg32(uaddr, cur, want, &cur))) return 0;
      continue;  // changed under us
    }
    if (try_only) return Err::Again;
    if (!(cur & kWaiters) && !TRY(user_cmpxchg32(uaddr, cur, cur | kWaiters, &cur))) continue;
    boost(owner, self->sc->prio);
    self->futex_space = g;
    self->futex_addr = uaddr;
    self->futex_pi = true;
    TRY(sched_block_prepare(&bucket(g, uaddr), deadline, to_errno(Err::TimedOut)));
    return 0;  // ignored: UNLOCK_PI (0) or the timeout supplies the result
  }
}

Result<i64> futex_unlock_pi(CapGroup* g, VirtAddr uaddr) {
  if (!key_ok(uaddr)) return Err::Inval;
  Thread* self = current_thread();
  u32 tid = static_cast<u32>(self->tid);
  SpinGuard s(sched_lock());
  u32 cur = TRY(read_word(uaddr));
  if ((cur & kTidMask) != tid) return Err::Perm;
  // The highest-priority waiter (FIFO among equals) gets the lock.
  WaitQueue& q = bucket(g, uaddr);
  Thread* next = nullptr;
  bool others = false;
  for (Thread* t = q.threads.front(); t != nullptr; t = q.threads.next(t)) {
    if (t->futex_space != g || t->futex_addr != uaddr || !t->futex_pi) continue;
    if (next == nullptr || t->sc->prio > next->sc->prio) {
      others = others || next != nullptr;
      next = t;
    } else {
      others = true;
    }
  }
  u32 want = next == nullptr ? 0 : static_cast<u32>(next->tid) | (others ? kWaiters : 0);
  // Only we change an owned word's tid; user space may set FUTEX_WAITERS.
  while (!TRY(user_cmpxchg32(uaddr, cur, want, &cur)))
    if ((cur & kTidMask) != tid) return Err::Perm;
  unboost(self);
  if (next != nullptr) {
    sched_wake(next, 0);
    // The new owner inherits the priorities of those still waiting.
    for (Thread* t = q.threads.front(); t != nullptr; t = q.threads.next(t))
      if (t->futex_space == g && t->futex_addr == uaddr && t->futex_pi) boost(next, t->sc->prio);
  }
  return 0;
}

// A thread that exits while owning PI futexes: its waiters re-execute
// LOCK_PI (x0 = the futex address again, pc back on the svc) and find the
// owner gone. Caller holds the process lock.
void futex_exit_pi_waiters(CapGroup* g, u32 tid) TA_REQ(g->lock) {
  SpinGuard s(sched_lock());
  for (WaitQueue& q : g_buckets) {
    for (Thread* t = q.threads.front(); t != nullptr;) {
      Thread* next = q.threads.next(t);
      if (t->futex_space == g && t->futex_pi) {
        u32 cur;
        if (copy_from_user(&cur, t->futex_addr, sizeof(cur)).ok() && (cur & kTidMask) == tid) {
          t->ctx.elr -= 4;
          sched_wake(t, static_cast<i64>(t->futex_addr.raw()));
        }
      }
      t = next;
    }
  }
}

// --- Robust futexes ------------------------------------------------------------
//
// set_robust_list registers a list head in user memory, laid out as Linux's
// struct robust_list_head: { next, futex_offset, list_op_pending }. Each
// entry is a pointer to the next one; the futex word is at entry +
// futex_offset. When the thread exits, every word on the list (and the
// pending one) that names it as owner gets FUTEX_OWNER_DIED, and one
// waiter is woken if FUTEX_WAITERS is set. Everything read is user memory:
// a bad list ends the walk, and at most kRobustLimit entries are visited
// (a cycle cannot hold the exit up).
namespace {
constexpr u32 kRobustLimit = 2048;

void robust_mark_dead(CapGroup* g, VirtAddr word, u32 tid) {
  if (!is_aligned(word, 4) || !user_range_ok(word, 4)) return;
  u32 cur;
  if (!copy_from_user(&cur, word, sizeof(cur)).ok()) return;
  for (int tries = 0; tries < 16 && (cur & kTidMask) == tid; tries++) {
    u32 want = (cur & kWaiters) | kOwnerDied;
    Result<bool> done = user_cmpxchg32(word, cur, want, &cur);
    if (!done.ok()) return;
    if (done.value()) {
      if (cur & kWaiters) (void)futex_wake(g, word, 1);
      return;
    }
  }
}
}  // namespace

void futex_exit_robust(Thread* t) {
  if (t->robust_head == VirtAddr{}) return;
  CapGroup* g = t->group;
  u32 tid = static_cast<u32>(t->tid);
  struct {
    u64 next;
    i64 offset;
    u64 pending;
  } head;
  if (!copy_from_user(&head, t->robust_head, sizeof(head)).ok()) return;
  VirtAddr entry{head.next};
  for (u32 n = 0; entry != t->robust_head && entry != VirtAddr{} && n < kRobustLimit; n++) {
    u64 next;
    if (!copy_from_user(&next, entry, sizeof(next)).ok()) break;
    if (entry != VirtAddr{head.pending})
      robust_mark_dead(g, entry + static_cast<u64>(head.offset), tid);
    entry = VirtAddr{next};
  }
  if (head.pending != 0)
    robust_mark_dead(g, VirtAddr{head.pending} + static_cast<u64>(head.offset), tid);
}

}  // namespace kern
