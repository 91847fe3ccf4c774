// The only way the kernel touches user memory.
//
// Typed user pointers (after Zircon): a syscall receives `UserPtr<T>` (or a
// raw address it wraps immediately) and copies through it. Every copy checks
// that the whole range lies in the user half and does not wrap, then runs an
// assembly routine whose user accesses are LDTR/STTR (checked with EL0
// permissions) and have fix-ups: a fault returns -EFAULT instead of a panic.
// Anonymous pages that are not yet present are faulted in on the way.
#pragma once
#include "lib/result.h"
#include "lib/types.h"

extern "C" {
i64 arch_copy_from_user(void* dst, const void* user_src, usize n);
i64 arch_copy_to_user(void* user_dst, const void* src, usize n);
// User to user (front to back), for user_copy.
i64 arch_copy_in_user(void* user_dst, const void* user_src, usize n);
i64 arch_strncpy_from_user(char* dst, const char* user_src, usize n);
i64 arch_user_cmpxchg32(u32* user_addr, u32 old_val, u32 new_val, u32* cur);
}

namespace kern {

// User virtual addresses are [0, kUserTop): TTBR0 with 48-bit VAs.
inline constexpr VirtAddr kUserTop{1ull << 48};

// True if [addr, addr + size) is a non-wrapping range inside user space.
constexpr bool user_range_ok(VirtAddr addr, usize size) {
  return addr + size >= addr && addr + size <= kUserTop;
}

[[nodiscard]] inline Status copy_from_user(void* dst, VirtAddr src, usize n) {
  if (!user_range_ok(src, n)) return Err::Fault;
  if (n == 0) return kOk;
  return arch_copy_from_user(dst, reinterpret_cast<const void*>(src.raw()), n) == 0 ? kOk
                                                                                    : Err::Fault;
}

[[nodiscard]] inline Status copy_to_user(VirtAddr dst, const void* src, usize n) {
  if (!user_range_ok(dst, n)) return Err::Fault;
  if (n == 0) return kOk;
  return arch_copy_to_user(reinterpret_cast<void*>(dst.raw()), src, n) == 0 ? kOk : Err::Fault;
}

// Copies a NUL-terminated string of at most size-1 characters into dst (always
// NUL-terminated). Returns its length; Err::Range if it does not fit.
[[nodiscard]] inline Result<usize> strncpy_from_user(char* dst, VirtAddr src, usize size) {
  if (size == 0) return Err::Inval;
  // Only the part of the range below kUserTop may be read.
  usize max = size;
  if (src >= kUserTop) return Err::Fault;
  if (kUserTop - src < max) max = kUserTop - src;
  i64 n = arch_strncpy_from_user(dst, reinterpret_cast<const char*>(src.raw()), max);
  if (n < 0) return Err::Fault;
  if (static_cast<usize>(n) >= size) {
    dst[size - 1] = '\0';
    return Err::Range;
  }
  if (static_cast<usize>(n) == max) return Err::Fault;  // ran into the end of user space
  return static_cast<usize>(n);
}

template <typename T>
struct RemoveConst {
  using type = T;
};
template <typename T>
struct RemoveConst<const T> {
  using type = T;
};

// Atomically sets the aligned user word at `addr` to `new_val` if it holds
// `old_val`: true if done; false with *cur = what it held; Err::Fault.
[[nodiscard]] inline Result<bool> user_cmpxchg32(VirtAddr addr, u32 old_val, u32 new_val, u32* cur) {
  if (!is_aligned(addr, 4) || !user_range_ok(addr, 4)) return Err::Fault;
  i64 r = arch_user_cmpxchg32(reinterpret_cast<u32*>(addr.raw()), old_val, new_val, cur);
  if (r < 0) return Err::Fault;
  if (r == 0) *cur = old_val;
  return r == 0;
}

// A typed pointer into user memory. It cannot be dereferenced, only copied
// through; array copies check the size multiplication for overflow.
// UserPtr<const T> is an input (read only); UserPtr<T> may be read and
// written.
template <typename T>
class UserPtr {
  using Elem = typename RemoveConst<T>::type;
  static constexpr bool kWritable = !__is_same(T, const Elem);

 public:
  constexpr explicit UserPtr(VirtAddr addr) : addr_(addr) {}
  constexpr VirtAddr addr() const { return addr_; }
  constexpr bool is_null() const { return addr_ == VirtAddr{}; }
  // The pointer `n` elements further on (no check: the copies check).
  constexpr UserPtr operator+(usize n) const { return UserPtr(addr_ + n * sizeof(T)); }

  [[nodiscard]] Status read(Elem* out) const { return copy_from_user(out, addr_, sizeof(T)); }
  [[nodiscard]] Status write(const Elem& v) const {
    static_assert(kWritable, "a UserPtr<const T> is read only");
    return copy_to_user(addr_, &v, sizeof(T));
  }
  [[nodiscard]] Status read_array(Elem* out, usize count) const {
    usize bytes;
    if (__builtin_mul_overflow(count, sizeof(T), &bytes)) return Err::Fault;
    return copy_from_user(out, addr_, bytes);
  }
  [[nodiscard]] Status write_array(const Elem* in, usize count) const {
    static_assert(kWritable, "a UserPtr<const T> is read only");
    usize bytes;
    if (__builtin_mul_overflow(count, sizeof(T), &bytes)) return Err::Fault;
    return copy_to_user(addr_, in, bytes);
  }
  // True if `count` elements from here lie in user space (no access made).
  [[nodiscard]] bool range_ok(usize count) const {
    usize bytes;
    return !__builtin_mul_overflow(count, sizeof(T), &bytes) && user_range_ok(addr_, bytes);
  }

 private:
  VirtAddr addr_;
};

}  // namespace kern
