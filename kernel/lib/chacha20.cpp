// ChaCha20's block function, written from RFC 8439 section 2.3.
#include "lib/chacha20.h"

namespace kern {

namespace {

constexpr u32 rotl(u32 v, int n) { return (v << n) | (v >> (32 - n)); }

void quarter_round(u32* s, int a, int b, int c, int d) {
  s[a] += s[b];
  s[d] = rotl(s[d] ^ s[a], 16);
  s[c] += s[d];
  s[b] = rotl(s[b] ^ s[c], 12);
  s[a] += s[b];
  s[d] = rotl(s[d] ^ s[a], 8);
  s[c] += s[d];
  s[b] = rotl(s[b] ^ s[c], 7);
}

}  // namespace

void chacha20_block(const u32 key[8], u32 counter, const u32 nonce[3], u32 out[16]) {
  // "expand 32-byte k", then the key, the counter and the nonce.
  u32 init[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  for (int i = 0; i < 8; i++) init[4 + i] = key[i];
  init[12] = counter;
  for (int i = 0; i < 3; i++) init[13 + i] = nonce[i];

  u32 s[16];
  for (int i = 0; i < 16; i++) s[i] = init[i];
  for (int round = 0; round < 10; round++) {  // 20 rounds: column + diagonal
    quarter_round(s, 0, 4, 8, 12);
    quarter_round(s, 1, 5, 9, 13);
    quarter_round(s, 2, 6, 10, 14);
    quarter_round(s, 3, 7, 11, 15);
    quarter_round(s, 0, 5, 10, 15);
    quarter_round(s, 1, 6, 11, 12);
    quarter_round(s, 2, 7, 8, 13);
    quarter_round(s, 3, 4, 9, 14);
  }
  for (int i = 0; i < 16; i++) out[i] = s[i] + init[i];
}

}  // namespace kern
