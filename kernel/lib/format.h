// printf-style formatting, the core of printk. Freestanding: no libc, no
// floating point, no heap; output goes through a per-character callback so
// the same code writes to a UART, a ring buffer or a string.
//
// Supported: %d %i %u %x %X %o %c %s %p %%; flags - 0 + space #; width and
// precision as digits or '*'; length modifiers hh h l ll z t j. Differences
// from C, all deliberate:
//  - %p is always "0x" followed by 16 lowercase hex digits, so that addresses
//    line up in panic dumps; only width and '-' apply to it.
//  - %s of nullptr prints "(null)" (cut by the precision like any string).
//  - Anything else after '%' (including %n and the floating-point
//    conversions, which the kernel must never use) is printed literally, from
//    the '%' to the offending character, and consumes no argument (other
//    than any '*' width or precision before it). A lone '%' at the end of
//    the format prints '%'.
//  - Width and precision are clamped to kMaxFieldWidth, so a typo such as
//    "%99999999d" cannot stall a CPU printing padding.
#pragma once

#include "lib/types.h"

namespace kern {

using va_list = __builtin_va_list;

inline constexpr int kMaxFieldWidth = 4096;

using PutcharFn = void (*)(void* ctx, char c);

// Returns the number of characters passed to `out`.
int vformat(PutcharFn out, void* ctx, const char* fmt, va_list ap);

// C semantics: writes at most size - 1 characters and always NUL-terminates
// when size > 0; returns the length the full output would have had. `buf` may
// be nullptr when size is 0.
int vsnprintf(char* buf, usize size, const char* fmt, va_list ap);
int snprintf(char* buf, usize size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

}  // namespace kern
