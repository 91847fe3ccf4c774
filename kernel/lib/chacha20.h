// The ChaCha20 block function (RFC 8439, section 2.3): 64 bytes of key
// stream from a 256-bit key, a 32-bit block counter and a 96-bit nonce.
// Used by the kernel's random-number generator (random/random.cpp). Plain
// C++ without kernel dependencies, so the host tests check it against the
// RFC's test vectors.
#pragma once
#include "lib/types.h"

namespace kern {

// out[i] is the i-th little-endian word of the block.
void chacha20_block(const u32 key[8], u32 counter, const u32 nonce[3], u32 out[16]);

}  // namespace kern
