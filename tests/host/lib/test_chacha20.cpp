// ChaCha20's block function against RFC 8439's test vectors.
#include <gtest/gtest.h>

#include "lib/chacha20.h"

namespace kern {
namespace {

TEST(ChaCha20, Rfc8439BlockVector) {
  // Section 2.3.2: key 00 01 .. 1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00,
  // block count 1.
  u32 key[8];
  for (u32 i = 0; i < 8; i++)
    key[i] = (4 * i) | ((4 * i + 1) << 8) | ((4 * i + 2) << 16) | ((4 * i + 3) << 24);
  const u32 nonce[3] = {0x09000000, 0x4a000000, 0x00000000};
  u32 out[16];
  chacha20_block(key, 1, nonce, out);
  const u32 want[16] = {0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033,
                        0x9aaa2204, 0x4e6cd4c3, 0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9,
                        0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2};
  for (int i = 0; i < 16; i++) EXPECT_EQ(out[i], want[i]) << "word " << i;
}

TEST(ChaCha20, Rfc8439ZeroKeyVector) {
  // Appendix A.1, test vector #1: all-zero key and nonce, block count 0;
  // the key stream starts 76 b8 e0 ad a0 f1 3d 90 and ends b2 ee 65 86.
  const u32 key[8] = {};
  const u32 nonce[3] = {};
  u32 out[16];
  chacha20_block(key, 0, nonce, out);
  EXPECT_EQ(out[0], 0xade0b876u);
  EXPECT_EQ(out[1], 0x903df1a0u);
  EXPECT_EQ(out[15], 0x8665eeb2u);  // ... b2 ee 65 86
}

TEST(ChaCha20, CounterAndNonceChangeTheBlock) {
  const u32 key[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  const u32 n0[3] = {0, 0, 0}, n1[3] = {0, 0, 1};
  u32 a[16], b[16], c[16];
  chacha20_block(key, 0, n0, a);
  chacha20_block(key, 1, n0, b);
  chacha20_block(key, 0, n1, c);
  int same_ab = 0, same_ac = 0;
  for (int i = 0; i < 16; i++) {
    same_ab += a[i] == b[i];
    same_ac += a[i] == c[i];
  }
  EXPECT_EQ(same_ab, 0);
  EXPECT_EQ(same_ac, 0);
}

}  // namespace
}  // namespace kern
