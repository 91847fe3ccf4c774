// PhysAddr and VirtAddr (kernel/lib/types.h) are distinct types: nothing
// turns an integer into an address, or one kind of address into the other,
// or an address back into a number, without saying so.
#include <gtest/gtest.h>

#include <type_traits>

#include "../addr_print.h"
#include "lib/types.h"

namespace {

// No silent conversions, in either direction.
static_assert(!std::is_convertible_v<u64, PhysAddr>);
static_assert(!std::is_convertible_v<int, PhysAddr>);
static_assert(!std::is_convertible_v<PhysAddr, u64>);
static_assert(!std::is_convertible_v<PhysAddr, VirtAddr>);
static_assert(!std::is_convertible_v<VirtAddr, PhysAddr>);
static_assert(!std::is_convertible_v<PhysAddr, bool>);
static_assert(!std::is_convertible_v<PhysAddr, void*>);
static_assert(!std::is_convertible_v<u64, VirtAddr>);
static_assert(!std::is_convertible_v<VirtAddr, u64>);
static_assert(!std::is_convertible_v<VirtAddr, bool>);
// Not even explicitly: a physical address is not a virtual one.
static_assert(!std::is_constructible_v<VirtAddr, PhysAddr>);
static_assert(!std::is_constructible_v<PhysAddr, VirtAddr>);
// Explicit construction from the number, and the number back with raw().
static_assert(std::is_constructible_v<PhysAddr, u64>);
static_assert(std::is_constructible_v<VirtAddr, u64>);
static_assert(PhysAddr{0x1234}.raw() == 0x1234);
// As cheap as the number: same size, copied as a register.
static_assert(sizeof(PhysAddr) == sizeof(u64));
static_assert(std::is_trivially_copyable_v<PhysAddr>);
static_assert(std::is_trivially_default_constructible_v<PhysAddr>);

// Only the arithmetic that means something compiles.
template <typename A, typename B>
concept Addable = requires(A a, B b) {
  a + b;
};
template <typename A, typename B>
concept Subtractable = requires(A a, B b) {
  a - b;
};
template <typename A, typename B>
concept Comparable = requires(A a, B b) {
  a == b;
};
template <typename A>
concept Maskable = requires(A a) {
  a & 0xfffu;
};
template <typename A>
concept Testable = requires(A a) {
  !a;
};
static_assert(Addable<PhysAddr, u64>);
static_assert(!Addable<PhysAddr, PhysAddr>);
static_assert(!Addable<u64, PhysAddr>);
static_assert(Subtractable<PhysAddr, u64>);
static_assert(std::is_same_v<decltype(PhysAddr{} - PhysAddr{}), u64>);
static_assert(Comparable<PhysAddr, PhysAddr>);
static_assert(!Comparable<PhysAddr, u64>);
static_assert(!Maskable<PhysAddr>);
static_assert(!Testable<PhysAddr>);
static_assert(!Addable<VirtAddr, PhysAddr>);
static_assert(!Subtractable<VirtAddr, PhysAddr>);
static_assert(!Comparable<VirtAddr, PhysAddr>);
static_assert(!Comparable<VirtAddr, u64>);
static_assert(!Maskable<VirtAddr>);
static_assert(Maskable<u64>);  // what the checks above would catch

TEST(PhysAddr, OffsetsAndDistances) {
  const PhysAddr a{0x40001000};
  EXPECT_EQ((a + 0x234).raw(), 0x40001234u);
  EXPECT_EQ((a - 0x1000).raw(), 0x40000000u);
  EXPECT_EQ(PhysAddr{0x40003000} - a, 0x2000u);
  PhysAddr b = a;
  b += 0x10;
  EXPECT_EQ(b.raw(), 0x40001010u);
  b -= 0x20;
  EXPECT_EQ(b.raw(), 0x40000ff0u);
  EXPECT_EQ(PhysAddr{}.raw(), 0u);
  EXPECT_EQ(PhysAddr::max().raw(), ~u64{0});
}

TEST(PhysAddr, Compares) {
  const PhysAddr lo{0x1000}, hi{0x2000};
  EXPECT_TRUE(lo < hi);
  EXPECT_TRUE(lo <= hi);
  EXPECT_TRUE(hi > lo);
  EXPECT_TRUE(hi >= lo);
  EXPECT_TRUE(lo != hi);
  EXPECT_TRUE(lo == PhysAddr{0x1000});
}

TEST(PhysAddr, Aligns) {
  const PhysAddr a{0x40001234};
  EXPECT_EQ(kern::align_down(a, 0x1000), PhysAddr{0x40001000});
  EXPECT_EQ(kern::align_up(a, 0x1000), PhysAddr{0x40002000});
  EXPECT_EQ(kern::align_up(PhysAddr{0x40002000}, 0x1000), PhysAddr{0x40002000});
  EXPECT_FALSE(kern::is_aligned(a, 0x1000));
  EXPECT_TRUE(kern::is_aligned(a, 4));
}

}  // namespace
