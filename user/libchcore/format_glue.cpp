// The kernel's formatter (kernel/lib/format.cpp, compiled into libchcore as
// is) behind a C interface for user programs.
#include "lib/format.h"

extern "C" int chcore_vformat(void (*out)(void* ctx, char c), void* ctx, const char* fmt,
                              __builtin_va_list ap) {
  return kern::vformat(out, ctx, fmt, ap);
}

extern "C" int chcore_vsnprintf(char* buf, __SIZE_TYPE__ size, const char* fmt,
                                __builtin_va_list ap) {
  return kern::vsnprintf(buf, size, fmt, ap);
}
