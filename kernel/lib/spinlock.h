// A ticket spinlock: FIFO-fair, so no CPU starves under contention.
#pragma once
#include "lib/thread_safety.h"
#include "lib/types.h"

namespace kern {

inline void cpu_relax() {
#if defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  __builtin_ia32_pause();  // host unit tests
#endif
}

class TA_CAPABILITY("spinlock") SpinLock {
 public:
  constexpr SpinLock() = default;
  SpinLock(const SpinLock&) = delete;
  SpinLock& operator=(const SpinLock&) = delete;

  void lock() TA_ACQ() {
    u32 ticket = __atomic_fetch_add(&next_, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&owner_, __ATOMIC_ACQUIRE) != ticket) cpu_relax();
  }
  bool try_lock() TA_TRY_ACQ(true) {
    u32 owner = __atomic_load_n(&owner_, __ATOMIC_RELAXED);
    u32 expected = owner;
    return __atomic_compare_exchange_n(&next_, &expected, owner + 1, false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
  }
  void unlock() TA_REL() { __atomic_store_n(&owner_, owner_ + 1, __ATOMIC_RELEASE); }

 private:
  u32 next_ = 0;
  u32 owner_ = 0;
};

class TA_SCOPED_CAPABILITY SpinGuard {
 public:
  explicit SpinGuard(SpinLock& l) TA_ACQ(l) : lock_(l) { lock_.lock(); }
  ~SpinGuard() TA_REL() { lock_.unlock(); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  SpinLock& lock_;
};

}  // namespace kern
