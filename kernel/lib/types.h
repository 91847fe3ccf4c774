// Fixed-width types and small helpers for the freestanding kernel.
// No C++ standard library headers exist for aarch64-none-elf, so the kernel
// defines what it needs here. Host tests include this header too; it uses only
// compiler builtins so that it means the same on both sides.
#pragma once

using u8 = __UINT8_TYPE__;
using u16 = __UINT16_TYPE__;
using u32 = __UINT32_TYPE__;
using u64 = __UINT64_TYPE__;
using i8 = __INT8_TYPE__;
using i16 = __INT16_TYPE__;
using i32 = __INT32_TYPE__;
using i64 = __INT64_TYPE__;
using usize = __SIZE_TYPE__;
using isize = __PTRDIFF_TYPE__;
using uptr = __UINTPTR_TYPE__;

// A physical address. A distinct type, so that it cannot be dereferenced,
// used as a virtual address or made from an integer by mistake: it is built
// explicitly (`PhysAddr{n}`), moves by byte offsets, and gives its number
// with `raw()` only where the hardware needs one (page-table entries, device
// registers, TTBR). The kernel's linear map converts between it and kernel
// pointers (mm/kmap.h: kva_to_pa, pa_to_kva). `PhysAddr{}` is 0.
class PhysAddr {
 public:
  PhysAddr() = default;
  constexpr explicit PhysAddr(u64 v) : v_(v) {}
  constexpr u64 raw() const { return v_; }

  friend constexpr bool operator==(PhysAddr a, PhysAddr b) { return a.v_ == b.v_; }
  friend constexpr bool operator<(PhysAddr a, PhysAddr b) { return a.v_ < b.v_; }
  friend constexpr bool operator<=(PhysAddr a, PhysAddr b) { return a.v_ <= b.v_; }
  friend constexpr bool operator>(PhysAddr a, PhysAddr b) { return a.v_ > b.v_; }
  friend constexpr bool operator>=(PhysAddr a, PhysAddr b) { return a.v_ >= b.v_; }

  // Byte offsets (wrapping like u64, as the plain number did).
  friend constexpr PhysAddr operator+(PhysAddr a, u64 off) { return PhysAddr{a.v_ + off}; }
  friend constexpr PhysAddr operator-(PhysAddr a, u64 off) { return PhysAddr{a.v_ - off}; }
  // The distance in bytes from b up to a.
  friend constexpr u64 operator-(PhysAddr a, PhysAddr b) { return a.v_ - b.v_; }
  constexpr PhysAddr& operator+=(u64 off) {
    v_ += off;
    return *this;
  }
  constexpr PhysAddr& operator-=(u64 off) {
    v_ -= off;
    return *this;
  }

  // The highest address.
  static constexpr PhysAddr max() { return PhysAddr{~u64{0}}; }

 private:
  u64 v_;
};
// A virtual address as a number (kernel or user).
using VirtAddr = u64;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

namespace kern {

constexpr u64 align_down(u64 v, u64 a) { return v & ~(a - 1); }
constexpr u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }
constexpr bool is_aligned(u64 v, u64 a) { return (v & (a - 1)) == 0; }
constexpr PhysAddr align_down(PhysAddr v, u64 a) { return PhysAddr{align_down(v.raw(), a)}; }
constexpr PhysAddr align_up(PhysAddr v, u64 a) { return PhysAddr{align_up(v.raw(), a)}; }
constexpr bool is_aligned(PhysAddr v, u64 a) { return is_aligned(v.raw(), a); }

template <typename T> constexpr T min(T a, T b) { return a < b ? a : b; }
template <typename T> constexpr T max(T a, T b) { return a > b ? a : b; }

}  // namespace kern
