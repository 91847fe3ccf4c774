// The random-number generator (random.h).
//
// State: a 256-bit ChaCha20 key and a generation number. A request takes
// blocks 1, 2, ... of the key stream under a nonce made of the counter and
// the generation, then block 0 becomes the next key ("fast key erasure"):
// whoever later reads the state cannot compute what was handed out before.
// Requests of up to 32 bytes (the 16 AT_RANDOM bytes of every new process)
// are served from a buffer of key stream made ahead (kAhead blocks: the
// first half of block 0 is the next key, the rest is buffered) and erased
// as it is handed out, so one ChaCha20 block serves several processes;
// mixing discards the buffer.
// Mixing input: each 32-byte piece is XORed into the key, and the key is
// then replaced by block 0 under a nonce of its own, so the result depends
// on all of the input and on what was there before.
#include "random/random.h"

#include "arch/aarch64/timer.h"
#include "lib/chacha20.h"
#include "lib/printk.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "platform/platform.h"

namespace kern {

namespace {

SpinLock g_random_lock;
u32 g_key[8] TA_GUARDED(g_random_lock);
u64 g_generation TA_GUARDED(g_random_lock);
constexpr usize kAhead = 4;
u8 g_ahead[kAhead * 64 - 32] TA_GUARDED(g_random_lock);
usize g_ahead_left TA_GUARDED(g_random_lock) = 0;  // unread bytes: the first ones

// Replaces the key with block 0 of its own stream under `nonce`.
void rekey(const u32 nonce[3]) TA_REQ(g_random_lock) {
  u32 block[16];
  chacha20_block(g_key, 0, nonce, block);
  memcpy(g_key, block, sizeof(g_key));
  memset(block, 0, sizeof(block));
}

constexpr u32 kMixTag = 0x78696d;  // "mix": mixing and reading never share a nonce

}  // namespace

void random_mix(const void* data, usize len) {
  const u8* p = static_cast<const u8*>(data);
  SpinGuard g(g_random_lock);
  memset(g_ahead, 0, sizeof(g_ahead));
  g_ahead_left = 0;
  while (len > 0) {
    u32 piece[8] = {};
    usize n = len < sizeof(piece) ? len : sizeof(piece);
    memcpy(piece, p, n);
    for (int i = 0; i < 8; i++) g_key[i] ^= piece[i];
    u64 gen = g_generation++;
    const u32 nonce[3] = {kMixTag, static_cast<u32>(gen), static_cast<u32>(gen >> 32)};
    rekey(nonce);
    p += n;
    len -= n;
  }
}

void random_read(void* out, usize len) {
  u8* p = static_cast<u8*>(out);
  u64 now = timer_now();
  SpinGuard g(g_random_lock);
  u64 gen = g_generation++;
  const u32 nonce[3] = {static_cast<u32>(now), static_cast<u32>(now >> 32),
                        static_cast<u32>(gen)};
  if (len <= 32) {
    if (g_ahead_left < len) {
      // Blocks 0..kAhead-1: block 0's first half is the next key, the
      // rest is the buffer (never both from the same bytes).
      u32 key[8], block[16];
      memcpy(key, g_key, sizeof(key));
      chacha20_block(key, 0, nonce, block);
      memcpy(g_key, block, sizeof(g_key));
      memcpy(g_ahead, block + 8, 32);
      for (u32 b = 1; b < kAhead; b++) {
        chacha20_block(key, b, nonce, block);
        memcpy(g_ahead + 32 + (b - 1) * sizeof(block), block, sizeof(block));
      }
      memset(block, 0, sizeof(block));
      memset(key, 0, sizeof(key));
      g_ahead_left = sizeof(g_ahead);
    }
    g_ahead_left -= len;
    memcpy(p, g_ahead + g_ahead_left, len);
    memset(g_ahead + g_ahead_left, 0, len);
    return;
  }
  u32 counter = 1;
  while (len > 0) {
    u32 block[16];
    chacha20_block(g_key, counter++, nonce, block);
    usize n = len < sizeof(block) ? len : sizeof(block);
    memcpy(p, block, n);
    memset(block, 0, sizeof(block));
    p += n;
    len -= n;
  }
  rekey(nonce);
}

void random_init() {
  u8 seed[64];
  const char* source = nullptr;
  usize n = plat::entropy(seed, sizeof(seed), &source);
  random_mix(seed, n);
  memset(seed, 0, sizeof(seed));
  // The counter at boot adds little, but never hurts.
  u64 now = timer_now();
  random_mix(&now, sizeof(now));
  if (n > 0) {
    printk("random: seeded with %lu bytes from %s\n", static_cast<u64>(n), source);
  } else {
    printk("random: WARNING: no entropy source on this board; random numbers are "
           "predictable\n");
  }
}

}  // namespace kern
