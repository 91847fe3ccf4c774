// The kernel's random-number generator: a ChaCha20 key stream whose key is
// seeded at boot from the best source the board has and replaced after
// every request (so earlier output cannot be recomputed from the state).
// docs/random.md has the sources and the design.
#pragma once
#include "lib/types.h"

namespace kern {

// Seeds the generator from the platform (plat::entropy) and the counter,
// and says on the console where the seed came from. Once, at boot, before
// the first process starts.
void random_init();
// Mixes `len` bytes into the key (never lowers the entropy already there).
void random_mix(const void* data, usize len);
// Fills out[0..len) with random bytes.
void random_read(void* out, usize len);

}  // namespace kern
