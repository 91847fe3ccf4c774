// The C memory and string primitives for the kernel. clang emits calls to
// memcpy, memset and memmove for struct copies and zeroing even in
// freestanding code, so the kernel must define them.
//
// Kernel-only: the host tests link against the host libc instead, and must
// not see a second definition. This file must be built with -fno-builtin (the
// kernel's -ffreestanding implies it): otherwise clang may recognise the
// byte loops below as memset/memcpy idioms and compile them into calls to
// themselves.
//
// Plain byte loops: correct for any alignment with -mstrict-align, and fast
// enough until a profile says otherwise.
#include "lib/types.h"

extern "C" {

// The kernel is built with -mstrict-align, so word accesses are used only
// where both sides are 8-byte aligned; the rest goes byte by byte. Pages are
// zeroed and copied through these (page faults, PMO writes), so the aligned
// bulk case is unrolled to 64 bytes per iteration.
void* memcpy(void* __restrict dst, const void* __restrict src, usize n) {
  u8* d = static_cast<u8*>(dst);
  const u8* s = static_cast<const u8*>(src);
  if (((reinterpret_cast<uptr>(d) ^ reinterpret_cast<uptr>(s)) & 7) == 0) {
    while (n > 0 && (reinterpret_cast<uptr>(d) & 7) != 0) {
      *d++ = *s++;
      n--;
    }
    u64* dw = reinterpret_cast<u64*>(d);
    const u64* sw = reinterpret_cast<const u64*>(s);
    for (; n >= 64; n -= 64, dw += 8, sw += 8) {
      u64 a = sw[0], b = sw[1], c = sw[2], e = sw[3], f = sw[4], g = sw[5], h = sw[6], i = sw[7];
      dw[0] = a, dw[1] = b, dw[2] = c, dw[3] = e, dw[4] = f, dw[5] = g, dw[6] = h, dw[7] = i;
    }
    for (; n >= 8; n -= 8) *dw++ = *sw++;
    d = reinterpret_cast<u8*>(dw);
    s = reinterpret_cast<const u8*>(sw);
  }
  while (n-- > 0) *d++ = *s++;
  return dst;
}

void* memmove(void* dst, const void* src, usize n) {
  u8* d = static_cast<u8*>(dst);
  const u8* s = static_cast<const u8*>(src);
  // Copy backwards when the destination overlaps the tail of the source.
  if (reinterpret_cast<uptr>(d) - reinterpret_cast<uptr>(s) < n) {
    for (usize i = n; i > 0; --i) d[i - 1] = s[i - 1];
  } else {
    for (usize i = 0; i < n; ++i) d[i] = s[i];
  }
  return dst;
}

void* memset(void* dst, int c, usize n) {
  u8* d = static_cast<u8*>(dst);
  u8 b = static_cast<u8>(c);
  while (n > 0 && (reinterpret_cast<uptr>(d) & 7) != 0) {
    *d++ = b;
    n--;
  }
  u64 v = 0x0101010101010101ull * b;
  u64* w = reinterpret_cast<u64*>(d);
  for (; n >= 64; n -= 64, w += 8) w[0] = w[1] = w[2] = w[3] = w[4] = w[5] = w[6] = w[7] = v;
  for (; n >= 8; n -= 8) *w++ = v;
  d = reinterpret_cast<u8*>(w);
  while (n-- > 0) *d++ = b;
  return dst;
}

int memcmp(const void* a, const void* b, usize n) {
  const u8* x = static_cast<const u8*>(a);
  const u8* y = static_cast<const u8*>(b);
  for (usize i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

usize strlen(const char* s) {
  usize n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

}  // extern "C"
