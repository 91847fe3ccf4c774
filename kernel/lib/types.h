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

// Addresses as numbers that are not plain integers: `PhysAddr` (physical)
// and `VirtAddr` (virtual, kernel or user) are distinct types, so neither is
// made from an integer, used as the other, or dereferenced by mistake. One
// is built explicitly (`PhysAddr{n}`; `PhysAddr{}` is 0), moves by byte
// offsets, gives the distance to another of its kind as a u64, and yields
// its number with `raw()` only where one is needed (page-table entries,
// device registers, TTBR, the system-call boundary). The kernel's linear map
// converts between the two (mm/kmap.h: kva_to_pa, pa_to_kva).
template <typename Tag>
class Address {
 public:
  Address() = default;
  constexpr explicit Address(u64 v) : v_(v) {}
  constexpr u64 raw() const { return v_; }

  friend constexpr bool operator==(Address a, Address b) { return a.v_ == b.v_; }
  friend constexpr bool operator<(Address a, Address b) { return a.v_ < b.v_; }
  friend constexpr bool operator<=(Address a, Address b) { return a.v_ <= b.v_; }
  friend constexpr bool operator>(Address a, Address b) { return a.v_ > b.v_; }
  friend constexpr bool operator>=(Address a, Address b) { return a.v_ >= b.v_; }

  // Byte offsets (wrapping like u64, as the plain number did).
  friend constexpr Address operator+(Address a, u64 off) { return Address{a.v_ + off}; }
  friend constexpr Address operator-(Address a, u64 off) { return Address{a.v_ - off}; }
  // The distance in bytes from b up to a.
  friend constexpr u64 operator-(Address a, Address b) { return a.v_ - b.v_; }
  constexpr Address& operator+=(u64 off) {
    v_ += off;
    return *this;
  }
  constexpr Address& operator-=(u64 off) {
    v_ -= off;
    return *this;
  }

  // The highest address.
  static constexpr Address max() { return Address{~u64{0}}; }

 private:
  u64 v_;
};

struct PhysAddrTag;
struct VirtAddrTag;
using PhysAddr = Address<PhysAddrTag>;
using VirtAddr = Address<VirtAddrTag>;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

namespace kern {

constexpr u64 align_down(u64 v, u64 a) { return v & ~(a - 1); }
constexpr u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }
constexpr bool is_aligned(u64 v, u64 a) { return (v & (a - 1)) == 0; }
template <typename Tag>
constexpr Address<Tag> align_down(Address<Tag> v, u64 a) {
  return Address<Tag>{align_down(v.raw(), a)};
}
template <typename Tag>
constexpr Address<Tag> align_up(Address<Tag> v, u64 a) {
  return Address<Tag>{align_up(v.raw(), a)};
}
template <typename Tag>
constexpr bool is_aligned(Address<Tag> v, u64 a) {
  return is_aligned(v.raw(), a);
}

template <typename T> constexpr T min(T a, T b) { return a < b ? a : b; }
template <typename T> constexpr T max(T a, T b) { return a > b ? a : b; }

}  // namespace kern
