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

void* memcpy(void* __restrict dst, const void* __restrict src, usize n) {
  u8* d = static_cast<u8*>(dst);
  const u8* s = static_cast<const u8*>(src);
  for (usize i = 0; i < n; ++i) d[i] = s[i];
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
  for (usize i = 0; i < n; ++i) d[i] = static_cast<u8>(c);
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
