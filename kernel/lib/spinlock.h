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

  // One 64-bit word: the ticket being served in the low half, the next
  // ticket to hand out in the high half. Taking a ticket returns both, so
  // an uncontended lock is one atomic add and a compare; the unlock is a
  // release store to the low half (a 32-bit store: it never carries into
  // the high half; it breaks a concurrent taker's exclusive reservation,
  // which then retries).
  void lock() TA_ACQ() {
    u64 was = __atomic_fetch_add(&word_, kTicket, __ATOMIC_ACQUIRE);
    u32 ticket = static_cast<u32>(was >> 32);
    if (static_cast<u32>(was) == ticket) [[likely]]
      return;
    while (__atomic_load_n(owner(), __ATOMIC_ACQUIRE) != ticket) cpu_relax();
  }

  bool try_lock() TA_TRY_ACQ(true) {
    u64 was = __atomic_load_n(&word_, __ATOMIC_RELAXED);
    if (static_cast<u32>(was) != static_cast<u32>(was >> 32)) return false;
    return __atomic_compare_exchange_n(&word_, &was, was + kTicket, false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
  }

  void unlock() TA_REL() { __atomic_store_n(owner(), *owner() + 1, __ATOMIC_RELEASE); }

 private:
  static constexpr u64 kTicket = u64{1} << 32;
  // The low half (little-endian: AArch64 and the host tests' x86).
  u32* owner() { return reinterpret_cast<u32*>(&word_); }

  u64 word_ = 0;
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
