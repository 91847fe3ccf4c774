// kernel/lib/byte_ring.h: the console's input FIFO.
#include "lib/byte_ring.h"

#include <gtest/gtest.h>

using kern::ByteRing;

TEST(ByteRing, FifoOrderAcrossTheWrap) {
  ByteRing<8> r;
  u8 out[8];
  // Move the indices near the end of the buffer, then wrap.
  for (int round = 0; round < 5; round++) {
    for (u8 i = 0; i < 5; i++) ASSERT_TRUE(r.push(static_cast<u8>(round * 10 + i)));
    ASSERT_EQ(r.size(), 5u);
    ASSERT_EQ(r.pop(out, 8), 5u);
    for (u8 i = 0; i < 5; i++) EXPECT_EQ(out[i], round * 10 + i);
    EXPECT_TRUE(r.empty());
  }
}

TEST(ByteRing, FullRingRefusesAndPopIsBounded) {
  ByteRing<4> r;
  for (u8 i = 0; i < 4; i++) EXPECT_TRUE(r.push(i));
  EXPECT_FALSE(r.push(99));
  EXPECT_EQ(r.space(), 0u);
  u8 out[2];
  EXPECT_EQ(r.pop(out, 2), 2u);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 1);
  EXPECT_EQ(r.pop(out, 0), 0u);
  EXPECT_EQ(r.size(), 2u);
}

TEST(ByteRing, UnpopRestoresTheFrontInOrder) {
  ByteRing<8> r;
  for (u8 i = 1; i <= 6; i++) r.push(i);
  u8 out[4];
  ASSERT_EQ(r.pop(out, 4), 4u);  // 1 2 3 4
  r.push(7);
  EXPECT_EQ(r.unpop(out, 4), 4u);
  u8 all[8];
  ASSERT_EQ(r.pop(all, 8), 7u);
  for (u8 i = 0; i < 7; i++) EXPECT_EQ(all[i], i + 1);
}

TEST(ByteRing, UnpopKeepsWhatFits) {
  ByteRing<4> r;
  for (u8 i = 0; i < 3; i++) r.push(i);
  const u8 back[3] = {10, 11, 12};
  EXPECT_EQ(r.unpop(back, 3), 1u);  // one free slot: only the first goes back
  u8 all[4];
  ASSERT_EQ(r.pop(all, 4), 4u);
  EXPECT_EQ(all[0], 10);
  EXPECT_EQ(all[1], 0);
}
